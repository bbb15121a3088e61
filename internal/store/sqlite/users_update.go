package sqlite

import (
	"context"
	"fmt"

	"github.com/classroomd/classroomd/internal/store"
)

// UpdateUser sets the non-nil fields of ch on username in one IMMEDIATE
// transaction (so the "before" it returns is what the update replaced) and
// returns the user before and after.
func (s *Store) UpdateUser(ctx context.Context, username string, ch store.UserUpdate) (before, after store.User, err error) {
	if ch.Role != nil && !ch.Role.Valid() {
		return store.User{}, store.User{}, fmt.Errorf("update user %q: unknown role %q", username, *ch.Role)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return store.User{}, store.User{}, fmt.Errorf("update user %q: %w", username, faultErr(err))
	}
	defer tx.Rollback()
	const query = "SELECT " + userColumns + " FROM users u WHERE u.username = ?"
	before, err = scanUser(tx.QueryRowContext(ctx, query, username))
	if err != nil {
		return store.User{}, store.User{}, fmt.Errorf("update user %q: %w", username, mapErr(err))
	}
	if ch.Empty() {
		return before, before, nil
	}
	var role *string
	if ch.Role != nil {
		r := string(*ch.Role)
		role = &r
	}
	// A NULL parameter keeps the column as it is.
	if _, err := tx.ExecContext(ctx, `UPDATE users SET
		full_name = coalesce(?1, full_name),
		email     = coalesce(?2, email),
		role      = coalesce(?3, role)
		WHERE username = ?4`, ch.FullName, ch.Email, role, username); err != nil {
		return store.User{}, store.User{}, fmt.Errorf("update user %q: %w", username, mapErr(err))
	}
	after, err = scanUser(tx.QueryRowContext(ctx, query, username))
	if err != nil {
		return store.User{}, store.User{}, fmt.Errorf("update user %q: %w", username, mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return store.User{}, store.User{}, fmt.Errorf("update user %q: commit: %w", username, faultErr(err))
	}
	return before, after, nil
}
