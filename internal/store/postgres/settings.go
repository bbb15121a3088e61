package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// UserSetting returns the user's setting name, "" when unset.
func (s *Store) UserSetting(ctx context.Context, username, name string) (string, error) {
	// The user's row is always there (ErrNotFound without it); the
	// setting's is NULL when it was never set.
	var v *string
	err := s.pool.QueryRow(ctx, `SELECT st.value FROM users u
		LEFT JOIN user_settings st ON st.user_id = u.id AND st.name = $1
		WHERE u.username = $2`, name, username).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("setting %s of %q: %w", name, username, mapErr(err))
	}
	if v == nil {
		return "", nil
	}
	return *v, nil
}

// SetUserSetting stores the user's setting name, replacing the one there.
func (s *Store) SetUserSetting(ctx context.Context, username, name, value string) error {
	if err := store.CheckSetting(name, value); err != nil {
		return fmt.Errorf("set setting of %q: %w", username, err)
	}
	// INSERT ... SELECT inserts nothing when the user does not exist.
	tag, err := s.pool.Exec(ctx, `INSERT INTO user_settings (user_id, name, value, updated_at)
		SELECT id, $1, $2, $3 FROM users WHERE username = $4
		ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, utc(time.Now()), username)
	if err != nil {
		return fmt.Errorf("set setting %s of %q: %w", name, username, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set setting %s of %q: user %w", name, username, store.ErrNotFound)
	}
	return nil
}
