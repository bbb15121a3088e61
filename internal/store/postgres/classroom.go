package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/classroomd/classroomd/internal/store"
)

// helpQueueLockKey is the pg_advisory_xact_lock key that makes RequestHelp
// calls take turns: a request's ID and its place are then handed out in commit
// order, so two students asking at once never both read "you are number 1".
const helpQueueLockKey int64 = 0x636c6173_68656c70 // "clashelp"

const announcementColumns = "a.id, a.author, a.text, a.created_at, a.expires_at, a.retracted_at, a.retracted_by"

func scanAnnouncement(row pgx.Row) (store.Announcement, error) {
	var (
		a                  store.Announcement
		expires, retracted *time.Time
		retractedBy        *string
	)
	if err := row.Scan(&a.ID, &a.Author, &a.Text, &a.CreatedAt, &expires, &retracted, &retractedBy); err != nil {
		return store.Announcement{}, err
	}
	a.CreatedAt = a.CreatedAt.UTC()
	a.ExpiresAt = fromNull(expires)
	a.RetractedAt = fromNull(retracted)
	if retractedBy != nil {
		a.RetractedBy = *retractedBy
	}
	return a, nil
}

func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := utc(t)
	return &u
}

// CreateAnnouncement inserts a and sets its ID, and its CreatedAt when zero (to now).
func (s *Store) CreateAnnouncement(ctx context.Context, a *store.Announcement) error {
	created := a.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	created = utc(created)
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO announcements (author, text, created_at, expires_at)
		VALUES ($1, $2, $3, $4) RETURNING id`, a.Author, a.Text, created, nullTime(a.ExpiresAt)).Scan(&id)
	if err != nil {
		return fmt.Errorf("create announcement by %q: %w", a.Author, mapClassroomErr(err))
	}
	a.ID = id
	a.CreatedAt = created
	if !a.ExpiresAt.IsZero() {
		a.ExpiresAt = utc(a.ExpiresAt)
	}
	return nil
}

// RetractAnnouncement ends announcement id; an already retracted one is returned as it is.
func (s *Store) RetractAnnouncement(ctx context.Context, id int64, by string, at time.Time) (store.Announcement, error) {
	// COALESCE keeps the first retraction; the UPDATE touches the row either
	// way, which tells "no such announcement" apart in one statement.
	a, err := scanAnnouncement(s.pool.QueryRow(ctx, `UPDATE announcements AS a SET
			retracted_at = COALESCE(a.retracted_at, $1),
			retracted_by = COALESCE(a.retracted_by, $2)
		WHERE a.id = $3 RETURNING `+announcementColumns, utc(at), by, id))
	if err != nil {
		return store.Announcement{}, fmt.Errorf("retract announcement %d: %w", id, mapClassroomErr(err))
	}
	return a, nil
}

// ActiveAnnouncements returns what username should see at now, oldest first.
func (s *Store) ActiveAnnouncements(ctx context.Context, username string, now time.Time) ([]store.Announcement, error) {
	return s.announcements(ctx, fmt.Sprintf("active announcements for %q", username),
		`SELECT `+announcementColumns+` FROM announcements a
		WHERE a.retracted_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > $1)
		  AND NOT EXISTS (SELECT 1 FROM announcement_dismissals d WHERE d.announcement_id = a.id AND d.username = $2)
		ORDER BY a.created_at, a.id`, utc(now), username)
}

// defaultAnnouncementLimit is what ListAnnouncements returns when given no limit.
const defaultAnnouncementLimit = 100

// ListAnnouncements returns the latest announcements, newest first.
func (s *Store) ListAnnouncements(ctx context.Context, limit int) ([]store.Announcement, error) {
	if limit <= 0 {
		limit = defaultAnnouncementLimit
	}
	return s.announcements(ctx, "list announcements",
		`SELECT `+announcementColumns+` FROM announcements a ORDER BY a.created_at DESC, a.id DESC LIMIT $1`, limit)
}

func (s *Store) announcements(ctx context.Context, what, query string, args ...any) ([]store.Announcement, error) {
	rows, err := s.pool.Query(ctx, query, args...)
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
	if _, err := s.pool.Exec(ctx, `INSERT INTO announcement_dismissals (announcement_id, username, dismissed_at)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id, username, utc(at)); err != nil {
		return fmt.Errorf("dismiss announcement %d for %q: %w", id, username, mapClassroomErr(err))
	}
	return nil
}

const helpColumns = "h.id, h.student, h.question, h.created_at, h.claimed_by, h.claimed_at, h.resolved_by, h.resolved_at, h.cancelled_at"

// openHelp is the condition for a request still in the queue (matches the partial indexes).
const openHelp = "h.resolved_at IS NULL AND h.cancelled_at IS NULL"

// helpPlace is the place of the request h in the queue, as a subquery.
const helpPlace = "(SELECT count(*) FROM help_requests o WHERE o.resolved_at IS NULL AND o.cancelled_at IS NULL AND o.id <= h.id)"

func scanHelp(row pgx.Row, extra ...any) (store.HelpRequest, error) {
	var (
		r                                  store.HelpRequest
		claimedBy, resolvedBy              *string
		claimedAt, resolvedAt, cancelledAt *time.Time
	)
	dest := append([]any{&r.ID, &r.Student, &r.Question, &r.CreatedAt, &claimedBy, &claimedAt, &resolvedBy, &resolvedAt, &cancelledAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return store.HelpRequest{}, err
	}
	r.CreatedAt = r.CreatedAt.UTC()
	if claimedBy != nil {
		r.ClaimedBy = *claimedBy
	}
	if resolvedBy != nil {
		r.ResolvedBy = *resolvedBy
	}
	r.ClaimedAt, r.ResolvedAt, r.CancelledAt = fromNull(claimedAt), fromNull(resolvedAt), fromNull(cancelledAt)
	return r, nil
}

// RequestHelp opens the student's request or replaces the question of the open
// one, under helpQueueLockKey.
func (s *Store) RequestHelp(ctx context.Context, student, question string, at time.Time) (store.HelpRequest, int, bool, error) {
	fail := func(err error) (store.HelpRequest, int, bool, error) {
		return store.HelpRequest{}, 0, false, fmt.Errorf("request help for %q: %w", student, mapClassroomErr(err))
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", helpQueueLockKey); err != nil {
		return fail(err)
	}
	tag, err := tx.Exec(ctx, "UPDATE help_requests AS h SET question = $1 WHERE h.student = $2 AND "+openHelp, question, student)
	if err != nil {
		return fail(err)
	}
	created := tag.RowsAffected() == 0
	if created {
		if _, err := tx.Exec(ctx, "INSERT INTO help_requests (student, question, created_at) VALUES ($1, $2, $3)",
			student, question, utc(at)); err != nil {
			return fail(err)
		}
	}
	var place int
	r, err := scanHelp(tx.QueryRow(ctx, "SELECT "+helpColumns+", "+helpPlace+" FROM help_requests h WHERE h.student = $1 AND "+openHelp, student), &place)
	if err != nil {
		return fail(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return r, place, created, nil
}

// CancelHelpRequest withdraws the student's open request.
func (s *Store) CancelHelpRequest(ctx context.Context, student string, at time.Time) (store.HelpRequest, error) {
	r, err := scanHelp(s.pool.QueryRow(ctx, "UPDATE help_requests AS h SET cancelled_at = $1 WHERE h.student = $2 AND "+openHelp+
		" RETURNING "+helpColumns, utc(at), student))
	if err != nil {
		return store.HelpRequest{}, fmt.Errorf("cancel the help request of %q: %w", student, mapClassroomErr(err))
	}
	return r, nil
}

// OpenHelpRequest returns the student's open request and its place.
func (s *Store) OpenHelpRequest(ctx context.Context, student string) (store.HelpRequest, int, error) {
	var place int
	r, err := scanHelp(s.pool.QueryRow(ctx, "SELECT "+helpColumns+", "+helpPlace+
		" FROM help_requests h WHERE h.student = $1 AND "+openHelp, student), &place)
	if err != nil {
		return store.HelpRequest{}, 0, fmt.Errorf("open help request of %q: %w", student, mapClassroomErr(err))
	}
	return r, place, nil
}

// ListOpenHelpRequests returns the queue, first in line first.
func (s *Store) ListOpenHelpRequests(ctx context.Context) ([]store.HelpRequest, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+helpColumns+" FROM help_requests h WHERE "+openHelp+" ORDER BY h.id")
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
	return s.changeClaim(ctx, "claim", id, by, true, at)
}

// UnclaimHelpRequest releases by's claim on open request id.
func (s *Store) UnclaimHelpRequest(ctx context.Context, id int64, by string) (store.HelpRequest, error) {
	return s.changeClaim(ctx, "unclaim", id, by, false, time.Time{})
}

// changeClaim locks the open request (SELECT ... FOR UPDATE), so that what it
// reads is what it changes, then claims or releases it for by.
func (s *Store) changeClaim(ctx context.Context, what string, id int64, by string, claim bool, at time.Time) (store.HelpRequest, error) {
	fail := func(err error) (store.HelpRequest, error) {
		return store.HelpRequest{}, fmt.Errorf("%s help request %d: %w", what, id, mapClassroomErr(err))
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx)
	r, err := scanHelp(tx.QueryRow(ctx, "SELECT "+helpColumns+" FROM help_requests h WHERE h.id = $1 AND "+openHelp+" FOR UPDATE", id))
	if err != nil {
		return fail(err)
	}
	switch {
	case r.ClaimedBy != "" && r.ClaimedBy != by:
		return r, fmt.Errorf("%s help request %d: claimed by %q: %w", what, id, r.ClaimedBy, store.ErrConflict)
	case claim && r.ClaimedBy == by, !claim && r.ClaimedBy == "":
		return r, nil // already as asked
	}
	var claimedBy *string
	if claim {
		claimedBy = &by
	}
	r, err = scanHelp(tx.QueryRow(ctx, "UPDATE help_requests AS h SET claimed_by = $1, claimed_at = $2 WHERE h.id = $3 RETURNING "+helpColumns,
		claimedBy, nullTime(at), id))
	if err != nil {
		return fail(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return r, nil
}

// ResolveHelpRequest closes open request id as helped by by.
func (s *Store) ResolveHelpRequest(ctx context.Context, id int64, by string, at time.Time) (store.HelpRequest, error) {
	r, err := scanHelp(s.pool.QueryRow(ctx, "UPDATE help_requests AS h SET resolved_by = $1, resolved_at = $2 WHERE h.id = $3 AND "+openHelp+
		" RETURNING "+helpColumns, by, utc(at), id))
	if err != nil {
		return store.HelpRequest{}, fmt.Errorf("resolve help request %d: %w", id, mapClassroomErr(err))
	}
	return r, nil
}

// foreignKeyViolation is PostgreSQL's SQLSTATE for a reference to a missing row.
const foreignKeyViolation = "23503"

// mapClassroomErr is mapErr plus: a reference to a missing user or
// announcement (a foreign key) means it was not found.
func mapClassroomErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == foreignKeyViolation {
		return fmt.Errorf("%w (no such user or announcement)", store.ErrNotFound)
	}
	return mapErr(err)
}
