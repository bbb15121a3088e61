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

const assignmentColumns = "name, title, due_at, late_until, late_penalty, config, digest, source_dir, created_at, updated_at, released_at, feedback_released_at"

func scanAssignment(sc scanner) (store.Assignment, error) {
	var (
		a                             store.Assignment
		due, created, updated         int64
		lateUntil, released, feedback sql.NullInt64
	)
	if err := sc.Scan(&a.Name, &a.Title, &due, &lateUntil, &a.LatePenalty, &a.Config, &a.Digest, &a.SourceDir,
		&created, &updated, &released, &feedback); err != nil {
		return store.Assignment{}, err
	}
	a.Due = fromMicros(due)
	a.LateUntil = fromNullMicros(lateUntil)
	a.CreatedAt = fromMicros(created)
	a.UpdatedAt = fromMicros(updated)
	a.ReleasedAt = fromNullMicros(released)
	a.FeedbackReleasedAt = fromNullMicros(feedback)
	return a, nil
}

// PutAssignment inserts or updates a in one IMMEDIATE transaction.
func (s *Store) PutAssignment(ctx context.Context, a store.Assignment, at time.Time) (before store.Assignment, existed bool, after store.Assignment, err error) {
	fail := func(err error) (store.Assignment, bool, store.Assignment, error) {
		return store.Assignment{}, false, store.Assignment{}, fmt.Errorf("put assignment %q: %w", a.Name, mapCourseErr(err))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	before, err = scanAssignment(tx.QueryRowContext(ctx, "SELECT "+assignmentColumns+" FROM assignments WHERE name = ?", a.Name))
	switch {
	case err == nil:
		existed = true
	case errors.Is(err, sql.ErrNoRows):
	default:
		return fail(err)
	}
	after, err = scanAssignment(tx.QueryRowContext(ctx, `INSERT INTO assignments
		(name, title, due_at, late_until, late_penalty, config, digest, source_dir, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
		ON CONFLICT (name) DO UPDATE SET title = excluded.title, due_at = excluded.due_at,
			late_until = excluded.late_until, late_penalty = excluded.late_penalty,
			config = excluded.config, digest = excluded.digest, source_dir = excluded.source_dir,
			updated_at = excluded.updated_at
		RETURNING `+assignmentColumns,
		a.Name, a.Title, micros(a.Due), nullMicros(a.LateUntil), a.LatePenalty, a.Config, a.Digest, a.SourceDir, micros(at)))
	if err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return before, existed, after, nil
}

// AssignmentByName returns one assignment.
func (s *Store) AssignmentByName(ctx context.Context, name string) (store.Assignment, error) {
	a, err := scanAssignment(s.db.QueryRowContext(ctx, "SELECT "+assignmentColumns+" FROM assignments WHERE name = ?", name))
	if err != nil {
		return store.Assignment{}, fmt.Errorf("assignment %q: %w", name, mapErr(err))
	}
	return a, nil
}

// ListAssignments returns every assignment by due time, then name.
func (s *Store) ListAssignments(ctx context.Context) ([]store.Assignment, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+assignmentColumns+" FROM assignments ORDER BY due_at, name")
	if err != nil {
		return nil, fmt.Errorf("list assignments: %w", err)
	}
	defer rows.Close()
	var as []store.Assignment
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			return nil, fmt.Errorf("list assignments: %w", err)
		}
		as = append(as, a)
	}
	return as, rows.Err()
}

// MarkAssignmentReleased sets released_at once.
func (s *Store) MarkAssignmentReleased(ctx context.Context, name string, at time.Time) (store.Assignment, error) {
	a, err := scanAssignment(s.db.QueryRowContext(ctx, "UPDATE assignments SET released_at = COALESCE(released_at, ?) WHERE name = ? RETURNING "+assignmentColumns, micros(at), name))
	if err != nil {
		return store.Assignment{}, fmt.Errorf("release assignment %q: %w", name, mapErr(err))
	}
	return a, nil
}

// SetFeedbackReleased sets or clears feedback_released_at.
func (s *Store) SetFeedbackReleased(ctx context.Context, name string, at time.Time) (store.Assignment, error) {
	a, err := scanAssignment(s.db.QueryRowContext(ctx, "UPDATE assignments SET feedback_released_at = ? WHERE name = ? RETURNING "+assignmentColumns, nullMicros(at), name))
	if err != nil {
		return store.Assignment{}, fmt.Errorf("release feedback of %q: %w", name, mapErr(err))
	}
	return a, nil
}

// RecordRelease notes that username got the starter code.
func (s *Store) RecordRelease(ctx context.Context, assignment, username string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO assignment_releases (assignment, username, released_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, assignment, username, micros(at))
	if err != nil {
		return false, fmt.Errorf("record release of %q to %q: %w", assignment, username, mapCourseErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record release of %q to %q: %w", assignment, username, err)
	}
	return n == 1, nil
}

// ReleasedTo lists who got the starter code.
func (s *Store) ReleasedTo(ctx context.Context, assignment string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT username FROM assignment_releases WHERE assignment = ? ORDER BY username", assignment)
	if err != nil {
		return nil, fmt.Errorf("releases of %q: %w", assignment, err)
	}
	defer rows.Close()
	var us []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("releases of %q: %w", assignment, err)
		}
		us = append(us, u)
	}
	return us, rows.Err()
}

// SetExtension sets or replaces a student's deadline.
func (s *Store) SetExtension(ctx context.Context, e store.Extension) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO extensions (assignment, username, until_at, granted_by, granted_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (assignment, username) DO UPDATE SET until_at = excluded.until_at, granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
		e.Assignment, e.Username, micros(e.Until), e.GrantedBy, micros(e.GrantedAt))
	if err != nil {
		return fmt.Errorf("extend %q for %q: %w", e.Assignment, e.Username, mapCourseErr(err))
	}
	return nil
}

// ListExtensions returns an assignment's extensions by username.
func (s *Store) ListExtensions(ctx context.Context, assignment string) ([]store.Extension, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT assignment, username, until_at, granted_by, granted_at FROM extensions WHERE assignment = ? ORDER BY username", assignment)
	if err != nil {
		return nil, fmt.Errorf("extensions of %q: %w", assignment, err)
	}
	defer rows.Close()
	var es []store.Extension
	for rows.Next() {
		var (
			e            store.Extension
			until, grant int64
		)
		if err := rows.Scan(&e.Assignment, &e.Username, &until, &e.GrantedBy, &grant); err != nil {
			return nil, fmt.Errorf("extensions of %q: %w", assignment, err)
		}
		e.Until, e.GrantedAt = fromMicros(until), fromMicros(grant)
		es = append(es, e)
	}
	return es, rows.Err()
}

// SetAccommodation sets a student's standing extra days; 0 removes them.
func (s *Store) SetAccommodation(ctx context.Context, a store.Accommodation) error {
	var err error
	if a.ExtraDays == 0 {
		var n int
		// A missing user is still an error when removing.
		if err = s.db.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE username = ?", a.Username).Scan(&n); err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		if err == nil {
			_, err = s.db.ExecContext(ctx, "DELETE FROM accommodations WHERE username = ?", a.Username)
		}
	} else {
		_, err = s.db.ExecContext(ctx, `INSERT INTO accommodations (username, extra_days, set_by, set_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (username) DO UPDATE SET extra_days = excluded.extra_days, set_by = excluded.set_by, set_at = excluded.set_at`,
			a.Username, a.ExtraDays, a.SetBy, micros(a.SetAt))
	}
	if err != nil {
		return fmt.Errorf("set extra days of %q: %w", a.Username, mapCourseErr(err))
	}
	return nil
}

// ListAccommodations returns every standing accommodation by username.
func (s *Store) ListAccommodations(ctx context.Context) ([]store.Accommodation, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT username, extra_days, set_by, set_at FROM accommodations ORDER BY username")
	if err != nil {
		return nil, fmt.Errorf("list accommodations: %w", err)
	}
	defer rows.Close()
	var as []store.Accommodation
	for rows.Next() {
		var (
			a  store.Accommodation
			at int64
		)
		if err := rows.Scan(&a.Username, &a.ExtraDays, &a.SetBy, &at); err != nil {
			return nil, fmt.Errorf("list accommodations: %w", err)
		}
		a.SetAt = fromMicros(at)
		as = append(as, a)
	}
	return as, rows.Err()
}

const submissionColumns = "id, assignment, username, submitted_at, sha256, files, bytes, automatic, late, path"

func scanSubmission(sc scanner) (store.Submission, error) {
	var (
		sub store.Submission
		at  int64
	)
	if err := sc.Scan(&sub.ID, &sub.Assignment, &sub.Username, &at, &sub.SHA256, &sub.Files, &sub.Bytes, &sub.Automatic, &sub.Late, &sub.Path); err != nil {
		return store.Submission{}, err
	}
	sub.SubmittedAt = fromMicros(at)
	return sub, nil
}

// AddSubmission inserts sub and sets its ID.
func (s *Store) AddSubmission(ctx context.Context, sub *store.Submission) error {
	at := sub.SubmittedAt.UTC().Truncate(time.Microsecond)
	err := s.db.QueryRowContext(ctx, `INSERT INTO submissions (assignment, username, submitted_at, sha256, files, bytes, automatic, late, path)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		sub.Assignment, sub.Username, micros(at), sub.SHA256, sub.Files, sub.Bytes, sub.Automatic, sub.Late, sub.Path).Scan(&sub.ID)
	if err != nil {
		return fmt.Errorf("add submission of %q by %q: %w", sub.Assignment, sub.Username, mapCourseErr(err))
	}
	sub.SubmittedAt = at
	return nil
}

// ListSubmissions returns submissions oldest first; "" means every student.
func (s *Store) ListSubmissions(ctx context.Context, assignment, username string) ([]store.Submission, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+submissionColumns+" FROM submissions WHERE assignment = ? AND (?2 = '' OR username = ?2) ORDER BY id", assignment, username)
	if err != nil {
		return nil, fmt.Errorf("submissions of %q: %w", assignment, err)
	}
	defer rows.Close()
	var subs []store.Submission
	for rows.Next() {
		sub, err := scanSubmission(rows)
		if err != nil {
			return nil, fmt.Errorf("submissions of %q: %w", assignment, err)
		}
		subs = append(subs, sub)
	}
	return subs, rows.Err()
}

// SubmissionByID returns one submission.
func (s *Store) SubmissionByID(ctx context.Context, id int64) (store.Submission, error) {
	sub, err := scanSubmission(s.db.QueryRowContext(ctx, "SELECT "+submissionColumns+" FROM submissions WHERE id = ?", id))
	if err != nil {
		return store.Submission{}, fmt.Errorf("submission %d: %w", id, mapErr(err))
	}
	return sub, nil
}

// PutGrade sets or replaces a grade.
func (s *Store) PutGrade(ctx context.Context, g store.Grade) error {
	var sub any
	if g.SubmissionID != 0 {
		sub = g.SubmissionID
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO grades (assignment, username, submission_id, score, max_score, status, results, graded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (assignment, username) DO UPDATE SET submission_id = excluded.submission_id, score = excluded.score,
			max_score = excluded.max_score, status = excluded.status, results = excluded.results, graded_at = excluded.graded_at`,
		g.Assignment, g.Username, sub, g.Score, g.MaxScore, g.Status, g.Results, micros(g.GradedAt))
	if err != nil {
		return fmt.Errorf("grade %q of %q: %w", g.Assignment, g.Username, mapCourseErr(err))
	}
	return nil
}

// ListGrades returns an assignment's grades by username.
func (s *Store) ListGrades(ctx context.Context, assignment string) ([]store.Grade, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT assignment, username, submission_id, score, max_score, status, results, graded_at FROM grades WHERE assignment = ? ORDER BY username", assignment)
	if err != nil {
		return nil, fmt.Errorf("grades of %q: %w", assignment, err)
	}
	defer rows.Close()
	var gs []store.Grade
	for rows.Next() {
		var (
			g   store.Grade
			sub sql.NullInt64
			at  int64
		)
		if err := rows.Scan(&g.Assignment, &g.Username, &sub, &g.Score, &g.MaxScore, &g.Status, &g.Results, &at); err != nil {
			return nil, fmt.Errorf("grades of %q: %w", assignment, err)
		}
		g.SubmissionID, g.GradedAt = sub.Int64, fromMicros(at)
		gs = append(gs, g)
	}
	return gs, rows.Err()
}

// mapCourseErr is mapErr plus: a reference to a missing user, assignment or
// submission (a foreign key) means it was not found.
func mapCourseErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return fmt.Errorf("%w (no such user, assignment or submission)", store.ErrNotFound)
	}
	return mapErr(err)
}
