package classroom

import (
	"context"

	"github.com/classroomd/classroomd/internal/store"
)

// Seat is one user's side of the classroom, bound to them: what a student's
// workspace view needs (the announcements to show, their own help request).
// The service still checks the user at each call.
type Seat struct {
	s  *Service
	by Actor
}

// Seat binds the service to a user (their SSH or browser session).
func (s *Service) Seat(by Actor) *Seat { return &Seat{s: s, by: by} }

// Current lists the announcements the user has not dismissed, oldest first.
func (t *Seat) Current(ctx context.Context) ([]store.Announcement, error) {
	return t.s.Current(ctx, t.by)
}

// Dismiss hides an announcement for the user, in all their views.
func (t *Seat) Dismiss(ctx context.Context, id int64) error { return t.s.Dismiss(ctx, t.by, id) }

// RequestHelp puts the user in the help queue (or changes their question)
// and returns their place.
func (t *Seat) RequestHelp(ctx context.Context, question string) (int, error) {
	return t.s.RequestHelp(ctx, t.by, question)
}

// CancelHelp takes the user's request out of the queue.
func (t *Seat) CancelHelp(ctx context.Context) error { return t.s.CancelHelp(ctx, t.by) }

// MyRequest is the user's request and place (Place 0: none).
func (t *Seat) MyRequest(ctx context.Context) (HelpStatus, error) { return t.s.MyRequest(ctx, t.by) }

// Subscribe follows the classroom's changes (see Event).
func (t *Seat) Subscribe() (<-chan Event, func()) { return t.s.Subscribe() }

// Username is whose seat it is.
func (t *Seat) Username() string { return t.by.Username }
