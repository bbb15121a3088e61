package store

import (
	"context"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// UserSettings keeps a user's small preferences across connections: a name
// (chosen by the server's code, e.g. "figures.ssh") and a short value (the
// caller validates what it means, and must not trust what it reads back:
// a value may predate the code that reads it). It is part of Store.
type UserSettings interface {
	// UserSetting returns the value of the user's setting name, "" when it
	// was never set. ErrNotFound if the user does not exist.
	UserSetting(ctx context.Context, username, name string) (string, error)
	// SetUserSetting stores value as the user's setting name, replacing the
	// one there. ErrNotFound if the user does not exist; an error (and
	// nothing stored) if CheckSetting refuses name or value.
	SetUserSetting(ctx context.Context, username, name, value string) error
}

// The bounds of a setting: a name is an identifier of the code's, a value
// one short word or number (a few per user, so the table stays small).
const (
	MaxSettingName  = 64
	MaxSettingValue = 256
)

// CheckSetting returns an error unless name is 1 to MaxSettingName bytes of
// a-z, 0-9, '.', '_' and '-' starting with a letter, and value is at most
// MaxSettingValue bytes of UTF-8 with no control characters. Both backends
// call it before they write, so a value reads back as it was written.
func CheckSetting(name, value string) error {
	if name == "" || len(name) > MaxSettingName {
		return fmt.Errorf("setting name %.80q: want 1 to %d characters", name, MaxSettingName)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
		if !ok {
			return fmt.Errorf("setting name %.80q: want lower-case letters, digits, '.', '_' and '-', starting with a letter", name)
		}
	}
	if len(value) > MaxSettingValue {
		return fmt.Errorf("setting %s: the value is %d bytes, at most %d are kept", name, len(value), MaxSettingValue)
	}
	if !utf8.ValidString(value) {
		return fmt.Errorf("setting %s: the value is not UTF-8 text", name)
	}
	for _, r := range value {
		if unicode.IsControl(r) {
			return fmt.Errorf("setting %s: the value contains the control character %U", name, r)
		}
	}
	return nil
}
