// Package repl is one student's live Python REPL: a python3 -i process in
// the student's sandbox, on a pty, whose output feeds a terminal emulator.
//
// A REPL belongs to the student's workspace, not to a connection: it
// outlives any one view, and any number of views draw it, each at its own
// size (Render). The pty has one size, which follows the most recently
// active view (the caller calls Resize when a view becomes active or changes
// size), as tmux's "window-size latest" does. Only the focused view sends
// input (SendKey, Write).
//
// Nothing starts until it is needed: New allocates nothing heavy; Start (or
// Run, or Restart) creates the emulator and starts Python. Close ends the
// process and every goroutine.
//
// Goroutines, per REPL: one reads the emulator's reply stream (keys and
// answers to the program's queries) into the input queue; per Python
// process: one copies pty output into the emulator, one writes the input
// queue to the pty, one waits for the process to end. All end by Close.
package repl

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/classroomd/classroomd/internal/metrics"
	"github.com/classroomd/classroomd/internal/sandbox"
)

// Config says whose REPL it is and how to run it.
type Config struct {
	// Spec is the student's sandbox: Username, UID, GID, Home, CourseDir,
	// Limits (and extra Env). Its Command, Rows, Cols and pipes are set by
	// the REPL.
	Spec sandbox.Spec
	// Python is the interpreter, inside the sandbox ("" = sandbox.DefaultPython).
	Python string
	// Scrollback is the number of lines kept above the screen
	// (0 = DefaultScrollback; at most 10000).
	Scrollback int
	// EmulatorCPU is the share of one core the terminal emulator may spend
	// on this REPL's output, on average (0 = DefaultEmulatorCPU; 1 or more
	// = no limit). The emulator digests only a few MB/s per core (less for
	// short lines): a student printing in a tight loop would otherwise take
	// a core of the server. Over the budget, the REPL reads Python's output
	// more slowly, and Python waits in print().
	EmulatorCPU float64
	// Log receives what goes wrong inside (an emulator panic, dropped
	// input). nil discards.
	Log *slog.Logger
	// Metrics count Python starts, and programs the server or a limit
	// ended; nil records nothing.
	Metrics *metrics.Metrics
	// Starts bounds the Pythons starting at once, shared by every
	// workspace's REPL (nil: no bound).
	Starts *StartQueue
	// CPU lowers the CPU weight of a Python that keeps a core busy, shared
	// by every workspace's REPL (nil: none; see sandbox.CPUGovernor).
	CPU *sandbox.CPUGovernor
}

// DefaultEmulatorCPU is Config.EmulatorCPU's default: a quarter of a core.
const DefaultEmulatorCPU = 0.25

// Status is where a REPL is in its life.
type Status int

const (
	// NotStarted: Python has not been started yet.
	NotStarted Status = iota
	// Starting: the first Python process is starting.
	Starting
	// Running: Python runs and takes input.
	Running
	// Restarting: a new Python process replaces the old one (Run, Restart).
	Restarting
	// Exited: Python ended (ctrl+d, exit(), a crash, the memory limit);
	// State.ExitCode says how. Restart starts a new one.
	Exited
	// Failed: Python could not be started; State.Err says why.
	Failed
	// Stopped: the server stopped Python (Stop: it was idle too long);
	// State.Reason says why, in words for the student. The screen keeps
	// what it showed last, and Restart starts a new one.
	Stopped
	// Closed: the REPL was closed and can no longer be used.
	Closed
)

func (s Status) String() string {
	switch s {
	case NotStarted:
		return "not started"
	case Starting:
		return "starting"
	case Running:
		return "running"
	case Restarting:
		return "restarting"
	case Exited:
		return "exited"
	case Failed:
		return "failed"
	case Stopped:
		return "stopped"
	case Closed:
		return "closed"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// State is a REPL's status with the details a view needs to explain it.
type State struct {
	Status Status
	// ExitCode is Python's exit code when Exited (128+N when signal N
	// ended it; 137 when it was killed).
	ExitCode int
	// OOMKilled is set when Exited because the sandbox's memory limit
	// killed Python.
	OOMKilled bool
	// Err is why Python could not start, when Failed.
	Err error
	// File is the file being run ("" for a plain REPL).
	File string
	// Reason is why the server stopped Python, when Stopped: a sentence
	// for the student (see Stop).
	Reason string
	// Activity is what a Running Python does, from its prompt marks.
	Activity Activity
	// Ahead is, while Starting or Restarting, how many other students'
	// Pythons start before this one (see StartQueue).
	Ahead int
}

// Activity is what a running Python does, as its prompt marks tell.
type Activity int

const (
	// Ready: Python waits at its prompt (>>> or ...).
	Ready Activity = iota
	// Working: Python runs code (or has not reached its first prompt).
	Working
	// Reading: input() waits for a line.
	Reading
)

// holdMax is how long keys typed during a start wait for Python's first
// prompt mark before they are written anyway (a program that reads stdin
// without input(), or a Python without boot.py's marks): late, then, but
// never lost.
const holdMax = 3 * time.Second

// Errors of the input methods and the life-cycle.
var (
	ErrNotRunning = errors.New("repl: Python is not running")
	ErrClosed     = errors.New("repl: closed")
)

// maxInput bounds input queued for Python that it has not read yet (a big
// paste into a program that is busy). Beyond it input is dropped.
const maxInput = 256 << 10

// REPL is one student's Python REPL. Its methods are safe for concurrent use.
type REPL struct {
	cfg        Config
	log        *slog.Logger
	scrollback int
	life       context.Context // cancelled by Close: ends a start in progress
	endLife    context.CancelFunc

	op  sync.Mutex     // serialises the starts, stops and Close
	ops sync.WaitGroup // the goroutines running starts (see launchLocked)

	mu         sync.Mutex // guards the fields below
	closed     bool
	term       *term // nil until the first start
	cols, rows int
	state      State
	cur        *incarnation // the running process, if any
	version    uint64
	cache      map[renderKey]Screen
	drawn      drawnRows // the rows each view size drew last (render.go)
	subs       map[chan struct{}]struct{}
	watchers   map[*watcher]struct{} // Watch's
	quota      sandbox.HomeUsage     // the last measurement of the home
	pending    *job                  // the start under way, if any
	figures    Figures               // where figures go (figures.go); nil: dropped

	inMu   sync.Mutex
	inBuf  []byte
	inHeld bool          // typeahead: keep inBuf until Python first reads
	inWake chan struct{} // capacity 1: input is queued

	lastActive atomic.Int64 // unix nanoseconds
	outBytes   atomic.Int64 // bytes of output read from Python, ever
	inDropped  atomic.Int64 // bytes of input dropped
}

// incarnation is one Python process of a REPL and its goroutines.
type incarnation struct {
	proc   *sandbox.Process
	cancel context.CancelFunc
	stop   chan struct{} // closed to stop the input writer
	done   chan struct{} // closed once its goroutines have returned and proc is closed
	slot   func()        // gives back its StartQueue slot (once Python first reads)
	hold   *time.Timer   // releases held typeahead at holdMax
}

// job is a start, restart or run under way; every caller that asked for
// it may wait for its end.
type job struct {
	done chan struct{}
	err  error
}

// New returns a REPL for cfg. It starts nothing: see Start.
func New(cfg Config) *REPL {
	if cfg.Python == "" {
		cfg.Python = sandbox.DefaultPython
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sb := cfg.Scrollback
	if sb <= 0 {
		sb = DefaultScrollback
	}
	sb = min(sb, maxScrollback)
	cols, rows := defaultCols, defaultRows
	if cfg.Spec.Cols > 0 && cfg.Spec.Rows > 0 {
		cols, rows = clampSize(int(cfg.Spec.Cols), int(cfg.Spec.Rows))
	}
	life, end := context.WithCancel(context.Background())
	r := &REPL{
		cfg: cfg, log: log, scrollback: sb, life: life, endLife: end,
		cols: cols, rows: rows,
		cache:  make(map[renderKey]Screen),
		subs:   make(map[chan struct{}]struct{}),
		inWake: make(chan struct{}, 1),
	}
	r.lastActive.Store(time.Now().UnixNano())
	return r
}

func clampSize(cols, rows int) (int, int) {
	return max(1, min(cols, maxCols)), max(1, min(rows, maxRows))
}

// Request is what a view asks of the REPL (see Launch). The zero Request
// starts Python if it does not run yet.
type Request struct {
	// Restart ends the running Python, if any, and starts a fresh one (as
	// IDLE's "Restart Shell").
	Restart bool
	// File, when set, is run as python3 -i FILE (IDLE's "Run Module"); it
	// implies Restart. It is relative to the student's home and must stay
	// inside it: no absolute path, no "..".
	File string
	// Before, when set, runs first (a save of the file to run); its error
	// ends the request and the REPL goes on as it was.
	Before func() error
}

// Launch asks for req and returns at once: every view shows Python
// starting from now on, and keys typed from now on are kept for the new
// Python, in order, until it first reads (see holdInput). It returns the
// function that waits for the request's end (nil: done) or ctx's.
//
// A request belongs to the REPL, not to its caller: the work runs in a
// goroutine of the REPL's own, and a caller that stops waiting (a dropped
// connection) cancels nothing that other views may be waiting for. A
// zero Request while a start is under way joins it.
func (r *REPL) Launch(req Request) func(ctx context.Context) error {
	name := ""
	if req.File != "" {
		n, err := checkFile(req.File)
		if err != nil {
			return done(err)
		}
		name, req.Restart = n, true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return done(ErrClosed)
	}
	if !req.Restart {
		if r.pending != nil {
			return r.pending.wait
		}
		if st := r.state.Status; st != NotStarted && st != Failed {
			return done(nil)
		}
		return r.launchLocked(Starting, "", func() error {
			// A restart or run asked for after this one may have run first
			// (they take turns at r.op in no set order): one Python is enough.
			r.mu.Lock()
			running := r.cur != nil
			r.mu.Unlock()
			if running {
				return nil
			}
			return r.start("", "", Starting)
		}).wait
	}
	status := Restarting
	if r.state.Status == NotStarted {
		status = Starting
	}
	banner := cmp.Or(name, "Shell")
	prev := r.state
	return r.launchLocked(status, name, func() error {
		if req.Before != nil {
			if err := req.Before(); err != nil {
				r.cancelled(status, prev)
				return err
			}
		}
		if err := r.stop(); err != nil {
			return err
		}
		return r.start(name, banner, status)
	}).wait
}

// cancelled puts the REPL back as it was before a request whose Before
// failed: the Python that ran goes on, and gets the keys typed meanwhile.
func (r *REPL) cancelled(status Status, prev State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.state.Status != status {
		return
	}
	switch {
	case r.cur != nil:
		r.setStateLocked(State{Status: Running, File: prev.File, Activity: prev.Activity})
		r.releaseInput()
	case prev.Status == Running: // it ended meanwhile
		r.setStateLocked(State{Status: Exited, File: prev.File})
	default:
		r.setStateLocked(prev)
	}
}

// done is the wait of a request that is already over.
func done(err error) func(context.Context) error {
	return func(context.Context) error { return err }
}

// Start starts Python (python3 -i) if it has never run or could not start;
// otherwise (it runs, starts, or ran and exited) it does nothing. ctx
// bounds only the wait (see Launch).
func (r *REPL) Start(ctx context.Context) error { return r.Launch(Request{})(ctx) }

// Restart ends the running Python, if any, and starts a fresh REPL: the
// way out of an exited or stuck REPL. ctx bounds only the wait.
func (r *REPL) Restart(ctx context.Context) error { return r.Launch(Request{Restart: true})(ctx) }

// Run restarts Python as python3 -i FILE: the file's output appears on the
// screen (after a "=== RESTART: FILE ===" line), input() reads from the
// keyboard, and when it ends, or raises, the >>> prompt returns with its
// variables. ctx bounds only the wait.
func (r *REPL) Run(ctx context.Context, file string) error {
	if _, err := checkFile(file); err != nil {
		return err // "" too, which Launch would take for a plain start
	}
	return r.Launch(Request{File: file})(ctx)
}

// launchLocked shows status at once (so that every view says Python is
// starting, and keys typed from now on are kept for the new Python), then
// runs work in a goroutine of the REPL's own, one at a time. Close waits
// for it.
func (r *REPL) launchLocked(status Status, file string, work func() error) *job {
	r.ensureTermLocked(r.cols, r.rows)
	r.holdInput()
	r.setStateLocked(State{Status: status, File: file})
	j := &job{done: make(chan struct{})}
	r.pending = j
	r.ops.Add(1)
	go func() {
		defer r.ops.Done()
		r.op.Lock()
		j.err = work()
		r.op.Unlock()
		r.mu.Lock()
		if r.pending == j {
			r.pending = nil
		}
		r.mu.Unlock()
		close(j.done)
	}()
	return j
}

// wait waits for j's end, or for ctx's.
func (j *job) wait(ctx context.Context) error {
	select {
	case <-j.done:
		return j.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checkFile validates a file to run and returns it cleaned.
func checkFile(file string) (string, error) {
	if file == "" {
		return "", errors.New("repl: no file to run")
	}
	if !utf8.ValidString(file) || strings.IndexFunc(file, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("repl: cannot run %q: the name has control characters", file)
	}
	if filepath.IsAbs(file) || slices.Contains(strings.Split(filepath.ToSlash(file), "/"), "..") {
		return "", fmt.Errorf("repl: cannot run %q: give a path inside the home, without ..", file)
	}
	name := filepath.Clean(file)
	if !filepath.IsLocal(name) || name == "." {
		return "", fmt.Errorf("repl: cannot run %q: give a path inside the home, without ..", file)
	}
	return name, nil
}

// stop ends the current process and waits for its goroutines. r.op is held.
func (r *REPL) stop() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	inc := r.cur
	if inc != nil && r.state.Status == Running {
		// Not Exited: the supervisor must not report the kill as a crash.
		r.setStateLocked(State{Status: Restarting})
	}
	r.mu.Unlock()
	if inc != nil {
		inc.proc.Close()
		<-inc.done
	}
	return nil
}

// start starts a Python process: the REPL, or python -i file. banner, when
// set, is printed as a restart separator first; status is what the views
// show meanwhile. r.op is held and no process runs.
func (r *REPL) start(file, banner string, status Status) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	r.ensureTermLocked(r.cols, r.rows)
	if banner != "" {
		r.term.restartBanner(banner)
	}
	r.setStateLocked(State{Status: status, File: file})
	r.mu.Unlock()

	// Wait for a slot among the starts of every workspace, saying where in
	// the line this one is.
	slot, err := r.cfg.Starts.acquire(r.life, func(ahead int) {
		r.mu.Lock()
		if st := r.state.Status; (st == Starting || st == Restarting) && r.state.Ahead != ahead {
			r.state.Ahead = ahead
			r.changedLocked()
		}
		r.mu.Unlock()
	})
	if err != nil {
		r.mu.Lock()
		r.setStateLocked(State{Status: Failed, Err: ErrClosed, File: file})
		r.mu.Unlock()
		return ErrClosed
	}

	r.mu.Lock()
	r.state.Ahead = 0
	r.changedLocked()
	spec := r.cfg.Spec
	spec.Stdin, spec.Stdout, spec.Stderr = nil, nil, nil
	spec.Cols, spec.Rows = uint16(r.cols), uint16(r.rows)
	spec.Env = append(slices.Clip(r.cfg.Spec.Env), "PYTHON_BASIC_REPL=1", "MPLBACKEND="+figuresBackend, "PYTHONPATH="+figuresDir)
	spec.Files = withFiguresBackend(r.cfg.Spec.Files)
	spec.Command = []string{r.cfg.Python, "-q", "-i", "-c", bootCode}
	if file != "" {
		spec.Command = append(spec.Command, file)
	}
	r.mu.Unlock()

	// The process belongs to the REPL: only Close (r.life) ends a start.
	procCtx, cancel := context.WithCancel(r.life)
	p, err := sandbox.Start(procCtx, spec)
	if err != nil {
		slot()
		cancel()
		if r.life.Err() != nil {
			err = ErrClosed
		} else {
			r.cfg.Metrics.REPLStarted(err)
		}
		r.mu.Lock()
		r.setStateLocked(State{Status: Failed, Err: err, File: file})
		r.mu.Unlock()
		return fmt.Errorf("start python for %s: %w", spec.Username, err)
	}

	r.cfg.Metrics.REPLStarted(nil)
	inc := &incarnation{proc: p, cancel: cancel, stop: make(chan struct{}), done: make(chan struct{}), slot: slot}
	r.mu.Lock()
	r.cur = inc
	if r.cols != int(spec.Cols) || r.rows != int(spec.Rows) {
		p.Resize(uint16(r.rows), uint16(r.cols)) // a view resized meanwhile
	}
	r.setStateLocked(State{Status: Running, File: file, Activity: Working})
	// Held keys go to Python when it first reads, or at holdMax.
	inc.hold = time.AfterFunc(holdMax, func() {
		r.mu.Lock()
		r.firstReadLocked(inc)
		r.mu.Unlock()
		inc.slot()
	})
	r.mu.Unlock()
	r.touch()

	readDone, writeDone := make(chan struct{}), make(chan struct{})
	go r.readOutput(inc, readDone)
	go r.writeInput(p, inc.stop, writeDone)
	go r.supervise(inc, readDone, writeDone)
	go r.watchQuota(p, inc.stop)
	return nil
}

// firstReadLocked is called when inc's Python first waits for input (or at
// holdMax): the keys typed meanwhile go to it. Nothing happens if inc is no
// longer the running process (a restart holds the keys for the next one).
// Its start is over too: the caller then calls inc.slot, with no REPL's
// lock held (giving a slot tells the waiting REPLs their places).
func (r *REPL) firstReadLocked(inc *incarnation) {
	if r.cur == inc && r.state.Status == Running {
		r.releaseInput()
	}
}

// Stop ends the running Python, as the server's decision rather than the
// student's: the state becomes Stopped with reason (a sentence for the
// student, such as why it was idle too long), the screen keeps what it
// showed last, and Restart (or Run) starts a new one. It does nothing when
// Python is not running (never started, exited, failed, or already
// stopped).
func (r *REPL) Stop(reason string) error {
	r.op.Lock()
	defer r.op.Unlock()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	inc := r.cur
	if inc == nil || r.state.Status != Running {
		r.mu.Unlock()
		return nil
	}
	// Not Exited: the supervisor leaves this state as it is.
	r.setStateLocked(State{Status: Stopped, Reason: reason, File: r.state.File})
	r.mu.Unlock()
	r.discardInput()
	inc.proc.Close()
	<-inc.done
	r.cfg.Metrics.SandboxKilled(metrics.KillIdle) // Stop is the idle stop (see Stopped)
	return nil
}

// Quota is what the last measurement of the student's home found (Over:
// the home is full, and files cannot be written). It keeps the last
// measurement of the last Python process after that process ended; it is
// the zero HomeUsage before any was made, and when the sandbox has no quota.
func (r *REPL) Quota() sandbox.HomeUsage {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil {
		r.quota = r.cur.proc.HomeUsage() // Bytes changes between changes of Over
	}
	return r.quota
}

// watchQuota records the home's measurements as the sandbox makes them,
// and tells the subscribers when the home goes over its quota or back
// under it.
func (r *REPL) watchQuota(p *sandbox.Process, stop <-chan struct{}) {
	r.mu.Lock()
	r.quota = p.HomeUsage() // the measurement made at start
	over := r.quota.Over
	r.mu.Unlock()
	for {
		select {
		case <-stop:
			return
		case <-p.QuotaChanged():
			r.mu.Lock()
			r.quota = p.HomeUsage()
			if r.quota.Over && !over {
				r.cfg.Metrics.LimitHit(metrics.LimitQuota)
			}
			over = r.quota.Over
			r.changedLocked()
			r.mu.Unlock()
		}
	}
}

// ensureTermLocked creates the emulator the first time it is needed. Its
// input (keys encoded in its modes, pastes, and its replies to Python's
// queries) goes straight into the input queue, in order, in the caller's
// goroutine: a key needs no hand-off before the writer goroutine.
func (r *REPL) ensureTermLocked(cols, rows int) {
	if r.term != nil {
		return
	}
	r.cols, r.rows = cols, rows
	r.term = newTerm(cols, rows, r.scrollback, r.log)
	r.term.emu.SetInputWriter(inputQueue{r})
}

// inputQueue is the emulator's input writer: it queues, never blocks.
type inputQueue struct{ r *REPL }

func (q inputQueue) Write(p []byte) (int, error) {
	q.r.queueInput(p)
	return len(p), nil
}

// supervise waits for a process to end, then cleans up after it and
// records how it ended.
func (r *REPL) supervise(inc *incarnation, readDone, writeDone chan struct{}) {
	p := inc.proc
	unwatch := r.cfg.CPU.Watch(p)
	<-p.Done()
	unwatch()
	// What Python printed last (a traceback) is still in the pty: let the
	// reader finish it, but not forever.
	t := time.NewTimer(2 * time.Second)
	select {
	case <-readDone:
	case <-t.C:
	}
	t.Stop()
	code, _ := p.Wait()
	oom := p.OOMKilled()
	if err := p.Close(); err != nil {
		r.log.Warn("repl: closing the sandbox", "user", r.cfg.Spec.Username, "err", err)
	}
	<-readDone
	close(inc.stop)
	<-writeDone
	inc.cancel()

	inc.hold.Stop()
	inc.slot()
	r.mu.Lock()
	if r.cur == inc {
		r.cur = nil
		r.quota = p.HomeUsage()
		if r.state.Status == Running {
			r.setStateLocked(State{Status: Exited, ExitCode: code, OOMKilled: oom, File: r.state.File})
			switch {
			case oom:
				r.cfg.Metrics.SandboxKilled(metrics.KillMemory)
			case code == 128+9:
				r.cfg.Metrics.SandboxKilled(metrics.KillSignal)
			}
		}
	}
	r.mu.Unlock()
	close(inc.done)
}

// readOutput copies the program's output into the emulator, within the
// emulator's CPU budget, and follows Python's prompt marks.
func (r *REPL) readOutput(inc *incarnation, done chan struct{}) {
	defer close(done)
	p := inc.proc
	var marks markScanner
	var figs figureScanner
	buf := make([]byte, 32<<10)
	budget := newCPUBudget(r.cfg.EmulatorCPU, time.Now())
	var wait *time.Timer
	for {
		n, err := p.Read(buf)
		if n > 0 {
			read := false
			r.mu.Lock()
			t0 := time.Now()
			r.feedLocked(&figs, buf[:n])
			t1 := time.Now()
			if m := marks.scan(buf[:n]); m != noMark && r.cur == inc && r.state.Status == Running {
				r.state.Activity = Ready
				if m == inputMark {
					r.state.Activity = Reading
				}
				r.firstReadLocked(inc)
				read = true
			}
			r.changedLocked()
			r.mu.Unlock()
			if read {
				inc.slot()
			}
			r.outBytes.Add(int64(n))
			r.touch()
			// The views woken by changedLocked wait in this P's run-next
			// slot while this goroutine goes on into its next read (a
			// syscall, which keeps the P for a while): let them draw first.
			runtime.Gosched()
			if d := budget.spend(t1.Sub(t0), t1); d > 0 && err == nil {
				if wait == nil {
					wait = time.NewTimer(d)
				} else {
					wait.Reset(d)
				}
				select {
				case <-wait.C:
				case <-p.Done(): // read what is left at once
				}
			}
		}
		if err != nil {
			if wait != nil {
				wait.Stop()
			}
			return
		}
	}
}

// cpuBudget is a token bucket of CPU time: it fills at share seconds per
// second, up to burst.
type cpuBudget struct {
	share  float64 // 0: no limit
	burst  time.Duration
	credit time.Duration
	last   time.Time
}

func newCPUBudget(share float64, now time.Time) *cpuBudget {
	if share == 0 {
		share = DefaultEmulatorCPU
	}
	if share >= 1 || share < 0 {
		share = 0
	}
	const burst = 250 * time.Millisecond
	return &cpuBudget{share: share, burst: burst, credit: burst, last: now}
}

// spend records d of CPU used at now and returns how long to wait before
// using more.
func (b *cpuBudget) spend(d time.Duration, now time.Time) time.Duration {
	if b.share == 0 {
		return 0
	}
	b.credit = min(b.burst, b.credit+time.Duration(float64(now.Sub(b.last))*b.share))
	b.last = now
	b.credit -= d
	if b.credit >= 0 {
		return 0
	}
	return time.Duration(float64(-b.credit) / b.share)
}

func (r *REPL) queueInput(b []byte) {
	r.inMu.Lock()
	if len(r.inBuf)+len(b) > maxInput {
		r.inMu.Unlock()
		if r.inDropped.Add(int64(len(b))) == int64(len(b)) {
			r.log.Warn("repl: Python is not reading its input; dropping input", "user", r.cfg.Spec.Username)
		}
		return
	}
	r.inBuf = append(r.inBuf, b...)
	r.inMu.Unlock()
	select {
	case r.inWake <- struct{}{}:
		// The writer now waits in this P's run-next slot until the caller
		// (a view's event loop, going on to draw its frame) blocks: the key
		// would reach Python a frame late. Yield, so the writer runs first.
		runtime.Gosched()
	default:
	}
}

// holdInput keeps keys typed from now on in the queue, until releaseInput:
// a Python that is starting has no reader yet, and keys written to its pty
// early would be echoed by the line discipline before the prompt, then
// again by readline.
//
// Input queued before the hold and not yet written was typed to the Python
// this start replaces: it is dropped, never handed to the new one (a ctrl+c
// typed to a stuck loop just before ctrl+F5 would interrupt the fresh
// Python's first line).
func (r *REPL) holdInput() {
	r.inMu.Lock()
	if !r.inHeld {
		r.inBuf = nil
	}
	r.inHeld = true
	r.inMu.Unlock()
}

// releaseInput lets the writer hand the held keys to Python, in order.
func (r *REPL) releaseInput() {
	r.inMu.Lock()
	held := r.inHeld
	r.inHeld = false
	r.inMu.Unlock()
	if held {
		select {
		case r.inWake <- struct{}{}:
		default:
		}
	}
}

func (r *REPL) discardInput() {
	r.inMu.Lock()
	r.inBuf = nil
	r.inMu.Unlock()
	select {
	case <-r.inWake:
	default:
	}
}

// writeInput writes queued input to the pty. A write may block while the
// program does not read; that holds up only this goroutine.
func (r *REPL) writeInput(p *sandbox.Process, stop, done chan struct{}) {
	defer close(done)
	for {
		select {
		case <-stop:
			return
		case <-r.inWake:
		}
		r.inMu.Lock()
		var b []byte
		if !r.inHeld {
			b, r.inBuf = r.inBuf, nil
		}
		r.inMu.Unlock()
		if len(b) > 0 {
			p.Write(b) // fails only once the process is gone
		}
	}
}

// Close ends Python and every goroutine of the REPL. Views see a final
// change notification and their channels closed. It is idempotent.
func (r *REPL) Close() error {
	r.endLife()        // ends a start in progress
	defer r.ops.Wait() // starts asked for before: they see the REPL closed
	r.op.Lock()
	defer r.op.Unlock()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	inc := r.cur
	r.state = State{Status: Closed}
	r.mu.Unlock()
	if inc != nil {
		inc.proc.Close()
		<-inc.done
	}
	r.mu.Lock()
	r.changedLocked()
	for ch := range r.subs {
		close(ch)
		delete(r.subs, ch)
	}
	clear(r.watchers) // each was told of the close by changedLocked
	r.mu.Unlock()
	return nil
}

// State returns where the REPL is in its life.
func (r *REPL) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

func (r *REPL) setStateLocked(s State) {
	r.state = s
	r.changedLocked()
}

// Version increases whenever what Render returns may have changed (output,
// a resize, a state change). A view can skip rendering when it has not.
func (r *REPL) Version() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version
}

// Size returns the pty's size.
func (r *REPL) Size() (cols, rows int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cols, r.rows
}

// changedLocked records a change and tells the subscribers, without ever
// blocking.
func (r *REPL) changedLocked() {
	r.version++
	clear(r.cache)
	for ch := range r.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	for w := range r.watchers {
		w.f()
	}
}

type watcher struct{ f func() }

// Watch calls f after the screen or the state changed, like Subscribe's
// channel but without one: f is called with the REPL's lock held, so it
// must return at once and never call the REPL (a non-blocking wake-up,
// like Bubble Tea's Program.Wake). A view's event loop woken this way needs
// no goroutine waiting on a channel, which is one hand-off less on every
// key's echo. f is called once more when the REPL closes, then never.
// Call cancel when done.
func (r *REPL) Watch(f func()) (cancel func()) {
	w := &watcher{f: f}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		f()
		return func() {}
	}
	if r.watchers == nil {
		r.watchers = make(map[*watcher]struct{})
	}
	r.watchers[w] = struct{}{}
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.watchers, w)
	}
}

// Subscribe returns a channel that receives a value after the screen or the
// state changed; changes coalesce (capacity one), so a slow view never holds
// up the REPL. Call cancel when done; the channel is closed by cancel or by
// Close.
func (r *REPL) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		close(ch)
		return ch, func() {}
	}
	r.subs[ch] = struct{}{}
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if _, ok := r.subs[ch]; ok {
				delete(r.subs, ch)
				close(ch)
			}
		})
	}
}

// Resize sets the pty's size (and the emulator's) to cols×rows, clamped to
// 500×200. Call it when a view becomes the active one or the active view
// changes size. Zero or negative sizes are ignored.
func (r *REPL) Resize(cols, rows int) {
	if cols <= 0 || rows <= 0 {
		return
	}
	cols, rows = clampSize(cols, rows)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || (cols == r.cols && rows == r.rows) {
		return
	}
	r.cols, r.rows = cols, rows
	if r.term != nil {
		r.term.resize(cols, rows)
	}
	if r.cur != nil {
		r.cur.proc.Resize(uint16(rows), uint16(cols))
	}
	r.changedLocked()
}

// LastActive is the time of the last key typed or output printed (or of
// New, before either).
func (r *REPL) LastActive() time.Time {
	return time.Unix(0, r.lastActive.Load())
}

func (r *REPL) touch() { r.lastActive.Store(time.Now().UnixNano()) }
