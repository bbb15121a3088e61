package accounts

import "context"

// Setting returns the value of username's setting name, "" when unset (see
// store.UserSettings: the caller checks what the value means).
func (s *Service) Setting(ctx context.Context, username, name string) (string, error) {
	return s.store.UserSetting(ctx, username, name)
}

// SetSetting stores value as username's setting name. A name or value out of
// store.CheckSetting's bounds is refused before the store is asked.
func (s *Service) SetSetting(ctx context.Context, username, name, value string) error {
	return s.store.SetUserSetting(ctx, username, name, value)
}
