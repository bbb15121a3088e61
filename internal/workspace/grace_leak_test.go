package workspace

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// graceLeakUID is the student uid of TestGraceExpiryLeavesNothing: no other
// test (in any package) uses it, so any process of it is this test's.
const graceLeakUID = 203201

// TestGraceExpiryLeavesNothing: a student runs code in a real sandboxed REPL
// (which starts a child in a session of its own), leaves, and the grace
// period runs out. Then nothing is left: the goroutines are back to what
// they were before, no pty is open in this process, no process runs as the
// student's uid, and the sandbox's cgroups are removed.
func TestGraceExpiryLeavesNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root: this test tells the student's processes apart by their own uid, which needs root")
		}
		t.Skip("the student's processes have a uid of their own only when the test runs as root")
	}
	needSandbox(t) // also starts (and ends) a first sandbox: what that sets up once is in the baseline
	const user = "gwen"
	report := sandbox.Probe()
	wantCgroups := slices.ContainsFunc(report.Mechanisms, func(m sandbox.Mechanism) bool {
		return strings.HasPrefix(m.Name, "cgroup ") && m.OK
	})

	if p := processesOf(graceLeakUID); len(p) > 0 {
		t.Fatalf("processes of uid %d run before the test: %q", graceLeakUID, p)
	}
	if cg := sandboxCgroups(user); len(cg) > 0 {
		t.Fatalf("cgroups of %s's sandbox exist before the test: %q", user, cg)
	}
	ptysBefore := ptyFDs()
	goroutinesBefore := runtime.NumGoroutine()
	stacksBefore := goroutineStacks()

	fx := newFixture(t)
	open := func(_ context.Context, username string) (*Workspace, error) {
		dir, err := files.EnsureHome(fx.homes, username, files.NoOwner)
		if err != nil {
			return nil, err
		}
		home, err := files.OpenHome(dir)
		if err != nil {
			return nil, err
		}
		r := repl.New(repl.Config{Spec: sandbox.Spec{
			Username: username, UID: graceLeakUID, GID: graceLeakUID, Home: dir,
			Cols: 80, Rows: 24, Limits: sandbox.DefaultLimits(),
		}})
		return New(Options{Username: username, Home: home, REPL: r, JournalDir: journalDir(fx.journals, username), JournalEvery: time.Hour})
	}
	m := NewManager(open, 200*time.Millisecond, nil)
	t.Cleanup(func() { m.Shutdown() }) // if the test fails half-way

	ws, detach, err := m.Attach(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	view := ws.AttachView(ViewOptions{}, 80, 24)
	r := ws.REPL()
	startREPL(t, r)
	screen := func() string { return strings.Join(r.RenderPlain(80, 24).Lines, "\n") }
	waitUntil(t, "the >>> prompt", func() bool { return strings.Contains(screen(), ">>>") })
	for _, line := range []string{
		"import subprocess, sys",
		`child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)`,
		`print("spawned", child.poll())`,
	} {
		if _, err := r.Write([]byte(line + "\r")); err != nil {
			t.Fatalf("type %q: %v", line, err)
		}
	}
	waitUntil(t, "Python to start its child", func() bool { return strings.Contains(screen(), "spawned None") })

	// What the checks below look for is there while the student works, so
	// they cannot pass by looking in the wrong place.
	waitUntil(t, "Python and its child to run as the student", func() bool {
		p := processesOf(graceLeakUID)
		return len(p) >= 2 && strings.Contains(strings.Join(p, "\n"), "time.sleep(600)")
	})
	if added := newPTYs(ptysBefore); len(added) == 0 {
		t.Fatalf("no pty is open in this process while the REPL runs (fds before: %q)", ptysBefore)
	}
	if cg := sandboxCgroups(user); wantCgroups && len(cg) == 0 {
		t.Fatalf("the probe reports cgroups, but %s's sandbox has none while it runs", user)
	}

	// The student leaves; nobody comes back.
	ws.DetachView(view)
	detach()
	waitUntil(t, "the grace period to end the workspace", func() bool {
		return len(m.Live()) == 0 && r.State().Status == repl.Closed
	})

	var goroutines int
	checkGone(t, "goroutines", func() bool {
		goroutines = runtime.NumGoroutine()
		return goroutines <= goroutinesBefore
	}, func() string {
		return fmt.Sprintf("%d goroutines, %d before; the new ones:\n%s", goroutines, goroutinesBefore, newStacks(stacksBefore))
	})
	checkGone(t, "ptys", func() bool { return len(newPTYs(ptysBefore)) == 0 }, func() string {
		return fmt.Sprintf("open: %q", newPTYs(ptysBefore))
	})
	checkGone(t, "student processes", func() bool { return len(processesOf(graceLeakUID)) == 0 }, func() string {
		return fmt.Sprintf("uid %d still runs %q", graceLeakUID, processesOf(graceLeakUID))
	})
	checkGone(t, "cgroups", func() bool { return len(sandboxCgroups(user)) == 0 }, func() string {
		return fmt.Sprintf("left: %q", sandboxCgroups(user))
	})
}

// checkGone waits (with a deadline: exiting goroutines and reaped processes
// take a moment) until gone holds, and fails the test with what is left.
func checkGone(t *testing.T, what string, gone func() bool, left func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !gone() {
		if time.Now().After(deadline) {
			t.Errorf("%s left after the grace period: %s", what, left())
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// goroutineStacks returns every other goroutine's stack, one string each:
// the names of its functions, top first (ids, arguments and lines change).
func goroutineStacks() []string {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	var stacks []string
	for i, g := range strings.Split(strings.TrimSpace(b.String()), "\n\n") {
		if i == 0 {
			continue // the calling goroutine comes first
		}
		var funcs []string
		for _, line := range strings.Split(g, "\n")[1:] { // without "goroutine N [state]:"
			if line != "" && !strings.HasPrefix(line, "\t") {
				if j := strings.LastIndex(line, "("); j > 0 && !strings.HasPrefix(line, "created by ") {
					line = line[:j]
				}
				funcs = append(funcs, line)
			}
		}
		stacks = append(stacks, strings.Join(funcs, "\n"))
	}
	return stacks
}

// newStacks lists the goroutines whose stack was not there before.
func newStacks(before []string) string {
	before = slices.Clone(before)
	var out []string
	for _, s := range goroutineStacks() {
		if i := slices.Index(before, s); i >= 0 {
			before = slices.Delete(before, i, i+1)
			continue
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n\n")
}

// ptyFDs lists this process's open file descriptors on a pty (a master,
// /dev/ptmx, or a terminal, /dev/pts/N), as "fd -> target".
func ptyFDs() []string {
	entries, _ := os.ReadDir("/proc/self/fd")
	var found []string
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && (target == "/dev/ptmx" || strings.HasPrefix(target, "/dev/pts/")) {
			found = append(found, e.Name()+" -> "+target)
		}
	}
	return found
}

// newPTYs lists the pty fds open now that were not before (the test may run
// in a terminal of its own).
func newPTYs(before []string) []string {
	var added []string
	for _, fd := range ptyFDs() {
		if !slices.Contains(before, fd) {
			added = append(added, fd)
		}
	}
	return added
}

// processesOf lists the processes with uid as their real, effective, saved or
// file-system uid, as "pid cmdline".
func processesOf(uid int) []string {
	dirs, _ := os.ReadDir("/proc")
	var found []string
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", d.Name(), "status"))
		if err != nil {
			continue // it ended meanwhile
		}
		for _, line := range strings.Split(string(status), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 || fields[0] != "Uid:" || !slices.Contains(fields[1:], strconv.Itoa(uid)) {
				continue
			}
			cmd, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
			found = append(found, d.Name()+" "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return found
}

// sandboxCgroups lists the cgroup directories of this process's sandboxes
// for username, in every mounted hierarchy: the sandbox makes them in a
// "classroomd" group inside this process's own, named PID-RANDOM-USERNAME.
// It reads /proc/self/{cgroup,mountinfo} by itself, rather than asking the
// sandbox package where it put them.
func sandboxCgroups(username string) []string {
	own := map[string]string{} // controller (or "name=..."; "" for cgroup2) -> this process's group
	b, _ := os.ReadFile("/proc/self/cgroup")
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.SplitN(line, ":", 3); len(f) == 3 {
			for _, c := range strings.Split(f[1], ",") {
				own[c] = f[2]
			}
		}
	}
	prefix, suffix := strconv.Itoa(os.Getpid())+"-", "-"+username
	var found []string
	b, _ = os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		var group string
		switch g[0] {
		case "cgroup2":
			group, ok = own[""]
		case "cgroup":
			ok = false
			for _, opt := range strings.Split(g[2], ",") {
				if p, has := own[opt]; has && opt != "" {
					group, ok = p, true
					break
				}
			}
		default:
			continue
		}
		if !ok {
			continue
		}
		if root := f[3]; root != "/" {
			group = strings.TrimPrefix(group, root)
		}
		dir := filepath.Join(f[4], group)
		parents := []string{filepath.Join(dir, "classroomd")}
		if filepath.Base(dir) == "classroomd-daemon" { // pure v2: the daemon moved itself into a leaf
			parents = append(parents, filepath.Join(filepath.Dir(dir), "classroomd"))
		}
		for _, p := range parents {
			entries, _ := os.ReadDir(p)
			for _, e := range entries {
				if e.IsDir() && strings.HasPrefix(e.Name(), prefix) && strings.HasSuffix(e.Name(), suffix) {
					found = append(found, filepath.Join(p, e.Name()))
				}
			}
		}
	}
	return found
}
