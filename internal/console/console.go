// Package console is the server side of the professor's console: the roster,
// live sessions (live view, take control, restart, end, browse files), the
// help queue, announcements and the audit log. The console's pages (in
// internal/tui) call a Desk and nothing else, so that authorization,
// validation and auditing happen here, on the server, whatever a terminal sends.
//
// Every method of a Desk checks, at each call, that its actor is a professor
// whose account is enabled, reading the role from the store each time: a
// role change or a disabled account takes effect at the next call. Refusals
// are audited (outcome "denied") and match errors.Is(err, ErrForbidden).
// Every change, and every look at a student's screen or files, is audited;
// plain reads (the roster, the live list, the audit log) are audited only
// when refused, as they refresh every second. Errors are sentences for the
// professor that say what to do; they never quote more than a clipped,
// escaped piece of what was typed.
package console

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/workspace"
)

// Errors a caller can tell apart with errors.Is. The Error text of every
// error a Desk returns is a sentence for the professor.
var (
	// ErrForbidden: the actor may not do this (not a professor, an unknown or
	// disabled account, or an action on oneself that would lock them out).
	ErrForbidden = classroom.ErrForbidden
	// ErrInvalid: what was typed was refused (a bad username, text, file...).
	ErrInvalid = classroom.ErrInvalid
	// ErrNotFound: the user (or announcement, request) named does not exist,
	// or the user named is not a student where a student is needed.
	ErrNotFound = store.ErrNotFound
	// ErrConflict: the user to add exists already, or a help request is
	// claimed by someone else.
	ErrConflict = store.ErrConflict
	// ErrNotConnected: the student has no live session to watch or act on.
	ErrNotConnected = errors.New("not connected")
)

// Audit actions written by the console (accounts and classroom write their
// own: user.add, user.passwd, user.disable, user.enable, user.import,
// announce, help.*). Those marked "refusals only" are reads, audited only
// when refused.
const (
	ActionRoster        = "console.roster" // refusals only
	ActionUserAdd       = "user.add"
	ActionUserUpdate    = "user.update"
	ActionUserRole      = "user.role"
	ActionUserDisable   = "user.disable"
	ActionUserEnable    = "user.enable"
	ActionPasswordReset = "user.passwd"
	ActionImportPreview = "user.import.preview" // refusals only
	ActionImport        = "user.import"
	ActionExport        = "user.export"
	ActionLive          = "live.list" // refusals only
	ActionLiveView      = "live.view"
	ActionControlStart  = "live.control.start"
	ActionControlEnd    = "live.control.end"
	ActionRestartREPL   = "live.restart"
	ActionSessionEnd    = "session.end"
	ActionBrowseFiles   = "files.browse"
	ActionAuditRead     = "audit.read"        // refusals only
	ActionSubscribe     = "console.subscribe" // refusals only
)

const (
	outcomeOK           = "ok"
	outDenied           = "denied"
	auditTimeout        = 5 * time.Second // an audit write's bound, whoever hung up
	maxTargetInMessages = 40              // bytes of a typed name quoted in a sentence
	defaultAuditLimit   = 100
	maxAuditLimit       = 1000
)

// Options configures a Service.
type Options struct {
	Store      store.Store
	Accounts   *accounts.Service
	Classroom  *classroom.Service
	Workspaces *workspace.Manager
	Log        *slog.Logger     // nil: discard
	Now        func() time.Time // nil: time.Now
}

// Service is the console's server side, shared by every professor's
// session. It is safe for concurrent use and starts no goroutine.
type Service struct {
	store      store.Store
	accounts   *accounts.Service
	classroom  *classroom.Service
	workspaces *workspace.Manager
	log        *slog.Logger
	now        func() time.Time
	mono       func() time.Time // the real clock, for CPU shares
}

// New returns a Service on o's parts.
func New(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{store: o.Store, accounts: o.Accounts, classroom: o.Classroom, workspaces: o.Workspaces,
		log: o.Log, now: o.Now, mono: time.Now}
}

// As returns a Desk bound to one actor: the person logged into one console
// session, as their session authenticated them (by.Name is their username).
func (s *Service) As(by accounts.Actor) *Desk {
	if by.Remote == "" {
		by.Remote = "local"
	}
	return &Desk{s: s, by: by, cpu: map[string]cpuSample{}}
}

// Desk is one professor's console session. Its methods are safe for
// concurrent use (a page's commands may run at once).
type Desk struct {
	s  *Service
	by accounts.Actor

	mu  sync.Mutex
	cpu map[string]cpuSample // student -> their sandbox's CPU time at the previous Live
}

// Actor is who the Desk acts as.
func (d *Desk) Actor() accounts.Actor { return d.by }

func (d *Desk) classroomActor() classroom.Actor {
	return classroom.Actor{Username: d.by.Name, Remote: d.by.Remote}
}

// sentence is an error whose text is msg, a sentence for a person, that
// still matches kind with errors.Is (classroom's errors, shared).
func sentence(kind error, msg string) error { return classroom.Sentence(msg, kind, nil) }

// failed reports an error the professor cannot fix (the database is
// down...): the details go to the log, the professor gets what to do.
func (s *Service) failed(what string, err error) error {
	s.log.Error("console: "+what+" failed", "err", err)
	var kind error
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		kind = err // let callers see their own cancellation
	}
	return classroom.Sentence("Could not "+what+" (a server error, logged); try again in a moment.", kind, err)
}

// audit appends to the audit log. It runs even when the caller's context is
// cancelled: what was done or refused is recorded whoever hung up.
func (d *Desk) audit(ctx context.Context, action, target, outcome, detail string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	e := store.AuditEntry{At: d.s.now(), Actor: printable(d.by.Name), Action: action, Target: printable(target),
		Remote: printable(d.by.Remote), Outcome: outcome, Detail: sanitize(clip(detail, 300))}
	if err := d.s.store.AppendAudit(ctx, e); err != nil {
		d.s.log.Error("console: audit entry not written", "action", action, "actor", e.Actor, "err", err)
	}
}

// deny audits a refusal and returns it as a sentence of kind (ErrForbidden
// for authorization, ErrInvalid for crafted input).
func (d *Desk) deny(ctx context.Context, kind error, action, target, detail, msg string) error {
	d.s.log.Info("console: refused", "action", action, "actor", printable(d.by.Name), "target", printable(target), "detail", detail)
	d.audit(ctx, action, target, outDenied, detail)
	return sentence(kind, msg)
}

// professor reads the actor's account and refuses anyone but an enabled
// professor; doing says what was refused ("see the roster"). Every Desk
// method starts with it.
func (d *Desk) professor(ctx context.Context, action, target, doing string) (store.User, error) {
	if d.by.Name == "" {
		return store.User{}, d.deny(ctx, ErrForbidden, action, target, "unknown account",
			"Your account does not exist (any more); log in again or ask a professor.")
	}
	u, err := d.s.store.UserByName(ctx, d.by.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.User{}, d.deny(ctx, ErrForbidden, action, target, "unknown account",
			"Your account does not exist (any more); log in again or ask a professor.")
	case err != nil:
		return store.User{}, d.s.failed("check your account", err)
	case u.Disabled:
		return store.User{}, d.deny(ctx, ErrForbidden, action, target, "account disabled",
			"Your account is disabled; ask another professor to enable it.")
	case u.Role != store.RoleProfessor:
		return store.User{}, d.deny(ctx, ErrForbidden, action, target, "not a professor",
			"Only professors can "+doing+"; if you teach this class, ask a professor to change your role.")
	}
	return u, nil
}

// username checks a username typed or sent by the console and returns it
// normalised; a bad one is refused (and audited: it is crafted input, as
// the console only offers names from the roster).
func (d *Desk) username(ctx context.Context, action, name string) (string, error) {
	n, err := accounts.NormalizeUsername(name)
	if err != nil {
		return "", d.deny(ctx, ErrInvalid, action, name, "invalid username",
			quote(name)+" is not a valid username (a letter a-z, then letters, digits, '.', '_' or '-'); pick one from the roster.")
	}
	return n, nil
}

// student reads the user name (already normalised) and requires a student:
// a professor's workspace and files are not the console's to see.
func (d *Desk) student(ctx context.Context, action, name string) (store.User, error) {
	u, err := d.s.store.UserByName(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.audit(ctx, action, name, outDenied, "no such user")
		return store.User{}, sentence(ErrNotFound, "There is no user "+quote(name)+"; pick one from the roster.")
	case err != nil:
		return store.User{}, d.s.failed("read "+name+"'s account", err)
	case u.Role != store.RoleStudent:
		return store.User{}, d.deny(ctx, ErrForbidden, action, name, "not a student",
			"The console shows students' sessions and files only, and "+name+" is a professor.")
	}
	return u, nil
}

// printable makes a name safe for a log or audit line: control characters,
// invalid UTF-8 and text direction controls become '?', and it is cut to 64 bytes.
func printable(s string) string { return sanitize(clip(s, 64)) }

// sanitize replaces what printable replaces, without cutting.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError || isBidi(r) {
			return '?'
		}
		return r
	}, s)
}

// isBidi reports the text direction controls that make text display in
// another order than it is stored.
func isBidi(r rune) bool {
	return r == '\u061c' || r == '\u200e' || r == '\u200f' || ('\u202a' <= r && r <= '\u202e') || ('\u2066' <= r && r <= '\u2069')
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

// quote returns s clipped and quoted with every unprintable character
// escaped, for a sentence about something typed.
func quote(s string) string { return strconv.Quote(clip(s, maxTargetInMessages)) }
