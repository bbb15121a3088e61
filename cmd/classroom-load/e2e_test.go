package main

// End to end: a real classroomd (built from this tree, started on random
// loopback ports with a data dir of its own), three simulated students for a
// few seconds, and the JSON report read back. The figures' values are not
// checked (timing goals belong in benchmarks); that something was measured
// and nothing failed is.

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/loadgen"
)

const e2ePassword = "tall ladder 4812"

func TestLoadAgainstClassroomd(t *testing.T) {
	bin, dataDir := threeStudents(t, "433000", "--professor", "teach")
	srv := startClassroomd(t, bin, dataDir)

	report := filepath.Join(t.TempDir(), "load.json")
	var out bytes.Buffer
	args := []string{"--addr", srv.addr, "--server-pid", strconv.Itoa(srv.cmd.Process.Pid),
		"--students", "3", "--typing", "0.67", "--cpu", "0.33", "--ramp", "1s", "--duration", "10s",
		"--key-interval", "20ms", "--think", "100ms", "--cpu-burst", "500ms", "--timeout", "20s", "--json", report, "--verbose",
		"--professor", "teach"}
	res := runOneLevel(t, args, report, &out)
	if res.ConsoleLive != 3 {
		t.Errorf("the console's Live page showed %d students, want 3\n%s", res.ConsoleLive, out.String())
	}
	if len(res.Errors) > 0 || res.Connected != 3 {
		t.Errorf("%d of 3 students connected, errors %+v\n%s\nserver log:\n%s", res.Connected, res.Errors, out.String(), srv.stderr.String())
	}
	// What every student does early is always measured; what comes later
	// in a cycle (save, run, Python) may not fit in a short hold on a busy
	// machine, but when measured it must be a real time.
	for _, m := range []string{loadgen.MeasureLogin, loadgen.MeasureREPLStart, loadgen.MeasureEchoEditor, loadgen.MeasureConsoleLogin, loadgen.MeasureConsolePage} {
		if st := res.Measures[m]; st.N == 0 {
			t.Errorf("%s: no samples\n%s", m, out.String())
		}
	}
	for m, st := range res.Measures {
		if st.N == 0 || st.P50 <= 0 || st.Max < st.P99 || st.P99 < st.P50 {
			t.Errorf("%s: %+v is not a set of real times\n%s", m, st, out.String())
		}
	}
	if res.Measures[loadgen.MeasureLogin].N != 3 {
		t.Errorf("%d logins measured, want 3", res.Measures[loadgen.MeasureLogin].N)
	}
	u := res.Usage
	if u.ServerPID != srv.cmd.Process.Pid || u.ServerRSS == 0 || u.ServerCPUAvg <= 0 || u.SandboxProcs == 0 || u.ServerRSSIdle == 0 {
		t.Errorf("server use not measured: %+v", u)
	}
	if !strings.Contains(out.String(), "echo (editor)") {
		t.Errorf("the table lacks the editor's echo:\n%s", out.String())
	}
	srv.stop(t)
}

// The browser's path: the same students through the login form and the
// WebSocket bridge, each with an X-Forwarded-For address of their own, which
// the server believes from the generator's loopback address.
func TestLoadOverTheWeb(t *testing.T) {
	bin, dataDir := threeStudents(t, "434000")
	srv := startClassroomd(t, bin, dataDir, "--trusted-proxy", "127.0.0.1")
	web := "http://" + srv.httpAddr

	report := filepath.Join(t.TempDir(), "web.json")
	var out bytes.Buffer
	// Every student types, for long enough that each saves at least once
	// (a cycle's save comes after a new file and four typed lines).
	args := []string{"--web", web, "--server-pid", strconv.Itoa(srv.cmd.Process.Pid),
		"--students", "3", "--typing", "1", "--cpu", "0", "--ramp", "1s", "--duration", "15s",
		"--key-interval", "20ms", "--think", "100ms", "--timeout", "20s", "--json", report, "--verbose"}
	res := runOneLevel(t, args, report, &out)
	if res.Target != "classroomd (web)" {
		t.Errorf("target %q, want classroomd (web)", res.Target)
	}
	if len(res.Errors) > 0 || res.Connected != 3 {
		t.Errorf("%d of 3 students connected, errors %+v\n%s", res.Connected, res.Errors, out.String())
	}
	if n := res.Measures[loadgen.MeasureLogin].N; n != 3 {
		t.Errorf("%d logins measured, want 3\n%s", n, out.String())
	}
	for _, m := range []string{loadgen.MeasureREPLStart, loadgen.MeasureEchoEditor, loadgen.MeasureSave} {
		if st := res.Measures[m]; st.N == 0 || st.P50 <= 0 {
			t.Errorf("%s: %d samples, p50 %v; want some, above zero\n%s", m, st.N, time.Duration(st.P50), out.String())
		}
	}
	// The students came through the bridge, each from an address of their own.
	bridged := map[string]string{}
	for _, line := range strings.Split(srv.stderr.String(), "\n") {
		var rec struct{ Msg, User, Remote string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "bridge open" {
			bridged[rec.User] = rec.Remote
		}
	}
	if want := map[string]string{"load001": "10.0.0.1:0", "load002": "10.0.0.2:0", "load003": "10.0.0.3:0"}; !maps.Equal(bridged, want) {
		t.Errorf("the server's bridges by user and address: %v, want %v", bridged, want)
	}

	// A wrong password is a login error that says so, and the password is
	// in neither the output nor the report.
	t.Setenv(passwordEnv, "wrong ladder 1234")
	args = []string{"--web", web, "--students", "1", "--ramp", "0s", "--duration", "1s", "--timeout", "20s", "--json", report, "--verbose"}
	res = runOneLevel(t, args, report, &out)
	e, ok := res.Errors["login: web sign-in"]
	if res.Connected != 0 || !ok || e.Count != 1 || !strings.Contains(e.First, "401 Unauthorized") || !strings.Contains(e.First, "do not match") {
		t.Errorf("a wrong password: connected %d, errors %+v; want one web sign-in error, 401, saying the password does not match\n%s", res.Connected, res.Errors, out.String())
	}
	if b, _ := os.ReadFile(report); strings.Contains(out.String()+string(b), "wrong ladder") {
		t.Errorf("the password was printed")
	}
	srv.stop(t)
}

// The floor: OpenSSH's sshd with python3 -i, started and ended by the run.
func TestLoadAgainstTheFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("starts OpenSSH's sshd; skipped with -short")
	}
	for _, p := range []string{"/usr/sbin/sshd", "/usr/bin/python3"} {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("the floor needs %s (Debian: openssh-server, python3): %v", p, err)
			}
			t.Skipf("the floor needs %s: %v", p, err)
		}
	}
	report := filepath.Join(t.TempDir(), "floor.json")
	var out bytes.Buffer
	args := []string{"--floor-only", "--students", "2", "--typing", "0.5", "--cpu", "0.5", "--ramp", "0s", "--duration", "3s",
		"--key-interval", "20ms", "--think", "100ms", "--cpu-burst", "300ms", "--timeout", "20s", "--json", report, "--verbose"}
	res := runOneLevel(t, args, report, &out)
	if len(res.Errors) > 0 || res.Connected != 2 {
		t.Errorf("%d of 2 connected, errors %+v\n%s", res.Connected, res.Errors, out.String())
	}
	for _, m := range []string{loadgen.MeasureLogin, loadgen.MeasureEchoREPL, loadgen.MeasureEval, loadgen.MeasureInterrupt} {
		if st := res.Measures[m]; st.N == 0 || st.P50 <= 0 {
			t.Errorf("%s: %d samples, p50 %v; want some, above zero\n%s", m, st.N, time.Duration(st.P50), out.String())
		}
	}
	if _, ok := res.Measures[loadgen.MeasureEchoEditor]; ok {
		t.Errorf("the floor has no editor, yet its echo was measured")
	}
}

func TestFlagsRefuseNonsense(t *testing.T) {
	t.Setenv(passwordEnv, "")
	for _, args := range [][]string{
		{"--students", "50,x"}, {"--students", "0"}, {"--typing", "0.8", "--cpu", "0.3"}, {"--cols", "40"},
		{"--prefix", "9lives"}, {"--addr", "nowhere"}, {"--classroomd", "/bin/true"}, {"stray"},
		{"--students", "1"}, // no password
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, &out); err == nil {
			t.Errorf("classroom-load %s succeeded:\n%s", strings.Join(args, " "), out.String())
		}
	}
	// --web's mistakes are named (with a password given, so that nothing else fails).
	t.Setenv(passwordEnv, "river stone 55")
	for _, args := range [][]string{
		{"--web", "127.0.0.1:8080"}, {"--web", "http://user:pw@127.0.0.1:8080"}, {"--web", "http://127.0.0.1:8080/class"},
		{"--web", "http://127.0.0.1:8080", "--web-insecure"}, {"--web-ca", "/etc/hostname"},
		{"--web", "https://127.0.0.1:8080", "--web-insecure", "--web-ca", "/etc/hostname"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), append(args, "--students", "1", "--duration", "1s"), &out, &out)
		if err == nil || !strings.Contains(err.Error(), "--web") || strings.Contains(err.Error(), ":pw@") {
			t.Errorf("classroom-load %s: %v, want an error about --web\n%s", strings.Join(args, " "), err, out.String())
		}
	}
	t.Setenv(passwordEnv, "")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &out, &out); err == nil || !strings.Contains(out.String(), "--login-storm") ||
		!strings.Contains(out.String(), "--web-forwarded-for") || !strings.Contains(out.String(), "--trusted-proxy 127.0.0.1") {
		t.Errorf("--help: %v\n%s", err, out.String())
	}
	// The roster: a header and one row per student, the password given.
	t.Setenv(passwordEnv, "river stone 55")
	out.Reset()
	if err := run(context.Background(), []string{"--create-accounts", "2", "--prefix", "lt", "--professor", "prof"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if want := "username,full_name,role,password\nlt001,Load Student 1,student,river stone 55\nlt002,Load Student 2,student,river stone 55\nprof,Load Professor,professor,river stone 55\n"; out.String() != want {
		t.Errorf("roster:\n%s\nwant:\n%s", out.String(), want)
	}
	t.Setenv(passwordEnv, "has lt in it")
	if err := run(context.Background(), []string{"--create-accounts", "2", "--prefix", "lt"}, &out, &out); err == nil {
		t.Errorf("a password holding the username prefix was accepted")
	}
}

// threeStudents builds classroomd and imports students load001-load003 (and
// what accountArgs adds) into a new data dir, their uids from uidBase. It
// skips with -short, and off CI when not root: the students' Python runs in
// a sandbox.
func threeStudents(t *testing.T, uidBase string, accountArgs ...string) (bin, dataDir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a real classroomd; skipped with -short")
	}
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("the students' Python runs in a sandbox, which this test expects as root")
	}
	bin, dataDir = buildClassroomd(t), t.TempDir()
	t.Setenv(passwordEnv, e2ePassword)
	// The import and the server must agree on the students' uids.
	t.Setenv("CLASSROOMD_UID_BASE", uidBase)
	var out bytes.Buffer
	args := append([]string{"--create-accounts", "3", "--classroomd", bin, "--data-dir", dataDir}, accountArgs...)
	if err := run(context.Background(), args, &out, &out); err != nil {
		t.Fatalf("create accounts: %v\n%s", err, out.String())
	}
	return bin, dataDir
}

// runOneLevel runs classroom-load with args (which write the report to
// report), into out, and returns the one level's result.
func runOneLevel(t *testing.T, args []string, report string, out *bytes.Buffer) loadgen.Result {
	t.Helper()
	out.Reset()
	if err := run(context.Background(), args, out, out); err != nil {
		t.Fatalf("classroom-load %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	r := readReport(t, report)
	if len(r.Results) != 1 {
		t.Fatalf("%d results, want 1:\n%s", len(r.Results), out.String())
	}
	return r.Results[0]
}

func readReport(t *testing.T, path string) loadgen.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the --json report: %v", err)
	}
	var r loadgen.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("the --json report: %v\n%s", err, b)
	}
	return r
}

// ---- a real classroomd ----

// buildClassroomd builds the server from this tree (with -race when these
// tests run with it).
func buildClassroomd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "classroomd")
	args := []string{"build", "-o", bin}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	args = append(args, "../classroomd")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

type server struct {
	cmd      *exec.Cmd
	addr     string // SSH
	httpAddr string
	stderr   *lockedBuffer
	done     chan struct{}
}

// startClassroomd starts `classroomd serve` on random loopback ports (with
// extra flags) and waits for its "classroomd serving" line.
func startClassroomd(t *testing.T, bin, dataDir string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--data-dir", dataDir, "--ssh-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--workspace-grace", "2s", "--shutdown-timeout", "5s"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	s := &server{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("server log:\n%s", s.stderr.String())
		}
	})
	deadline := time.After(60 * time.Second)
	for s.addr == "" {
		for _, line := range strings.Split(s.stderr.String(), "\n") {
			var rec struct{ Msg, SSH, HTTP string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "classroomd serving" {
				s.addr, s.httpAddr = rec.SSH, rec.HTTP
			}
		}
		if s.addr != "" {
			break
		}
		select {
		case <-s.done:
			t.Fatalf("classroomd exited before serving:\n%s", s.stderr.String())
		case <-deadline:
			t.Fatalf("classroomd did not say it was serving within 60s:\n%s", s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return s
}

// stop ends the server with SIGTERM, as an operator would.
func (s *server) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Errorf("classroomd did not exit within 30s of SIGTERM")
	}
	if strings.Contains(s.stderr.String(), "DATA RACE") {
		t.Errorf("the server reported a data race:\n%s", s.stderr.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
