package config

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// TestRetentionFlags: serve has retention flags with the documented
// defaults, their --help says what 0 means, and nonsense is refused.
func TestRetentionFlags(t *testing.T) {
	var srv Server
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	srv.RegisterServerFlags(fs)
	if srv.AuditRetention() != 180*24*time.Hour || srv.LoginFailureRetention() != 30*24*time.Hour {
		t.Errorf("default retention = %s audit, %s login failures; want 180 and 30 days", srv.AuditRetention(), srv.LoginFailureRetention())
	}
	for _, name := range []string{"audit-retention-days", "login-failure-retention-days"} {
		f := fs.Lookup(name)
		if f == nil || !strings.Contains(f.Usage, "0 keeps them forever") || !strings.Contains(f.Usage, "CLASSROOMD_") {
			t.Fatalf("--%s missing or its help does not say what 0 means and its variable: %+v", name, f)
		}
	}
	if err := fs.Parse([]string{"--audit-retention-days", "0", "--login-failure-retention-days", "7"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Validate(); err != nil || srv.AuditRetention() != 0 || srv.LoginFailureRetention() != 7*24*time.Hour {
		t.Errorf("--audit-retention-days 0 --login-failure-retention-days 7: %v, %s, %s", err, srv.AuditRetention(), srv.LoginFailureRetention())
	}
	srv.AuditRetentionDays = -1
	if err := srv.Validate(); err == nil || !strings.Contains(err.Error(), "--audit-retention-days") {
		t.Errorf("a negative retention: %v, want a message naming the flag", err)
	}
	srv.AuditRetentionDays = 180
	srv.Throttle.Window = 10 * 24 * time.Hour
	if err := srv.Validate(); err == nil || !strings.Contains(err.Error(), "--login-failure-window") {
		t.Errorf("a retention shorter than the failure window: %v, want a message naming both flags", err)
	}
}
