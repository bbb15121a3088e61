// Package classroom runs a lab: announcements that appear on every student's
// screen and the help queue. The professor's console and the student's
// workspace call this small service and never the store directly, so that
// authorization, validation, auditing and change notification happen in one
// place whichever screen (ssh or browser) asked.
package classroom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/classroomd/classroomd/internal/store"
)

// Errors a caller can tell apart with errors.Is. The Error text of every
// error the Service returns is a sentence for the person who acted.
var (
	// ErrForbidden: the actor may not do this (a student trying a professor's
	// action, an unknown or disabled account). Every one is audited as "denied".
	ErrForbidden = errors.New("not allowed")
	// ErrInvalid: the text typed was refused (too long, empty, control characters).
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound: the announcement or request named does not exist, or is no longer open.
	ErrNotFound = store.ErrNotFound
	// ErrConflict: another professor claimed the request.
	ErrConflict = store.ErrConflict
)

// DefaultAnnouncementLifetime is how long an announcement shows when Options
// gives none: a lab session, so that a forgotten one does not greet students
// next week.
const DefaultAnnouncementLifetime = 12 * time.Hour

// Actor is the person acting, as their session authenticated them. The
// service reads their role from the store on every call, so a caller cannot
// claim a role, and a role change or a disabled account takes effect at once.
type Actor struct {
	Username string
	Remote   string // for the audit log: the remote address, or "local"
}

// Options configures a Service.
type Options struct {
	Store store.Store
	Log   *slog.Logger     // nil: discard
	Now   func() time.Time // the clock; nil: time.Now
	// AnnouncementLifetime is how long an announcement shows unless retracted;
	// 0 means DefaultAnnouncementLifetime.
	AnnouncementLifetime time.Duration
}

// Service is the classroom's announcements and help queue. It is safe for
// concurrent use and starts no goroutine.
type Service struct {
	store    store.Store
	log      *slog.Logger
	now      func() time.Time
	lifetime time.Duration
	hub      *Hub
}

// New returns a Service on o.Store.
func New(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AnnouncementLifetime <= 0 {
		o.AnnouncementLifetime = DefaultAnnouncementLifetime
	}
	return &Service{store: o.Store, log: o.Log, now: o.Now, lifetime: o.AnnouncementLifetime, hub: NewHub()}
}

// Subscribe returns the change notifications of this service (see Hub) and
// the func that ends the subscription. Each view subscribes once and re-reads
// what an Event names.
func (s *Service) Subscribe() (<-chan Event, func()) { return s.hub.Subscribe() }

// userError is an error whose text is a sentence for a person; it still
// matches its kind (ErrForbidden, ...) and its cause with errors.Is.
type userError struct {
	msg   string
	kind  error
	cause error
}

func (e *userError) Error() string { return e.msg }

func (e *userError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.kind, e.cause} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Sentence returns an error whose text is msg, a sentence for a person,
// that still matches kind and cause (either may be nil) with errors.Is. The
// console's server side uses it too.
func Sentence(msg string, kind, cause error) error {
	return &userError{msg: msg, kind: kind, cause: cause}
}

func invalid(msg string) error { return &userError{msg: msg, kind: ErrInvalid} }

// failed reports an error the person cannot fix (the database is down...):
// the details go to the log, the person gets what to do.
func (s *Service) failed(what string, err error) error {
	kind := error(nil)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		kind = err // let callers see their own cancellation
	}
	if errors.Is(err, context.Canceled) {
		s.log.Info("classroom: "+what+" given up: the caller left", "err", err)
	} else {
		s.log.Error("classroom: "+what+" failed", "err", err)
	}
	return &userError{msg: "Could not " + what + " (a server error, logged); try again in a moment.", kind: kind, cause: err}
}

// auditTimeout bounds an audit write. It runs even when the caller's context
// is cancelled: a refusal is recorded whoever hung up.
const auditTimeout = 5 * time.Second

func (s *Service) audit(ctx context.Context, by Actor, action, target, outcome, detail string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	remote := by.Remote
	if remote == "" {
		remote = "local"
	}
	e := store.AuditEntry{At: s.now(), Actor: printable(by.Username), Action: action, Target: printable(target),
		Remote: printable(remote), Outcome: outcome, Detail: detail}
	if err := s.store.AppendAudit(ctx, e); err != nil {
		s.log.Error("classroom: audit entry not written", "action", action, "actor", e.Actor, "err", err)
	}
}

// deny audits a refusal and returns it as an ErrForbidden sentence.
func (s *Service) deny(ctx context.Context, by Actor, action, target, detail, msg string) error {
	s.log.Info("classroom: refused", "action", action, "actor", printable(by.Username), "detail", detail)
	s.audit(ctx, by, action, target, "denied", detail)
	return &userError{msg: msg, kind: ErrForbidden}
}

// who reads the actor's account; an unknown or disabled one is refused.
func (s *Service) who(ctx context.Context, by Actor, action string) (store.User, error) {
	u, err := s.store.UserByName(ctx, by.Username)
	switch {
	case errors.Is(err, store.ErrNotFound) || by.Username == "":
		return store.User{}, s.deny(ctx, by, action, "", "unknown account",
			"Your account does not exist (any more); log in again or ask your professor.")
	case err != nil:
		return store.User{}, s.failed("check your account", err)
	case u.Disabled:
		return store.User{}, s.deny(ctx, by, action, "", "account disabled",
			"Your account is disabled; ask your professor to enable it.")
	}
	return u, nil
}

// professor reads the actor's account and refuses anyone but an enabled
// professor; doing says what was refused ("claim help requests").
func (s *Service) professor(ctx context.Context, by Actor, action, target, detail, doing string) (store.User, error) {
	u, err := s.who(ctx, by, action)
	if err != nil {
		return store.User{}, err
	}
	if u.Role != store.RoleProfessor {
		return store.User{}, s.deny(ctx, by, action, target, strings.TrimSpace("not a professor; "+detail),
			"Only professors can "+doing+"; if you teach this class, ask a professor to change your role.")
	}
	return u, nil
}

// printable makes a name safe for a log or audit line: control characters
// become '?', and it is cut to 64 bytes.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, clip(s, 64))
}

// clip cuts s to at most max bytes on a rune boundary, marking the cut.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := 0
	for i := range s {
		if i > max {
			break
		}
		cut = i
	}
	return s[:cut] + "…"
}

// ago is how long before now t was, never negative (clocks of several nodes differ).
func ago(now, t time.Time) time.Duration { return max(now.Sub(t), 0) }

// idText names a request or announcement in messages.
func idText(id int64) string { return fmt.Sprintf("#%d", id) }
