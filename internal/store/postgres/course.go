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

const assignmentColumns = "name, title, due_at, late_until, late_penalty, config, digest, source_dir, created_at, updated_at, released_at, feedback_released_at"

func scanAssignment(row pgx.Row) (store.Assignment, error) {
	var (
		a                             store.Assignment
		lateUntil, released, feedback *time.Time
	)
	if err := row.Scan(&a.Name, &a.Title, &a.Due, &lateUntil, &a.LatePenalty, &a.Config, &a.Digest, &a.SourceDir,
		&a.CreatedAt, &a.UpdatedAt, &released, &feedback); err != nil {
		return store.Assignment{}, err
	}
	a.Due, a.CreatedAt, a.UpdatedAt = a.Due.UTC(), a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	a.LateUntil = fromNull(lateUntil)
	a.ReleasedAt = fromNull(released)
	a.FeedbackReleasedAt = fromNull(feedback)
	return a, nil
}

// PutAssignment inserts or updates a; the row lock (FOR UPDATE) makes the
// "before" it returns the one the update replaced.
func (s *Store) PutAssignment(ctx context.Context, a store.Assignment, at time.Time) (before store.Assignment, existed bool, after store.Assignment, err error) {
	fail := func(err error) (store.Assignment, bool, store.Assignment, error) {
		return store.Assignment{}, false, store.Assignment{}, fmt.Errorf("put assignment %q: %w", a.Name, mapCourseErr(err))
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback(ctx)
	// Serialise adds of one name, new ones included (no row to lock yet).
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('assignment:' || $1, 0))", a.Name); err != nil {
		return fail(err)
	}
	before, err = scanAssignment(tx.QueryRow(ctx, "SELECT "+assignmentColumns+" FROM assignments WHERE name = $1 FOR UPDATE", a.Name))
	switch {
	case err == nil:
		existed = true
	case errors.Is(err, pgx.ErrNoRows):
	default:
		return fail(err)
	}
	after, err = scanAssignment(tx.QueryRow(ctx, `INSERT INTO assignments
		(name, title, due_at, late_until, late_penalty, config, digest, source_dir, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		ON CONFLICT (name) DO UPDATE SET title = excluded.title, due_at = excluded.due_at,
			late_until = excluded.late_until, late_penalty = excluded.late_penalty,
			config = excluded.config, digest = excluded.digest, source_dir = excluded.source_dir,
			updated_at = excluded.updated_at
		RETURNING `+assignmentColumns,
		a.Name, a.Title, utc(a.Due), nullTime(a.LateUntil), a.LatePenalty, a.Config, a.Digest, a.SourceDir, utc(at)))
	if err != nil {
		return fail(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(err)
	}
	return before, existed, after, nil
}

// AssignmentByName returns one assignment.
func (s *Store) AssignmentByName(ctx context.Context, name string) (store.Assignment, error) {
	a, err := scanAssignment(s.pool.QueryRow(ctx, "SELECT "+assignmentColumns+" FROM assignments WHERE name = $1", name))
	if err != nil {
		return store.Assignment{}, fmt.Errorf("assignment %q: %w", name, mapErr(err))
	}
	return a, nil
}

// ListAssignments returns every assignment by due time, then name.
func (s *Store) ListAssignments(ctx context.Context) ([]store.Assignment, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+assignmentColumns+" FROM assignments ORDER BY due_at, name")
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
	a, err := scanAssignment(s.pool.QueryRow(ctx, "UPDATE assignments SET released_at = COALESCE(released_at, $1) WHERE name = $2 RETURNING "+assignmentColumns, utc(at), name))
	if err != nil {
		return store.Assignment{}, fmt.Errorf("release assignment %q: %w", name, mapErr(err))
	}
	return a, nil
}

// SetFeedbackReleased sets or clears feedback_released_at.
func (s *Store) SetFeedbackReleased(ctx context.Context, name string, at time.Time) (store.Assignment, error) {
	a, err := scanAssignment(s.pool.QueryRow(ctx, "UPDATE assignments SET feedback_released_at = $1 WHERE name = $2 RETURNING "+assignmentColumns, nullTime(at), name))
	if err != nil {
		return store.Assignment{}, fmt.Errorf("release feedback of %q: %w", name, mapErr(err))
	}
	return a, nil
}

// RecordRelease notes that username got the starter code.
func (s *Store) RecordRelease(ctx context.Context, assignment, username string, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO assignment_releases (assignment, username, released_at) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, assignment, username, utc(at))
	if err != nil {
		return false, fmt.Errorf("record release of %q to %q: %w", assignment, username, mapCourseErr(err))
	}
	return tag.RowsAffected() == 1, nil
}

// ReleasedTo lists who got the starter code.
func (s *Store) ReleasedTo(ctx context.Context, assignment string) ([]string, error) {
	rows, err := s.pool.Query(ctx, "SELECT username FROM assignment_releases WHERE assignment = $1 ORDER BY username", assignment)
	if err != nil {
		return nil, fmt.Errorf("releases of %q: %w", assignment, err)
	}
	us, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("releases of %q: %w", assignment, err)
	}
	return us, nil
}

// SetExtension sets or replaces a student's deadline.
func (s *Store) SetExtension(ctx context.Context, e store.Extension) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO extensions (assignment, username, until_at, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (assignment, username) DO UPDATE SET until_at = excluded.until_at, granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
		e.Assignment, e.Username, utc(e.Until), e.GrantedBy, utc(e.GrantedAt))
	if err != nil {
		return fmt.Errorf("extend %q for %q: %w", e.Assignment, e.Username, mapCourseErr(err))
	}
	return nil
}

// ListExtensions returns an assignment's extensions by username.
func (s *Store) ListExtensions(ctx context.Context, assignment string) ([]store.Extension, error) {
	rows, err := s.pool.Query(ctx, "SELECT assignment, username, until_at, granted_by, granted_at FROM extensions WHERE assignment = $1 ORDER BY username", assignment)
	if err != nil {
		return nil, fmt.Errorf("extensions of %q: %w", assignment, err)
	}
	defer rows.Close()
	var es []store.Extension
	for rows.Next() {
		var e store.Extension
		if err := rows.Scan(&e.Assignment, &e.Username, &e.Until, &e.GrantedBy, &e.GrantedAt); err != nil {
			return nil, fmt.Errorf("extensions of %q: %w", assignment, err)
		}
		e.Until, e.GrantedAt = e.Until.UTC(), e.GrantedAt.UTC()
		es = append(es, e)
	}
	return es, rows.Err()
}

// SetAccommodation sets a student's standing extra days; 0 removes them.
func (s *Store) SetAccommodation(ctx context.Context, a store.Accommodation) error {
	var err error
	if a.ExtraDays == 0 {
		var n int
		if err = s.pool.QueryRow(ctx, "SELECT count(*) FROM users WHERE username = $1", a.Username).Scan(&n); err == nil && n == 0 {
			err = pgx.ErrNoRows
		}
		if err == nil {
			_, err = s.pool.Exec(ctx, "DELETE FROM accommodations WHERE username = $1", a.Username)
		}
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO accommodations (username, extra_days, set_by, set_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (username) DO UPDATE SET extra_days = excluded.extra_days, set_by = excluded.set_by, set_at = excluded.set_at`,
			a.Username, a.ExtraDays, a.SetBy, utc(a.SetAt))
	}
	if err != nil {
		return fmt.Errorf("set extra days of %q: %w", a.Username, mapCourseErr(err))
	}
	return nil
}

// ListAccommodations returns every standing accommodation by username.
func (s *Store) ListAccommodations(ctx context.Context) ([]store.Accommodation, error) {
	rows, err := s.pool.Query(ctx, "SELECT username, extra_days, set_by, set_at FROM accommodations ORDER BY username")
	if err != nil {
		return nil, fmt.Errorf("list accommodations: %w", err)
	}
	defer rows.Close()
	var as []store.Accommodation
	for rows.Next() {
		var a store.Accommodation
		if err := rows.Scan(&a.Username, &a.ExtraDays, &a.SetBy, &a.SetAt); err != nil {
			return nil, fmt.Errorf("list accommodations: %w", err)
		}
		a.SetAt = a.SetAt.UTC()
		as = append(as, a)
	}
	return as, rows.Err()
}

const submissionColumns = "id, assignment, username, submitted_at, sha256, files, bytes, automatic, late, path"

func scanSubmission(row pgx.Row) (store.Submission, error) {
	var sub store.Submission
	if err := row.Scan(&sub.ID, &sub.Assignment, &sub.Username, &sub.SubmittedAt, &sub.SHA256, &sub.Files, &sub.Bytes, &sub.Automatic, &sub.Late, &sub.Path); err != nil {
		return store.Submission{}, err
	}
	sub.SubmittedAt = sub.SubmittedAt.UTC()
	return sub, nil
}

// AddSubmission inserts sub and sets its ID.
func (s *Store) AddSubmission(ctx context.Context, sub *store.Submission) error {
	at := utc(sub.SubmittedAt)
	err := s.pool.QueryRow(ctx, `INSERT INTO submissions (assignment, username, submitted_at, sha256, files, bytes, automatic, late, path)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		sub.Assignment, sub.Username, at, sub.SHA256, sub.Files, sub.Bytes, sub.Automatic, sub.Late, sub.Path).Scan(&sub.ID)
	if err != nil {
		return fmt.Errorf("add submission of %q by %q: %w", sub.Assignment, sub.Username, mapCourseErr(err))
	}
	sub.SubmittedAt = at
	return nil
}

// ListSubmissions returns submissions oldest first; "" means every student.
func (s *Store) ListSubmissions(ctx context.Context, assignment, username string) ([]store.Submission, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+submissionColumns+" FROM submissions WHERE assignment = $1 AND ($2 = '' OR username = $2) ORDER BY id", assignment, username)
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
	sub, err := scanSubmission(s.pool.QueryRow(ctx, "SELECT "+submissionColumns+" FROM submissions WHERE id = $1", id))
	if err != nil {
		return store.Submission{}, fmt.Errorf("submission %d: %w", id, mapErr(err))
	}
	return sub, nil
}

// PutGrade sets or replaces a grade.
func (s *Store) PutGrade(ctx context.Context, g store.Grade) error {
	var sub *int64
	if g.SubmissionID != 0 {
		sub = &g.SubmissionID
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO grades (assignment, username, submission_id, score, max_score, status, results, graded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (assignment, username) DO UPDATE SET submission_id = excluded.submission_id, score = excluded.score,
			max_score = excluded.max_score, status = excluded.status, results = excluded.results, graded_at = excluded.graded_at`,
		g.Assignment, g.Username, sub, g.Score, g.MaxScore, g.Status, g.Results, utc(g.GradedAt))
	if err != nil {
		return fmt.Errorf("grade %q of %q: %w", g.Assignment, g.Username, mapCourseErr(err))
	}
	return nil
}

// ListGrades returns an assignment's grades by username.
func (s *Store) ListGrades(ctx context.Context, assignment string) ([]store.Grade, error) {
	rows, err := s.pool.Query(ctx, "SELECT assignment, username, submission_id, score, max_score, status, results, graded_at FROM grades WHERE assignment = $1 ORDER BY username", assignment)
	if err != nil {
		return nil, fmt.Errorf("grades of %q: %w", assignment, err)
	}
	defer rows.Close()
	var gs []store.Grade
	for rows.Next() {
		var (
			g   store.Grade
			sub *int64
		)
		if err := rows.Scan(&g.Assignment, &g.Username, &sub, &g.Score, &g.MaxScore, &g.Status, &g.Results, &g.GradedAt); err != nil {
			return nil, fmt.Errorf("grades of %q: %w", assignment, err)
		}
		if sub != nil {
			g.SubmissionID = *sub
		}
		g.GradedAt = g.GradedAt.UTC()
		gs = append(gs, g)
	}
	return gs, rows.Err()
}

// mapCourseErr is mapErr plus: a reference to a missing user, assignment or
// submission (a foreign key) means it was not found.
func mapCourseErr(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == foreignKeyViolation {
		return fmt.Errorf("%w (no such user, assignment or submission)", store.ErrNotFound)
	}
	return mapErr(err)
}
