package repl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/sandbox"
)

func TestTypeAndPrint(t *testing.T) {
	needSandbox(t)
	cfg := testConfig(t, nil)
	r := New(cfg)
	defer r.Close()
	if st := r.State(); st.Status != NotStarted {
		t.Fatalf("a new REPL is %v", st.Status)
	}
	if _, err := r.Write([]byte("x")); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Write before Start: %v", err)
	}
	before := r.LastActive()
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	waitScreen(t, r, ">>>")
	if st := r.State(); st.Status != Running {
		t.Fatalf("state %+v", st)
	}
	typeIn(t, r, "x = 21\r")
	typeIn(t, r, "print(x*2)\r")
	waitScreen(t, r, ">>> x = 21\n>>> print(x*2)\n42\n>>>")
	if !r.LastActive().After(before) {
		t.Fatal("LastActive did not move")
	}
	if strings.Contains(text(r), "Python 3") {
		t.Fatalf("-q: no banner expected:\n%s", text(r))
	}

	// Keys as a view sends them.
	for _, k := range []tea.KeyPressMsg{
		{Code: 'x', Text: "x"}, {Code: '+', Text: "+"}, {Code: '1', Text: "1"},
		{Code: tea.KeyLeft}, {Code: tea.KeyBackspace}, {Code: '-', Text: "-"},
		{Code: tea.KeyEnter},
	} {
		if err := r.SendKey(k); err != nil {
			t.Fatal(err)
		}
	}
	waitScreen(t, r, ">>> x-1\n20\n>>>")
}

func TestRunFile(t *testing.T) {
	needSandbox(t)
	cfg := testConfig(t, map[string]string{
		"prog.py": "x = 21\nprint('hello from prog')\nname = input('name? ')\nprint('hi', name)\n",
		"boom.py": "y = 7\nprint('before')\n1/0\nprint('after')\n",
	})
	r := New(cfg)
	defer r.Close()
	ctx := context.Background()

	// Run starts the REPL when it is not running yet.
	if err := r.Run(ctx, "prog.py"); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, r, "=== RESTART: prog.py ===", "hello from prog", "name?")
	if st := r.State(); st.Status != Running || st.File != "prog.py" {
		t.Fatalf("state %+v", st)
	}
	typeIn(t, r, "Ada\r")
	waitScreen(t, r, "name? Ada\nhi Ada\n>>>")
	typeIn(t, r, "print(x*2, name)\r")
	waitScreen(t, r, "42 Ada\n>>>")

	// An exception: the traceback, then the prompt, with what ran before.
	if err := r.Run(ctx, "./boom.py"); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, r, "=== RESTART: boom.py ===", "before", "Traceback (most recent call last):", `File "/home/alice/boom.py", line 3`, "ZeroDivisionError: division by zero", ">>>")
	if strings.Contains(text(r), "after") {
		t.Fatalf("the file went on after the exception:\n%s", text(r))
	}
	typeIn(t, r, "print(y*6)\r")
	waitScreen(t, r, "\n42\n>>>")
	typeIn(t, r, "print(x)\r") // the old run's variables are gone
	waitScreen(t, r, "NameError: name 'x' is not defined")

	for _, bad := range []string{"", "../bob/x.py", "/etc/passwd", "a/../../x.py", "a/../b.py", "x\x1b[2J.py", "."} {
		if err := r.Run(ctx, bad); err == nil {
			t.Errorf("Run(%q) succeeded", bad)
		}
	}
	if st := r.State(); st.Status != Running {
		t.Fatalf("a refused Run changed the state: %+v", st)
	}
}

func TestInterrupt(t *testing.T) {
	needSandbox(t)
	r := started(t, testConfig(t, nil))
	ctrlC := map[string]func() error{
		"typed":     func() error { _, err := r.Write([]byte{3}); return err },
		"key":       func() error { return r.SendKey(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}) },
		"Interrupt": r.Interrupt,
	}
	for i, how := range []string{"typed", "key", "Interrupt"} {
		typeIn(t, r, fmt.Sprintf("print('LOOP' + 'ING%d'); exec('while True: pass')\r", i))
		waitScreen(t, r, fmt.Sprintf("LOOPING%d", i))
		if err := ctrlC[how](); err != nil {
			t.Fatal(how, err)
		}
		waitPrompt(t, r, "KeyboardInterrupt")
		typeIn(t, r, fmt.Sprintf("print(6*7+%d)\r", i))
		waitScreen(t, r, fmt.Sprintf("\n%d\n>>>", 42+i))
	}
	if st := r.State(); st.Status != Running {
		t.Fatalf("state after interrupts: %+v", st)
	}
}

func TestExitAndRestart(t *testing.T) {
	needSandbox(t)
	r := started(t, testConfig(t, nil))
	typeIn(t, r, "x = 1\r")
	// At the prompt, as a person would: a ctrl+d typed while Python runs
	// the line (its terminal between readline's calls, in canonical mode)
	// can be swallowed by the kernel's line discipline.
	waitPrompt(t, r, "x = 1")
	typeIn(t, r, "\x04") // ctrl+d at the prompt
	st := waitState(t, r, Exited)
	if st.ExitCode != 0 || st.OOMKilled {
		t.Fatalf("after ctrl+d: %+v", st)
	}
	if _, err := r.Write([]byte("x")); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Write after exit: %v", err)
	}
	if err := r.Interrupt(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Interrupt after exit: %v", err)
	}
	// Start does not restart an exited REPL: the view says what happened.
	if err := r.Start(context.Background()); err != nil || r.State().Status != Exited {
		t.Fatalf("Start after exit: %v, %+v", err, r.State())
	}

	if err := r.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, r, "=== RESTART: Shell ===", ">>>")
	typeIn(t, r, "print(x)\r")
	waitScreen(t, r, "=== RESTART: Shell ===", "NameError", ">>>")

	typeIn(t, r, "import sys; sys.exit(3)\r")
	if st := waitState(t, r, Exited); st.ExitCode != 3 {
		t.Fatalf("after sys.exit(3): %+v", st)
	}

	// A stuck REPL restarts too.
	if err := r.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitPrompt(t, r, "=== RESTART: Shell ===")
	typeIn(t, r, "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); print('STU' + 'CK'); exec('while True: pass')\r")
	waitScreen(t, r, "STUCK")
	if err := r.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, r, "STUCK", "=== RESTART: Shell ===", ">>>")
	typeIn(t, r, "print(1+1)\r")
	waitScreen(t, r, "STUCK", "=== RESTART: Shell ===", "\n2\n>>>")
}

func TestResizeFollowsView(t *testing.T) {
	needSandbox(t)
	r := started(t, testConfig(t, nil))
	r.Resize(90, 20)
	if c, rows := r.Size(); c != 90 || rows != 20 {
		t.Fatalf("Size = %d×%d", c, rows)
	}
	typeIn(t, r, "import shutil; print(tuple(shutil.get_terminal_size()))\r")
	waitScreen(t, r, "(90, 20)\n>>>")
	r.Resize(0, 0) // ignored, as a broken client's 0x0
	r.Resize(100000, 100000)
	if c, rows := r.Size(); c != maxCols || rows != maxRows {
		t.Fatalf("Size after a huge resize = %d×%d", c, rows)
	}
	r.Resize(60, 15)
	typeIn(t, r, "print(tuple(shutil.get_terminal_size()))\r")
	waitScreen(t, r, "(60, 15)\n>>>")
}

// TestRenderViewSizes draws the REPL for views smaller and larger than the
// pty: never more than w×h, the cursor's line always visible.
func TestRenderViewSizes(t *testing.T) {
	needSandbox(t)
	r := started(t, testConfig(t, nil))
	typeIn(t, r, "for i in range(40): print('line', i, '\\x1b[1;31mred\\x1b[0m' * 3)\r\r")
	waitScreen(t, r, "line 39", ">>>")
	typeIn(t, r, "abc")
	waitScreen(t, r, ">>> abc")
	for _, sz := range [][2]int{{30, 5}, {100, 30}, {150, 45}, {1, 1}, {20, 50}} {
		w, h := sz[0], sz[1]
		for _, s := range []Screen{r.Render(w, h), r.RenderPlain(w, h)} {
			checkScreen(t, s, w, h)
			if s.CursorY < 0 || s.CursorY >= h || s.CursorVisible != (s.CursorX < w) {
				t.Fatalf("%dx%d: cursor at %d,%d, visible %v", w, h, s.CursorX, s.CursorY, s.CursorVisible)
			}
			if w >= 8 && !strings.HasPrefix(ansi.Strip(s.Lines[s.CursorY]), ">>> abc") {
				t.Fatalf("%dx%d: the cursor's line is %q", w, h, s.Lines[s.CursorY])
			}
		}
	}
	if s := r.Render(100, 30); !strings.Contains(strings.Join(s.Lines, ""), "\x1b[") {
		t.Fatal("Render has no styles")
	}
	if s := r.RenderPlain(100, 30); strings.Contains(strings.Join(s.Lines, ""), "\x1b") {
		t.Fatal("RenderPlain has escapes")
	}
}

func checkScreen(t *testing.T, s Screen, w, h int) {
	t.Helper()
	if len(s.Lines) != h {
		t.Fatalf("%dx%d: %d lines", w, h, len(s.Lines))
	}
	for i, l := range s.Lines {
		if n := ansi.StringWidth(l); n != w {
			t.Fatalf("%dx%d: line %d is %d cells wide: %q", w, h, i, n, l)
		}
		if strings.Contains(l, "\n") {
			t.Fatalf("%dx%d: line %d has a newline", w, h, i)
		}
	}
	if s.CursorVisible && (s.CursorX < 0 || s.CursorX >= w || s.CursorY < 0 || s.CursorY >= h) {
		t.Fatalf("%dx%d: cursor at %d,%d", w, h, s.CursorX, s.CursorY)
	}
}

// TestOutputFlood prints 100 MB (10 MB under the race detector) as fast as
// Python can (no output throttle, no emulator CPU budget): the Go heap stays
// bounded and ctrl+c still stops it.
func TestOutputFlood(t *testing.T) {
	needSandbox(t)
	if testing.Short() {
		t.Skip("-short")
	}
	cfg := testConfig(t, nil)
	def := sandbox.DefaultLimits()
	// The default limits without the output throttle.
	cfg.Spec.Limits = sandbox.Limits{MemoryBytes: def.MemoryBytes, Pids: def.Pids, CPUPercent: def.CPUPercent,
		FileSizeBytes: def.FileSizeBytes, OpenFiles: def.OpenFiles, TmpBytes: def.TmpBytes}
	cfg.EmulatorCPU = 1 // as fast as the emulator goes
	r := started(t, cfg)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc

	total := int64(100 << 20)
	if raceEnabled {
		total = 10 << 20
	}
	start, from := time.Now(), r.outBytes.Load()
	typeIn(t, r, "while True: print('x' * 1000)\r\r")
	var peak uint64
	sample := time.NewTicker(20 * time.Millisecond) // sampling the heap, not synchronising
	defer sample.Stop()
	deadline := time.After(5 * time.Minute)
	for r.outBytes.Load()-from < total {
		select {
		case <-sample.C:
		case <-deadline:
			t.Fatalf("only %d bytes after %v", r.outBytes.Load()-from, time.Since(start))
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	elapsed := time.Since(start)
	typeIn(t, r, "\x03")
	waitPrompt(t, r, "KeyboardInterrupt")
	typeIn(t, r, "print(6*7)\r")
	waitScreen(t, r, "\n42\n>>>")
	growth := int64(peak) - int64(base)
	t.Logf("%d MB in %v (%.1f MB/s); heap %d MB before, peak %d MB (+%d MB); fast path taken %d times",
		total>>20, elapsed.Round(time.Millisecond), float64(total)/(1<<20)/elapsed.Seconds(), base>>20, peak>>20, growth>>20, r.term.fastRuns)
	if growth > 100<<20 {
		t.Fatalf("the heap grew by %d MB while printing %d MB", growth>>20, total>>20)
	}
}

// TestThrottledFloodInterrupt: with the default limits (output throttled),
// ctrl+c still stops a flood at once.
func TestThrottledFloodInterrupt(t *testing.T) {
	needSandbox(t)
	r := started(t, testConfig(t, nil))
	from := r.outBytes.Load()
	typeIn(t, r, "while True: print('y' * 1000)\r\r")
	// Enough to be past any buffer, flooding at the throttled rate; not so
	// much that the race detector's slow emulator (a quarter core) needs
	// longer than the deadline to digest it.
	waitFor(t, r, "512 KiB of output", waitTimeout, func() bool { return r.outBytes.Load()-from > 512<<10 })
	typeIn(t, r, "\x03")
	waitPrompt(t, r, "KeyboardInterrupt")
}

func TestSubscribe(t *testing.T) {
	needSandbox(t)
	r := started(t, testConfig(t, nil))
	ch, cancel := r.Subscribe()
	ch2, cancel2 := r.Subscribe()
	defer cancel2()
	v := r.Version()
	typeIn(t, r, "print('ping')\r")
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatal("no change notification")
	}
	if r.Version() == v {
		t.Fatal("version did not move")
	}
	cancel()
	cancel()
	if _, ok := <-drain(ch); ok {
		t.Fatal("channel open after cancel")
	}
	r.Close()
	if _, ok := <-drain(ch2); ok {
		t.Fatal("channel open after Close")
	}
	if st := r.State(); st.Status != Closed {
		t.Fatalf("state after Close: %+v", st)
	}
	if err := r.Start(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
	if _, err := r.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
}

// TestWatch: a watcher's function is called on output and once more on
// Close, and never after its cancel or after Close.
func TestWatch(t *testing.T) {
	needSandbox(t)
	r := started(t, testConfig(t, nil))
	calls := make(chan struct{}, 1024)
	f := func() { calls <- struct{}{} }
	cancel := r.Watch(f)
	var gone atomic.Int32
	cancelGone := r.Watch(func() { gone.Add(1) })
	cancelGone()
	typeIn(t, r, "print('ping')\r")
	select {
	case <-calls:
	case <-time.After(waitTimeout):
		t.Fatal("the watcher was not called on output")
	}
	for len(calls) > 0 {
		<-calls
	}
	r.Close()
	n := len(calls)
	if n == 0 {
		t.Fatal("Close did not call the watcher (a woken view would never see the REPL end)")
	}
	cancel() // after Close: harmless
	r.Resize(100, 30)
	if len(calls) != n {
		t.Fatal("the watcher was called after Close")
	}
	if gone.Load() != 0 {
		t.Fatalf("a cancelled watcher was called %d times", gone.Load())
	}
	closedCalled := false
	r.Watch(func() { closedCalled = true })()
	if !closedCalled {
		t.Fatal("Watch on a closed REPL did not call f at once (the view would wait forever)")
	}
}

// drain returns ch after emptying what it holds, so that the next receive
// tells whether it is closed.
func drain(ch <-chan struct{}) <-chan struct{} {
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return ch
			}
		default:
			return ch
		}
	}
}

// TestCloseLeavesNothing: after Close no goroutine, process or pty remains.
func TestCloseLeavesNothing(t *testing.T) {
	needSandbox(t)
	// Let goroutines of earlier tests finish.
	runtime.GC()
	before := runtime.NumGoroutine()
	fdsBefore := openFDs(t)
	var pids []int
	for i := range 3 {
		cfg := testConfig(t, map[string]string{"loop.py": "print('LOOP' + 'ING')\nwhile True: pass\n"})
		r := New(cfg)
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitScreen(t, r, ">>>")
		pids = append(pids, r.cur.proc.Pid())
		if i > 0 {
			if err := r.Run(context.Background(), "loop.py"); err != nil {
				t.Fatal(err)
			}
			waitScreen(t, r, "LOOPING")
			pids = append(pids, r.cur.proc.Pid())
		}
		ch, _ := r.Subscribe()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if _, ok := <-drain(ch); ok {
			t.Fatal("subscriber not closed")
		}
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("sandbox pid %d still exists after Close (kill 0: %v)", pid, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before || openFDs(t) > fdsBefore {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines (before: %d), %d fds (before: %d) after Close:\n%s",
				runtime.NumGoroutine(), before, openFDs(t), fdsBefore, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond) // polling a count that has no notification
	}
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestStartFailure(t *testing.T) {
	needSandbox(t)
	cfg := testConfig(t, nil)
	cfg.Python = "/nonexistent/python3"
	r := New(cfg)
	defer r.Close()
	err := r.Start(context.Background())
	// The sandbox starts its init and then fails to exec: either Start
	// fails, or Python "exits" at once.
	if err != nil {
		if st := r.State(); st.Status != Failed || st.Err == nil {
			t.Fatalf("after a failed start: %+v", st)
		}
		return
	}
	st := waitState(t, r, Exited)
	if st.ExitCode == 0 {
		t.Fatalf("a missing python exited 0: %+v", st)
	}
}

// A start belongs to the REPL, not to the connection that asked for it:
// the view that pressed F4 hanging up (its context cancelled at once) gets
// its context's error, but Python still starts for the others, and no
// later start fails with "context canceled" (#13: seen on the next login
// of the same students).
func TestStartOutlivesTheCallerThatAskedForIt(t *testing.T) {
	needSandbox(t)
	r := New(testConfig(t, nil))
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Start(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with a cancelled context: %v, want the context's error", err)
	}
	if st := r.State(); st.Status != Starting && st.Status != Running {
		t.Fatalf("after the caller left, state %+v, want the start going on", st)
	}
	// Another view waits for the same start, and gets its result.
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := r.State(); st.Status != Running {
		t.Fatalf("state %+v, want running", st)
	}
	waitScreen(t, r, ">>>")
	typeIn(t, r, "print(2**5)\r")
	waitScreen(t, r, "\n32\n>>>")
}

// Keys typed while Python starts reach it once it reads, in order, and
// are echoed once (#13: they were dropped: "Starting Python…", then >>>
// with nothing of what was typed).
func TestKeysTypedWhilePythonStartsAreKept(t *testing.T) {
	needSandbox(t)
	r := New(testConfig(t, map[string]string{"ask.py": "name = input('name? ')\nprint('hi', name)\n"}))
	defer r.Close()
	done := make(chan error, 1)
	go func() { done <- r.Start(context.Background()) }()
	waitFor(t, r, "the start to begin", waitTimeout, func() bool { return r.State().Status != NotStarted })
	typeIn(t, r, "print(6*")
	typeIn(t, r, "7)\r")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitScreen(t, r, ">>> print(6*7)", "\n42\n>>>")
	if got := strings.Count(text(r), "print(6*7)"); got != 1 {
		t.Errorf("the typed line shows %d times, want once:\n%s", got, text(r))
	}

	// The same for a run (F5): keys typed before the program's input()
	// answers it.
	go func() { done <- r.Run(context.Background(), "ask.py") }()
	waitFor(t, r, "the run to begin", waitTimeout, func() bool { return r.State().Status == Restarting })
	typeIn(t, r, "Ada\r")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitScreen(t, r, "=== RESTART: ask.py ===", "name? Ada", "hi Ada", ">>>")
}

// The prompt marks tell what Python does: ready at the prompt, waiting
// while input() reads, working while a line runs (#13: the pane said
// "running demo.py" long after it ended).
func TestActivityFollowsThePromptMarks(t *testing.T) {
	needSandbox(t)
	r := New(testConfig(t, map[string]string{"ask.py": "print('start')\nname = input('name? ')\n"}))
	defer r.Close()
	if err := r.Run(context.Background(), "ask.py"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, r, "input() to wait", waitTimeout, func() bool { return r.State().Activity == Reading })
	typeIn(t, r, "Ada\r")
	waitFor(t, r, "the prompt", waitTimeout, func() bool { return r.State().Activity == Ready })
	if st := r.State(); st.File != "ask.py" || st.Status != Running {
		t.Fatalf("state %+v", st)
	}
	typeIn(t, r, "import time; time.sleep(30)\r")
	if a := r.State().Activity; a != Working {
		t.Fatalf("activity %v after a line was sent, want Working", a)
	}
	if err := r.Interrupt(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, r, "the prompt after ctrl+c", waitTimeout, func() bool { return r.State().Activity == Ready })
}

// Starts wait their turn in a StartQueue and say how many are ahead.
func TestStartsQueueAndSayHowManyAreAhead(t *testing.T) {
	needSandbox(t)
	q := NewStartQueue(1)
	hold, err := q.acquire(context.Background(), func(int) {}) // the only slot, for now
	if err != nil {
		t.Fatal(err)
	}
	var rs []*REPL
	for range 3 {
		cfg := testConfig(t, nil)
		cfg.Starts = q
		r := New(cfg)
		defer r.Close()
		rs = append(rs, r)
	}
	errs := make(chan error, len(rs))
	for _, r := range rs {
		go func() { errs <- r.Start(context.Background()) }()
	}
	waitFor(t, rs[0], "three starts in line", waitTimeout, func() bool { return q.Waiting() == 3 })
	places := map[int]bool{}
	for _, r := range rs {
		waitFor(t, r, "its place", waitTimeout, func() bool { return r.State().Status == Starting })
		places[r.State().Ahead] = true
	}
	if !places[0] || !places[1] || !places[2] {
		t.Errorf("places in line %v, want 0, 1 and 2 ahead", places)
	}
	hold()
	for range rs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rs {
		if st := r.State(); st.Status != Running || st.Ahead != 0 {
			t.Errorf("state %+v, want running", st)
		}
	}
	if n := q.Waiting(); n != 0 {
		t.Errorf("%d starts still wait", n)
	}
}

// A run whose save fails leaves Python as it was, and the keys typed
// meanwhile go to it (they were held for the new one).
func TestRunWhoseSaveFailsKeepsPython(t *testing.T) {
	needSandbox(t)
	r := New(testConfig(t, map[string]string{"a.py": "print(1)\n"}))
	defer r.Close()
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, r, ">>>")
	release := make(chan struct{})
	wait := r.Launch(Request{File: "a.py", Before: func() error {
		<-release
		return errors.New("disk full")
	}})
	if st := r.State(); st.Status != Restarting {
		t.Fatalf("state %+v while the save runs, want restarting", st)
	}
	typeIn(t, r, "print(7*6)\r")
	close(release)
	if err := wait(context.Background()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("run whose save failed: %v", err)
	}
	if st := r.State(); st.Status != Running || st.File != "" {
		t.Fatalf("state %+v after the failed save, want the same Python running", st)
	}
	waitScreen(t, r, ">>> print(7*6)", "\n42\n>>>")
	if strings.Contains(text(r), "RESTART") {
		t.Errorf("a run whose save failed restarted Python:\n%s", text(r))
	}
}

// A start and a run asked for together (F5 on a pane that focusing would
// start) leave one Python, whichever runs first: with two, their input
// writers took turns at the keys ("name" reached Python as "nm").
func TestStartAndRunTogetherLeaveOnePython(t *testing.T) {
	needSandbox(t)
	for range 3 {
		r := New(testConfig(t, map[string]string{"a.py": "x = 5\n"}))
		start := r.Launch(Request{})
		run := r.Launch(Request{File: "a.py"})
		if err := errors.Join(start(context.Background()), run(context.Background())); err != nil {
			t.Fatal(err)
		}
		waitScreen(t, r, "=== RESTART: a.py ===", ">>>")
		typeIn(t, r, "print('abcdefgh' * x)\r")
		waitScreen(t, r, "abcdefghabcdefghabcdefghabcdefghabcdefgh\n>>>")
		r.Close()
	}
}
