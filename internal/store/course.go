package store

import (
	"context"
	"time"
)

// Assignment is an assignment as added from its folder (see internal/course,
// which parses and validates the folder; the store keeps what it is given).
type Assignment struct {
	Name        string // the folder's name: [a-z0-9][a-z0-9_-]*
	Title       string
	Due         time.Time
	LateUntil   time.Time // zero: no late submissions
	LatePenalty float64   // fraction of the score per day late, 0..1
	Config      string    // assignment.toml as it was added
	Digest      string    // SHA-256 (hex) of the folder as it was added
	SourceDir   string    // the folder's path when it was added
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// ReleasedAt is when the starter code was released (zero: not yet).
	ReleasedAt time.Time
	// FeedbackReleasedAt is when students could start seeing their results (zero: not yet).
	FeedbackReleasedAt time.Time
}

// Extension is one student's own deadline for one assignment.
type Extension struct {
	Assignment string
	Username   string
	Until      time.Time
	GrantedBy  string
	GrantedAt  time.Time
}

// Accommodation is a standing number of extra days on every deadline.
type Accommodation struct {
	Username  string
	ExtraDays int
	SetBy     string
	SetAt     time.Time
}

// Submission is one snapshot of a student's files. The files themselves live
// under the data dir at Path (relative to it); the store keeps their hash.
type Submission struct {
	ID          int64
	Assignment  string
	Username    string
	SubmittedAt time.Time
	SHA256      string // hex, 64 characters
	Files       int
	Bytes       int64
	Automatic   bool // collected at the student's deadline, not submitted by them
	Late        bool // after the deadline, before late_until
	Path        string
}

// Grade is the latest grading of a student for an assignment.
type Grade struct {
	Assignment   string
	Username     string
	SubmissionID int64 // 0: there was nothing to grade
	Score        float64
	MaxScore     float64
	Status       string // "graded", "error ..."
	Results      string // results.json
	GradedAt     time.Time
}

// Course stores assignments, releases, extensions, submissions and grades. It
// is part of Store.
//
// A write that names a missing user or assignment returns ErrNotFound; reads
// of missing rows return ErrNotFound for single rows and an empty list for
// lists. Validation of the values (names, times, scores) is internal/course's
// business; the store only refuses what its schema cannot hold.
type Course interface {
	// PutAssignment inserts a or, when an assignment of that name exists,
	// replaces its definition (title, times, config, digest, source) and keeps
	// its CreatedAt, ReleasedAt and FeedbackReleasedAt. It returns the
	// assignment as it was before (ok false when it is new) and as it is now.
	PutAssignment(ctx context.Context, a Assignment, at time.Time) (before Assignment, existed bool, after Assignment, err error)
	AssignmentByName(ctx context.Context, name string) (Assignment, error)
	ListAssignments(ctx context.Context) ([]Assignment, error) // by due time, then name
	// MarkAssignmentReleased sets ReleasedAt (once: a second call keeps the first time).
	MarkAssignmentReleased(ctx context.Context, name string, at time.Time) (Assignment, error)
	// SetFeedbackReleased sets or (with a zero at) clears FeedbackReleasedAt.
	SetFeedbackReleased(ctx context.Context, name string, at time.Time) (Assignment, error)

	// RecordRelease notes that username got the starter code; first is false
	// when that was already recorded (the first time is kept).
	RecordRelease(ctx context.Context, assignment, username string, at time.Time) (first bool, err error)
	// ReleasedTo lists the usernames that got the starter code, by username.
	ReleasedTo(ctx context.Context, assignment string) ([]string, error)

	// SetExtension sets (or replaces) a student's deadline for an assignment.
	SetExtension(ctx context.Context, e Extension) error
	// ListExtensions returns an assignment's extensions by username.
	ListExtensions(ctx context.Context, assignment string) ([]Extension, error)
	// SetAccommodation sets a student's standing extra days (0 removes it).
	SetAccommodation(ctx context.Context, a Accommodation) error
	// ListAccommodations returns every standing accommodation, by username.
	ListAccommodations(ctx context.Context) ([]Accommodation, error)

	// AddSubmission inserts s and sets its ID.
	AddSubmission(ctx context.Context, s *Submission) error
	// ListSubmissions returns an assignment's submissions, oldest first; an
	// empty username means every student's.
	ListSubmissions(ctx context.Context, assignment, username string) ([]Submission, error)
	// SubmissionByID returns one submission.
	SubmissionByID(ctx context.Context, id int64) (Submission, error)

	// PutGrade sets (or replaces) a student's grade for an assignment.
	PutGrade(ctx context.Context, g Grade) error
	// ListGrades returns an assignment's grades, by username.
	ListGrades(ctx context.Context, assignment string) ([]Grade, error)
}
