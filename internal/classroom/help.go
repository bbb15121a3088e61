package classroom

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// Audit actions of the help queue.
const (
	ActionHelpRequest = "help.request"
	ActionHelpCancel  = "help.cancel"
	ActionHelpClaim   = "help.claim"
	ActionHelpUnclaim = "help.unclaim"
	ActionHelpResolve = "help.resolve"
	ActionHelpQueue   = "help.queue"  // only refusals are audited
	ActionHelpStatus  = "help.status" // only refusals are audited
)

// HelpStatus is a student's own view of the queue.
type HelpStatus struct {
	Place   int               // 1 is next; 0 when not in the queue
	Request store.HelpRequest // zero when Place is 0; ClaimedBy says who is coming
	Waiting time.Duration
}

// QueueEntry is one open request as the console shows it.
type QueueEntry struct {
	store.HelpRequest
	Place   int // 1 is next
	Waiting time.Duration
}

// RequestHelp puts the student by in the help queue with an optional one-line
// question and returns their place (1 is next). Asking again while in the
// queue replaces the question and keeps the place. Students only: professors
// answer the queue.
func (s *Service) RequestHelp(ctx context.Context, by Actor, question string) (int, error) {
	u, err := s.who(ctx, by, ActionHelpRequest)
	if err != nil {
		return 0, err
	}
	if u.Role != store.RoleStudent {
		return 0, s.deny(ctx, by, ActionHelpRequest, "", "not a student",
			"Only students can join the help queue; professors answer it from the console.")
	}
	question, err = ValidateQuestion(question)
	if err != nil {
		return 0, err
	}
	// Pressing the key twice with the same question writes nothing.
	if r, place, err := s.store.OpenHelpRequest(ctx, u.Username); err == nil && r.Question == question {
		return place, nil
	}
	r, place, created, err := s.store.RequestHelp(ctx, u.Username, question, s.now())
	if err != nil {
		return 0, s.failed("put you in the help queue", err)
	}
	detail := idText(r.ID) + " asked"
	if !created {
		detail = idText(r.ID) + " changed the question"
	}
	if question != "" {
		detail += ": " + clip(question, 80)
	}
	s.audit(ctx, by, ActionHelpRequest, u.Username, "ok", detail)
	s.hub.Publish(Event{Queue: true})
	return place, nil
}

// CancelHelp takes the student by out of the queue (they no longer need help).
func (s *Service) CancelHelp(ctx context.Context, by Actor) error {
	u, err := s.who(ctx, by, ActionHelpCancel)
	if err != nil {
		return err
	}
	r, err := s.store.CancelHelpRequest(ctx, u.Username, s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &userError{msg: "You are not in the help queue, so there is nothing to cancel.", kind: ErrNotFound}
	case err != nil:
		return s.failed("take you out of the help queue", err)
	}
	s.audit(ctx, by, ActionHelpCancel, u.Username, "ok", idText(r.ID))
	s.hub.Publish(Event{Queue: true})
	return nil
}

// MyRequest returns by's own request and place; Place is 0 when they are not
// in the queue. Any enabled user (a professor is never in it).
func (s *Service) MyRequest(ctx context.Context, by Actor) (HelpStatus, error) {
	u, err := s.who(ctx, by, ActionHelpStatus)
	if err != nil {
		return HelpStatus{}, err
	}
	r, place, err := s.store.OpenHelpRequest(ctx, u.Username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return HelpStatus{}, nil
	case err != nil:
		return HelpStatus{}, s.failed("read your place in the help queue", err)
	}
	return HelpStatus{Place: place, Request: r, Waiting: ago(s.now(), r.CreatedAt)}, nil
}

// Place is MyRequest's place: 1 is next, 0 when not in the queue.
func (s *Service) Place(ctx context.Context, by Actor) (int, error) {
	st, err := s.MyRequest(ctx, by)
	return st.Place, err
}

// Queue returns the open requests, next first, with how long each student has
// waited and who claimed them. Professors only: it shows students' questions.
func (s *Service) Queue(ctx context.Context, by Actor) ([]QueueEntry, error) {
	if _, err := s.professor(ctx, by, ActionHelpQueue, "", "", "see the help queue"); err != nil {
		return nil, err
	}
	list, err := s.store.ListOpenHelpRequests(ctx)
	if err != nil {
		return nil, s.failed("read the help queue", err)
	}
	now := s.now()
	q := make([]QueueEntry, len(list))
	for i, r := range list {
		q[i] = QueueEntry{HelpRequest: r, Place: i + 1, Waiting: ago(now, r.CreatedAt)}
	}
	return q, nil
}

// Claim tells the other professors that by is on their way to request id, so
// that one professor at a time goes. Claiming one's own claim again is not an
// error; someone else's claim is ErrConflict naming them. Professors only.
func (s *Service) Claim(ctx context.Context, by Actor, id int64) (store.HelpRequest, error) {
	u, err := s.professor(ctx, by, ActionHelpClaim, "", idText(id), "claim help requests")
	if err != nil {
		return store.HelpRequest{}, err
	}
	now := s.now()
	r, err := s.store.ClaimHelpRequest(ctx, id, u.Username, now)
	if err != nil {
		return r, s.helpError("claim", id, r, err)
	}
	// The store keeps an earlier claim of by's as it was: a claim time other
	// than this call's means the request was already theirs.
	if !r.ClaimedAt.Equal(now.UTC().Truncate(time.Microsecond)) {
		return r, nil
	}
	s.audit(ctx, by, ActionHelpClaim, r.Student, "ok", idText(id))
	s.hub.Publish(Event{Queue: true})
	return r, nil
}

// Unclaim gives back by's claim on request id, for another professor to take.
// Only the claimer can; an unclaimed request is left as it is (and the
// release is still audited). Professors only.
func (s *Service) Unclaim(ctx context.Context, by Actor, id int64) error {
	u, err := s.professor(ctx, by, ActionHelpUnclaim, "", idText(id), "release help requests")
	if err != nil {
		return err
	}
	r, err := s.store.UnclaimHelpRequest(ctx, id, u.Username)
	if err != nil {
		return s.helpError("release", id, r, err)
	}
	s.audit(ctx, by, ActionHelpUnclaim, r.Student, "ok", idText(id))
	s.hub.Publish(Event{Queue: true})
	return nil
}

// Resolve closes request id: the student was helped. Any professor may
// resolve any request, claimed or not (a colleague may have left); the audit
// says who. The student is told through the hub (Event.Resolved). Professors only.
func (s *Service) Resolve(ctx context.Context, by Actor, id int64) error {
	u, err := s.professor(ctx, by, ActionHelpResolve, "", idText(id), "resolve help requests")
	if err != nil {
		return err
	}
	r, err := s.store.ResolveHelpRequest(ctx, id, u.Username, s.now())
	if err != nil {
		return s.helpError("resolve", id, r, err)
	}
	detail := idText(id)
	if r.ClaimedBy != "" && r.ClaimedBy != u.Username {
		detail += " (claimed by " + r.ClaimedBy + ")"
	}
	s.audit(ctx, by, ActionHelpResolve, r.Student, "ok", detail)
	s.hub.Publish(Event{Queue: true, Resolved: []Resolution{{ID: id, Student: r.Student, By: u.Username}}})
	return nil
}

// helpError turns a store error about request id into a sentence for the professor.
func (s *Service) helpError(verb string, id int64, r store.HelpRequest, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &userError{msg: fmt.Sprintf("Help request %s is no longer in the queue (resolved or cancelled); refresh the queue and pick another.", idText(id)),
			kind: ErrNotFound}
	case errors.Is(err, store.ErrConflict):
		return &userError{msg: fmt.Sprintf("Help request %s (%s) is already claimed by %s; pick another one, or ask %s to release it.", idText(id), r.Student, r.ClaimedBy, r.ClaimedBy),
			kind: ErrConflict}
	}
	return s.failed(verb+" the help request", err)
}
