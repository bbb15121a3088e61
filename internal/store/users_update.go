package store

import "context"

// UserUpdate names the profile fields of a user to change; a nil field is
// left as it is. Values are validated by the caller (see internal/accounts);
// the store still refuses a role that is not Valid.
type UserUpdate struct {
	FullName *string
	Email    *string
	Role     *Role
}

// Empty reports whether u changes nothing.
func (u UserUpdate) Empty() bool { return u.FullName == nil && u.Email == nil && u.Role == nil }

// UserUpdater changes a user's profile (the console's "edit user"). It is part of Store.
type UserUpdater interface {
	// UpdateUser sets the non-nil fields of ch on username in one transaction
	// and returns the user as it was just before and as it is now, so that the
	// caller can say (and audit) exactly what changed even when two professors
	// edit at once. ErrNotFound if there is no such user. An empty ch changes
	// nothing and returns the user twice.
	UpdateUser(ctx context.Context, username string, ch UserUpdate) (before, after User, err error)
}
