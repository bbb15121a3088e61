package accounts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/metrics"
	"github.com/classroomd/classroomd/internal/store"
)

// LoginResult says how a login attempt ended. Reason is for the audit log and the
// server's log only; a client is never told whether a username exists.
type LoginResult struct {
	User   store.User // set when OK
	OK     bool
	Delay  time.Duration // how long throttling held this attempt back
	Reason string        // "", "unknown user", "wrong password", "account disabled", "error"
}

// storeTimeout bounds each store query of a login: with the database gone
// (or not answering), a login fails within seconds, with the reason, rather
// than hanging until the client gives up.
const storeTimeout = 5 * time.Second

// LoginPassword checks a password login from remote (host:port) and audits it.
// Failed attempts slow further attempts for the same username (and, past a much
// higher ceiling, from the same address); other users behind the same address are
// not slowed. Unknown usernames cost one bcrypt comparison too, so they are not
// told apart by timing. It returns an error only when ctx ends while waiting.
func (s *Service) LoginPassword(ctx context.Context, username, password, remote string) (LoginResult, error) {
	start := time.Now()
	res, err := s.verifyPassword(ctx, username, password, remote, "login.password")
	if err != nil || !res.OK {
		s.metrics.PasswordLogin(loginOutcome(res, err), time.Since(start))
		return res, err
	}
	// The password was right: what follows is recorded even if the client
	// hangs up now (else its earlier failures would still slow the next login).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	// A login the store cannot record is refused: the store reads but takes
	// no writes (SQLite's file became read-only, its disk is full), so
	// neither this login nor a wrong password could be counted or audited.
	if err := s.store.RecordLogin(ctx, res.User.Username, s.now()); err != nil {
		s.log.Error("login refused: it could not be recorded", "user", res.User.Username, "err", err)
		s.audit(ctx, Actor{Name: res.User.Username, Remote: remote}, "login.password", res.User.Username, "error", "the login could not be recorded")
		res = LoginResult{Delay: res.Delay, Reason: "error"}
		s.metrics.PasswordLogin(loginOutcome(res, nil), time.Since(start))
		return res, nil
	}
	s.metrics.PasswordLogin(loginOutcome(res, nil), time.Since(start))
	if err := s.store.ClearLoginFailures(ctx, store.ScopeUser, res.User.Username); err != nil {
		s.log.Warn("could not reset login failures", "user", res.User.Username, "err", err)
	}
	s.rehash(ctx, res.User, password)
	s.audit(ctx, Actor{Name: res.User.Username, Remote: remote}, "login.password", res.User.Username, "ok", heldBack("", res.Delay))
	return res, nil
}

// loginOutcome names how a password login ended, for the metrics.
func loginOutcome(res LoginResult, err error) string {
	switch {
	case err != nil:
		return metrics.LoginAbandoned
	case res.OK:
		return metrics.LoginOK
	}
	switch res.Reason {
	case "wrong password":
		return metrics.LoginWrongPassword
	case "unknown user":
		return metrics.LoginUnknownUser
	case "account disabled":
		return metrics.LoginDisabled
	}
	return metrics.LoginError
}

// verifyPassword checks username's password under login throttling, and audits a
// failure as action. The caller audits success.
func (s *Service) verifyPassword(ctx context.Context, username, password, remote, action string) (LoginResult, error) {
	name, nameErr := NormalizeUsername(username)
	if nameErr != nil {
		name = Printable(username) // still throttled and audited under what was typed
	}
	ip := remoteIP(remote)
	by := Actor{Name: name, Remote: remote}

	// One attempt per username at a time on this node, so parallel connections
	// cannot run guesses side by side while each waits out the same delay.
	unlock, err := s.locks.lock(ctx, name)
	if err != nil {
		return LoginResult{}, err
	}
	defer unlock()

	wait, err := s.throttleWait(ctx, name, ip) // bounded by storeTimeout
	if err != nil {
		s.audit(ctx, by, action, name, "error", "throttle state unavailable")
		s.log.Error("password check refused: throttle state unavailable", "user", name, "err", err)
		return LoginResult{Reason: "error"}, nil
	}
	if wait > 0 {
		if err := s.sleep(ctx, wait); err != nil {
			return LoginResult{Delay: wait}, err
		}
	}

	res := LoginResult{Delay: wait}
	u, lookupErr := store.User{}, error(store.ErrNotFound)
	if nameErr == nil {
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		u, lookupErr = s.store.UserByName(sctx, name)
		cancel()
	}
	hash := s.dummyHash // unknown users take as long as known ones
	if lookupErr == nil {
		hash = []byte(u.PasswordHash)
	}
	match, err := s.checkHash(ctx, hash, password)
	if err != nil {
		return LoginResult{Delay: wait, Reason: "error"}, err // the client left while in line
	}
	switch {
	case errors.Is(lookupErr, store.ErrNotFound):
		res.Reason = "unknown user"
	case lookupErr != nil:
		res.Reason = "error"
		s.log.Error("password check refused: user lookup failed", "user", name, "err", lookupErr)
	case !match:
		res.Reason = "wrong password"
	case u.Disabled:
		res.Reason = "account disabled"
	default:
		res.OK, res.User = true, u
		return res, nil
	}
	s.recordFailure(ctx, name, ip)
	outcome := "denied"
	if res.Reason == "error" {
		outcome = "error"
	}
	s.audit(ctx, by, action, name, outcome, heldBack(res.Reason, wait))
	return res, nil
}

// heldBack adds how long throttling held an attempt back to an audit detail.
func heldBack(detail string, wait time.Duration) string {
	if wait <= 0 {
		return detail
	}
	return strings.TrimSpace(fmt.Sprintf("%s (held back %s by login throttling)", detail, wait.Round(time.Millisecond)))
}

// throttleWait is how long the next attempt for name from ip must still wait.
func (s *Service) throttleWait(ctx context.Context, name, ip string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	now, t := s.now(), s.throttle
	uf, err := s.store.LoginFailures(ctx, store.ScopeUser, name, now, t.Window)
	if err != nil {
		return 0, err
	}
	ipf, err := s.store.LoginFailures(ctx, store.ScopeIP, ip, now, t.Window)
	if err != nil {
		return 0, err
	}
	wait := max(t.remaining(uf, t.UserFreeFailures, now), t.remaining(ipf, t.IPFreeFailures, now))
	return wait, nil
}

func (s *Service) recordFailure(ctx context.Context, name, ip string) {
	at := s.now()
	for _, c := range []struct{ scope, key string }{{store.ScopeUser, name}, {store.ScopeIP, ip}} {
		if _, err := s.store.RecordLoginFailure(ctx, c.scope, c.key, at, s.throttle.Window); err != nil {
			s.log.Error("could not record a failed login", "scope", c.scope, "err", err)
		}
	}
}

// rehash upgrades a hash of another cost (for example one imported from an
// older system) to the configured cost, now that the password is known.
func (s *Service) rehash(ctx context.Context, u store.User, password string) {
	if cost, err := bcrypt.Cost([]byte(u.PasswordHash)); err == nil && cost != s.cost {
		hash, err := HashPassword(password, s.cost)
		if err == nil {
			err = s.store.SetPasswordHash(ctx, u.Username, hash, u.MustChangePassword)
		}
		if err != nil {
			s.log.Warn("could not re-hash password at the configured cost", "user", u.Username, "err", err)
			return
		}
		s.audit(ctx, Actor{Name: u.Username, Remote: "local"}, "user.rehash", u.Username, "ok",
			fmt.Sprintf("bcrypt cost %d -> %d", cost, s.cost))
	}
}

// KeyLoginAllowed reports whether the key with this fingerprint belongs to username
// and the account may log in. The SSH layer calls it for every key a client offers,
// before the client has proved it holds the key, so it neither audits nor records.
func (s *Service) KeyLoginAllowed(ctx context.Context, username, fingerprint string) bool {
	name, err := NormalizeUsername(username)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	u, err := s.store.UserByKeyFingerprint(ctx, fingerprint)
	return err == nil && u.Username == name && !u.Disabled
}

// RecordKeyLogin audits a completed public-key login and records it as the last login.
func (s *Service) RecordKeyLogin(ctx context.Context, username, fingerprint, remote string) {
	u, err := s.store.UserByName(ctx, username)
	if err != nil {
		s.log.Warn("key login for a user that vanished", "user", username, "err", err)
		return
	}
	if err := s.store.RecordLogin(ctx, u.Username, s.now()); err != nil {
		s.log.Warn("could not record last login", "user", u.Username, "err", err)
	}
	s.metrics.KeyLogin()
	s.audit(ctx, Actor{Name: username, Remote: remote}, "login.publickey", username, "ok", fingerprint)
}

// User returns the stored account for username.
func (s *Service) User(ctx context.Context, username string) (store.User, error) {
	name, err := NormalizeUsername(username)
	if err != nil {
		return store.User{}, err
	}
	u, err := s.store.UserByName(ctx, name)
	if err != nil {
		return store.User{}, notFoundHint(name, err)
	}
	return u, nil
}

// throttlePolicy is config.Throttle with the arithmetic attached.
type throttlePolicy config.Throttle

// remaining is how long after the latest failure the next attempt must wait: nothing
// for the first free failures, then BaseDelay doubling per failure, at most MaxDelay.
func (t throttlePolicy) remaining(f store.FailureCount, free int, now time.Time) time.Duration {
	excess := f.Count - free
	if excess <= 0 || t.BaseDelay <= 0 {
		return 0
	}
	d := t.BaseDelay
	for i := 1; i < excess && d < t.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, t.MaxDelay)
	return max(0, f.Last.Add(d).Sub(now))
}

func remoteIP(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return remote
	}
	return host
}
