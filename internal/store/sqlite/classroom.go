package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/classroomd/classroomd/internal/store"
)

const announcementColumns = "id, author, text, created_at, expires_at, retracted_at, retracted_by"

func scanAnnouncement(sc scanner) (store.Announcement, error) {
	var (
		a                  store.Announcement
		created            int64
		expires, retracted sql.NullInt64
		retractedBy        sql.NullString
	)
	if err := sc.Scan(&a.ID, &a.Author, &a.Text, &created, &expires, &retracted, &retractedBy); err != nil {
		return store.Announcement{}, err
	}
	a.CreatedAt = fromMicros(created)
	a.ExpiresAt = fromNullMicros(expires)
	a.RetractedAt = fromNullMicros(retracted)
	a.RetractedBy = retractedBy.String
	return a, nil
}

func fromNullMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicros(n.Int64)
}

// nullMicros stores a zero time as NULL.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

// CreateAnnouncement inserts a and sets its ID, and its CreatedAt when zero (to now).
func (s *Store) CreateAnnouncement(ctx context.Context, a *store.Announcement) error {
	created := a.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC().Truncate(time.Microsecond)
	var id int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO announcements (author, text, created_at, expires_at)
		VALUES (?, ?, ?, ?) RETURNING id`, a.Author, a.Text, micros(created), nullMicros(a.ExpiresAt)).Scan(&id)
	if err != nil {
		return fmt.Errorf("create announcement by %q: %w", a.Author, mapClassroomErr(err))
	}
	a.ID = id
	a.CreatedAt = created
	if !a.ExpiresAt.IsZero() {
		a.ExpiresAt = a.ExpiresAt.UTC().Truncate(time.Microsecond)
	}
	return nil
}

// RetractAnnouncement ends announcement id; an already retracted one is returned as it is.
func (s *Store) RetractAnnouncement(ctx context.Context, id int64, by string, at time.Time) (store.Announcement, error) {
	// COALESCE keeps the first retraction; the UPDATE touches the row either
	// way, which tells "no such announcement" apart in one statement.
	a, err := scanAnnouncement(s.db.QueryRowContext(ctx, `UPDATE announcements SET
			retracted_at = COALESCE(retracted_at, ?),
			retracted_by = COALESCE(retracted_by, ?)
		WHERE id = ? RETURNING `+announcementColumns, micros(at), by, id))
	if err != nil {
		return store.Announcement{}, fmt.Errorf("retract announcement %d: %w", id, mapClassroomErr(err))
	}
	return a, nil
}

// ActiveAnnouncements returns what username should see at now, oldest first.
func (s *Store) ActiveAnnouncements(ctx context.Context, username string, now time.Time) ([]store.Announcement, error) {
	return s.announcements(ctx, "active announcements for "+fmt.Sprintf("%q", username),
		`SELECT `+announcementColumns+` FROM announcements a
		WHERE a.retracted_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > ?)
		  AND NOT EXISTS (SELECT 1 FROM announcement_dismissals d WHERE d.announcement_id = a.id AND d.username = ?)
		ORDER BY a.created_at, a.id`, micros(now), username)
}

// defaultAnnouncementLimit is what ListAnnouncements returns when given no limit.
const defaultAnnouncementLimit = 100

// ListAnnouncements returns the latest announcements, newest first.
func (s *Store) ListAnnouncements(ctx context.Context, limit int) ([]store.Announcement, error) {
	if limit <= 0 {
		limit = defaultAnnouncementLimit
	}
	return s.announcements(ctx, "list announcements",
		`SELECT `+announcementColumns+` FROM announcements ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
}

func (s *Store) announcements(ctx context.Context, what, query string, args ...any) ([]store.Announcement, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	list := []store.Announcement{}
	for rows.Next() {
		a, err := scanAnnouncement(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return list, nil
}

// DismissAnnouncement hides announcement id from username; a second dismissal is a no-op.
func (s *Store) DismissAnnouncement(ctx context.Context, id int64, username string, at time.Time) error {
	// A missing announcement or user fails the foreign key check: ErrNotFound.
	if _, err := s.db.ExecContext(ctx, `INSERT INTO announcement_dismissals (announcement_id, username, dismissed_at)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, id, username, micros(at)); err != nil {
		return fmt.Errorf("dismiss announcement %d for %q: %w", id, username, mapClassroomErr(err))
	}
	return nil
}

const helpColumns = "h.id, h.student, h.question, h.created_at, h.claimed_by, h.claimed_at, h.resolved_by, h.resolved_at, h.cancelled_at"

// helpReturning is helpColumns for a RETURNING clause, where SQLite does not
// accept the table's alias.
const helpReturning = "id, student, question, created_at, claimed_by, claimed_at, resolved_by, resolved_at, cancelled_at"

// openHelp is the condition for a request still in the queue (matches the partial indexes).
const openHelp = "h.resolved_at IS NULL AND h.cancelled_at IS NULL"

// helpPlace is the place of the request h in the queue, as a subquery.
const helpPlace = "(SELECT count(*) FROM help_requests o WHERE o.resolved_at IS NULL AND o.cancelled_at IS NULL AND o.id <= h.id)"

func scanHelp(sc scanner, extra ...any) (store.HelpRequest, error) {
	var (
		r                                  store.HelpRequest
		created                            int64
		claimedBy, resolvedBy              sql.NullString
		claimedAt, resolvedAt, cancelledAt sql.NullInt64
	)
	dest := append([]any{&r.ID, &r.Student, &r.Question, &created, &claimedBy, &claimedAt, &resolvedBy, &resolvedAt, &cancelledAt}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return store.HelpRequest{}, err
	}
	r.CreatedAt = fromMicros(created)
	r.ClaimedBy, r.ClaimedAt = claimedBy.String, fromNullMicros(claimedAt)
	r.ResolvedBy, r.ResolvedAt = resolvedBy.String, fromNullMicros(resolvedAt)
	r.CancelledAt = fromNullMicros(cancelledAt)
	return r, nil
}

// RequestHelp opens the student's request or replaces the question of the open one,
// in one IMMEDIATE transaction, so places are handed out one at a time.
func (s *Store) RequestHelp(ctx context.Context, student, question string, at time.Time) (store.HelpRequest, int, bool, error) {
	fail := func(err error) (store.HelpRequest, int, bool, error) {
		return store.HelpRequest{}, 0, false, fmt.Errorf("request help for %q: %w", student, mapClassroomErr(err))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, "UPDATE help_requests AS h SET question = ? WHERE h.student = ? AND "+openHelp, question, student)
	if err != nil {
		return fail(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fail(err)
	}
	created := n == 0
	if created {
		if _, err := tx.ExecContext(ctx, "INSERT INTO help_requests (student, question, created_at) VALUES (?, ?, ?)",
			student, question, micros(at)); err != nil {
			return fail(err)
		}
	}
	var place int
	r, err := scanHelp(tx.QueryRowContext(ctx, "SELECT "+helpColumns+", "+helpPlace+" FROM help_requests h WHERE h.student = ? AND "+openHelp, student), &place)
	if err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return r, place, created, nil
}

// CancelHelpRequest withdraws the student's open request.
func (s *Store) CancelHelpRequest(ctx context.Context, student string, at time.Time) (store.HelpRequest, error) {
	r, err := scanHelp(s.db.QueryRowContext(ctx, "UPDATE help_requests AS h SET cancelled_at = ? WHERE h.student = ? AND "+openHelp+
		" RETURNING "+helpReturning, micros(at), student))
	if err != nil {
		return store.HelpRequest{}, fmt.Errorf("cancel the help request of %q: %w", student, mapClassroomErr(err))
	}
	return r, nil
}

// OpenHelpRequest returns the student's open request and its place.
func (s *Store) OpenHelpRequest(ctx context.Context, student string) (store.HelpRequest, int, error) {
	var place int
	r, err := scanHelp(s.db.QueryRowContext(ctx, "SELECT "+helpColumns+", "+helpPlace+
		" FROM help_requests h WHERE h.student = ? AND "+openHelp, student), &place)
	if err != nil {
		return store.HelpRequest{}, 0, fmt.Errorf("open help request of %q: %w", student, mapClassroomErr(err))
	}
	return r, place, nil
}

// ListOpenHelpRequests returns the queue, first in line first.
func (s *Store) ListOpenHelpRequests(ctx context.Context) ([]store.HelpRequest, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+helpColumns+" FROM help_requests h WHERE "+openHelp+" ORDER BY h.id")
	if err != nil {
		return nil, fmt.Errorf("list the help queue: %w", err)
	}
	defer rows.Close()
	list := []store.HelpRequest{}
	for rows.Next() {
		r, err := scanHelp(rows)
		if err != nil {
			return nil, fmt.Errorf("list the help queue: %w", err)
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the help queue: %w", err)
	}
	return list, nil
}

// ClaimHelpRequest gives open request id to professor by, unless another holds it.
func (s *Store) ClaimHelpRequest(ctx context.Context, id int64, by string, at time.Time) (store.HelpRequest, error) {
	return s.changeClaim(ctx, "claim", id, by,
		"UPDATE help_requests AS h SET claimed_by = ?, claimed_at = ? WHERE h.id = ? AND "+openHelp+" AND h.claimed_by IS NULL RETURNING "+helpReturning,
		by, micros(at), id)
}

// UnclaimHelpRequest releases by's claim on open request id.
func (s *Store) UnclaimHelpRequest(ctx context.Context, id int64, by string) (store.HelpRequest, error) {
	return s.changeClaim(ctx, "unclaim", id, by,
		"UPDATE help_requests AS h SET claimed_by = NULL, claimed_at = NULL WHERE h.id = ? AND "+openHelp+" AND h.claimed_by = ? RETURNING "+helpReturning,
		id, by)
}

// changeClaim runs a conditional UPDATE of one open request in an IMMEDIATE
// transaction. When it matches nothing, the request as it stands says why:
// gone, claimed by someone else, or already as asked.
func (s *Store) changeClaim(ctx context.Context, what string, id int64, by, update string, args ...any) (store.HelpRequest, error) {
	fail := func(err error) (store.HelpRequest, error) {
		return store.HelpRequest{}, fmt.Errorf("%s help request %d: %w", what, id, mapClassroomErr(err))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	r, err := scanHelp(tx.QueryRowContext(ctx, update, args...))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fail(err)
	}
	if err != nil {
		r, err = scanHelp(tx.QueryRowContext(ctx, "SELECT "+helpColumns+" FROM help_requests h WHERE h.id = ? AND "+openHelp, id))
		if err != nil {
			return fail(err)
		}
		if r.ClaimedBy != "" && r.ClaimedBy != by {
			return r, fmt.Errorf("%s help request %d: claimed by %q: %w", what, id, r.ClaimedBy, store.ErrConflict)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return r, nil
}

// ResolveHelpRequest closes open request id as helped by by.
func (s *Store) ResolveHelpRequest(ctx context.Context, id int64, by string, at time.Time) (store.HelpRequest, error) {
	r, err := scanHelp(s.db.QueryRowContext(ctx, "UPDATE help_requests AS h SET resolved_by = ?, resolved_at = ? WHERE h.id = ? AND "+openHelp+
		" RETURNING "+helpReturning, by, micros(at), id))
	if err != nil {
		return store.HelpRequest{}, fmt.Errorf("resolve help request %d: %w", id, mapClassroomErr(err))
	}
	return r, nil
}

// mapClassroomErr is mapErr plus: a reference to a missing user or
// announcement (a foreign key) means it was not found.
func mapClassroomErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return fmt.Errorf("%w (no such user or announcement)", store.ErrNotFound)
	}
	return mapErr(err)
}
