package postgres

import (
	"context"
	"fmt"

	"github.com/classroomd/classroomd/internal/store"
)

// UpdateUser sets the non-nil fields of ch on username in one transaction
// (the row is locked FOR UPDATE, so the "before" it returns is what the
// update replaced) and returns the user before and after.
func (s *Store) UpdateUser(ctx context.Context, username string, ch store.UserUpdate) (before, after store.User, err error) {
	if ch.Role != nil && !ch.Role.Valid() {
		return store.User{}, store.User{}, fmt.Errorf("update user %q: unknown role %q", username, *ch.Role)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return store.User{}, store.User{}, fmt.Errorf("update user %q: %w", username, err)
	}
	defer tx.Rollback(ctx)
	before, err = scanUser(tx.QueryRow(ctx, "SELECT "+userColumns+" FROM users u WHERE u.username = $1 FOR UPDATE", username))
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
	after, err = scanUser(tx.QueryRow(ctx, `UPDATE users u SET
		full_name = coalesce($1, u.full_name),
		email     = coalesce($2, u.email),
		role      = coalesce($3, u.role)
		WHERE u.username = $4
		RETURNING `+userColumns, ch.FullName, ch.Email, role, username))
	if err != nil {
		return store.User{}, store.User{}, fmt.Errorf("update user %q: %w", username, mapErr(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return store.User{}, store.User{}, fmt.Errorf("update user %q: commit: %w", username, err)
	}
	return before, after, nil
}
