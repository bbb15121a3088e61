package sshd

import (
	"context"
	"log/slog"

	"github.com/classroomd/classroomd/internal/accounts"
)

// userSettings is tui.Settings for one logged-in user: their own settings
// and no one else's. A failure is logged here, with the store's words; the
// view tells the student only that the choice was not kept.
type userSettings struct {
	acc  *accounts.Service
	user string
	log  *slog.Logger
}

func (u userSettings) Setting(ctx context.Context, name string) (string, error) {
	v, err := u.acc.Setting(ctx, u.user, name)
	if err != nil {
		u.log.Warn("read a user's setting", "user", u.user, "setting", name, "err", err)
	}
	return v, err
}

func (u userSettings) SetSetting(ctx context.Context, name, value string) error {
	err := u.acc.SetSetting(ctx, u.user, name, value)
	if err != nil {
		u.log.Warn("store a user's setting", "user", u.user, "setting", name, "err", err)
	}
	return err
}
