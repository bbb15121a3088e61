package store

import (
	"context"
	"time"
)

// Announcement is a message a professor sends to every student's screen.
// It is active from CreatedAt until ExpiresAt (if set) or until it is retracted.
type Announcement struct {
	ID          int64
	Author      string // username of the professor
	Text        string // validated by the caller (see internal/classroom): one printable line
	CreatedAt   time.Time
	ExpiresAt   time.Time // zero: shown until retracted
	RetractedAt time.Time // zero: not retracted
	RetractedBy string    // empty unless retracted
}

// Active reports whether a is shown at now.
func (a Announcement) Active(now time.Time) bool {
	return a.RetractedAt.IsZero() && (a.ExpiresAt.IsZero() || now.Before(a.ExpiresAt))
}

// HelpRequest is a student's place in the help queue. It is open until it is
// resolved (by a professor) or cancelled (by the student).
type HelpRequest struct {
	ID          int64
	Student     string
	Question    string // may be empty; one printable line, validated by the caller
	CreatedAt   time.Time
	ClaimedBy   string    // the professor on their way; empty when unclaimed
	ClaimedAt   time.Time // zero when unclaimed
	ResolvedBy  string
	ResolvedAt  time.Time
	CancelledAt time.Time
}

// Open reports whether r is still in the queue.
func (r HelpRequest) Open() bool { return r.ResolvedAt.IsZero() && r.CancelledAt.IsZero() }

// Classroom stores announcements and the help queue. It is embedded in Store.
//
// People are named by username; a write that names a missing user (or
// announcement) returns ErrNotFound, while reads simply find nothing. The
// queue is ordered by request ID, which the backends hand out in commit order,
// so concurrent requests get distinct places. Authorization is not the
// store's business: internal/classroom checks who may do what.
type Classroom interface {
	// CreateAnnouncement inserts a and sets its ID, and its CreatedAt when zero (to now).
	CreateAnnouncement(ctx context.Context, a *Announcement) error
	// RetractAnnouncement ends announcement id at time at. Retracting one that
	// is already retracted changes nothing and returns it as it is.
	RetractAnnouncement(ctx context.Context, id int64, by string, at time.Time) (Announcement, error)
	// ActiveAnnouncements returns the announcements active at now that username
	// has not dismissed, oldest first.
	ActiveAnnouncements(ctx context.Context, username string, now time.Time) ([]Announcement, error)
	// ListAnnouncements returns the latest announcements, active or not, newest
	// first; limit 0 means a backend default of 100.
	ListAnnouncements(ctx context.Context, limit int) ([]Announcement, error)
	// DismissAnnouncement hides announcement id from username; doing it twice is
	// not an error. ErrNotFound if there is no such announcement or user.
	DismissAnnouncement(ctx context.Context, id int64, username string, at time.Time) error

	// RequestHelp opens a request for student asked at time at, or, when the
	// student has one open already, replaces its question and keeps its place.
	// It returns the request, its place in the queue (1 is next) and whether it
	// was created now.
	RequestHelp(ctx context.Context, student, question string, at time.Time) (r HelpRequest, place int, created bool, err error)
	// CancelHelpRequest withdraws the student's open request. ErrNotFound when there is none.
	CancelHelpRequest(ctx context.Context, student string, at time.Time) (HelpRequest, error)
	// OpenHelpRequest returns the student's open request and its place. ErrNotFound when there is none.
	OpenHelpRequest(ctx context.Context, student string) (r HelpRequest, place int, err error)
	// ListOpenHelpRequests returns the queue in order (first is next).
	ListOpenHelpRequests(ctx context.Context) ([]HelpRequest, error)
	// ClaimHelpRequest marks open request id as taken by professor by. Claiming
	// one's own claim again changes nothing. ErrNotFound if no open request has
	// that id; ErrConflict (naming the claimer) if someone else claimed it, and
	// then the returned request shows who.
	ClaimHelpRequest(ctx context.Context, id int64, by string, at time.Time) (HelpRequest, error)
	// UnclaimHelpRequest releases by's claim on open request id; an unclaimed
	// request is returned unchanged. ErrNotFound as for Claim; ErrConflict if
	// another professor holds the claim.
	UnclaimHelpRequest(ctx context.Context, id int64, by string) (HelpRequest, error)
	// ResolveHelpRequest closes open request id as helped by by. ErrNotFound if
	// no open request has that id.
	ResolveHelpRequest(ctx context.Context, id int64, by string, at time.Time) (HelpRequest, error)
}
