package accounts

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/metrics"
)

// Every decided password login (SSH or web) is counted by outcome, with its
// latency; key logins are counted when the session starts.
func TestLoginsAreCountedByOutcome(t *testing.T) {
	svc, _, _ := newService(t, config.DefaultThrottle())
	reg := prometheus.NewRegistry()
	svc.metrics = metrics.New(reg)
	addUser(t, svc, "alice", "correct horse battery")
	addUser(t, svc, "bob", "tr0mbone-sunset-42")
	if err := svc.store.SetDisabled(context.Background(), "bob", true); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct{ user, pw string }{
		{"alice", "correct horse battery"},
		{"alice", "wrong"},
		{"nobody", "x"},
		{"bob", "tr0mbone-sunset-42"},
	} {
		if _, err := svc.LoginPassword(ctx, c.user, c.pw, "192.0.2.1:5000"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.LoginWeb(ctx, "alice", "correct horse battery", "192.0.2.1:5001"); err != nil {
		t.Fatal(err)
	}
	svc.RecordKeyLogin(ctx, "alice", "SHA256:test", "192.0.2.1:5002")

	want := `
# HELP classroomd_logins_total Completed login attempts by method (password, publickey) and outcome (ok, wrong_password, unknown_user, disabled, error, abandoned). Web logins are password logins.
# TYPE classroomd_logins_total counter
classroomd_logins_total{method="password",outcome="disabled"} 1
classroomd_logins_total{method="password",outcome="error"} 0
classroomd_logins_total{method="password",outcome="ok"} 2
classroomd_logins_total{method="password",outcome="unknown_user"} 1
classroomd_logins_total{method="password",outcome="wrong_password"} 1
classroomd_logins_total{method="publickey",outcome="ok"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "classroomd_logins_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "classroomd_login_duration_seconds"); err != nil || n != 1 {
		t.Errorf("login latency histogram: %d series, %v", n, err)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "classroomd_login_duration_seconds" {
			if got := mf.GetMetric()[0].GetHistogram().GetSampleCount(); got != 5 {
				t.Errorf("login latency observed %d logins, want the 5 password logins", got)
			}
		}
	}
}
