package main

// Running it for real, as an operator does: health and readiness with curl's
// eyes, `classroomd status`, /metrics on its own address, and a SIGTERM while
// a student has an unsaved edit and Python running.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const opalPassword = "velvet orbit 31"

func TestOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests start real servers and ssh clients; skipped with -short")
	}
	if _, err := os.Stat(sshClientPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the end-to-end tests need OpenSSH's %s: %v", sshClientPath, err)
		}
		t.Skip(err)
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root: students' Python runs in a sandbox, and their processes are told apart by their uid")
		}
		t.Skip("students' Python runs in a sandbox, and their processes are told apart by their uid, only as root")
	}
	h := newHarness(t)
	b := backend{dataDir: t.TempDir(), uidBase: 360000}
	o := sshOpts{knownHosts: t.TempDir() + "/known_hosts"}
	srv, metricsAddr := startOpsServer(t, h, b)

	// Alive and ready, as a probe and an operator see it.
	if code, body := httpGet(t, "http://"+srv.httpAddr+"/healthz"); code != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("GET /healthz = %d %s, want 200 ok", code, body)
	}
	checkReady(t, srv)
	if r := h.cli(t, cliOpts{}, "status", "--http-addr", srv.httpAddr); r.code != 0 || !strings.Contains(r.stdout, "ready") {
		t.Errorf("classroomd status against a ready server: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Metrics are not on the students' address.
	if code, body := httpGet(t, "http://"+srv.httpAddr+"/metrics"); code == http.StatusOK && strings.Contains(body, "classroomd_") {
		t.Errorf("GET /metrics on --http-addr serves the metrics; they belong on --metrics-addr only")
	}

	h.cli(t, cliOpts{stdin: opalPassword + "\n"}, append([]string{"user", "add", "opal", "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	uid := homeOwner(t, b, "opal")

	// opal opens welcome.py, changes it without saving, and starts Python.
	student := h.tty(t, srv, o, "opal", opalPassword)
	student.waitFor("welcome.py", 1)
	student.typ(keyCtrlP + "welcome\r")
	student.waitFor("Your first Python program", 1)
	student.typ(keyCtrlEnd + "\x1b[200~zz_before_restart = 1\x1b[201~")
	student.waitFor("zz_before_restart", 1)
	student.typ(keyF4)
	student.waitFor(">>>", 1)
	student.typ(`print("P" + "Y" * 3)` + "\r")
	student.waitFor("PYYY", 1)
	if !waitFor(screenDeadline, srv.done, func() bool { return len(processesOf(uid)) > 0 }) {
		t.Fatalf("opal's Python does not run as her uid %d", uid)
	}

	// What the operator's Prometheus scrapes.
	metrics := scrape(t, metricsAddr)
	for _, want := range []string{
		`classroomd_logins_total{method="password",outcome="ok"} 1`,
		`classroomd_sessions{transport="ssh"} 1`,
		`classroomd_workspaces 1`,
		`classroomd_repl_starts_total 1`,
		`classroomd_ready 1`,
		`classroomd_sandbox_info{level="full"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^classroomd_keystroke_duration_seconds_count [1-9]`).MatchString(metrics) {
		t.Errorf("/metrics has no keystroke timed after opal typed")
	}
	if !regexp.MustCompile(`(?m)^go_goroutines \d+`).MatchString(metrics) || !strings.Contains(metrics, "process_resident_memory_bytes") {
		t.Errorf("/metrics lacks the Go runtime's and the process's metrics")
	}

	// A session that will not end by itself (keys add reads until EOF):
	// the server stays in its shutdown long enough to be seen not ready.
	lingering := exec.Command(sshClientPath, append(sshArgs(srv, o, "opal", "-T"), "keys", "add")...)
	lingering.Env = h.sshEnv(opalPassword)
	stdin, err := lingering.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	lp := startProc(t, lingering)
	if !waitFor(screenDeadline, lp.done, func() bool {
		return strings.Contains(scrape(t, metricsAddr), `classroomd_sessions{transport="ssh"} 2`)
	}) {
		t.Fatalf("the lingering `ssh keys add` session did not open:\n%s", lp.stderr.String())
	}

	sent := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// At once: not ready, while the lingering session holds the shutdown open.
	if !waitFor(exitDeadline, srv.done, func() bool { return readyCode(srv) == http.StatusServiceUnavailable }) {
		t.Errorf("/readyz never answered 503 during the shutdown")
	} else if r := h.cli(t, cliOpts{}, "status", "--http-addr", "http://"+srv.httpAddr); r.code == 0 || !strings.Contains(r.stdout, "shutting down") {
		t.Errorf("classroomd status during the shutdown: exit %d, want 1 and why\n%s%s", r.code, r.stdout, r.stderr)
	}

	// opal is told, and her ssh client ends.
	code := student.exit()
	screen := student.text()
	if !strings.Contains(screen, "classroomd is restarting") || !strings.Contains(screen, "Your work is saved") {
		t.Errorf("opal's terminal did not say the server restarts and her work is saved:\n%s", tail(screen, 1500))
	}
	if code != 0 {
		t.Errorf("opal's ssh exited %d", code)
	}
	exit, exited := srv.waitExit(exitDeadline)
	if !exited {
		t.Fatalf("the server did not exit within %s of SIGTERM (--shutdown-timeout 5s)", exitDeadline)
	}
	srv.stopped = true
	took := time.Since(sent)
	if exit != 0 {
		t.Errorf("the server exited %d after SIGTERM, want 0\n%s", exit, tail(srv.stderr.String(), 4000))
	}
	logs := srv.stderr.String()
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"told connected students the server is restarting","workspaces":1`,
		`"msg":"sessions still open at the shutdown deadline were closed"`, `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the server's log lacks %s", want)
		}
	}
	if strings.Contains(logs, "overran") {
		t.Errorf("the shutdown overran --shutdown-timeout:\n%s", tail(logs, 3000))
	}
	t.Logf("SIGTERM to exit: %s (with a session that would not end)", took.Round(time.Millisecond))
	srv.checkRaces(t)
	if _, ok := lp.waitExit(exitDeadline); !ok {
		t.Errorf("the lingering ssh did not end with the server")
	}
	if !waitFor(exitDeadline, nil, func() bool { return len(processesOf(uid)) == 0 }) {
		t.Errorf("after the server exited, opal's processes still run: %q", processesOf(uid))
	}
	// Every line of opal's session carried its id.
	checkSessionIDs(t, logs, "opal")

	// The restarted server is ready again and offers opal her edit back.
	srv, metricsAddr = startOpsServer(t, h, b)
	checkReady(t, srv)
	again := h.tty(t, srv, o, "opal", opalPassword)
	again.waitFor("Recover unsaved changes", 1)
	again.typ("r")
	again.waitFor("zz_before_restart", 1)
	again.waitFor("welcome.py ●", 1) // unsaved: recovered, not written
	metrics = scrape(t, metricsAddr)
	for _, want := range []string{`classroomd_logins_total{method="password",outcome="ok"} 1`, `classroomd_sessions{transport="ssh"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("after the restart, /metrics lacks %q", want)
		}
	}
	again.typ(keyCtrlQ)
	again.waitFor("unsaved changes", 1)
	again.typ("k")
	if code := again.exit(); code != 0 {
		t.Errorf("ssh exited %d after ctrl+q k", code)
	}
	srv.stop(t)
}

// startOpsServer starts a server with metrics on a random loopback port, and
// returns it with the metrics address it logged.
func startOpsServer(t *testing.T, h *harness, b backend) (*server, string) {
	t.Helper()
	srv := h.startServer(t, b, "--metrics-addr", "127.0.0.1:0")
	for _, line := range strings.Split(srv.stderr.String(), "\n") {
		var rec struct {
			Msg     string `json:"msg"`
			Metrics string `json:"metrics"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "classroomd serving" && rec.Metrics != "" {
			return srv, rec.Metrics
		}
	}
	t.Fatalf("the startup line names no metrics address:\n%s", srv.stderr.String())
	return nil, ""
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := httpClient.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// readyCode is /readyz's status code, or 0 when nothing answers.
func readyCode(srv *server) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+srv.httpAddr+"/readyz", nil)
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// checkReady checks that /readyz says ready, with the store ok and a full sandbox.
func checkReady(t *testing.T, srv *server) {
	t.Helper()
	code, body := httpGet(t, "http://"+srv.httpAddr+"/readyz")
	var rep struct {
		Status          string `json:"status"`
		Store           string `json:"store"`
		Sandbox         string `json:"sandbox"`
		AcceptingLogins bool   `json:"accepting_logins"`
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("GET /readyz: not JSON: %v\n%s", err, body)
	}
	if code != http.StatusOK || rep.Status != "ready" || rep.Store != "ok" || rep.Sandbox != "full" || !rep.AcceptingLogins {
		t.Errorf("GET /readyz = %d %s, want 200 ready with the store ok and a full sandbox", code, body)
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	code, body := httpGet(t, "http://"+addr+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics on --metrics-addr = %d", code)
	}
	return body
}

// checkSessionIDs checks that the log lines of user's sessions each carry a
// session id, and that its login and its session's start share one.
func checkSessionIDs(t *testing.T, logs, user string) {
	t.Helper()
	byMsg := map[string][]string{}
	for _, line := range strings.Split(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["user"] != user {
			continue
		}
		msg, _ := rec["msg"].(string)
		id, _ := rec["session_id"].(string)
		switch msg {
		case "login", "session started", "session ended", "login refused":
			if id == "" {
				t.Errorf("%s's %q line has no session_id: %s", user, msg, line)
			}
			byMsg[msg] = append(byMsg[msg], id)
		}
	}
	if len(byMsg["login"]) == 0 || len(byMsg["session started"]) == 0 {
		t.Fatalf("no login or session lines for %s", user)
	}
	if first := byMsg["login"][0]; !strings.Contains(strings.Join(byMsg["session started"], " "), first) {
		t.Errorf("%s's first login (%s) has no session started under its id: %v", user, first, byMsg)
	}
}
