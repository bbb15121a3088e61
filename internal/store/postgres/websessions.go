package postgres

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
	ws.CreatedAt, ws.LastSeenAt, ws.ExpiresAt = utc(ws.CreatedAt), utc(ws.LastSeenAt), utc(ws.ExpiresAt)
	// INSERT ... SELECT inserts nothing when the user does not exist.
	err := s.pool.QueryRow(ctx, `INSERT INTO web_sessions (token_hash, user_id, created_at, last_seen_at, expires_at, remote)
		SELECT $1, id, $2, $3, $4, $5 FROM users WHERE username = $6 RETURNING id`,
		ws.TokenHash, ws.CreatedAt, ws.LastSeenAt, ws.ExpiresAt, ws.Remote, ws.Username).Scan(&ws.ID)
	if err = mapErr(err); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("create web session for %q: user %w", ws.Username, err)
	} else if err != nil {
		return fmt.Errorf("create web session for %q: %w", ws.Username, err)
	}
	return nil
}

// WebSessionByTokenHash returns the unexpired session with this token hash.
func (s *Store) WebSessionByTokenHash(ctx context.Context, tokenHash string, now time.Time) (store.WebSession, error) {
	var ws store.WebSession
	err := s.pool.QueryRow(ctx, "SELECT "+webSessionColumns+
		" FROM web_sessions w JOIN users u ON u.id = w.user_id WHERE w.token_hash = $1 AND w.expires_at > $2",
		tokenHash, utc(now)).Scan(&ws.ID, &ws.TokenHash, &ws.Username, &ws.CreatedAt, &ws.LastSeenAt, &ws.ExpiresAt, &ws.Remote)
	if err != nil {
		return store.WebSession{}, fmt.Errorf("web session: %w", mapErr(err))
	}
	ws.CreatedAt, ws.LastSeenAt, ws.ExpiresAt = ws.CreatedAt.UTC(), ws.LastSeenAt.UTC(), ws.ExpiresAt.UTC()
	return ws, nil
}

// TouchWebSession moves an unexpired session's last use and expiry forward.
func (s *Store) TouchWebSession(ctx context.Context, id int64, seen, expires time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE web_sessions SET last_seen_at = GREATEST(last_seen_at, $1), expires_at = $2
		WHERE id = $3 AND expires_at > $1`, utc(seen), utc(expires), id)
	if err != nil {
		return fmt.Errorf("touch web session %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("touch web session %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// DeleteWebSession removes one session.
func (s *Store) DeleteWebSession(ctx context.Context, id int64) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM web_sessions WHERE id = $1", id); err != nil {
		return fmt.Errorf("delete web session %d: %w", id, err)
	}
	return nil
}

// DeleteUserWebSessions removes the user's sessions but the one with ID except.
func (s *Store) DeleteUserWebSessions(ctx context.Context, username string, except int64) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM web_sessions
		WHERE user_id = (SELECT id FROM users WHERE username = $1) AND id <> $2`, username, except)
	if err != nil {
		return 0, fmt.Errorf("delete web sessions of %q: %w", username, err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteExpiredWebSessions removes every session expired at now.
func (s *Store) DeleteExpiredWebSessions(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM web_sessions WHERE expires_at <= $1", utc(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired web sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
