package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	r := Probe()
	for _, m := range r.Mechanisms {
		t.Logf("%-14s ok=%-5v %s", m.Name, m.OK, m.Detail)
	}
	t.Logf("level: %v", r.Level)
	if os.Getenv("CI") == "true" && r.Level != Full {
		t.Fatalf("CI runs as root with every mechanism, got level %v (missing %v)", r.Level, r.Missing())
	}
	if r.Level.String() == "" || Level(7).String() != "Level(7)" {
		t.Fatal("Level.String")
	}
}

func TestSpecValidation(t *testing.T) {
	base := Spec{Username: "alice", UID: 1000, GID: 1000, Home: "/nonexistent"}
	for name, mod := range map[string]func(*Spec){
		"root uid":      func(s *Spec) { s.UID = 0 },
		"root gid":      func(s *Spec) { s.GID = 0 },
		"bad username":  func(s *Spec) { s.Username = "../bob" },
		"upper":         func(s *Spec) { s.Username = "Alice" },
		"no home":       func(s *Spec) { s.Home = "" },
		"empty command": func(s *Spec) { s.Command = []string{""} },
		"file up":       func(s *Spec) { s.Files = map[string]string{"../passwd": "x"} },
		"file absolute": func(s *Spec) { s.Files = map[string]string{"/etc/passwd": "x"} },
		"file dot":      func(s *Spec) { s.Files = map[string]string{"a/./b": "x"} },
		"file empty":    func(s *Spec) { s.Files = map[string]string{"": "x"} },
		"file newline":  func(s *Spec) { s.Files = map[string]string{"a\nb": "x"} },
		"files too big": func(s *Spec) { s.Files = map[string]string{"big": strings.Repeat("x", MaxEtcFilesBytes)} },
	} {
		s := base
		mod(&s)
		if _, err := Start(context.Background(), s); err == nil || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: Start = %v, want a validation error", name, err)
		}
	}
}

func TestIdentityAndOwnership(t *testing.T) {
	needSandbox(t)
	t.Setenv("CLASSROOMD_DATABASE_URL", "postgres://secret@db/x")
	s := testSpec(t, "alice", aliceUID)
	r := python(t, s, `
import os
print(os.getuid(), os.geteuid(), os.getgid(), os.getgroups())
print(os.getcwd(), os.environ["HOME"])
print("DATABASE" in str(os.environ), os.environ.get("CLASSROOMD_DATABASE_URL"), os.environ["OPENBLAS_NUM_THREADS"])
open("made-inside.txt", "w").write("hi")
os.mkdir("dir-inside")
print(os.ttyname(0) if os.isatty(0) else "no tty")
`)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := fmt.Sprintf("%d %d %d []\n/home/alice /home/alice\nFalse None 1\nno tty\n", aliceUID, aliceUID, aliceUID)
	if r.stdout != want {
		t.Fatalf("got %q, want %q", r.stdout, want)
	}
	for _, name := range []string{"made-inside.txt", "dir-inside", "."} {
		fi, err := os.Stat(filepath.Join(s.Home, name))
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != aliceUID || st.Gid != aliceUID {
			t.Errorf("%s is owned by %d:%d on the host, want %d:%d", name, st.Uid, st.Gid, aliceUID, aliceUID)
		}
	}
}

func TestHostSecretsInvisible(t *testing.T) {
	needSandbox(t)
	bobHome := newHome(t, "bob")
	if err := os.WriteFile(filepath.Join(bobHome, "secret.py"), []byte("bob's homework"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := testSpec(t, "alice", aliceUID)
	r := python(t, s, fmt.Sprintf(`
import os
def probe(p):
    try:
        with open(p, "rb") as f:
            return "READ " + repr(f.read(40))
    except OSError as e:
        return type(e).__name__
for p in ["/etc/shadow", "/etc/gshadow", %q, "/home/bob/secret.py", "/proc/1/environ", "/root/.bashrc", "/etc/ssh/sshd_config"]:
    print(p, probe(p))
print(sorted(os.listdir("/home")))
print(sorted(os.listdir("/proc"))[:0], len([d for d in os.listdir("/proc") if d.isdigit()]))
`, filepath.Join(bobHome, "secret.py")))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	t.Log(r.stdout)
	if strings.Contains(r.stdout, "READ") {
		t.Fatalf("the sandbox read something it must not:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "['alice']") {
		t.Fatalf("/home shows more than alice:\n%s", r.stdout)
	}
}

func TestNoNetwork(t *testing.T) {
	needSandbox(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	s := testSpec(t, "alice", aliceUID)
	r := python(t, s, fmt.Sprintf(`
import socket
for host in ["127.0.0.1", "10.0.0.1", "1.1.1.1"]:
    try:
        socket.create_connection((host, %d), timeout=2).close()
        print(host, "CONNECTED")
    except OSError as e:
        print(host, type(e).__name__)
try:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print("bind", "OK")
except OSError as e:
    print("bind", type(e).__name__)
`, port))
	t.Log(r.stdout, r.stderr)
	if r.code != 0 || strings.Contains(r.stdout, "CONNECTED") {
		t.Fatalf("exit %d, network reachable:\n%s%s", r.code, r.stdout, r.stderr)
	}
	select {
	case <-accepted:
		t.Fatal("the host's listener accepted a connection from the sandbox")
	default:
	}
}

func TestCourseAndSystemReadOnly(t *testing.T) {
	needSandbox(t)
	course := filepath.Join(t.TempDir(), "course")
	if err := os.MkdirAll(course, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(course, "lesson1.py"), []byte("print('lesson')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := testSpec(t, "alice", aliceUID)
	s.CourseDir = course
	r := python(t, s, `
import os
print(open("/course/lesson1.py").read().strip())
for p in ["/course/mine.py", "/course/lesson1.py", "/usr/evil", "/etc/passwd", "/evil", "/dev/evil", "/proc/evil"]:
    try:
        open(p, "a").write("x")
        print(p, "WROTE")
    except OSError as e:
        print(p, type(e).__name__)
`)
	t.Log(r.stdout, r.stderr)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "print('lesson')") || strings.Contains(r.stdout, "WROTE") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(course, "mine.py")); err == nil {
		t.Fatal("a file appeared in the course folder")
	}
}

// Spec.Files appear under /etc/classroomd, read-only, for every program
// (the REPL's matplotlib backend lives there, #15).
func TestFilesReadOnly(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID)
	s.Files = map[string]string{"python/mod.py": "VALUE = 42\n", "note": "hello"}
	r := python(t, s, `
import os, sys
sys.path.insert(0, "/etc/classroomd/python")
import mod
print("value", mod.VALUE, open("/etc/classroomd/note").read())
for p in ["/etc/classroomd/python/mod.py", "/etc/classroomd/new.py", "/etc/classroomd/python/new.py"]:
    try:
        open(p, "a").write("x")
        print(p, "WROTE")
    except OSError as e:
        print(p, type(e).__name__)
`)
	t.Log(r.stdout, r.stderr)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "value 42 hello") || strings.Contains(r.stdout, "WROTE") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestOnlyStdioInherited: the init's own descriptors (the home and the
// course folder as opened on the host, its pipes) must not reach the
// program: openat(fd, "..") on the host's home would leave the sandbox.
func TestOnlyStdioInherited(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID)
	s.CourseDir = t.TempDir()
	r := python(t, s, `
import os
open_fds = []
for fd in range(3, 1024):
    try:
        os.fstat(fd)
        open_fds.append((fd, os.readlink("/proc/self/fd/%d" % fd)))
    except OSError:
        pass
print(open_fds)
`)
	if r.code != 0 || r.stdout != "[]\n" {
		t.Fatalf("exit %d, descriptors beyond stdio reached the program: %s%s", r.code, r.stdout, r.stderr)
	}
}

func TestKernelSurfaceNarrowed(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID)
	r := python(t, s, `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines())
print("nnp", status["NoNewPrivs"].strip(), "seccomp", status["Seccomp"].strip())
print("unshare", libc.unshare(0x10000000), ctypes.get_errno())   # CLONE_NEWUSER
print("ptrace", libc.ptrace(16, 1, 0, 0), ctypes.get_errno())    # PTRACE_ATTACH to the init
try:
    os.kill(1, 9); print("kill init OK")
except OSError as e:
    print("kill init", type(e).__name__)
print("hostname", os.uname().nodename)
import resource
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
try:
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft // 2, hard // 2)); print("setrlimit OK")
except (OSError, ValueError) as e:  # python reports EPERM as a ValueError
    print("setrlimit", e, soft == hard)
`)
	t.Log(r.stdout, r.stderr)
	want := []string{"nnp 1 seccomp 2", "unshare -1 1", "ptrace -1 1", "kill init PermissionError", "hostname classroom", "setrlimit not allowed to raise maximum limit True"}
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("want %q in:\n%s%s", w, r.stdout, r.stderr)
		}
	}
}

func TestRlimitsAndTmp(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID)
	s.Limits.FileSizeBytes = 1 << 20
	s.Limits.TmpBytes = 4 << 20
	s.Limits.OpenFiles = 50
	r := python(t, s, `
import os, resource
print("nofile", resource.getrlimit(resource.RLIMIT_NOFILE), "core", resource.getrlimit(resource.RLIMIT_CORE))
try:
    open("big", "wb").write(b"x" * (2 << 20)); print("big OK")
except OSError as e:
    print("big", e.errno)
try:
    for i in range(8):  # 8 files under the file size limit, twice the size of /tmp
        with open("/tmp/fill%d" % i, "wb") as f:
            f.write(b"x" * (900 << 10))
    print("tmp OK")
except OSError as e:
    print("tmp", e.errno)
`)
	t.Log(r.stdout, r.stderr)
	for _, w := range []string{"nofile (50, 50) core (0, 0)", "big 27", "tmp 28"} { // EFBIG, ENOSPC
		if !strings.Contains(r.stdout, w) {
			t.Errorf("want %q in:\n%s%s", w, r.stdout, r.stderr)
		}
	}
}

func TestExitCodeAndPipes(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID, "sh", "-c", "cat; echo oops >&2; exit 3")
	r := run(t, s, "hello from stdin\n", 10*time.Second)
	if r.code != 3 || r.stdout != "hello from stdin\n" || r.stderr != "oops\n" {
		t.Fatalf("got %+v", r)
	}
	s = testSpec(t, "alice", aliceUID, "no-such-program")
	_, err := Start(context.Background(), Spec{Username: s.Username, UID: s.UID, GID: s.GID, Home: s.Home, Command: s.Command, Stdout: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "no-such-program") {
		t.Fatalf("Start of a missing program: %v", err)
	}
}

func TestHomeOfAnotherUIDRefused(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID, "/bin/true")
	if err := os.Chown(s.Home, bobUID, bobUID); err != nil {
		t.Fatal(err)
	}
	s.Stdout = io.Discard
	p, err := Start(context.Background(), s)
	if err == nil {
		p.Close()
		t.Fatal("started alice's sandbox on a home owned by another uid")
	}
}

// cgroupProcs lists the host pids in the sandbox's cgroups.
func cgroupProcs(t testing.TB, p *Process) []int {
	t.Helper()
	seen := map[int]bool{}
	var pids []int
	dirs := append([]string{}, p.cg.dirs...)
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(f)
			if !seen[n] {
				seen[n] = true
				pids = append(pids, n)
			}
		}
	}
	return pids
}

// assertGone checks that the cgroup dirs are removed and no pid lives on.
func assertGone(t testing.TB, dirs []string, pids []int) {
	t.Helper()
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s left behind (%v)", d, err)
		}
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			t.Errorf("pid %d still exists after Close (%v): %q", pid, err, b)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ptyReader collects everything a pty-mode Process prints.
type ptyReader struct {
	mu   sync.Mutex
	buf  strings.Builder
	done chan struct{}
}

func readAll(p *Process) *ptyReader {
	r := &ptyReader{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		b := make([]byte, 4096)
		for {
			n, err := p.Read(b)
			r.mu.Lock()
			r.buf.Write(b[:n])
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return r
}

func (r *ptyReader) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// waitOutput waits until the output after offset from contains s and returns
// the offset just past it.
func (r *ptyReader) waitOutput(t testing.TB, from int, s string, timeout time.Duration) int {
	t.Helper()
	var at int
	waitFor(t, fmt.Sprintf("%q in the output", s), timeout, func() bool {
		out := r.String()
		if from > len(out) {
			return false
		}
		i := strings.Index(out[from:], s)
		if i < 0 {
			return false
		}
		at = from + i + len(s)
		return true
	})
	return at
}

func startPty(t testing.TB, s Spec) (*Process, *ptyReader) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p, err := Start(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, readAll(p)
}

func TestInterruptReturnsToPrompt(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID, DefaultPython, "-i")
	p, out := startPty(t, s)
	at := out.waitOutput(t, 0, ">>> ", 10*time.Second)
	for i, interrupt := range []func() error{
		p.Interrupt,
		func() error { _, err := p.Write([]byte{3}); return err }, // ctrl+c typed into the terminal
	} {
		if _, err := p.Write([]byte("exec(\"print('LOOP' + 'ING', flush=True)\\nwhile True: pass\")\n")); err != nil {
			t.Fatal(err)
		}
		at = out.waitOutput(t, at, "LOOPING", 10*time.Second)
		if err := interrupt(); err != nil {
			t.Fatal(err)
		}
		at = out.waitOutput(t, at, "KeyboardInterrupt", 10*time.Second)
		at = out.waitOutput(t, at, ">>> ", 10*time.Second)
		if _, err := p.Write([]byte(fmt.Sprintf("print(6*7+%d)\n", i))); err != nil {
			t.Fatal(err)
		}
		at = out.waitOutput(t, at, strconv.Itoa(42+i), 10*time.Second)
	}
	select {
	case <-p.Done():
		t.Fatal("the session ended")
	default:
	}
	// The pty works as a terminal inside: its size and its name.
	if err := p.Resize(30, 100); err != nil {
		t.Fatal(err)
	}
	p.Write([]byte("import os, shutil; print(os.ttyname(0), tuple(shutil.get_terminal_size()))\n"))
	out.waitOutput(t, at, "(100, 30)", 10*time.Second)
	if !strings.Contains(out.String(), "/dev/pts/") {
		t.Fatalf("no tty name in output:\n%s", out.String())
	}
	p.Write([]byte("exit(5)\n"))
	code, err := p.Wait()
	if code != 5 || err != nil {
		t.Fatalf("Wait = %d, %v", code, err)
	}
	select {
	case <-out.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not end with the program")
	}
}

func TestForkBombContained(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID, DefaultPython, "-c", `
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
`)
	s.Stdout = io.Discard
	s.Limits.Pids = 32
	p, err := Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pidsDir := p.cg.v1["pids"]
	if pidsDir == "" {
		t.Skip("no v1 pids controller (pure v2 host): covered by cgroup.kill path")
	}
	current := func() int {
		b, _ := os.ReadFile(filepath.Join(pidsDir, "pids.current"))
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	waitFor(t, "the bomb to reach pids.max", 10*time.Second, func() bool { return current() >= 32 })
	// The host and a second student stay responsive meanwhile.
	bob := testSpec(t, "bob", bobUID)
	r := python(t, bob, "print('bob ok')")
	if r.stdout != "bob ok\n" {
		t.Fatalf("bob's sandbox during alice's fork bomb: %+v", r)
	}
	if n := current(); n > 32 {
		t.Fatalf("pids.current = %d > pids.max", n)
	}
	dirs, pids := append([]string{}, p.cg.dirs...), cgroupProcs(t, p)
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d processes, killed and cleaned up in %v", len(pids), time.Since(start))
	assertGone(t, dirs, pids)
}

func TestMemoryBalloonKilled(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID, DefaultPython, "-c", "b = bytearray(8 << 30); print('survived')")
	s.Limits.MemoryBytes = 64 << 20
	var out syncBuffer
	s.Stdout, s.Stderr = &out, &out
	p, err := Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	code, err := p.Wait()
	t.Logf("exit %d, output %q", code, out.String())
	if err != nil || strings.Contains(out.String(), "survived") {
		t.Fatalf("balloon: code %d err %v out %q", code, err, out.String())
	}
	// Either the kernel refused the allocation (MemoryError, exit 1) or the
	// OOM killer ended python (137); in both cases only the sandbox noticed.
	if code != 137 && !strings.Contains(out.String(), "MemoryError") {
		t.Fatalf("exit %d, want 137 or a MemoryError: %q", code, out.String())
	}
	if code == 137 && !p.OOMKilled() {
		t.Error("OOMKilled = false after an OOM kill")
	}
}

func TestOrphansDie(t *testing.T) {
	needSandbox(t)
	// A daemon: fork, setsid, fork again, the grandchild sleeps forever.
	daemon := `
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        open("/tmp/x", "w")
        print("DAEMON-" + "UP", flush=True)
        time.sleep(1000)
    os._exit(0)
os.wait()
`
	t.Run("program exits", func(t *testing.T) {
		s := testSpec(t, "alice", aliceUID, DefaultPython, "-c", daemon+"time.sleep(0.2)\n")
		var out syncBuffer
		s.Stdout = &out
		p, err := Start(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		var pids []int
		waitFor(t, "the daemon", 10*time.Second, func() bool {
			pids = cgroupProcs(t, p)
			return strings.Contains(out.String(), "DAEMON-UP")
		})
		dirs := append([]string{}, p.cg.dirs...)
		if code, err := p.Wait(); code != 0 || err != nil {
			t.Fatalf("Wait = %d, %v", code, err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		assertGone(t, dirs, pids)
	})
	t.Run("session closed", func(t *testing.T) {
		s := testSpec(t, "alice", aliceUID, DefaultPython, "-i")
		p, out := startPty(t, s)
		at := out.waitOutput(t, 0, ">>> ", 10*time.Second)
		p.Write([]byte("exec(" + strconv.Quote(daemon) + ")\n"))
		out.waitOutput(t, at, "DAEMON-UP", 10*time.Second)
		pids := cgroupProcs(t, p)
		if len(pids) < 3 {
			t.Fatalf("want init, python and the daemon in the cgroup, got %v", pids)
		}
		dirs := append([]string{}, p.cg.dirs...)
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if code, _ := p.Wait(); code != 137 {
			t.Errorf("exit after Close = %d, want 137", code)
		}
		assertGone(t, dirs, pids)
		if _, err := p.Write([]byte("x")); err == nil {
			t.Error("Write after Close succeeded")
		}
	})
}

func TestContextCancelKills(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID, "sleep", "1000")
	s.Stdout = io.Discard
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Start(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cancel()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("cancelling the context did not end the sandbox")
	}
	if code, _ := p.Wait(); code != 137 {
		t.Fatalf("exit %d, want 137", code)
	}
}

func BenchmarkStart(b *testing.B) {
	needSandbox(b)
	for _, cmd := range [][]string{{"/bin/true"}, {DefaultPython, "-c", "pass"}} {
		b.Run(filepath.Base(cmd[0]), func(b *testing.B) {
			s := testSpec(b, "alice", aliceUID, cmd...)
			s.Stdout = io.Discard
			for b.Loop() {
				p, err := Start(context.Background(), s)
				if err != nil {
					b.Fatal(err)
				}
				if code, err := p.Wait(); code != 0 || err != nil {
					b.Fatal(code, err)
				}
				if err := p.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestSweepRemovesStaleSandboxes(t *testing.T) {
	needSandbox(t)
	// A live sandbox of ours, which Sweep must leave alone.
	live, _ := startPty(t, testSpec(t, "alice", aliceUID, "sleep", "1000"))

	// A stale one: named after a daemon pid that no longer exists, with a
	// process still inside (as if its init had escaped the kill).
	done := exec.Command("/bin/true")
	if err := done.Run(); err != nil {
		t.Fatal(err)
	}
	layout, err := discoverCgroups()
	if err != nil {
		t.Fatal(err)
	}
	stale, err := newCgroupNamed(layout, strconv.Itoa(done.Process.Pid)+"-deadbeef-bob", DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "1000")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleeper.Process.Kill()
	if err := stale.addV1(sleeper.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if stale.v2 != "" {
		if err := os.WriteFile(filepath.Join(stale.v2, "cgroup.procs"), []byte(strconv.Itoa(sleeper.Process.Pid)), 0); err != nil {
			t.Fatal(err)
		}
	}
	dirs := append([]string{}, stale.dirs...)

	n, err := Sweep()
	if err != nil {
		t.Fatal(err)
	}
	// At least ours: other test binaries running beside this one (the end-to-end
	// tests kill `sandbox exec` with -9) may leave stale leaves of their own.
	if n < 1 {
		t.Errorf("Sweep removed %d sandboxes, want at least the stale one", n)
	}
	exited := make(chan error, 1)
	go func() { exited <- sleeper.Wait() }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("Sweep left the stale sandbox's process running")
	}
	assertGone(t, dirs, []int{sleeper.Process.Pid})
	for _, d := range live.cg.dirs {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("Sweep removed a live sandbox's cgroup %s: %v", d, err)
		}
	}
	select {
	case <-live.Done():
		t.Fatal("Sweep killed a live sandbox")
	default:
	}
}

// BenchmarkIdleREPLMemory reports what one idle python REPL sandbox costs:
// the memory its cgroup is charged (init + python + page tables, tmpfs) and
// the RSS of its processes.
func BenchmarkIdleREPLMemory(b *testing.B) {
	needSandbox(b)
	const n = 100
	var charged, rss, avail float64
	for b.Loop() {
		before := memAvailable()
		var ps []*Process
		for i := range n {
			s := testSpec(b, "alice", aliceUID+i, DefaultPython, "-i")
			p, out := startPty(b, s)
			out.waitOutput(b, 0, ">>> ", 10*time.Second)
			ps = append(ps, p)
		}
		avail = before - memAvailable()
		charged, rss = 0, 0
		for _, p := range ps {
			if dir := p.cg.v1["memory"]; dir != "" {
				b, _ := os.ReadFile(filepath.Join(dir, "memory.usage_in_bytes"))
				v, _ := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
				charged += v
			}
			for _, pid := range cgroupProcs(b, p) {
				st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
				for _, line := range strings.Split(string(st), "\n") {
					if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
						kb, _ := strconv.ParseFloat(f[1], 64)
						rss += kb * 1024
					}
				}
			}
		}
		for _, p := range ps {
			p.Close()
		}
	}
	b.ReportMetric(charged/n/(1<<20), "MiB-charged/sandbox")
	b.ReportMetric(rss/n/(1<<20), "MiB-RSS/sandbox")
	b.ReportMetric(avail/n/(1<<20), "MiB-MemAvailable/sandbox")
}

// memAvailable is the host's MemAvailable in bytes (system-wide, so noisy).
func memAvailable() float64 {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "MemAvailable:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb * 1024
		}
	}
	return 0
}

func TestCPUQuotaThrottles(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID, "sh", "-c", "for i in 1 2 3 4; do (while :; do :; done) & done; wait")
	s.Stdout = io.Discard
	s.Limits.CPUPercent = 50
	p, err := Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dir := p.cg.v1["cpu"]
	if dir == "" {
		t.Skip("no v1 cpu controller here")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "cpu.cfs_quota_us")); strings.TrimSpace(string(b)) != "50000" {
		t.Fatalf("cpu.cfs_quota_us = %q, want 50000", b)
	}
	waitFor(t, "the busy loops to be throttled", 10*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "cpu.stat"))
		return fieldInt(string(b), "nr_throttled") > 0
	})
}

func TestKillEverythingStaysInside(t *testing.T) {
	needSandbox(t)
	bob, bobOut := startPty(t, testSpec(t, "bob", bobUID, DefaultPython, "-i"))
	bobOut.waitOutput(t, 0, ">>> ", 10*time.Second)
	// kill(-1) signals every process the caller may signal but itself:
	// here only its own child.
	r := python(t, testSpec(t, "alice", aliceUID), `
import os, signal, time
pid = os.fork()
if pid == 0:
    time.sleep(100)
    os._exit(0)
os.kill(-1, signal.SIGKILL)
_, st = os.waitpid(pid, 0)
print("child", os.WTERMSIG(st) if os.WIFSIGNALED(st) else "alive")
`)
	if r.code != 0 || r.stdout != "child 9\n" {
		t.Fatalf("exit %d: %+v", r.code, r)
	}
	select {
	case <-bob.Done():
		t.Fatal("alice's kill(-1) reached bob's sandbox")
	default:
	}
	bob.Write([]byte("print(40+2)\n"))
	bobOut.waitOutput(t, 0, "42", 10*time.Second)
}

func TestInterruptWithPipes(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID, DefaultPython, "-c", `
import time
try:
    print("ready", flush=True)  # inside the try: the interrupt may come at once
    time.sleep(100)
except KeyboardInterrupt:
    print("caught", flush=True)
`)
	var out syncBuffer
	s.Stdout, s.Stderr = &out, &out
	p, err := Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	waitFor(t, "ready", 10*time.Second, func() bool { return strings.Contains(out.String(), "ready") })
	if err := p.Interrupt(); err != nil {
		t.Fatal(err)
	}
	if code, err := p.Wait(); code != 0 || err != nil || !strings.Contains(out.String(), "caught") {
		t.Fatalf("Wait = %d, %v; output %q", code, err, out.String())
	}
	if _, err := p.Read(make([]byte, 1)); !errors.Is(err, ErrNoPty) {
		t.Fatalf("Read without a pty: %v", err)
	}
}

func TestNoGoroutineLeft(t *testing.T) {
	needSandbox(t)
	before := runtime.NumGoroutine()
	for i := range 3 {
		p, out := startPty(t, testSpec(t, "alice", aliceUID, DefaultPython, "-i"))
		out.waitOutput(t, 0, ">>> ", 10*time.Second)
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		<-out.done
		r := run(t, testSpec(t, "alice", aliceUID, "cat"), fmt.Sprintf("run %d\n", i), 10*time.Second)
		if r.stdout != fmt.Sprintf("run %d\n", i) {
			t.Fatalf("cat: %+v", r)
		}
	}
	waitFor(t, "goroutines to return to their count before", 5*time.Second, func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// TestCourseLibraries runs the system-wide course libraries inside a sandbox
// and saves a plot into the home. CI installs python3-numpy, -pandas and
// -matplotlib; elsewhere the test is skipped when they are missing.
func TestCourseLibraries(t *testing.T) {
	needSandbox(t)
	if err := exec.Command(DefaultPython, "-c", "import numpy, pandas, matplotlib").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI installs python3-numpy, python3-pandas and python3-matplotlib, but %s cannot import them: %v", DefaultPython, err)
		}
		t.Skipf("numpy, pandas or matplotlib is not installed for %s", DefaultPython)
	}
	s := testSpec(t, "alice", aliceUID)
	r := python(t, s, `
import numpy as np, pandas as pd, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
df = pd.DataFrame({"x": np.arange(10), "y": np.arange(10) ** 2})
df.plot(x="x", y="y")
plt.savefig("plot.png")
print(int(df.y.sum()))
`)
	if r.code != 0 || r.stdout != "285\n" {
		t.Fatalf("exit %d: %+v", r.code, r)
	}
	fi, err := os.Stat(filepath.Join(s.Home, "plot.png"))
	if err != nil || fi.Size() == 0 {
		t.Fatalf("no plot saved in the home: %v", err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != aliceUID {
		t.Errorf("plot.png is owned by uid %d, want %d", st.Uid, aliceUID)
	}
}

// A daemon killed with -9 is a zombie until its parent reaps it; a daemon
// started meanwhile (a supervisor's restart) must still sweep its leaves.
// Before, kill(pid, 0) succeeding on the zombie kept them.
func TestSweepRemovesTheSandboxesOfAZombieDaemon(t *testing.T) {
	needSandbox(t)
	dead := exec.Command("/bin/true")
	if err := dead.Start(); err != nil {
		t.Fatal(err)
	}
	defer dead.Wait() // reaped only at the end: a zombie meanwhile
	deadline := time.Now().Add(10 * time.Second)
	for procState(dead.Process.Pid) != 'Z' {
		if time.Now().After(deadline) {
			t.Fatalf("/bin/true (pid %d) did not become a zombie within 10 s", dead.Process.Pid)
		}
		time.Sleep(time.Millisecond)
	}
	layout, err := discoverCgroups()
	if err != nil {
		t.Fatal(err)
	}
	stale, err := newCgroupNamed(layout, strconv.Itoa(dead.Process.Pid)+"-deadbeef-zed", DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	dirs := append([]string{}, stale.dirs...)
	if _, err := Sweep(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, dirs, nil)
}
