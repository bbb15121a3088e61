package retention

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/sqlite"
)

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "classroomd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// seed writes n audit entries a day apart ending at t0, and one old and one
// fresh login-failure counter.
func seed(t *testing.T, st store.Store, n int) {
	t.Helper()
	for i := range n {
		if err := st.AppendAudit(t.Context(), store.AuditEntry{At: t0.Add(-time.Duration(i) * 24 * time.Hour), Actor: "alice", Action: "login.password", Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		key string
		at  time.Time
	}{{"192.0.2.1", t0.Add(-45 * 24 * time.Hour)}, {"192.0.2.2", t0.Add(-time.Hour)}} {
		if _, err := st.RecordLoginFailure(t.Context(), store.ScopeIP, c.key, c.at, 15*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
}

func auditCount(t *testing.T, st store.Store) int {
	t.Helper()
	got, err := st.ListAudit(t.Context(), store.AuditFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return len(got)
}

// TestPruneDeletesOnlyWhatIsOld: with 180 and 30 days, 400 daily entries
// leave the 180 younger than the cut plus the one at it, in batches smaller
// than the work, and the 45-day-old counter goes while the fresh one stays.
func TestPruneDeletesOnlyWhatIsOld(t *testing.T) {
	st := openStore(t)
	seed(t, st, 400)
	p := &Pruner{Store: st, Audit: 180 * 24 * time.Hour, LoginFailures: 30 * 24 * time.Hour, Batch: 7, Now: func() time.Time { return t0 }}
	res, err := p.Prune(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Audit != 400-181 || res.LoginFailures != 1 {
		t.Errorf("Prune = %+v, want %d audit entries and 1 counter", res, 400-181)
	}
	if n := auditCount(t, st); n != 181 {
		t.Errorf("%d audit entries left, want 181 (days 0..180)", n)
	}
	fc, err := st.LoginFailures(t.Context(), store.ScopeIP, "192.0.2.2", t0, time.Hour)
	if err != nil || fc.Count != 1 {
		t.Errorf("the fresh counter after pruning: %+v, %v; want count 1", fc, err)
	}
	if res, err := p.Prune(t.Context()); err != nil || res != (Result{}) {
		t.Errorf("a second Prune = %+v, %v; want nothing deleted", res, err)
	}
}

// TestZeroKeepsForever: an age of 0 deletes nothing of that kind.
func TestZeroKeepsForever(t *testing.T) {
	st := openStore(t)
	seed(t, st, 50)
	p := &Pruner{Store: st, Audit: 0, LoginFailures: 0, Now: func() time.Time { return t0.Add(10 * 365 * 24 * time.Hour) }}
	if res, err := p.Prune(t.Context()); err != nil || res != (Result{}) {
		t.Errorf("Prune with both ages 0 = %+v, %v; want nothing deleted", res, err)
	}
	if n := auditCount(t, st); n != 50 {
		t.Errorf("%d audit entries left, want all 50", n)
	}
}

// failing is a store whose prunes fail.
type failing struct{ calls chan struct{} }

func (f failing) PruneAudit(context.Context, time.Time, int) (int, error) {
	f.calls <- struct{}{}
	return 0, errors.New("database is locked")
}
func (f failing) PruneLoginFailures(context.Context, time.Time, int) (int, error) { return 0, nil }

// TestRunPrunesAtStartAndStops: Run prunes as soon as it starts (not an hour
// later), keeps going after a failed prune, and returns once its context ends.
func TestRunPrunesAtStartAndStops(t *testing.T) {
	st := openStore(t)
	seed(t, st, 400)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	p := &Pruner{Store: st, Audit: 180 * 24 * time.Hour, LoginFailures: 30 * 24 * time.Hour, Every: time.Hour, Now: func() time.Time { return t0 }}
	go func() { defer close(done); p.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for auditCount(t, st) != 181 {
		if time.Now().After(deadline) {
			t.Fatalf("Run has not pruned at start within 10 s: %d entries", auditCount(t, st))
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of its context ending")
	}

	// A failing store: Run tries again at the next tick instead of giving up.
	f := failing{calls: make(chan struct{})}
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	done = make(chan struct{})
	p = &Pruner{Store: f, Audit: time.Hour, Every: time.Millisecond}
	go func() { defer close(done); p.Run(ctx) }()
	for i := range 3 {
		select {
		case <-f.calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("prune %d after a failure did not come within 10 s", i+1)
		}
	}
	cancel()
	// Unblock a prune that started just before the cancel.
	go func() {
		for range f.calls {
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of its context ending")
	}
	close(f.calls)
}
