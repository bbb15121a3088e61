package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// Browser sessions. A browser that logs in with a password gets a random token
// for its cookie; the store keeps only the token's SHA-256, so the database (or
// a backup of it) cannot be used to log in. A session lasts WebSessionTTL after
// its last use, and ends at logout, when its user is disabled, or when the
// password changes (the session that changed it excepted).

// WebSessionTTL is how long a browser stays signed in after its last use.
const WebSessionTTL = 12 * time.Hour

// webSessionTouchEvery limits how often a use is written back: a session used
// within this long of its last recorded use is not written again.
const webSessionTouchEvery = time.Minute

// webTokenBytes is the size of a browser token: 256 bits from crypto/rand.
const webTokenBytes = 32

// ErrNoWebSession means a browser's token names no live session: it was never
// valid, it expired, its owner logged out, or it was revoked.
var ErrNoWebSession = errors.New("you are not signed in, or your sign-in has expired: sign in again")

// WebSessionContextKey is the context key under which work done through a
// browser session carries that session's ID (an int64). The SSH server sets it
// on connections from the web bridge, so that a password changed in the
// browser signs out every other browser but not this one.
type WebSessionContextKey struct{}

// WebSession is a live browser login.
type WebSession struct {
	ID        int64
	User      store.User
	ExpiresAt time.Time
}

// WebLogin is the outcome of a browser's password login.
type WebLogin struct {
	LoginResult
	Token   string // for the cookie, when OK; never logged or stored
	Session WebSession
}

// LoginWeb checks a password exactly as an SSH login does (LoginPassword: the same
// bcrypt, throttling and audit) and, when it is right, starts a browser session.
// A non-nil error means the attempt could not be completed (ctx ended, or the
// session could not be stored): the browser should try again later.
func (s *Service) LoginWeb(ctx context.Context, username, password, remote string) (WebLogin, error) {
	res, err := s.LoginPassword(ctx, username, password, remote)
	if err != nil || !res.OK {
		return WebLogin{LoginResult: res}, err
	}
	token, hash, err := newWebToken()
	if err != nil {
		return WebLogin{}, err
	}
	now := s.now()
	ws := store.WebSession{TokenHash: hash, Username: res.User.Username, CreatedAt: now, ExpiresAt: now.Add(WebSessionTTL), Remote: remote}
	if err := s.store.CreateWebSession(ctx, &ws); err != nil {
		s.log.Error("browser session not stored", "user", res.User.Username, "err", err)
		return WebLogin{}, fmt.Errorf("start a browser session for %q: %w", res.User.Username, err)
	}
	// Expired sessions are swept now and then, by the logins that make new ones.
	if n, err := s.store.DeleteExpiredWebSessions(ctx, now); err != nil {
		s.log.Warn("could not sweep expired browser sessions", "err", err)
	} else if n > 0 {
		s.log.Info("swept expired browser sessions", "count", n)
	}
	return WebLogin{LoginResult: res, Token: token, Session: WebSession{ID: ws.ID, User: res.User, ExpiresAt: ws.ExpiresAt}}, nil
}

// WebSession returns the live session that token names, for an enabled user, and
// records the use (which moves its expiry forward). It returns ErrNoWebSession
// when there is none, and another error when the store cannot be read.
func (s *Service) WebSession(ctx context.Context, token string) (WebSession, error) {
	hash, ok := hashWebToken(token)
	if !ok {
		return WebSession{}, ErrNoWebSession
	}
	now := s.now()
	ws, err := s.store.WebSessionByTokenHash(ctx, hash, now)
	if errors.Is(err, store.ErrNotFound) {
		return WebSession{}, ErrNoWebSession
	} else if err != nil {
		return WebSession{}, fmt.Errorf("check browser session: %w", err)
	}
	u, err := s.store.UserByName(ctx, ws.Username)
	if errors.Is(err, store.ErrNotFound) {
		return WebSession{}, ErrNoWebSession
	} else if err != nil {
		return WebSession{}, fmt.Errorf("check browser session: %w", err)
	}
	if u.Disabled {
		// Disabling revokes sessions; this one may have been made in a race with it.
		s.revokeWebSessions(ctx, u.Username, 0)
		return WebSession{}, ErrNoWebSession
	}
	expires := ws.ExpiresAt
	if now.Sub(ws.LastSeenAt) >= webSessionTouchEvery {
		expires = now.Add(WebSessionTTL)
		if err := s.store.TouchWebSession(ctx, ws.ID, now, expires); errors.Is(err, store.ErrNotFound) {
			return WebSession{}, ErrNoWebSession // revoked a moment ago
		} else if err != nil {
			s.log.Warn("could not record a browser session's use", "user", u.Username, "err", err)
			expires = ws.ExpiresAt
		}
	}
	return WebSession{ID: ws.ID, User: u, ExpiresAt: expires}, nil
}

// LogoutWeb ends the session that token names, if any, and audits it.
func (s *Service) LogoutWeb(ctx context.Context, token, remote string) error {
	hash, ok := hashWebToken(token)
	if !ok {
		return nil
	}
	ws, err := s.store.WebSessionByTokenHash(ctx, hash, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	if err := s.store.DeleteWebSession(ctx, ws.ID); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	s.audit(ctx, Actor{Name: ws.Username, Remote: remote}, "logout.web", ws.Username, "ok", "")
	return nil
}

// revokeWebSessions signs username out of every browser but the session except
// (0: all of them). A failure is logged: the change that called it is done.
func (s *Service) revokeWebSessions(ctx context.Context, username string, except int64) {
	n, err := s.store.DeleteUserWebSessions(ctx, username, except)
	if err != nil {
		s.log.Error("browser sessions not revoked", "user", username, "err", err)
		return
	}
	if n > 0 {
		s.log.Info("browser sessions revoked", "user", username, "count", n)
	}
}

// currentWebSession is the browser session ctx acts for, or 0.
func currentWebSession(ctx context.Context) int64 {
	id, _ := ctx.Value(WebSessionContextKey{}).(int64)
	return id
}

// newWebToken returns a fresh token for a cookie and the hash to store.
func newWebToken() (token, hash string, err error) {
	raw := make([]byte, webTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", "", fmt.Errorf("make a session token: %w", err)
	}
	sum := sha256.Sum256(raw)
	return base64.RawURLEncoding.EncodeToString(raw), hex.EncodeToString(sum[:]), nil
}

// hashWebToken returns the stored form of token, or false when token is not
// the shape newWebToken makes (so junk never reaches the store).
func hashWebToken(token string) (string, bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(webTokenBytes) {
		return "", false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) != webTokenBytes {
		return "", false
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), true
}
