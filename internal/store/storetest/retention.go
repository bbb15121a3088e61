package storetest

import (
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// retentionTests cover store.Retention.
func retentionTests() []namedTest {
	return []namedTest{
		{"PruneAudit", testPruneAudit},
		{"PruneLoginFailures", testPruneLoginFailures},
	}
}

// testPruneAudit checks that only entries older than the cut are deleted,
// oldest first, at most limit per call, and that the rest read back whole.
func testPruneAudit(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	day := 24 * time.Hour
	// Five entries before the cut (out of order, to check "oldest first"),
	// one exactly at it and two after.
	ats := []time.Duration{-2 * day, -5 * day, -time.Microsecond, -4 * day, -3 * day, 0, time.Hour, 3 * day}
	for i, d := range ats {
		e := store.AuditEntry{At: t0.Add(d), Actor: "alice", Action: "login.password", Outcome: "ok", Detail: string(rune('a' + i))}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	remaining := func() []time.Time {
		t.Helper()
		got, err := s.ListAudit(ctx, store.AuditFilter{Limit: 100})
		if err != nil {
			t.Fatalf("ListAudit: %v", err)
		}
		var at []time.Time
		for _, e := range got {
			at = append(at, e.At)
		}
		return at
	}
	prune := func(limit, want int) {
		t.Helper()
		n, err := s.PruneAudit(ctx, t0.In(notUTC()), limit)
		if err != nil || n != want {
			t.Fatalf("PruneAudit(t0, %d) = %d, %v; want %d, nil", limit, n, err, want)
		}
	}
	prune(0, 0) // a zero limit deletes nothing
	if got := remaining(); len(got) != len(ats) {
		t.Fatalf("after PruneAudit with limit 0, %d entries remain, want %d", len(got), len(ats))
	}
	prune(2, 2) // the two oldest: -5 and -4 days
	got := remaining()
	if len(got) != 6 || !got[len(got)-1].Equal(t0.Add(-3*day)) {
		t.Fatalf("after pruning 2, entries at %v; want 6, the oldest at t0-3d (oldest go first)", got)
	}
	prune(100, 3) // -3d, -2d and one microsecond before the cut
	prune(100, 0) // nothing older is left: a repeat is a no-op
	got = remaining()
	want := []time.Time{t0.Add(3 * day), t0.Add(time.Hour), t0}
	if len(got) != len(want) {
		t.Fatalf("after pruning, entries at %v; want %v (the one at the cut itself is kept)", got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Fatalf("after pruning, entries at %v; want %v", got, want)
		}
	}
}

// testPruneLoginFailures checks that counters whose last failure is older
// than the cut are deleted (at most limit per call) and the others kept
// with their counts, including one that started long ago but failed again
// recently.
func testPruneLoginFailures(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	day := 24 * time.Hour
	const window = 365 * 24 * time.Hour // long, so counts do not restart within the test
	rec := func(scope, key string, at time.Time) {
		t.Helper()
		if _, err := s.RecordLoginFailure(ctx, scope, key, at, window); err != nil {
			t.Fatalf("RecordLoginFailure(%s, %s): %v", scope, key, err)
		}
	}
	rec(store.ScopeIP, "192.0.2.1", t0.Add(-40*day))
	rec(store.ScopeIP, "192.0.2.2", t0.Add(-35*day))
	rec(store.ScopeUser, "alice", t0.Add(-31*day))
	rec(store.ScopeUser, "bob", t0.Add(-60*day)) // old, then again recently: kept
	rec(store.ScopeUser, "bob", t0.Add(time.Hour))
	rec(store.ScopeUser, "carol", t0) // at the cut: kept

	n, err := s.PruneLoginFailures(ctx, t0, 2)
	if err != nil || n != 2 {
		t.Fatalf("PruneLoginFailures(t0, 2) = %d, %v; want 2, nil", n, err)
	}
	n, err = s.PruneLoginFailures(ctx, t0.In(notUTC()), 100)
	if err != nil || n != 1 {
		t.Fatalf("PruneLoginFailures(t0, 100) after 2 = %d, %v; want the third old counter, nil", n, err)
	}
	if n, err := s.PruneLoginFailures(ctx, t0, 100); err != nil || n != 0 {
		t.Fatalf("a repeated PruneLoginFailures = %d, %v; want 0, nil", n, err)
	}
	for _, c := range []struct {
		scope, key string
		count      int
	}{
		{store.ScopeIP, "192.0.2.1", 0}, {store.ScopeIP, "192.0.2.2", 0}, {store.ScopeUser, "alice", 0},
		{store.ScopeUser, "bob", 2}, {store.ScopeUser, "carol", 1},
	} {
		fc, err := s.LoginFailures(ctx, c.scope, c.key, t0.Add(2*time.Hour), window)
		if err != nil || fc.Count != c.count {
			t.Errorf("LoginFailures(%s, %s) after pruning = %+v, %v; want count %d", c.scope, c.key, fc, err, c.count)
		}
	}
}
