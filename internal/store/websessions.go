package store

import (
	"context"
	"time"
)

// WebSession is one browser login. The browser's cookie holds a random token;
// the store keeps only its SHA-256, so neither the database nor its backups can
// be used to log in.
type WebSession struct {
	ID         int64
	TokenHash  string // hex SHA-256 of the cookie's token; unique
	Username   string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // sliding: each use moves it forward
	Remote     string    // address the login came from
}

// WebSessions persists browser logins. It is part of Store.
type WebSessions interface {
	// CreateWebSession stores ws for ws.Username and sets its ID. ErrNotFound if
	// the user does not exist, ErrConflict if the token hash is already stored.
	CreateWebSession(ctx context.Context, ws *WebSession) error
	// WebSessionByTokenHash returns the session with this token hash if it has not
	// expired at now; ErrNotFound otherwise.
	WebSessionByTokenHash(ctx context.Context, tokenHash string, now time.Time) (WebSession, error)
	// TouchWebSession records a use of a session that has not expired at seen and
	// moves its expiry to expires. ErrNotFound if it is gone or expired.
	TouchWebSession(ctx context.Context, id int64, seen, expires time.Time) error
	// DeleteWebSession removes one session (a logout); a missing one is not an error.
	DeleteWebSession(ctx context.Context, id int64) error
	// DeleteUserWebSessions removes the user's sessions except the one whose ID is
	// except (0 keeps none) and returns how many it removed.
	DeleteUserWebSessions(ctx context.Context, username string, except int64) (int, error)
	// DeleteExpiredWebSessions removes every session expired at now and returns how many.
	DeleteExpiredWebSessions(ctx context.Context, now time.Time) (int, error)
}
