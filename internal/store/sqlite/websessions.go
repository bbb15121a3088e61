package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

const webSessionColumns = "w.id, w.token_hash, u.username, w.created_at, w.last_seen_at, w.expires_at, w.remote"

// CreateWebSession stores ws for ws.Username; CreatedAt and LastSeenAt default to now.
func (s *Store) CreateWebSession(ctx context.Context, ws *store.WebSession) error {
	if ws.CreatedAt.IsZero() {
		ws.CreatedAt = time.Now()
	}
	if ws.LastSeenAt.IsZero() {
		ws.LastSeenAt = ws.CreatedAt
	}
	// INSERT ... SELECT inserts nothing when the user does not exist.
	err := s.db.QueryRowContext(ctx, `INSERT INTO web_sessions (token_hash, user_id, created_at, last_seen_at, expires_at, remote)
		SELECT ?, id, ?, ?, ?, ? FROM users WHERE username = ? RETURNING id`,
		ws.TokenHash, micros(ws.CreatedAt), micros(ws.LastSeenAt), micros(ws.ExpiresAt), ws.Remote, ws.Username).Scan(&ws.ID)
	if err = mapErr(err); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("create web session for %q: user %w", ws.Username, err)
	} else if err != nil {
		return fmt.Errorf("create web session for %q: %w", ws.Username, faultErr(err))
	}
	ws.CreatedAt = fromMicros(micros(ws.CreatedAt))
	ws.LastSeenAt = fromMicros(micros(ws.LastSeenAt))
	ws.ExpiresAt = fromMicros(micros(ws.ExpiresAt))
	return nil
}

// WebSessionByTokenHash returns the unexpired session with this token hash.
func (s *Store) WebSessionByTokenHash(ctx context.Context, tokenHash string, now time.Time) (store.WebSession, error) {
	var (
		ws                     store.WebSession
		created, seen, expires int64
	)
	err := s.db.QueryRowContext(ctx, "SELECT "+webSessionColumns+
		" FROM web_sessions w JOIN users u ON u.id = w.user_id WHERE w.token_hash = ? AND w.expires_at > ?",
		tokenHash, micros(now)).Scan(&ws.ID, &ws.TokenHash, &ws.Username, &created, &seen, &expires, &ws.Remote)
	if err != nil {
		// The hash is not a secret, but there is no use in logging it.
		return store.WebSession{}, fmt.Errorf("web session: %w", mapErr(err))
	}
	ws.CreatedAt, ws.LastSeenAt, ws.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	return ws, nil
}

// TouchWebSession moves an unexpired session's last use and expiry forward.
func (s *Store) TouchWebSession(ctx context.Context, id int64, seen, expires time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE web_sessions SET last_seen_at = max(last_seen_at, ?1), expires_at = ?2
		WHERE id = ?3 AND expires_at > ?1`, micros(seen), micros(expires), id)
	if err != nil {
		return fmt.Errorf("touch web session %d: %w", id, faultErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("touch web session %d: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("touch web session %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// DeleteWebSession removes one session.
func (s *Store) DeleteWebSession(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM web_sessions WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete web session %d: %w", id, faultErr(err))
	}
	return nil
}

// DeleteUserWebSessions removes the user's sessions but the one with ID except.
func (s *Store) DeleteUserWebSessions(ctx context.Context, username string, except int64) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM web_sessions
		WHERE user_id = (SELECT id FROM users WHERE username = ?) AND id <> ?`, username, except)
	if err != nil {
		return 0, fmt.Errorf("delete web sessions of %q: %w", username, faultErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete web sessions of %q: %w", username, err)
	}
	return int(n), nil
}

// DeleteExpiredWebSessions removes every session expired at now.
func (s *Store) DeleteExpiredWebSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM web_sessions WHERE expires_at <= ?", micros(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired web sessions: %w", faultErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired web sessions: %w", err)
	}
	return int(n), nil
}
