package main

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/testkit"
)

// webLogin posts the login form as a browser on this server's page would,
// and returns the status and the page's text.
func webLogin(t *testing.T, srv *server, user, password string) (int, string) {
	t.Helper()
	base := "http://" + srv.httpAddr
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 15 * time.Second}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"username": {user}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("web login: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(body))
}

// #16 case 1, SQLite: the database file stops taking writes under a class
// (made immutable, as root: a chmod stops nobody then, and a read-only
// remount is refused while the server holds the file open for writing) and
// becomes writable again. The promises are PostgreSQL's
// (TestStoreGoesAwayUnderAClass): alice, already working, keeps running
// Python and saving; bob's new login is refused within seconds and told
// why, over SSH and on the web page; /readyz says 503; alice's help request
// fails with a sentence on her screen and is counted as a store error, as
// does the professor's announcement; once the file is writable, bob logs
// in and the announcement goes out, with no restart.
func TestSQLiteFileBecomesUnwritableUnderAClass(t *testing.T) {
	testkit.NeedRoot(t, "making the database file immutable")
	h := newHarness(t)
	b := backend{dataDir: t.TempDir(), uidBase: 350000}
	for _, u := range []string{"alice", "bob"} {
		h.cli(t, cliOpts{stdin: "rabbit hole 42\n"}, append([]string{"user", "add", u, "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	}
	h.cli(t, cliOpts{stdin: "rabbit hole 42\n"}, append([]string{"user", "add", "carol", "--role", "professor", "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	srv, metricsAddr := startOpsServer(t, h, b)
	o := sshOpts{knownHosts: filepath.Join(t.TempDir(), "known_hosts")}

	prof := h.vtLogin(t, srv, o, "carol's console", "carol", "rabbit hole 42", profCols, profRows)
	prof.waitUntil("show the console's Students page", func(sc vtScreen) bool { return strings.Contains(sc.text[0], "1 Students") })
	prof.typ("4")
	prof.waitUntil("show the Announcements page", pageLoaded("When", "Who", "Text", "State"))

	alice := h.tty(t, srv, o, "alice", "rabbit hole 42")
	alice.waitFor("welcome.py", 1)
	alice.typ(keyF4)
	alice.waitFor(">>>", 1)

	// The database and its WAL (where commits go first) refuse writes; the
	// -shm index stays writable: it is mapped, and a mapping that can no
	// longer be written kills the process with SIGBUS.
	db := filepath.Join(b.dataDir, "classroomd.db")
	restore := testkit.Unwritable(t, db, db+"-wal")

	var r result
	for attempt := 1; ; attempt++ {
		start := time.Now()
		r = h.ssh(t, srv, o, "bob", "rabbit hole 42")
		took := time.Since(start)
		t.Logf("attempt %d: bob's login refused in %v", attempt, took.Round(time.Millisecond))
		if took > 15*time.Second {
			t.Errorf("attempt %d: the refused login took %v", attempt, took)
		}
		if r.code != 255 {
			t.Fatalf("attempt %d: bob's login with the database unwritable: exit %d, want 255 (refused)\nstderr:\n%s", attempt, r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "cannot write to it") {
			break
		}
		if attempt == 2 {
			t.Fatalf("the refused client was not told why:\n%s", r.stderr)
		}
	}

	start := time.Now()
	if code, page := webLogin(t, srv, "bob", "rabbit hole 42"); code != http.StatusServiceUnavailable ||
		!strings.Contains(page, "the server cannot use its database") {
		t.Errorf("web login with the database unwritable: %d, want 503 with a sentence saying why\n%s", code, page)
	}
	t.Logf("the web login was answered in %v", time.Since(start).Round(time.Millisecond))

	resp, err := http.Get("http://" + srv.httpAddr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database unwritable: %d, want 503", resp.StatusCode)
	}

	// Alice keeps working: Python, and a save of an edited file.
	alice.typ(`print("A" + str(6*7))` + "\r")
	alice.waitFor("A42", 1)
	alice.typ(keyF3 + keyCtrlP + "welcome\r")
	alice.waitFor("Your first Python program", 1)
	alice.typ(keyCtrlEnd + "\x1b[200~zz_saved_while_unwritable = 1\x1b[201~" + "\x13") // ctrl+s
	home := filepath.Join(b.dataDir, "homes", "alice", "welcome.py")
	if !waitFor(screenDeadline, nil, func() bool {
		data, _ := os.ReadFile(home)
		return strings.Contains(string(data), "zz_saved_while_unwritable")
	}) {
		t.Errorf("alice's save with the database unwritable never reached her file\nscreen:\n%s", alice.text())
	}

	// Her help request needs the store: it fails, and says so.
	alice.typ(keyF9)
	alice.waitFor("Ask for help", 1)
	alice.typ("my loop never ends\r")
	alice.waitFor("Could not put you in the help queue", 1)
	if !strings.Contains(scrape(t, metricsAddr), `classroomd_store_errors_total{op="RequestHelp"}`) {
		t.Errorf("the failed help request is not counted as a store error on /metrics")
	}

	// The professor's announcement needs the store too: it fails, and says so.
	prof.typ("n")
	prof.waitScreen("New announcement", ">")
	prof.typ("Lab ends at five\r")
	prof.waitScreen("Could not send the announcement")

	// Writable again: logins work, with no restart.
	restore()
	if !waitFor(30*time.Second, srv.done, func() bool {
		return h.ssh(t, srv, o, "bob", "rabbit hole 42").code != 255
	}) {
		t.Errorf("bob could not log in once the database was writable:\n%s", h.ssh(t, srv, o, "bob", "rabbit hole 42").stderr)
	}
	if code, page := webLogin(t, srv, "bob", "rabbit hole 42"); code != http.StatusSeeOther {
		t.Errorf("web login once the database was writable: %d\n%s", code, page)
	}
	// And so does the announcement, sent again.
	prof.typ("n")
	prof.waitScreen("New announcement", ">")
	prof.typ("Lab ends at five\r")
	prof.waitUntil("list the announcement as active", func(sc vtScreen) bool { return rowWith(sc, "carol", "Lab ends at five", "active") })
	alice.typ(keyCtrlQ)
	srv.stop(t)
}
