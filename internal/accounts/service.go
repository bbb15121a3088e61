package accounts

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/metrics"
	"github.com/classroomd/classroomd/internal/store"
)

// Actor is who performs an action, for the audit log.
type Actor struct {
	Name   string // a username, or "cli:<os user>"
	Remote string // remote address, or "local"
}

// Service creates and changes accounts and checks logins.
type Service struct {
	store     store.Store
	homesDir  string
	cost      int
	uidBase   int
	throttle  throttlePolicy
	log       *slog.Logger
	dummyHash []byte // compared against for unknown users, so they take as long as known ones
	locks     *keyedLocks
	metrics   *metrics.Metrics
	hashing   chan struct{} // a slot per bcrypt running at once (see checkHash)

	// now and sleep are the clock; tests replace them.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// Options configures a Service.
type Options struct {
	Store      store.Store
	HomesDir   string
	BcryptCost int
	UIDBase    int // a student's host uid is UIDBase + their user id; 0 leaves homes to the daemon
	Throttle   config.Throttle
	Log        *slog.Logger
	Metrics    *metrics.Metrics // logins by outcome and their latency; nil records nothing
	// HashSlots bounds the password checks (bcrypt) running at once
	// (0: half the cores, at least one), so that a login storm leaves the
	// other cores to echo and to the Pythons starting.
	HashSlots int
}

// New returns a Service. It computes one bcrypt hash at the configured cost up front.
func New(o Options) (*Service, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), o.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("prepare password checks: %w", err)
	}
	return &Service{
		store: o.Store, homesDir: o.HomesDir, cost: o.BcryptCost, uidBase: o.UIDBase, throttle: throttlePolicy(o.Throttle), log: o.Log,
		dummyHash: dummy, locks: newKeyedLocks(), metrics: o.Metrics,
		hashing: make(chan struct{}, cmp.Or(o.HashSlots, max(1, runtime.NumCPU()/2))),
		now:     time.Now, sleep: sleepCtx,
	}, nil
}

// checkHash reports whether password matches the bcrypt hash, computed
// on one of the bounded slots: fifty logins in one second queue there
// (≈70 ms of a core each at cost 10) instead of taking every core at once.
// It fails only when ctx ends while it waits (the client left).
func (s *Service) checkHash(ctx context.Context, hash []byte, password string) (bool, error) {
	select {
	case s.hashing <- struct{}{}: // a free slot is taken even if the client just left
	default:
		select {
		case s.hashing <- struct{}{}:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	defer func() { <-s.hashing }()
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewUser describes an account to create. An empty Password means "generate one".
type NewUser struct {
	Username, FullName, Email string
	Role                      store.Role
	Password                  string
}

// AddUser validates and creates an account and its home. It returns the stored
// user and, when it generated the password, that password (shown once, never stored).
func (s *Service) AddUser(ctx context.Context, by Actor, nu NewUser) (store.User, string, error) {
	name, err := NormalizeUsername(nu.Username)
	if err != nil {
		return store.User{}, "", err
	}
	if nu.Role == "" {
		nu.Role = store.RoleStudent
	}
	if !nu.Role.Valid() {
		return store.User{}, "", fmt.Errorf("role %q is not student or professor", Printable(string(nu.Role)))
	}
	if err := ValidateFullName(nu.FullName); err != nil {
		return store.User{}, "", err
	}
	if err := ValidateEmail(nu.Email); err != nil {
		return store.User{}, "", err
	}
	generated := ""
	if nu.Password == "" {
		generated = GeneratePassword()
		nu.Password = generated
	} else if err := CheckPassword(name, nu.Password); err != nil {
		return store.User{}, "", err
	}
	hash, err := HashPassword(nu.Password, s.cost)
	if err != nil {
		return store.User{}, "", err
	}
	u := store.User{Username: name, FullName: nu.FullName, Email: nu.Email, Role: nu.Role, PasswordHash: hash,
		MustChangePassword: generated != ""}
	if err := s.store.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.User{}, "", fmt.Errorf("user %q already exists: change it with `classroomd user passwd` or `user import`", name)
		}
		return store.User{}, "", fmt.Errorf("add user %q: %w", name, err)
	}
	if _, err := files.EnsureHome(s.homesDir, name, s.Owner(u)); err != nil {
		return u, generated, fmt.Errorf("user %q was added, but their home could not be created (it is retried at login): %w", name, err)
	}
	s.audit(ctx, by, "user.add", name, "ok", "role "+string(u.Role))
	return u, generated, nil
}

// Owner is the host uid and gid that user's files and programs run as: stable,
// unique, and the same on every node that shares the database.
func (s *Service) Owner(u store.User) files.Owner {
	if s.uidBase == 0 || u.ID <= 0 {
		return files.NoOwner
	}
	id := s.uidBase + int(u.ID)
	return files.Owner{UID: id, GID: id}
}

// EnsureHome checks (and if needed creates or repairs) username's home and
// returns its path.
func (s *Service) EnsureHome(ctx context.Context, username string) (string, error) {
	u, err := s.User(ctx, username)
	if err != nil {
		return "", err
	}
	return files.EnsureHome(s.homesDir, u.Username, s.Owner(u))
}

// EnsureAdmin creates professor "admin" with a generated password when the roster
// is empty, so a fresh install can be logged into. It returns the password it made,
// or "" when the roster already had users.
func (s *Service) EnsureAdmin(ctx context.Context, by Actor) (string, error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil {
		return "", fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	_, pw, err := s.AddUser(ctx, by, NewUser{Username: "admin", FullName: "Administrator", Role: store.RoleProfessor})
	return pw, err
}

// SetPassword sets a user's password (a professor's reset); an empty password generates
// one, which is returned and must be changed by its owner at the next login.
func (s *Service) SetPassword(ctx context.Context, by Actor, username, password string) (string, error) {
	name, err := NormalizeUsername(username)
	if err != nil {
		return "", err
	}
	generated := ""
	if password == "" {
		generated = GeneratePassword()
		password = generated
	} else if err := CheckPassword(name, password); err != nil {
		return "", err
	}
	hash, err := HashPassword(password, s.cost)
	if err != nil {
		return "", err
	}
	if err := s.store.SetPasswordHash(ctx, name, hash, generated != ""); err != nil {
		return "", notFoundHint(name, err)
	}
	s.revokeWebSessions(ctx, name, 0) // the old password's browser logins end
	s.audit(ctx, by, "user.passwd", name, "ok", "")
	return generated, nil
}

// SetDisabled disables or re-enables a user. A disabled user cannot log in.
func (s *Service) SetDisabled(ctx context.Context, by Actor, username string, disabled bool) error {
	name, err := NormalizeUsername(username)
	if err != nil {
		return err
	}
	if err := s.store.SetDisabled(ctx, name, disabled); err != nil {
		return notFoundHint(name, err)
	}
	action := "user.enable"
	if disabled {
		action = "user.disable"
		s.revokeWebSessions(ctx, name, 0) // signed out of every browser
	}
	s.audit(ctx, by, action, name, "ok", "")
	return nil
}

func notFoundHint(name string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("there is no user %q: see `classroomd user list`", name)
	}
	return fmt.Errorf("user %q: %w", name, err)
}

// auditTimeout bounds an audit write, which runs even when the caller's
// context is cancelled: a login whose client hung up right after the
// password check is recorded all the same.
const auditTimeout = 5 * time.Second

// audit appends to the audit log. A failure to audit is logged, not returned:
// the action itself already happened.
func (s *Service) audit(ctx context.Context, by Actor, action, target, outcome, detail string) {
	e := store.AuditEntry{At: s.now(), Actor: Printable(by.Name), Action: action, Target: Printable(target),
		Remote: by.Remote, Outcome: outcome, Detail: detail}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if err := s.store.AppendAudit(ctx, e); err != nil {
		s.log.Error("audit entry not written", "action", action, "target", e.Target, "err", err)
	}
}

// Audit records an action taken elsewhere (for example a session refused by the SSH server).
func (s *Service) Audit(ctx context.Context, by Actor, action, target, outcome, detail string) {
	s.audit(ctx, by, action, target, outcome, detail)
}
