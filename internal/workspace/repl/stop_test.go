package repl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStopAndRestart: Stop ends Python with a reason the student sees, the
// screen keeps what it showed, input is refused, and Restart starts a new one.
func TestStopAndRestart(t *testing.T) {
	needSandbox(t)
	r := New(testConfig(t, nil))
	defer r.Close()
	if err := r.Stop("idle"); err != nil { // not started: nothing to do
		t.Fatal(err)
	}
	if st := r.State(); st.Status != NotStarted {
		t.Fatalf("Stop before Start: %+v", st)
	}
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, r, ">>>")
	typeIn(t, r, "print('before' + 'stop')\r")
	waitPrompt(t, r, "beforestop")

	const reason = "stopped after 30 minutes without use; press Enter to start Python again"
	if err := r.Stop(reason); err != nil {
		t.Fatal(err)
	}
	st := r.State()
	if st.Status != Stopped || st.Reason != reason {
		t.Fatalf("after Stop: %+v", st)
	}
	if st.Status.String() != "stopped" {
		t.Fatalf("String: %q", st.Status.String())
	}
	// Stop returns once the process is gone: the supervisor did not turn
	// the state into Exited.
	if st := r.State(); st.Status != Stopped {
		t.Fatalf("after the process ended: %+v", st)
	}
	if !strings.Contains(text(r), "beforestop") {
		t.Fatalf("the screen was not kept:\n%s", text(r))
	}
	if _, err := r.Write([]byte("x")); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Write while stopped: %v", err)
	}
	if err := r.Stop("again"); err != nil { // already stopped: nothing to do
		t.Fatal(err)
	}
	if st := r.State(); st.Reason != reason {
		t.Fatalf("a second Stop changed the state: %+v", st)
	}
	if err := r.Start(ctx); err != nil { // Start does not restart
		t.Fatal(err)
	}
	if st := r.State(); st.Status != Stopped {
		t.Fatalf("Start restarted a stopped REPL: %+v", st)
	}

	if err := r.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	st = waitState(t, r, Running)
	if st.Reason != "" {
		t.Fatalf("the reason outlived the restart: %+v", st)
	}
	typeIn(t, r, "print(6*7)\r")
	waitScreen(t, r, "RESTART", "42")

	r.Close()
	if err := r.Stop("late"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Stop after Close: %v", err)
	}
}

// TestQuotaNotice: the REPL tells its views when the home goes over its
// quota, and Quota says by how much.
func TestQuotaNotice(t *testing.T) {
	needSandbox(t)
	cfg := testConfig(t, nil)
	cfg.Spec.QuotaBytes = 1 << 20
	cfg.Spec.QuotaCheckEvery = 20 * time.Millisecond
	r := New(cfg)
	defer r.Close()
	if u := r.Quota(); u.QuotaBytes != 0 || u.Over {
		t.Fatalf("before Start: %+v", u)
	}
	r = started(t, cfg)
	if u := r.Quota(); u.Over || u.QuotaBytes != 1<<20 {
		t.Fatalf("fresh home: %+v", u)
	}
	// Written from outside (as a big upload would): the sandbox finds it
	// at its next measurement.
	big := filepath.Join(cfg.Spec.Home, "big.bin")
	if err := os.WriteFile(big, make([]byte, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(big, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(strings.Repeat("x", 2<<20))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	waitFor(t, r, "the REPL to report the home over quota", waitTimeout, func() bool { return r.Quota().Over })
	if u := r.Quota(); u.Bytes < 2<<20 || u.QuotaBytes != 1<<20 {
		t.Fatalf("over quota: %+v", u)
	}
	// The notice reaches subscribers: deleting the file brings a change.
	ch, cancel := r.Subscribe()
	defer cancel()
	if err := os.Remove(big); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(waitTimeout)
	for r.Quota().Over {
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("the home stayed over quota: %+v", r.Quota())
		}
	}
	// Stopped, the last measurement stays.
	if err := r.Stop("test"); err != nil {
		t.Fatal(err)
	}
	if u := r.Quota(); u.QuotaBytes != 1<<20 || u.Over {
		t.Fatalf("after Stop: %+v", u)
	}
}
