package workspace

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

func TestMain(m *testing.M) {
	sandbox.MaybeRunInit() // the sandboxes of the REPLs these tests start
	os.Exit(m.Run())
}

// needSandbox skips the test where sandboxes cannot run (not root, no
// namespaces), except under CI=true, where that is a failure.
func needSandbox(t *testing.T) {
	t.Helper()
	if r := sandbox.Probe(); r.Level == sandbox.None {
		msg := "sandboxes are not available here: missing " + strings.Join(r.Missing(), ", ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// idleWorkspace is alice's workspace with a REPL that can run, idle after
// idle, on the clock now.
func idleWorkspace(t *testing.T, idle time.Duration, now func() time.Time) *Workspace {
	t.Helper()
	fx := newFixture(t)
	dir, err := files.EnsureHome(fx.homes, "alice", files.NoOwner)
	if err != nil {
		t.Fatal(err)
	}
	home, err := files.OpenHome(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := repl.New(repl.Config{Spec: sandbox.Spec{
		Username: "alice", UID: 203101, GID: 203101, Home: dir,
		Cols: 80, Rows: 24, Limits: sandbox.DefaultLimits(),
	}})
	w, err := New(Options{
		Username: "alice", Home: home, REPL: r, JournalDir: journalDir(fx.journals, "alice"),
		JournalEvery: time.Hour, IdleREPL: idle, now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func startREPL(t *testing.T, r *repl.REPL) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestIdleREPLIsStopped: with a short idle time, a REPL nobody uses is
// stopped by the workspace's own loop, with the reason for the student.
func TestIdleREPLIsStopped(t *testing.T) {
	needSandbox(t)
	const idle = 300 * time.Millisecond
	w := idleWorkspace(t, idle, nil)
	r := w.REPL()
	startREPL(t, r)
	waitUntil(t, "the idle REPL to be stopped", func() bool { return r.State().Status == repl.Stopped })
	stopped := time.Now()
	st := r.State()
	if st.Reason != IdleReason(idle) || !strings.Contains(st.Reason, "300ms") {
		t.Fatalf("state %+v", st)
	}
	if d := stopped.Sub(r.LastActive()); d < idle {
		t.Fatalf("stopped %v after its last activity, before the idle time %v", d, idle)
	}
	// It starts again, and is stopped again once idle.
	if err := r.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the restarted REPL to be stopped", func() bool { return r.State().Status == repl.Stopped })
}

// TestIdleUsesActivity: on a fake clock, a REPL is stopped only once the
// idle time has passed since its last key or output.
func TestIdleUsesActivity(t *testing.T) {
	needSandbox(t)
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	w := idleWorkspace(t, 0, now) // the default: 30 minutes
	if w.idle != DefaultIdleREPL {
		t.Fatalf("default idle time %v", w.idle)
	}
	r := w.REPL()
	startREPL(t, r)
	offset.Store(int64(29 * time.Minute))
	w.stopIdleREPL()
	if st := r.State(); st.Status != repl.Running {
		t.Fatalf("stopped before the idle time: %+v", st)
	}
	offset.Store(int64(31 * time.Minute))
	w.stopIdleREPL()
	st := r.State()
	if st.Status != repl.Stopped || st.Reason != "Python was stopped after 30 minutes without use." {
		t.Fatalf("after 31 idle minutes: %+v", st)
	}
}

// TestIdleLeavesANotStartedREPL: a REPL that never started is not started,
// nor marked stopped, by the idle check; with a negative idle time nothing
// is ever stopped.
func TestIdleLeavesANotStartedREPL(t *testing.T) {
	future := func() time.Time { return time.Now().Add(24 * time.Hour) }
	w := idleWorkspace(t, time.Millisecond, future)
	w.stopIdleREPL()
	if st := w.REPL().State(); st.Status != repl.NotStarted {
		t.Fatalf("state %+v", st)
	}
	// Let the loop's own check run a few times, too.
	deadline := time.Now().Add(100 * time.Millisecond)
	for time.Now().Before(deadline) {
		if st := w.REPL().State(); st.Status != repl.NotStarted {
			t.Fatalf("state %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if w := idleWorkspace(t, -1, future); w.idle != 0 {
		t.Fatalf("a negative idle time gave %v", w.idle)
	}
}

func TestDurationWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute: "30 minutes", time.Minute: "1 minute", 2 * time.Hour: "2 hours",
		90 * time.Minute: "90 minutes", 90 * time.Second: "90 seconds", time.Second: "1 second",
		300 * time.Millisecond: "300ms",
	} {
		if got := durationWords(d); got != want {
			t.Errorf("durationWords(%v) = %q, want %q", d, got, want)
		}
	}
}
