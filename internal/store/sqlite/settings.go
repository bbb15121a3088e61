package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// UserSetting returns the user's setting name, "" when unset.
func (s *Store) UserSetting(ctx context.Context, username, name string) (string, error) {
	// The user's row is always there (ErrNotFound without it); the
	// setting's is NULL when it was never set.
	var v sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT st.value FROM users u
		LEFT JOIN user_settings st ON st.user_id = u.id AND st.name = ?
		WHERE u.username = ?`, name, username).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("setting %s of %q: %w", name, username, mapErr(err))
	}
	return v.String, nil
}

// SetUserSetting stores the user's setting name, replacing the one there.
func (s *Store) SetUserSetting(ctx context.Context, username, name, value string) error {
	if err := store.CheckSetting(name, value); err != nil {
		return fmt.Errorf("set setting of %q: %w", username, err)
	}
	// INSERT ... SELECT inserts nothing when the user does not exist (the
	// WHERE also keeps SQLite from reading ON CONFLICT as a join's).
	res, err := s.db.ExecContext(ctx, `INSERT INTO user_settings (user_id, name, value, updated_at)
		SELECT id, ?, ?, ? FROM users WHERE username = ?
		ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, micros(time.Now()), username)
	if err != nil {
		return fmt.Errorf("set setting %s of %q: %w", name, username, faultErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set setting %s of %q: %w", name, username, err)
	} else if n == 0 {
		return fmt.Errorf("set setting %s of %q: user %w", name, username, store.ErrNotFound)
	}
	return nil
}
