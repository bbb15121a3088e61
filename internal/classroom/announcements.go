package classroom

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// Audit actions of announcements.
const (
	ActionAnnounce        = "announce"
	ActionRetract         = "announce.retract"
	ActionAnnounceHistory = "announce.history" // only refusals are audited
	ActionDismiss         = "announce.dismiss" // only refusals are audited
	ActionCurrent         = "announce.current" // only refusals are audited
)

// Announce shows text on every student's screen, now and to those who
// connect before it ends (retracted, or after the announcement lifetime).
// Professors only.
func (s *Service) Announce(ctx context.Context, by Actor, text string) (store.Announcement, error) {
	u, err := s.professor(ctx, by, ActionAnnounce, "", "", "send announcements")
	if err != nil {
		return store.Announcement{}, err
	}
	text, err = ValidateAnnouncement(text)
	if err != nil {
		return store.Announcement{}, err
	}
	now := s.now()
	a := store.Announcement{Author: u.Username, Text: text, CreatedAt: now, ExpiresAt: now.Add(s.lifetime)}
	if err := s.store.CreateAnnouncement(ctx, &a); err != nil {
		return store.Announcement{}, s.failed("send the announcement", err)
	}
	s.audit(ctx, by, ActionAnnounce, "", "ok", idText(a.ID)+": "+clip(text, 80))
	s.hub.Publish(Event{Announcements: true})
	return a, nil
}

// Retract ends announcement id for everyone. Retracting one that was already
// retracted is not an error and changes nothing. Professors only.
func (s *Service) Retract(ctx context.Context, by Actor, id int64) error {
	u, err := s.professor(ctx, by, ActionRetract, "", idText(id), "retract announcements")
	if err != nil {
		return err
	}
	now := s.now()
	a, err := s.store.RetractAnnouncement(ctx, id, u.Username, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &userError{msg: fmt.Sprintf("There is no announcement %s; refresh the list and pick another.", idText(id)), kind: ErrNotFound}
	case err != nil:
		return s.failed("retract the announcement", err)
	case a.RetractedBy != u.Username || !a.RetractedAt.Equal(now.UTC().Truncate(time.Microsecond)):
		return nil // already retracted earlier: nothing changed
	}
	s.audit(ctx, by, ActionRetract, "", "ok", idText(id)+": "+clip(a.Text, 80))
	s.hub.Publish(Event{Announcements: true})
	return nil
}

// Current returns the announcements by should see now, oldest first: active
// ones they have not dismissed. Any enabled user.
func (s *Service) Current(ctx context.Context, by Actor) ([]store.Announcement, error) {
	u, err := s.who(ctx, by, ActionCurrent)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ActiveAnnouncements(ctx, u.Username, s.now())
	if err != nil {
		return nil, s.failed("read the announcements", err)
	}
	return list, nil
}

// Dismiss hides announcement id from by, on all their connections; nobody
// else is affected. Any enabled user.
func (s *Service) Dismiss(ctx context.Context, by Actor, id int64) error {
	u, err := s.who(ctx, by, ActionDismiss)
	if err != nil {
		return err
	}
	err = s.store.DismissAnnouncement(ctx, id, u.Username, s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &userError{msg: fmt.Sprintf("There is no announcement %s to dismiss.", idText(id)), kind: ErrNotFound}
	case err != nil:
		return s.failed("dismiss the announcement", err)
	}
	s.hub.Publish(Event{Dismissed: []string{u.Username}})
	return nil
}

// MaxHistory is the most announcements History returns.
const MaxHistory = 1000

// History returns the latest announcements, active or ended, newest first;
// limit 0 means 100, and more than MaxHistory means MaxHistory. Professors only.
func (s *Service) History(ctx context.Context, by Actor, limit int) ([]store.Announcement, error) {
	if _, err := s.professor(ctx, by, ActionAnnounceHistory, "", "", "see past announcements"); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	list, err := s.store.ListAnnouncements(ctx, min(limit, MaxHistory))
	if err != nil {
		return nil, s.failed("read past announcements", err)
	}
	return list, nil
}
