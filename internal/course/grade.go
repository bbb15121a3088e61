package course

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/python"
)

// Statuses of a grade (besides "error ..." and "extended until ...").
const (
	StatusGraded       = "graded"
	StatusNotSubmitted = "not submitted"
)

// Results is the harness's results.json (Gradescope's shape).
type Results struct {
	Score    float64      `json:"score"`
	MaxScore float64      `json:"max_score"`
	Tests    []TestResult `json:"tests"`
	Error    string       `json:"error,omitempty"`
}

// TestResult is one test's outcome.
type TestResult struct {
	Name       string  `json:"name"`
	Score      float64 `json:"score"`
	MaxScore   float64 `json:"max_score"`
	Status     string  `json:"status"` // passed or failed
	Output     string  `json:"output"`
	Visibility string  `json:"visibility"` // visible or hidden
}

// The grading channel carries lines of at most this many bytes.
const maxLine = 4 << 20

// How the grading works, and why it cannot be forged:
//
// Two kinds of sandbox take part, both fresh, both as the student's uid:
//   - the test runner: pytest with the harness and the assignment's tests,
//     its /course a staging copy of the harness and tests/, its home an empty
//     scratch folder. It never imports the student's code.
//   - the student's side: the harness's worker (for student.function) and
//     plain `python3 FILE` runs (for student.run), its home a scratch copy of
//     the submission, its /course the harness alone (no tests).
//
// They share no file, process, network or IPC namespace. The runner asks for
// calls on its standard output, one JSON line each; this relay starts the
// student's side, passes the request on, enforces the per-call timeout by
// killing it, and answers on the runner's standard input. The only results
// read are the runner's own last line. Whatever the student's code prints,
// writes or patches happens in a process whose output is data to the runner.

// stage holds one grading run's scratch folders under DATA_DIR/grading.
type stage struct {
	dir, home, runnerHome, runnerCourse, workerCourse string
}

func (s *Service) newStage(a *Assignment, u store.User, subFiles []snapshotFile) (*stage, error) {
	dir, err := s.privateDir("grading", a.Name+"-"+u.Username+"-"+randomName())
	if err != nil {
		return nil, err
	}
	st := &stage{dir: dir, home: filepath.Join(dir, "home"), runnerHome: filepath.Join(dir, "runner-home"),
		runnerCourse: filepath.Join(dir, "runner-course"), workerCourse: filepath.Join(dir, "worker-course")}
	fail := func(err error) (*stage, error) { os.RemoveAll(dir); return nil, err }
	if err := writeTree(st.home, subFiles, 0o644); err != nil {
		return fail(err)
	}
	if err := os.Mkdir(st.runnerHome, 0o755); err != nil {
		return fail(err)
	}
	owner := s.owner(u)
	if owner.UID > 0 && os.Geteuid() == 0 {
		for _, d := range []string{st.home, st.runnerHome} {
			if err := chownTree(d, owner); err != nil {
				return fail(err)
			}
		}
	}
	if err := python.WriteHarness(st.runnerCourse); err != nil {
		return fail(err)
	}
	if err := python.WriteHarness(st.workerCourse); err != nil {
		return fail(err)
	}
	tests := make([]snapshotFile, 0, len(a.Tests))
	for _, t := range a.Tests {
		b, err := os.ReadFile(filepath.Join(a.Dir, "tests", filepath.FromSlash(t)))
		if err != nil {
			return fail(err)
		}
		tests = append(tests, snapshotFile{rel: t, data: b})
	}
	if err := writeTree(filepath.Join(st.runnerCourse, "tests"), tests, 0o444); err != nil {
		return fail(err)
	}
	return st, nil
}

func chownTree(dir string, o files.Owner) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, o.UID, o.GID)
	})
}

func (st *stage) remove() { os.RemoveAll(st.dir) }

// capped keeps the first n bytes written and drops the rest (never blocks).
type capped struct {
	mu  sync.Mutex
	buf bytes.Buffer
	n   int
}

func (c *capped) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.n - c.buf.Len(); room > 0 {
		c.buf.Write(b[:min(room, len(b))])
	}
	return len(b), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// lineProc is a started sandbox whose stdin we write and whose stdout we read by lines.
type lineProc struct {
	proc  Proc
	inW   *io.PipeWriter
	inR   *io.PipeReader
	lines chan []byte
	quit  chan struct{} // closed by stop: nobody reads lines any more
	once  sync.Once
}

func (s *Service) startLines(ctx context.Context, spec RunSpec) (*lineProc, error) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	spec.Stdin, spec.Stdout = inR, outW
	p, err := s.Runner.Start(ctx, spec)
	if err != nil {
		inW.Close()
		outW.Close()
		return nil, err
	}
	lp := &lineProc{proc: p, inW: inW, inR: inR, lines: make(chan []byte, 1), quit: make(chan struct{})}
	go func() {
		p.Wait() // its output copies have ended
		outW.Close()
		inR.Close()
	}()
	go func() {
		defer close(lp.lines)
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 64<<10), maxLine)
		for sc.Scan() {
			select {
			case lp.lines <- bytes.Clone(sc.Bytes()):
			case <-lp.quit:
			}
		}
		io.Copy(io.Discard, outR) // a too-long line: keep draining so the sandbox can end
	}()
	return lp, nil
}

func (lp *lineProc) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = lp.inW.Write(append(b, '\n'))
	return err
}

func (lp *lineProc) stop() {
	lp.once.Do(func() {
		close(lp.quit)
		lp.proc.Kill()
		lp.inW.Close()
		lp.proc.Close()
	})
}

// request is a line from the test runner.
type request struct {
	Op      string          `json:"op"`
	ID      int64           `json:"id"`
	File    string          `json:"file"`
	Name    string          `json:"name"`
	Args    string          `json:"args"`
	Kwargs  string          `json:"kwargs"`
	Timeout float64         `json:"timeout"`
	Stdin   string          `json:"stdin"`
	Argv    []string        `json:"argv"`
	Results json.RawMessage `json:"results"`
}

// relay answers one test runner's requests with the student's side.
type relay struct {
	s      *Service
	u      store.User
	st     *stage
	memory int64
	worker *lineProc
}

func (r *relay) studentSpec(cmd []string, course string) RunSpec {
	return RunSpec{Username: r.u.Username, Owner: r.s.owner(r.u), Home: r.st.home, CourseDir: course,
		Command: cmd, MemoryBytes: r.memory, Env: []string{"PYTHONDONTWRITEBYTECODE=1"}}
}

func (r *relay) call(ctx context.Context, q request) map[string]any {
	timeout := time.Duration(math.Min(math.Max(q.Timeout, 0.1), MaxTestSeconds) * float64(time.Second))
	if r.worker == nil {
		w, err := r.s.startLines(ctx, r.studentSpec([]string{r.s.python(), "-I", "/course/" + python.Package + "/worker.py"}, r.st.workerCourse))
		if err != nil {
			return map[string]any{"ok": false, "kind": "crash", "error": "could not start the student's process: " + err.Error()}
		}
		r.worker = w
	}
	w := r.worker
	sent := make(chan error, 1)
	go func() {
		sent <- w.send(map[string]any{"id": q.ID, "file": q.File, "name": q.Name, "args": q.Args, "kwargs": q.Kwargs})
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case line, ok := <-w.lines:
			if !ok {
				r.reset()
				return map[string]any{"ok": false, "kind": "crash", "error": "the student's process ended without answering (a crash, exit() or the memory limit)"}
			}
			var resp map[string]any
			if err := json.Unmarshal(line, &resp); err != nil {
				r.reset()
				return map[string]any{"ok": false, "kind": "crash", "error": "the student's process answered garbage"}
			}
			// Only the fields the harness reads cross over, as data.
			out := map[string]any{"ok": resp["ok"] == true}
			if v, ok := resp["value"].(string); ok {
				out["value"] = v
			}
			if e, ok := resp["error"].(string); ok {
				out["error"] = e
			}
			return out
		case <-t.C:
			r.reset()
			return map[string]any{"ok": false, "kind": "timeout", "error": fmt.Sprintf("no answer within %v", timeout)}
		case <-ctx.Done():
			r.reset()
			return map[string]any{"ok": false, "kind": "timeout", "error": "grading was stopped"}
		case <-sent:
			sent = nil
		}
	}
}

func (r *relay) reset() {
	if r.worker != nil {
		r.worker.stop()
		r.worker = nil
	}
}

func (r *relay) run(ctx context.Context, q request) map[string]any {
	if q.File == "" || filepath.IsAbs(q.File) || strings.Contains(q.File, "..") {
		return map[string]any{"stdout": "", "stderr": "student.run: the file must be inside the assignment's folder", "returncode": nil, "timed_out": false}
	}
	timeout := time.Duration(math.Min(math.Max(q.Timeout, 0.1), MaxTestSeconds) * float64(time.Second))
	var stdout, stderr = &capped{n: 1 << 20}, &capped{n: 1 << 20}
	spec := r.studentSpec(append([]string{r.s.python(), q.File}, q.Argv...), r.st.workerCourse)
	spec.Stdin, spec.Stdout, spec.Stderr = strings.NewReader(q.Stdin), stdout, stderr
	p, err := r.s.Runner.Start(ctx, spec)
	if err != nil {
		return map[string]any{"stdout": "", "stderr": "could not start the program: " + err.Error(), "returncode": nil, "timed_out": false}
	}
	defer p.Close()
	var timedOut bool
	var mu sync.Mutex
	t := time.AfterFunc(timeout, func() { mu.Lock(); timedOut = true; mu.Unlock(); p.Kill() })
	code, _ := p.Wait()
	t.Stop()
	mu.Lock()
	defer mu.Unlock()
	var rc any = code
	if timedOut {
		rc = nil
	}
	return map[string]any{"stdout": stdout.String(), "stderr": stderr.String(), "returncode": rc, "timed_out": timedOut}
}

// runTests runs a's tests against subFiles as u, in fresh sandboxes.
func (s *Service) runTests(ctx context.Context, a *Assignment, u store.User, subFiles []snapshotFile, visibleOnly bool) (Results, error) {
	if s.Runner == nil {
		return Results{}, errors.New("no sandbox runner is configured")
	}
	st, err := s.newStage(a, u, subFiles)
	if err != nil {
		return Results{}, fmt.Errorf("prepare grading of %s: %w", u.Username, err)
	}
	defer st.remove()
	lim := a.Config.Limits
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute+time.Duration(40*lim.Seconds)*time.Second)
	defer cancel()
	cmd := []string{s.python(), "-m", python.Package + ".run", "--tests", "/course/tests", "--daemon", "--timeout", fmt.Sprint(lim.Seconds)}
	if visibleOnly {
		cmd = append(cmd, "--visible-only")
	}
	stderr := &capped{n: 64 << 10}
	runner, err := s.startLines(ctx, RunSpec{Username: u.Username, Owner: s.owner(u), Home: st.runnerHome, CourseDir: st.runnerCourse,
		Command: cmd, Env: []string{"PYTHONPATH=/course", "PYTHONDONTWRITEBYTECODE=1"}, Stderr: stderr})
	if err != nil {
		return Results{}, fmt.Errorf("start the tests for %s: %w", u.Username, err)
	}
	defer runner.stop()
	rl := &relay{s: s, u: u, st: st, memory: int64(lim.MemoryMB) << 20}
	defer rl.reset()
	for {
		var line []byte
		var ok bool
		select {
		case line, ok = <-runner.lines:
		case <-ctx.Done():
			return Results{}, fmt.Errorf("the tests of %s did not finish in time for %s", a.Name, u.Username)
		}
		if !ok {
			return Results{}, fmt.Errorf("the test runner ended without results: %s", tail(stderr.String(), 1500))
		}
		var q request
		if err := json.Unmarshal(line, &q); err != nil {
			return Results{}, fmt.Errorf("the test runner sent garbage: %w", err)
		}
		var resp map[string]any
		switch q.Op {
		case "call":
			resp = rl.call(ctx, q)
		case "run":
			resp = rl.run(ctx, q)
		case "reset":
			rl.reset()
			resp = map[string]any{"ok": true}
		case "results":
			var res Results
			if err := json.Unmarshal(q.Results, &res); err != nil {
				return Results{}, fmt.Errorf("the test runner's results: %w", err)
			}
			return res, nil
		default:
			return Results{}, fmt.Errorf("the test runner asked for %q", q.Op)
		}
		resp["id"] = q.ID
		if err := runner.send(resp); err != nil {
			return Results{}, fmt.Errorf("answer the test runner: %w", err)
		}
	}
}
