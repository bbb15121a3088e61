package main

import (
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/postgres"
	"github.com/classroomd/classroomd/internal/store/sqlite"
)

// openBackendStore opens the store a backend's server uses, as the CLI does.
func openBackendStore(t *testing.T, b backend) store.Store {
	t.Helper()
	var (
		st  store.Store
		err error
	)
	if b.dbURL != "" {
		st, err = postgres.Open(t.Context(), b.dbURL)
	} else {
		st, err = sqlite.Open(t.Context(), (&config.Store{DataDir: b.dataDir}).SQLitePath())
	}
	if err != nil {
		t.Fatalf("open the server's store: %v", err)
	}
	return st
}

// expired is what seedExpired wrote behind a stopped server's back.
type expired struct{ detail, ip string }

// seedExpired writes an audit entry 400 days old and a login-failure counter
// 60 days old (past serve's defaults of 180 and 30 days) while the server is
// stopped (#16 case 7).
func seedExpired(t *testing.T, b backend) expired {
	t.Helper()
	st := openBackendStore(t, b)
	defer st.Close()
	e := expired{detail: "retention e2e: written 400 days ago", ip: "198.51.100.77"}
	now := time.Now()
	if err := st.AppendAudit(t.Context(), store.AuditEntry{At: now.Add(-400 * 24 * time.Hour), Actor: "ghost",
		Action: "login.password", Remote: e.ip, Outcome: "denied", Detail: e.detail}); err != nil {
		t.Fatalf("seed an old audit entry: %v", err)
	}
	if _, err := st.RecordLoginFailure(t.Context(), store.ScopeIP, e.ip, now.Add(-60*24*time.Hour), time.Minute); err != nil {
		t.Fatalf("seed an old login failure: %v", err)
	}
	return e
}

// checkPruned: a (re)started server deletes the expired records by itself,
// without waiting an hour, and keeps the audit log of this run.
func (s *scenario) checkPruned(t *testing.T, e expired) {
	t.Helper()
	st := openBackendStore(t, s.b)
	defer st.Close()
	const year = 365 * 24 * time.Hour
	gone := func() bool {
		fc, err := st.LoginFailures(t.Context(), store.ScopeIP, e.ip, time.Now(), year)
		if err != nil || fc.Count != 0 {
			return false
		}
		for _, a := range s.h.audit(t, s.b, "--user", "ghost", "--limit", "100") {
			if a.Detail == e.detail {
				return false
			}
		}
		return true
	}
	if !waitFor(30*time.Second, s.srv.done, gone) {
		t.Errorf("30 s after a restart, the 400-day-old audit entry or the 60-day-old login failure of %s is still stored (serve's retention is 180/30 days)", e.ip)
	}
	// The pruner logs after its last DELETE: the rows can be seen gone
	// just before the line is written.
	if !waitFor(screenDeadline, s.srv.done, func() bool { return strings.Contains(s.srv.stderr.String(), "retention: pruned") }) {
		t.Errorf("the server's log does not say what retention pruned")
	}
	if len(s.h.audit(t, s.b, "--user", "alice", "--limit", "5")) == 0 {
		t.Errorf("pruning deleted this run's audit entries for alice too")
	}
}
