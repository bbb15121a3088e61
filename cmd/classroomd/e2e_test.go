package main

// End-to-end tests: the real binary, started as `classroomd serve` on random
// loopback ports, driven like a person would drive it: the administration
// commands as subprocesses and the real OpenSSH client for logins.
//
// The binary is built once per run (with -race when the tests run with -race,
// and a server that reports a data race fails the test). Every wait is a
// condition polled against a deadline; nothing sleeps to synchronise.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/crypto/bcrypt"

	"github.com/classroomd/classroomd/internal/store/postgres/pgtest"
)

const (
	sshClientPath = "/usr/bin/ssh"
	sshKeyscan    = "/usr/bin/ssh-keyscan"

	// The throttling policy every e2e server runs with: short, so the test is quick.
	e2eLoginDelay    = 200 * time.Millisecond
	e2eLoginMaxDelay = 2 * time.Second
	e2eFreeFailures  = 4 // the default of --login-free-failures

	startDeadline   = 60 * time.Second // the server is up (migrations, a -race binary on a busy machine)
	screenDeadline  = 10 * time.Second // the workspace screen shows after ssh starts
	exitDeadline    = 20 * time.Second // a process exits once asked to
	commandDeadline = 90 * time.Second // a CLI command or non-interactive ssh ends (safety net only)
	pollInterval    = 10 * time.Millisecond
)

// TestEndToEnd builds the binary once and runs every scenario against it, once
// per store backend. The backends run in parallel with each other; the steps of
// one backend share one server and run in order.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests start real servers and ssh clients; skipped with -short")
	}
	for _, tool := range []string{sshClientPath, sshKeyscan} {
		if _, err := os.Stat(tool); err != nil {
			msg := fmt.Sprintf("the end-to-end tests need OpenSSH's %s: %v", tool, err)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	h := newHarness(t)

	t.Run("help", h.testHelp)

	backends := []struct {
		name string
		new  func(t *testing.T) backend
	}{
		{"sqlite", func(t *testing.T) backend { return backend{dataDir: t.TempDir(), uidBase: 310000} }},
		{"postgres", func(t *testing.T) backend {
			return backend{dataDir: t.TempDir(), dbURL: pgtest.NewDatabase(t), uidBase: 320000}
		}},
	}
	for _, bc := range backends {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			h.runBackend(t, bc.new(t))
		})
	}
}

// runBackend walks through the acceptance steps against one store backend.
func (h *harness) runBackend(t *testing.T, b backend) {
	srv := h.startServer(t, b)
	env := &scenario{h: h, b: b, srv: srv, knownHosts: filepath.Join(t.TempDir(), "known_hosts")}

	// The steps run in order and build on each other (alice is added in one and
	// logs in in the next). A failed step does not stop the rest unless the
	// server itself is gone.
	steps := []struct {
		name string
		run  func(*testing.T)
	}{
		{"first_start_prints_admin_login", env.firstStart},
		{"user_add_disable_enable_audit", env.userLifecycle},
		{"import_roster_with_foreign_hashes", env.importRoster},
		{"login_throttling_per_username", env.throttling},
		{"commands_env_and_flag_order", env.commandsAndEnv},
		{"account_self_service", env.accountSelfService},
		{"workspace_over_openssh", env.workspaceSession},
		{"two_logins_share_the_repl", env.sharedREPL},
		{"start_of_class_keeps_typed_keys", env.startOfClass},
		{"figures_drawn_in_half_blocks", env.figures},
		{"figures_in_pixel_protocols", env.figuresInPixels},
		{"resize_redraws_cleanly", env.resizeRedraw},
		{"console_shows_the_roster", env.consoleRoster},
		{"console_live_view_and_control", env.consoleLiveView},
		{"console_announcements", env.consoleAnnouncements},
		{"console_help_queue", env.consoleHelpQueue},
		{"console_refuses_students", env.consoleRefusesStudents},
		{"restart_keeps_host_key_and_roster", env.restart},
		{"grace_period_end_leaves_nothing", env.graceLeavesNothing},
	}
	for i, s := range steps {
		if !t.Run(s.name, s.run) && env.srv.exited() && i < len(steps)-1 {
			t.Fatalf("step %s failed and the server has exited; the later steps need it", s.name)
		}
	}
}

// scenario is one backend's running server and what the steps share.
type scenario struct {
	h          *harness
	b          backend
	srv        *server
	knownHosts string // written by ssh itself (StrictHostKeyChecking=accept-new)

	adminPassword string
}

const (
	alicePassword = "correct horse battery"
	bobPassword   = "tr0mbone-sunset-42"
)

// 1. First start prints the admin password and the ssh command; admin can log in with it.
func (s *scenario) firstStart(t *testing.T) {
	// stdout and stderr are separate pipes: the admin password, printed before
	// the startup line, may still be on its way.
	waitFor(5*time.Second, s.srv.done, func() bool { return strings.Contains(s.srv.stdout.String(), "admin@") })
	out := s.srv.stdout.String()
	m := regexp.MustCompile(`password:\s+(\S+)\s`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("first start printed no admin password on stdout:\n%s", out)
	}
	s.adminPassword = m[1]
	want := "ssh -p " + s.srv.sshPort + " admin@127.0.0.1"
	if !strings.Contains(out, want) {
		t.Errorf("first start's stdout does not hold the login command %q (the server listens on %s):\n%s", want, s.srv.sshAddr, out)
	}
	if logs := s.srv.stderr.String(); strings.Contains(logs, s.adminPassword) {
		t.Errorf("the admin password appears in the log (stderr); it must only be printed to stdout")
	}

	// A generated password must be replaced at first login, so admin's first
	// screen is a password form (where q is text): ctrl+c quits anywhere.
	s.h.screen(t, s.srv, sshOpts{knownHosts: s.knownHosts}, "admin", s.adminPassword, screenWant{text: []string{"admin"}, quit: "\x03"})

	// The HTTP side is up on its own random port too.
	resp, err := http.Get("http://" + s.srv.httpAddr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("GET /healthz = %d %s, want 200 with status ok", resp.StatusCode, body)
	}
}

// 2. Add alice with a chosen password; she logs in, a wrong password and a disabled
// account are refused, enabling lets her in again, and the audit log tells it all.
func (s *scenario) userLifecycle(t *testing.T) {
	h, b, srv := s.h, s.b, s.srv
	r := h.cli(t, cliOpts{stdin: alicePassword + "\n"}, append([]string{"user", "add", "alice", "--name", "Alice Liddell", "--password-stdin"}, b.flags()...)...)
	r.mustSucceed(t)
	if strings.Contains(r.stdout, alicePassword) {
		t.Errorf("user add echoed the password given on stdin:\n%s", r.stdout)
	}

	if screen, ok := h.screen(t, srv, sshOpts{knownHosts: s.knownHosts}, "alice", alicePassword, workspaceScreen("alice")); ok && !strings.Contains(screen, "Alice Liddell") {
		t.Errorf("alice's screen does not show her full name:\n%s", screen)
	}

	h.sshRefused(t, srv, sshOpts{knownHosts: s.knownHosts}, "alice", "not her password")

	h.cli(t, cliOpts{}, append(b.flags(), "user", "disable", "alice")...).mustSucceed(t)
	h.sshRefused(t, srv, sshOpts{knownHosts: s.knownHosts}, "alice", alicePassword)

	h.cli(t, cliOpts{}, append([]string{"user", "enable", "alice"}, b.flags()...)...).mustSucceed(t)
	h.screen(t, srv, sshOpts{knownHosts: s.knownHosts}, "alice", alicePassword, workspaceScreen("alice"))

	entries := h.audit(t, b, "--user", "alice", "--limit", "100")
	var ok, denied, disable, enable int
	for _, e := range entries {
		for _, field := range []string{e.Actor, e.Action, e.Target, e.Remote, e.Outcome, e.Detail} {
			if strings.Contains(field, alicePassword) || strings.Contains(field, "not her password") {
				t.Errorf("an audit entry holds a password: %+v", e)
			}
		}
		switch {
		case e.Action == "login.password" && e.Target == "alice" && e.Outcome == "ok":
			ok++
			if !strings.HasPrefix(e.Remote, "127.0.0.1:") {
				t.Errorf("login entry's Remote = %q, want 127.0.0.1:port", e.Remote)
			}
		case e.Action == "login.password" && e.Target == "alice" && e.Outcome == "denied":
			denied++
		case e.Action == "user.disable" && e.Target == "alice" && e.Outcome == "ok":
			disable++
		case e.Action == "user.enable" && e.Target == "alice" && e.Outcome == "ok":
			enable++
		}
	}
	if ok < 2 || denied < 2 || disable != 1 || enable != 1 {
		t.Errorf("audit --user alice: %d ok and %d denied password logins, %d disable and %d enable entries; want >=2, >=2, 1, 1:\n%s",
			ok, denied, disable, enable, dumpAudit(entries))
	}
	for i := 1; i < len(entries); i++ {
		if entries[i].At.After(entries[i-1].At) {
			t.Errorf("audit is not newest first: entry %d (%s) is newer than entry %d (%s)", i, entries[i].At, i-1, entries[i-1].At)
			break
		}
	}
}

// 3. A 200-student roster, some with bcrypt hashes from another system, imports in
// one command; a hashed student logs in with the old password; a roster with one
// bad row is refused whole.
func (s *scenario) importRoster(t *testing.T) {
	h, b, srv := s.h, s.b, s.srv
	dir := t.TempDir()

	type hashed struct{ password, prefix string }
	old := map[string]hashed{} // students who keep their password from the old system
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"username", "full_name", "email", "role", "password_hash"})
	for i := 1; i <= 200; i++ {
		name := fmt.Sprintf("student%03d", i)
		role := "student"
		if i%2 == 0 {
			role = "" // the default
		}
		hash := ""
		if i%5 == 0 {
			// Three kinds of export: $2a$ at cost 4, $2y$ (PHP) at 5, $2b$ at 6.
			kinds := []struct {
				prefix string
				cost   int
			}{{"$2a$", 4}, {"$2y$", 5}, {"$2b$", 6}}
			k := kinds[(i/5)%3]
			pw := fmt.Sprintf("old-system-pass-%03d", i)
			raw, err := bcrypt.GenerateFromPassword([]byte(pw), k.cost)
			if err != nil {
				t.Fatal(err)
			}
			hash = k.prefix + strings.TrimPrefix(string(raw), "$2a$")
			old[name] = hashed{pw, k.prefix}
		}
		w.Write([]string{name, fmt.Sprintf("Student Number %d", i), name + "@example.edu", role, hash})
	}
	w.Flush()
	rosterPath := filepath.Join(dir, "roster.csv")
	if err := os.WriteFile(rosterPath, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	before := len(h.users(t, b))
	r := h.cli(t, cliOpts{}, append([]string{"user", "import", rosterPath}, b.flags()...)...)
	r.mustSucceed(t)
	if !strings.Contains(r.stdout, "200 created") {
		t.Errorf("import did not report 200 created users:\n%s", r.stdout)
	}
	generated := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(student\d{3})\s+([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})\s*$`).FindAllStringSubmatch(r.stdout, -1) {
		generated[m[1]] = m[2]
	}
	if len(generated) != 200-len(old) {
		t.Errorf("import printed %d generated passwords, want %d (one per student without a hash):\n%s", len(generated), 200-len(old), r.stdout)
	}
	for name := range old {
		if _, ok := generated[name]; ok {
			t.Errorf("import generated a password for %s, who brought a hash", name)
		}
	}

	users := h.users(t, b)
	if len(users) < 200 || len(users) != before+200 {
		t.Errorf("user list --json shows %d users after importing 200 (before: %d)", len(users), before)
	}
	byName := map[string]userInfo{}
	for _, u := range users {
		byName[u.Username] = u
	}
	for _, name := range []string{"student001", "student100", "student200"} {
		if u, ok := byName[name]; !ok || u.Role != "student" || u.FullName == "" {
			t.Errorf("user list: %s = %+v, want an imported student with a full name", name, u)
		}
	}

	// student005 brought a $2y$ hash of cost 5 (the server hashes at 4).
	const hashedStudent = "student005"
	if old[hashedStudent].prefix != "$2y$" {
		t.Fatalf("test setup: %s should have a $2y$ hash, has %q", hashedStudent, old[hashedStudent].prefix)
	}
	opts := sshOpts{knownHosts: s.knownHosts}
	h.sshAccepted(t, srv, opts, hashedStudent, old[hashedStudent].password)
	// Logging in re-hashed the password at the configured cost; it still works.
	h.sshAccepted(t, srv, opts, hashedStudent, old[hashedStudent].password)
	rehashed := false
	for _, e := range h.audit(t, b, "--user", hashedStudent) {
		rehashed = rehashed || (e.Action == "user.rehash" && e.Outcome == "ok")
	}
	if !rehashed {
		t.Errorf("the login of %s with an imported cost-5 hash left no user.rehash entry in the audit log", hashedStudent)
	}
	// A $2b$ one, and a generated password, work too.
	if old["student010"].prefix != "$2b$" {
		t.Fatalf("test setup: student010 should have a $2b$ hash, has %q", old["student010"].prefix)
	}
	h.sshAccepted(t, srv, opts, "student010", old["student010"].password)
	h.sshAccepted(t, srv, opts, "student001", generated["student001"])
	for _, u := range h.users(t, b) {
		loggedIn := u.Username == hashedStudent || u.Username == "student010" || u.Username == "student001"
		if loggedIn != (u.LastLoginAt != nil) && strings.HasPrefix(u.Username, "student") {
			t.Errorf("user list: %s has last_login_at %v after the logins of %s, student010 and student001", u.Username, u.LastLoginAt, hashedStudent)
		}
	}

	// A roster with one bad line: nothing is written, and the line is named.
	bad := "username,full_name,role\nnewbie1,New One,student\nnewbie2,New Two,\nnewbie3,New Three,teacher\n"
	badPath := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(badPath, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	countBefore := len(h.users(t, b))
	r = h.cli(t, cliOpts{}, append(b.flags(), "user", "import", badPath)...)
	if r.code == 0 {
		t.Errorf("importing a roster with an invalid role succeeded:\n%s%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "line 4") {
		t.Errorf("the error does not name line 4:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "line 2") || strings.Contains(r.stderr, "line 3") {
		t.Errorf("the error names a valid line:\n%s", r.stderr)
	}
	after := h.users(t, b)
	if len(after) != countBefore {
		t.Errorf("a refused import changed the user count from %d to %d", countBefore, len(after))
	}
	for _, u := range after {
		if strings.HasPrefix(u.Username, "newbie") {
			t.Errorf("a refused import wrote user %s", u.Username)
		}
	}
}

// 4. Ten wrong passwords for bob slow bob down, not alice behind the same address.
func (s *scenario) throttling(t *testing.T) {
	h, b, srv := s.h, s.b, s.srv
	h.cli(t, cliOpts{stdin: bobPassword + "\n"}, append([]string{"user", "add", "bob", "--password-stdin"}, b.flags()...)...).mustSucceed(t)

	opts := sshOpts{knownHosts: s.knownHosts}
	const wrong = 10
	for i := 1; i <= wrong; i++ {
		h.sshRefused(t, srv, opts, "bob", fmt.Sprintf("wrong-guess-%02d", i))
	}
	// The 11th attempt, with the right password, waits out the delay and gets in.
	start := time.Now()
	h.sshAccepted(t, srv, opts, "bob", bobPassword)
	took := time.Since(start)
	if took < e2eLoginDelay {
		t.Errorf("bob's 11th attempt took %s; after %d failures it must be held back at least --login-delay %s", took, wrong, e2eLoginDelay)
	}
	// The delay had reached --login-max-delay; allow 1s for bob's previous ssh to
	// exit and this one to start (the delay counts from the last failure).
	if floor := e2eLoginMaxDelay - time.Second; took < floor {
		t.Errorf("bob's 11th attempt took %s; the delay had reached %s, so it must take at least %s", took, e2eLoginMaxDelay, floor)
	}

	h.screen(t, srv, opts, "alice", alicePassword, workspaceScreen("alice"))

	entries := h.audit(t, b, "--limit", "500")
	var bobDenied []auditEntry // newest first
	var bobOK, aliceOK *auditEntry
	for i, e := range entries {
		if e.Action != "login.password" {
			continue
		}
		switch {
		case e.Target == "bob" && e.Outcome == "denied":
			bobDenied = append(bobDenied, e)
		case e.Target == "bob" && e.Outcome == "ok" && bobOK == nil:
			bobOK = &entries[i]
		case e.Target == "alice" && e.Outcome == "ok" && aliceOK == nil:
			aliceOK = &entries[i]
		}
	}
	if len(bobDenied) != wrong {
		t.Fatalf("audit holds %d denied password logins for bob, want %d:\n%s", len(bobDenied), wrong, dumpAudit(entries))
	}
	slices.Reverse(bobDenied) // oldest first: attempt 1 .. 10
	for i, e := range bobDenied {
		held := strings.Contains(e.Detail, "held back")
		if i < e2eFreeFailures+1 && held {
			// Attempts 1-5 follow at most 4 failures: never slowed.
			t.Errorf("bob's attempt %d was held back after only %d failures: %+v", i+1, i, e)
		}
		if i >= wrong-3 && !held {
			// Attempts 8-10 must wait 800ms, 1.6s and 2s after the previous failure.
			t.Errorf("bob's attempt %d (after %d failures) was not held back: %+v", i+1, i, e)
		}
	}
	if bobOK == nil {
		t.Errorf("audit has no ok password login for bob")
	} else if !strings.Contains(bobOK.Detail, "held back") {
		t.Errorf("bob's successful 11th attempt is not marked as held back: %+v", *bobOK)
	}
	if aliceOK == nil {
		t.Fatalf("audit has no ok password login for alice:\n%s", dumpAudit(entries))
	}
	if bobOK != nil && aliceOK.At.Before(bobOK.At) {
		t.Errorf("alice's newest password login (%s) is older than bob's 11th attempt (%s): her login after bob's failures is missing", aliceOK.At, bobOK.At)
	}
	if strings.Contains(aliceOK.Detail, "held back") {
		t.Errorf("alice was held back by bob's failures from the same address: %+v", *aliceOK)
	}
	if !strings.HasPrefix(aliceOK.Remote, "127.0.0.1:") || (bobOK != nil && !strings.HasPrefix(bobOK.Remote, "127.0.0.1:")) {
		t.Errorf("alice and bob should both come from 127.0.0.1: alice %q, bob %+v", aliceOK.Remote, bobOK)
	}
}

// 6. A command over ssh is refused clearly; CLASSROOMD_* variables and flags in
// any position work for the administration commands.
func (s *scenario) commandsAndEnv(t *testing.T) {
	h, b, srv := s.h, s.b, s.srv
	r := h.ssh(t, srv, sshOpts{knownHosts: s.knownHosts}, "alice", alicePassword, "nosuchcmd")
	if r.code == 0 || r.code == 255 {
		t.Errorf("ssh alice@host nosuchcmd exited %d, want the server's own non-zero status (not 255, which means ssh itself failed):\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout+r.stderr, "nosuchcmd") {
		t.Errorf("ssh alice@host nosuchcmd: the message does not name the command:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}

	// The store named only by the environment, run from an empty folder so that
	// the ./data default would be noticed.
	cwd := t.TempDir()
	envOnly := cliOpts{env: b.env(), dir: cwd}
	h.cli(t, envOnly, "user", "add", "--name", "Carl Sagan", "carl").mustSucceed(t)
	h.cli(t, envOnly, "user", "add", "carl2", "--name", "Carl Two").mustSucceed(t)
	r = h.cli(t, envOnly, "user", "list", "--json")
	r.mustSucceed(t)
	var listed []userInfo
	if err := json.Unmarshal([]byte(r.stdout), &listed); err != nil {
		t.Fatalf("user list --json: %v\n%s", err, r.stdout)
	}
	names := map[string]string{}
	for _, u := range listed {
		names[u.Username] = u.FullName
	}
	if names["carl"] != "Carl Sagan" || names["carl2"] != "Carl Two" || names["alice"] != "Alice Liddell" {
		t.Errorf("user list with CLASSROOMD_* set: carl=%q carl2=%q alice=%q; want the users of the server's store", names["carl"], names["carl2"], names["alice"])
	}
	if _, err := os.Stat(filepath.Join(cwd, "data")); err == nil {
		t.Errorf("a command with CLASSROOMD_DATA_DIR set created ./data in its working directory")
	}
	// The flags' results are the same store as the environment's.
	if got := h.users(t, b); !slices.ContainsFunc(got, func(u userInfo) bool { return u.Username == "carl2" }) {
		t.Errorf("carl2, added with CLASSROOMD_* set, is missing from user list --data-dir/--database-url")
	}
	if b.dbURL == "" {
		// A flag beats the environment.
		other := cliOpts{env: []string{"CLASSROOMD_DATA_DIR=" + t.TempDir()}, dir: cwd}
		r = h.cli(t, other, "user", "list", "--json", "--data-dir", b.dataDir)
		r.mustSucceed(t)
		if !strings.Contains(r.stdout, `"carl2"`) {
			t.Errorf("--data-dir did not override CLASSROOMD_DATA_DIR:\n%s", r.stdout)
		}
	}
}

// 5. A restart keeps the host key (a student's known_hosts stays valid) and the roster.
func (s *scenario) restart(t *testing.T) {
	h, b := s.h, s.b
	oldPort := s.srv.sshPort
	before := h.hostKey(t, oldPort)
	if !strings.Contains(readFile(t, s.knownHosts), "[127.0.0.1]:"+oldPort+" "+before) {
		t.Fatalf("known_hosts written by ssh holds no %s key for [127.0.0.1]:%s:\n%s", before, oldPort, readFile(t, s.knownHosts))
	}

	s.srv.stop(t)
	// The workspace step left Python running in a live workspace: stopping the
	// server must end every student program with it.
	if !waitFor(exitDeadline, nil, func() bool { return len(studentProcesses(b.uidBase)) == 0 }) {
		t.Errorf("after the server stopped, student programs still run: %v", studentProcesses(b.uidBase))
	}
	old := seedExpired(t, b)
	s.srv = h.startServer(t, b)
	s.checkPruned(t, old)
	after := h.hostKey(t, s.srv.sshPort)
	if after != before {
		t.Errorf("the host key changed across a restart:\nbefore %s\nafter  %s", before, after)
	}

	// The student's known_hosts, moved to the new port, must verify the restarted
	// server with strict checking.
	var kept []string
	for _, line := range strings.Split(readFile(t, s.knownHosts), "\n") {
		if strings.HasPrefix(line, "[127.0.0.1]:"+oldPort+" ") {
			kept = append(kept, strings.Replace(line, ":"+oldPort+" ", ":"+s.srv.sshPort+" ", 1))
		}
	}
	strict := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(strict, []byte(strings.Join(kept, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.screen(t, s.srv, sshOpts{knownHosts: strict, strict: true}, "alice", alicePassword, workspaceScreen("alice"))
	if got := readFile(t, strict); got != strings.Join(kept, "\n")+"\n" {
		t.Errorf("ssh changed a strict known_hosts file:\n%s", got)
	}
	s.srv.stop(t)
	// Read once the server has exited, so all its output has arrived.
	if out := s.srv.stdout.String(); strings.Contains(out, "password") {
		t.Errorf("a restart with users in the roster printed a new admin password:\n%s", out)
	}
}

// testHelp checks that every command's --help exits 0 and names its flags.
func (h *harness) testHelp(t *testing.T) {
	common := []string{"--data-dir", "--database-url", "--bcrypt-cost", "CLASSROOMD_DATA_DIR"}
	cases := []struct {
		args  []string
		flags []string
	}{
		{nil, []string{"serve", "user", "audit", "migrate"}},
		{[]string{"serve"}, []string{"--ssh-addr", "--http-addr", "--login-delay", "--login-max-delay", "--login-free-failures", "--shutdown-timeout", "CLASSROOMD_SSH_ADDR",
			"--audit-retention-days", "--login-failure-retention-days", "0 keeps them forever"}},
		{[]string{"migrate"}, nil},
		{[]string{"user"}, []string{"add", "passwd", "disable", "enable", "list", "import"}},
		{[]string{"user", "add"}, []string{"--name", "--email", "--role", "--password-stdin"}},
		{[]string{"user", "passwd"}, []string{"--password-stdin"}},
		{[]string{"user", "disable"}, nil},
		{[]string{"user", "enable"}, nil},
		{[]string{"user", "list"}, []string{"--json"}},
		{[]string{"user", "import"}, []string{"--skip-invalid", "--out", "password_hash"}},
		{[]string{"audit"}, []string{"--user", "--limit", "--json"}},
	}
	for _, c := range cases {
		name := strings.Join(append([]string{"classroomd"}, c.args...), " ") + " --help"
		t.Run(strings.Join(append(c.args, "help"), "_"), func(t *testing.T) {
			r := h.cli(t, cliOpts{dir: t.TempDir()}, append(c.args, "--help")...)
			if r.code != 0 {
				t.Fatalf("%s exited %d:\n%s%s", name, r.code, r.stdout, r.stderr)
			}
			for _, f := range append(slices.Clone(common), c.flags...) {
				if !strings.Contains(r.stdout, f) {
					t.Errorf("%s does not mention %s:\n%s", name, f, r.stdout)
				}
			}
		})
	}
}

// ---- harness ----

// harness holds what all tests share: the binary and the askpass script.
type harness struct {
	bin     string
	askpass string
}

func newHarness(t *testing.T) *harness {
	dir := t.TempDir()
	h := &harness{bin: filepath.Join(dir, "classroomd"), askpass: filepath.Join(dir, "askpass")}
	args := []string{"build", "-o", h.bin}
	if raceEnabled() {
		args = append(args, "-race")
	}
	args = append(args, ".")
	// go test puts its own GOROOT/bin first on the PATH of the test binary.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	// ssh runs this for the password prompt (SSH_ASKPASS_REQUIRE=force).
	script := "#!/bin/sh\nprintf '%s\\n' \"$E2E_SSH_PASSWORD\"\n"
	if err := os.WriteFile(h.askpass, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return h
}

// raceEnabled reports whether this test binary was built with -race, so the
// server can be too.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// backend is where one run's roster lives.
type backend struct {
	dataDir string
	dbURL   string // empty: SQLite in dataDir
	uidBase int    // distinct per backend: the two run at once, and a leftover must be attributable
}

// flags name the store on a command line. Cost 4 keeps hashing quick.
func (b backend) flags() []string {
	f := []string{"--data-dir", b.dataDir, "--bcrypt-cost", "4", "--uid-base", strconv.Itoa(b.uidBase)}
	if b.dbURL != "" {
		f = append(f, "--database-url", b.dbURL)
	}
	return f
}

// env names the same store in CLASSROOMD_* variables.
func (b backend) env() []string {
	e := []string{"CLASSROOMD_DATA_DIR=" + b.dataDir, "CLASSROOMD_BCRYPT_COST=4"}
	if b.dbURL != "" {
		e = append(e, "CLASSROOMD_DATABASE_URL="+b.dbURL)
	}
	return e
}

// cleanEnv is this process's environment without anything that would change how
// classroomd or ssh behave: CLASSROOMD_* settings, an ssh agent, a display.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CLASSROOMD_") || strings.HasPrefix(k, "SSH_") || k == "DISPLAY" || k == "WAYLAND_DISPLAY" {
			continue
		}
		if k == "GORACE" {
			continue
		}
		env = append(env, kv)
	}
	// A -race binary sleeps a second at exit unless told not to; every CLI
	// command would pay it.
	gorace := "atexit_sleep_ms=0"
	if v := os.Getenv("GORACE"); v != "" {
		gorace = v + " " + gorace
	}
	env = append(env, "GORACE="+gorace)
	return append(env, extra...)
}

// syncBuffer collects a subprocess's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a started subprocess whose exit is observed by one goroutine.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error // valid after done is closed
}

func startProc(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitExit waits up to d for the process to exit and returns its exit code.
func (p *proc) waitExit(d time.Duration) (int, bool) {
	if !p.exited() {
		select {
		case <-p.done:
		case <-time.After(d):
			return 0, false
		}
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0, true
	case errors.As(p.err, &ee):
		return ee.ExitCode(), true
	default:
		return -1, true
	}
}

// waitFor polls cond until it holds or d passes; it gives up early when stop is
// closed (the process it watches has exited), after one last look.
func waitFor(d time.Duration, stop <-chan struct{}, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		select {
		case <-stop:
			return cond()
		default:
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
}

// ---- the server ----

type server struct {
	*proc
	sshAddr, sshPort, httpAddr string
	stopped                    bool
}

// startServer starts `classroomd serve` on b; extra flags come last (and win).
func (h *harness) startServer(t *testing.T, b backend, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve"}, b.flags()...)
	args = append(args, "--ssh-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--login-delay", e2eLoginDelay.String(), "--login-max-delay", e2eLoginMaxDelay.String(), "--shutdown-timeout", "5s")
	args = append(args, extra...)
	cmd := exec.Command(h.bin, args...)
	cmd.Env = cleanEnv()
	cmd.Dir = t.TempDir()
	s := &server{proc: startProc(t, cmd)}
	t.Cleanup(func() {
		if !s.stopped {
			s.checkRaces(t)
		}
		if t.Failed() {
			t.Logf("server log (stderr):\n%s", tail(s.stderr.String(), 8000))
		}
	})

	var startup struct{ SSH, HTTP string }
	up := waitFor(startDeadline, s.done, func() bool {
		for _, line := range strings.Split(s.stderr.String(), "\n") {
			var rec struct {
				Msg  string `json:"msg"`
				SSH  string `json:"ssh"`
				HTTP string `json:"http"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "classroomd serving" {
				startup.SSH, startup.HTTP = rec.SSH, rec.HTTP
				return true
			}
		}
		return false
	})
	if !up {
		if code, exited := s.waitExit(0); exited {
			t.Fatalf("classroomd serve exited with status %d before it was serving\nstdout:\n%s\nstderr:\n%s", code, s.stdout.String(), s.stderr.String())
		}
		t.Fatalf("classroomd serve did not log \"classroomd serving\" within %s\nstdout:\n%s\nstderr:\n%s",
			startDeadline, s.stdout.String(), s.stderr.String())
	}
	s.sshAddr, s.httpAddr = startup.SSH, startup.HTTP
	var ok bool
	if _, s.sshPort, ok = strings.Cut(s.sshAddr, "127.0.0.1:"); !ok || s.sshPort == "0" {
		t.Fatalf("startup log names ssh address %q, want 127.0.0.1:PORT", s.sshAddr)
	}
	return s
}

// stop sends SIGTERM and checks that the server exits, cleanly, in time.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	code, exited := s.waitExit(exitDeadline)
	if !exited {
		t.Fatalf("classroomd serve did not exit within %s of SIGTERM", exitDeadline)
	}
	s.stopped = true
	if code != 0 {
		t.Errorf("classroomd serve exited %d after SIGTERM, want 0\n%s", code, tail(s.stderr.String(), 4000))
	}
	if !strings.Contains(s.stderr.String(), "shutting down") {
		t.Errorf("the server did not log its shutdown")
	}
	s.checkRaces(t)
}

// checkRaces fails the test when a -race server reported a data race.
func (s *server) checkRaces(t *testing.T) {
	if out := s.stderr.String(); strings.Contains(out, "WARNING: DATA RACE") {
		t.Errorf("the server reported a data race:\n%s", tail(out, 8000))
	}
}

// ---- the administration commands ----

type cliOpts struct {
	env   []string // added to the clean environment
	dir   string   // working directory; a fresh temp dir when empty
	stdin string
}

type result struct {
	stdout, stderr string
	code           int
	args           []string
}

func (r result) mustSucceed(t *testing.T) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("classroomd %s exited %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
	}
}

func (h *harness) cli(t *testing.T, o cliOpts, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, args...)
	cmd.Env = cleanEnv(o.env...)
	cmd.Dir = o.dir
	if cmd.Dir == "" {
		cmd.Dir = t.TempDir()
	}
	cmd.Stdin = strings.NewReader(o.stdin)
	return run(t, cmd, args)
}

func run(t *testing.T, cmd *exec.Cmd, args []string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), args: args}
	if strings.Contains(r.stderr, "WARNING: DATA RACE") {
		t.Errorf("%s %s reported a data race:\n%s", filepath.Base(cmd.Path), strings.Join(args, " "), r.stderr)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(cmd.Path), strings.Join(args, " "), err, r.stdout, r.stderr)
	}
	return r
}

type auditEntry struct {
	ID      int64
	At      time.Time
	Actor   string
	Action  string
	Target  string
	Remote  string
	Outcome string
	Detail  string
}

func (h *harness) audit(t *testing.T, b backend, args ...string) []auditEntry {
	t.Helper()
	r := h.cli(t, cliOpts{}, append(append([]string{"audit", "--json"}, args...), b.flags()...)...)
	r.mustSucceed(t)
	var entries []auditEntry
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
		t.Fatalf("audit --json printed no JSON array: %v\n%s", err, r.stdout)
	}
	return entries
}

func dumpAudit(entries []auditEntry) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "  %s %s %s %s %s %s %q\n", e.At.Format(time.StampMilli), e.Actor, e.Action, e.Target, e.Remote, e.Outcome, e.Detail)
	}
	return b.String()
}

type userInfo struct {
	Username string `json:"username"`
	FullName string `json:"full_name"`
	Role     string `json:"role"`
	Disabled bool   `json:"disabled"`
	// LastLoginAt is null until the first login.
	LastLoginAt *time.Time `json:"last_login_at"`
}

func (h *harness) users(t *testing.T, b backend) []userInfo {
	t.Helper()
	r := h.cli(t, cliOpts{}, append([]string{"user", "list", "--json"}, b.flags()...)...)
	r.mustSucceed(t)
	var users []userInfo
	if err := json.Unmarshal([]byte(r.stdout), &users); err != nil {
		t.Fatalf("user list --json printed no JSON array: %v\n%s", err, r.stdout)
	}
	return users
}

// ---- OpenSSH ----

type sshOpts struct {
	knownHosts string
	strict     bool // StrictHostKeyChecking=yes instead of accept-new
}

// sshArgs keeps the developer's ssh config, keys and agent out of the test.
func sshArgs(srv *server, o sshOpts, user string, extra ...string) []string {
	check := "accept-new"
	if o.strict {
		check = "yes"
	}
	args := []string{
		"-F", "/dev/null",
		"-o", "UserKnownHostsFile=" + o.knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=" + check,
		"-o", "NumberOfPasswordPrompts=1",
		"-o", "PubkeyAuthentication=no",
		"-o", "BatchMode=no",
		"-o", "ConnectTimeout=10",
		"-p", srv.sshPort,
	}
	args = append(args, extra...)
	return append(args, user+"@127.0.0.1")
}

func (h *harness) sshEnv(password string) []string {
	return cleanEnv("SSH_ASKPASS="+h.askpass, "SSH_ASKPASS_REQUIRE=force", "E2E_SSH_PASSWORD="+password)
}

// ssh runs a non-interactive ssh (no terminal) with an optional remote command.
func (h *harness) ssh(t *testing.T, srv *server, o sshOpts, user, password string, command ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandDeadline)
	defer cancel()
	args := append(sshArgs(srv, o, user, "-T"), command...)
	cmd := exec.CommandContext(ctx, sshClientPath, args...)
	cmd.Env = h.sshEnv(password)
	cmd.Stdin = strings.NewReader("")
	return run(t, cmd, args)
}

// sshRefused checks that the server refuses the login: ssh itself fails (255)
// with "Permission denied".
func (h *harness) sshRefused(t *testing.T, srv *server, o sshOpts, user, password string) {
	t.Helper()
	r := h.ssh(t, srv, o, user, password)
	if r.code != 255 || !strings.Contains(r.stderr, "Permission denied") {
		t.Errorf("ssh %s@ with a password that must be refused: exit %d, want 255 with \"Permission denied\"\nstderr:\n%s", user, r.code, r.stderr)
	}
}

// sshAccepted checks that the server accepts the login: ssh gets past
// authentication (without a terminal the server then ends the session itself,
// so the status is the server's, never ssh's own 255).
func (h *harness) sshAccepted(t *testing.T, srv *server, o sshOpts, user, password string) {
	t.Helper()
	r := h.ssh(t, srv, o, user, password)
	if r.code == 255 || strings.Contains(r.stderr, "Permission denied") {
		t.Errorf("ssh %s@ with the right password was refused: exit %d\nstderr:\n%s", user, r.code, r.stderr)
	}
}

// screenWant is what a screen must show before the key that quits it is pressed.
type screenWant struct {
	text []string
	quit string
}

// workspaceScreen is a student's workspace: their name and the welcome.py every home
// starts with; q quits it.
func workspaceScreen(user string) screenWant {
	return screenWant{text: []string{user, "welcome.py"}, quit: "q"}
}

// screen logs in with `ssh -tt` as a person would, with a pipe for a keyboard,
// waits for the screen to show want.text, presses want.quit and expects ssh to
// exit 0. It returns the screen's text without escape sequences, and whether it
// showed what was wanted.
func (h *harness) screen(t *testing.T, srv *server, o sshOpts, user, password string, want screenWant) (string, bool) {
	t.Helper()
	cmd := exec.Command(sshClientPath, sshArgs(srv, o, user, "-tt")...)
	cmd.Env = h.sshEnv(password)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := startProc(t, cmd)
	text := func() string { return ansi.Strip(p.stdout.String()) }
	shown := waitFor(screenDeadline, p.done, func() bool {
		s := text()
		for _, w := range want.text {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
	if !shown {
		if p.exited() {
			t.Errorf("ssh -tt %s@ exited before the screen showed %q\nstderr:\n%s\nscreen:\n%s", user, want.text, p.stderr.String(), text())
			return text(), false
		}
		t.Errorf("ssh -tt %s@: the screen did not show %q within %s\nscreen text: %q\nraw output: %q\nstderr:\n%s",
			user, want.text, screenDeadline, text(), tail(p.stdout.String(), 2000), p.stderr.String())
	}
	if _, err := io.WriteString(stdin, want.quit); err != nil && !p.exited() {
		t.Errorf("press %q: %v", want.quit, err)
	}
	code, exited := p.waitExit(exitDeadline)
	switch {
	case !exited:
		t.Errorf("ssh -tt %s@ did not exit within %s of pressing %q\nscreen:\n%s", user, exitDeadline, want.quit, text())
	case code != 0:
		t.Errorf("ssh -tt %s@ exited %d after %q, want 0\nstderr:\n%s", user, code, want.quit, p.stderr.String())
	}
	return text(), shown
}

// hostKey returns the server's ed25519 host key as "ssh-ed25519 AAAA...".
func (h *harness) hostKey(t *testing.T, port string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandDeadline)
	defer cancel()
	args := []string{"-T", "10", "-p", port, "-t", "ed25519", "127.0.0.1"}
	cmd := exec.CommandContext(ctx, sshKeyscan, args...)
	cmd.Env = cleanEnv()
	r := run(t, cmd, args)
	for _, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "[127.0.0.1]:"+port && f[1] == "ssh-ed25519" {
			return f[1] + " " + f[2]
		}
	}
	t.Fatalf("ssh-keyscan -p %s found no ed25519 key (exit %d):\n%s\n%s", port, r.code, r.stdout, r.stderr)
	return ""
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// studentProcesses lists the processes running as one of this backend's
// student uids (uid-base + user id), as "pid cmdline".
func studentProcesses(uidBase int) []string {
	dirs, _ := os.ReadDir("/proc")
	var found []string
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", d.Name(), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 || fields[0] != "Uid:" {
				continue
			}
			if uid, err := strconv.Atoi(fields[1]); err == nil && uid > uidBase && uid < uidBase+10000 {
				cmd, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
				found = append(found, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(cmd), "\x00", " ")))
			}
		}
	}
	return found
}
