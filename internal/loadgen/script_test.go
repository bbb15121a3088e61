package loadgen

import (
	"context"
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

// An actor against the fake workspace, with no pauses: the test is about
// which keys go out and what is timed, not about pace.
func newTestActor(term *Term) (*actor, *Recorder) {
	rec := NewRecorder()
	rec.Open(time.Now().Add(-time.Second))
	return &actor{term: term, rec: rec, pace: Pace{Timeout: 10 * time.Second, Jitter: 0.5}, rng: rand.New(rand.NewPCG(7, 7)), id: "t1s1"}, rec
}

func TestWorkspaceCycleKeys(t *testing.T) {
	term, fake := connect(t, "load001", nil)
	a, rec := newTestActor(term)
	ctx := context.Background()
	if err := a.await(ctx, "first frame", WorkspaceShown(fake.user)); err != nil {
		t.Fatal(err)
	}
	if err := a.startPython(ctx); err != nil {
		t.Fatalf("start Python: %v", err)
	}
	for range 2 {
		if err := a.workspaceCycle(ctx); err != nil {
			t.Fatalf("cycle %d: %v\n%s", a.cycle, err, term.Snapshot())
		}
	}

	cycle := func(n string) string {
		return `<F2><\^N>load_t1s1c` + n + `\.py<CR>` +
			`x = \d+<CR>y = \d+<CR>total = sum\(range\(x\)\) \+ y<CR>print\("M" \+ "t1s1c` + n + `", x \* y\)<CR>` +
			`<\^S><F5>("Q" \+ str\(\d+ \* \d+\)<CR>){2}`
	}
	want := regexp.MustCompile(`^<F4>` + cycle("1") + cycle("2") + `$`)
	if got := fake.typed(); !want.MatchString(got) {
		t.Errorf("the keys typed:\n%s\ndo not match\n%s", got, want)
	}

	stats, errs := rec.Summary()
	if len(errs) != 0 {
		t.Errorf("errors recorded: %v", errs)
	}
	// Every printable key typed into the editor and at Python's prompt is
	// an echo sample.
	editorKeys, pythonKeys := fake.printable()
	for m, n := range map[string]int{
		MeasureREPLStart: 1, MeasureNewFile: 2, MeasureSave: 2, MeasureRun: 2, MeasureEval: 4,
		MeasureEchoEditor: editorKeys, MeasureEchoREPL: pythonKeys,
	} {
		if stats[m].N != n {
			t.Errorf("%s: %d samples, want %d", m, stats[m].N, n)
		}
		if stats[m].Max <= 0 {
			t.Errorf("%s: the longest sample is %v, want a positive time", m, time.Duration(stats[m].Max))
		}
	}
}

func TestCPUCycleKeys(t *testing.T) {
	term, fake := connect(t, "load002", nil)
	a, rec := newTestActor(term)
	ctx := context.Background()
	if err := a.await(ctx, "first frame", WorkspaceShown(fake.user)); err != nil {
		t.Fatal(err)
	}
	if err := a.startPython(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.cpuCycle(ctx); err != nil {
		t.Fatalf("cpu cycle: %v\n%s", err, term.Snapshot())
	}
	if got, want := fake.typed(), "<F4>while True: pass<CR><CR><^C>"; got != want {
		t.Errorf("keys typed: %q, want %q", got, want)
	}
	if st, _ := rec.Summary(); st[MeasureInterrupt].N != 1 {
		t.Errorf("%d ctrl+c samples, want 1", st[MeasureInterrupt].N)
	}
}

// A student whose last session left unsaved changes in two files answers
// each question with d, and then sees the workspace.
func TestDiscardRecovered(t *testing.T) {
	term, fake := connect(t, "load003", func(f *fakeWorkspace) { f.focus, f.recover = "recover", []string{"a.py", "b.py"} })
	if _, err := term.WaitFor(context.Background(), 10*time.Second, LoggedIn("load003")); err != nil {
		t.Fatal(err)
	}
	a, _ := newTestActor(term)
	if err := a.discardRecovered(context.Background(), "load003"); err != nil {
		t.Fatalf("discard: %v\n%s", err, term.Snapshot())
	}
	if got := fake.typed(); got != "dd" {
		t.Errorf("keys typed: %q, want dd", got)
	}
}

// A workspace that outlived the last session has Python running, maybe with
// half a line typed: the pane is focused and the line cleared, untimed.
func TestStartPythonAlreadyRunning(t *testing.T) {
	term, fake := connect(t, "load007", func(f *fakeWorkspace) { f.pyStarted, f.pyInput = true, `"Q" + str(2` })
	if _, err := term.WaitFor(context.Background(), 10*time.Second, FilesFocused); err != nil {
		t.Fatal(err)
	}
	a, rec := newTestActor(term)
	if err := a.startPython(context.Background()); err != nil {
		t.Fatalf("start Python: %v\n%s", err, term.Snapshot())
	}
	if got := fake.typed(); got != "<F4><^C>" {
		t.Errorf("keys typed: %q, want F4 and ctrl+c", got)
	}
	if st, _ := rec.Summary(); st[MeasureREPLStart].N != 0 {
		t.Errorf("a running Python's focus was timed as its start")
	}
}

// The floor's cycle is an expression at the prompt, nothing else.
func TestREPLCycleKeys(t *testing.T) {
	term, fake := connect(t, "load004", func(f *fakeWorkspace) { f.focus, f.pyStarted = "python", true })
	a, rec := newTestActor(term)
	if err := a.replCycle(context.Background()); err != nil {
		t.Fatalf("repl cycle: %v\n%s", err, term.Snapshot())
	}
	if got := fake.typed(); !regexp.MustCompile(`^"Q" \+ str\(\d+ \* \d+\)<CR>$`).MatchString(got) {
		t.Errorf("keys typed: %q", got)
	}
	if st, _ := rec.Summary(); st[MeasureEval].N != 1 || st[MeasureEchoREPL].N != len(strings.TrimSuffix(fake.typed(), "<CR>")) {
		t.Errorf("samples: %+v", st)
	}
}

// A step whose condition shows before its key is a fault of the script, and
// says so rather than timing nothing.
func TestStepRefusesAConditionThatAlreadyHolds(t *testing.T) {
	term, fake := connect(t, "load005", nil)
	a, rec := newTestActor(term)
	if _, err := term.WaitFor(context.Background(), 10*time.Second, FilesFocused); err != nil {
		t.Fatal(err)
	}
	err := a.step(context.Background(), "file list", "x", KeyF2, FilesFocused)
	if err == nil || !strings.Contains(err.Error(), "script fault") {
		t.Errorf("step with a condition already true: %v, want a script fault", err)
	}
	if got := fake.typed(); got != "" {
		t.Errorf("the key was typed anyway: %q", got)
	}
	if st, _ := rec.Summary(); st["x"].N != 0 {
		t.Errorf("a sample was recorded: %+v", st["x"])
	}
}

// A screen that never comes is an error after the timeout, with the screen.
func TestStepTimesOut(t *testing.T) {
	term, _ := connect(t, "load006", nil)
	a, _ := newTestActor(term)
	a.pace.Timeout = 50 * time.Millisecond
	err := a.step(context.Background(), "save", MeasureSave, KeyCtrlS, Saved("never.py"))
	var se *StepError
	if !errors.As(err, &se) || se.Kind != "save" || !strings.Contains(se.Screen, "load006") {
		t.Fatalf("step that never shows: %v, want a save StepError with the screen", err)
	}
}

// A burst presses F4 and types at once; the expression's value showing is
// a success, timed, and a value that never shows (keys lost while Python
// started) is counted as lost keys.
func TestBurstCountsLostKeys(t *testing.T) {
	for _, lose := range []int{0, 3} {
		term, fake := connect(t, "load009", func(f *fakeWorkspace) { f.loseKeys = lose })
		if _, err := term.WaitFor(context.Background(), 10*time.Second, FilesFocused); err != nil {
			t.Fatal(err)
		}
		a, rec := newTestActor(term)
		a.pace.Timeout = 500 * time.Millisecond
		err := a.burst(context.Background(), false)
		if got := fake.typed(); !regexp.MustCompile(`^<F4>"Bt1s1" \+ str\(1000\)<CR>$`).MatchString(got) {
			t.Errorf("keys typed: %q", got)
		}
		st, _ := rec.Summary()
		var se *StepError
		switch {
		case lose == 0 && (err != nil || st[MeasureBurstResult].N != 1):
			t.Errorf("no key lost: %v, %d samples", err, st[MeasureBurstResult].N)
		case lose > 0 && (!errors.As(err, &se) || se.Kind != BurstLostKeys):
			t.Errorf("%d keys lost, yet the burst says %v", lose, err)
		}
	}
}
