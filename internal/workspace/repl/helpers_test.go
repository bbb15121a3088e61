package repl

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/sandbox"
)

func TestMain(m *testing.M) {
	sandbox.MaybeRunInit()
	os.Exit(m.Run())
}

var probeOnce = sync.OnceValue(sandbox.Probe)

// needSandbox skips the test where sandboxes cannot run (not root, no
// namespaces), except under CI=true, where that is a failure.
func needSandbox(t testing.TB) {
	t.Helper()
	r := probeOnce()
	if r.Level == sandbox.None {
		msg := "sandboxes are not available here: missing " + strings.Join(r.Missing(), ", ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

const testUID = 203001

// testConfig is a REPL configuration for a fresh student home with the
// given files in it.
func testConfig(t testing.TB, files map[string]string) Config {
	t.Helper()
	home := filepath.Join(t.TempDir(), "homes", "alice")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(home, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Config{Spec: sandbox.Spec{
		Username: "alice", UID: testUID, GID: testUID, Home: home,
		Cols: 100, Rows: 30, Limits: sandbox.DefaultLimits(),
	}}
}

// started returns a started REPL, closed at the end of the test, once its
// prompt shows.
func started(t testing.TB, cfg Config) *REPL {
	t.Helper()
	r := New(cfg)
	t.Cleanup(func() { r.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, r, ">>>")
	return r
}

// text is the REPL's screen as plain text at the pty's size, without
// trailing blanks.
func text(r *REPL) string {
	cols, rows := r.Size()
	lines := r.RenderPlain(cols, rows).Lines
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// containsInOrder reports whether s contains each of parts, each after the
// previous one.
func containsInOrder(s string, parts ...string) bool {
	for _, p := range parts {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

const waitTimeout = 20 * time.Second

// waitScreen waits until the screen shows parts in order, the last one
// after the last occurrence of the one before it... simply: in order.
func waitScreen(t testing.TB, r *REPL, parts ...string) {
	t.Helper()
	waitFor(t, r, fmt.Sprintf("the screen to show %q", parts), waitTimeout, func() bool {
		return containsInOrder(text(r), parts...)
	})
}

// waitPrompt waits until the screen ends with the >>> prompt after the
// last occurrence of after.
func waitPrompt(t testing.TB, r *REPL, after string) {
	t.Helper()
	waitFor(t, r, fmt.Sprintf("a >>> prompt after %q", after), waitTimeout, func() bool {
		s := text(r)
		i := strings.LastIndex(s, after)
		return i >= 0 && strings.HasSuffix(s[i:], ">>>")
	})
}

// waitFor waits until cond holds, re-checking whenever the REPL changes
// (and every 50 ms, for conditions on anything else).
func waitFor(t testing.TB, r *REPL, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	ch, cancel := r.Subscribe()
	defer cancel()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ch:
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s; state %+v; screen:\n%s", timeout, what, r.State(), text(r))
		}
	}
}

func typeIn(t testing.TB, r *REPL, s string) {
	t.Helper()
	if _, err := r.Write([]byte(s)); err != nil {
		t.Fatalf("typing %q: %v", s, err)
	}
}

func waitState(t testing.TB, r *REPL, want Status) State {
	t.Helper()
	waitFor(t, r, "state "+want.String(), waitTimeout, func() bool { return r.State().Status == want })
	return r.State()
}
