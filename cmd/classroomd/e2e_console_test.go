package main

// The professor's console over real OpenSSH (issue #7's acceptance): a
// professor and students log in with `ssh -tt` on ptys whose output feeds a
// terminal emulator, and each checks what a person would see on their own
// screen. Every wait is a screen condition polled against a deadline.

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Keys as a terminal sends them (the workspace's are in e2e_workspace_test.go).
const (
	keyF9    = "\x1b[20~"
	keyF10   = "\x1b[21~"
	keyF12   = "\x1b[24~"
	keyCtrlT = "\x14"
	keyEsc   = "\x1b"
	keyHome  = "\x1b[H"
)

// The console's cast. alice is added by an earlier step (with alicePassword);
// ensureUser adds her when a console step runs alone.
const (
	profUser     = "paula"
	profName     = "Paula Professor"
	profPassword = "chalk and blackboard 3"
	cleoPassword = "second row seat 8"
	doraPassword = "late to class 21"

	// The terminals' sizes: the console's tables need some width.
	profCols, profRows       = 120, 35
	studentCols, studentRows = 100, 30

	// How long anything may take to travel from one screen to another
	// before the test gives up; what it takes is logged, not asserted.
	travelDeadline = 10 * time.Second
)

// 12. A professor logs in and lands in the console, which lists the students
// of the roster by username and name; the filter finds one further down.
func (s *scenario) consoleRoster(t *testing.T) {
	s.ensureConsoleCast(t)
	users := s.h.users(t, s.b)
	prof := s.professor(t)

	// The whole roster is counted, and the first rows are on the screen.
	sc := prof.waitScreen(fmt.Sprintf("%d users, ", len(users)))
	if !sc.contains("Username", "Name", "Role", "Status") {
		t.Errorf("the Students page has no table header with Username, Name, Role and Status:\n%s", sc)
	}
	if !rowWith(sc, "alice", "Alice Liddell", "student") {
		t.Errorf("the Students page does not show alice (Alice Liddell, student) from the roster:\n%s", sc)
	}
	// The last user of the roster by username (with a name) is found by
	// their name, as the roster says it.
	slices.SortFunc(users, func(a, b userInfo) int { return strings.Compare(a.Username, b.Username) })
	var last userInfo
	for _, u := range users {
		if u.FullName != "" && u.Username != profUser {
			last = u
		}
	}
	prof.typ("/" + last.FullName)
	prof.waitUntil(fmt.Sprintf("filter on %q and show %s", last.FullName, last.Username), func(sc vtScreen) bool {
		return sc.contains("/ "+last.FullName) && rowWith(sc, last.Username, last.FullName, last.Role)
	})
	// esc clears the filter (the cursor stays on the user found), home goes
	// back to the top.
	prof.typ(keyEsc)
	prof.waitUntil("clear the filter", func(sc vtScreen) bool {
		return !sc.contains("/ "+last.FullName) && sc.contains(fmt.Sprintf("%d users, ", len(users)))
	})
	prof.typ(keyHome)
	prof.waitUntil("show the top of the roster again", func(sc vtScreen) bool { return rowWith(sc, "alice", "Alice Liddell") })
	quitTerm(t, prof)
}

// 13. With alice typing in her Python, the professor opens her live view
// and sees her output as it comes; t lets the professor type a line into
// her Python, which she sees with its output; her header says who watches,
// then who types; ctrl+t gives control back; the audit tells it all.
func (s *scenario) consoleLiveView(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("Python runs in a sandbox, which this test expects as root")
	}
	s.ensureConsoleCast(t)
	start := time.Now()
	alice := s.student(t, "alice", alicePassword)
	alice.typ(keyF4)
	alice.waitScreen(">>>")
	alice.typ(`print("ALICE" + "-" + str(6*7))` + "\r")
	alice.waitScreen("ALICE-42", ">>>")

	prof := s.professor(t)
	prof.typ("2")
	prof.waitUntil("show the Live page with alice", func(sc vtScreen) bool {
		return sc.contains("Via", "Idle", "Python") && rowWith(sc, "alice", "Alice Liddell", "ssh")
	})
	openLiveView(prof, "alice")
	prof.waitScreen("Watching alice (they see it)", "alice's Python", "ALICE-42")
	alice.waitUntil("say in the header that paula watches", headerSays("watched by "+profUser))

	// alice's next output, on her screen and on the professor's.
	alice.typ(`print("LAT" + "ENCY", 6*7)` + "\r")
	seen, ok := whenBothShow(alice, prof, "LATENCY 42")
	switch {
	case !ok:
		t.Fatalf("alice's output did not show on her screen, then in the live view, within %s each\nalice: %s\nprofessor: %s",
			travelDeadline, alice.screen(), prof.screen())
	default:
		t.Logf("alice's Python output reached the professor's live view %s after her own screen (both polled every %s)", seen.Round(time.Millisecond), pollInterval)
	}

	// Control: the professor's keys go to her Python.
	prof.typ("t")
	prof.waitScreen("You are typing in alice's Python", "ctrl+t give control back")
	alice.waitUntil("say in the header that paula is typing", headerSays(profUser+" is typing in your workspace"))
	prof.typ(`print("from-" + "prof")` + "\r")
	alice.waitScreen(`>>> print("from-" + "prof")`, "from-prof", ">>>")
	prof.waitScreen(`>>> print("from-" + "prof")`, "from-prof")
	prof.typ(keyCtrlT)
	prof.waitScreen("Watching alice (they see it)", "t take control")
	alice.waitUntil("say in the header that paula only watches again", headerSays("watched by "+profUser))
	// Given back, the professor's keys are the console's again: letters
	// typed, then esc, which leaves the live view once they were taken.
	prof.typ("zq")
	prof.typ(keyEsc)
	prof.waitUntil("leave the live view for the Live page", func(sc vtScreen) bool {
		return !sc.contains("Watching alice") && sc.contains("Via", "Idle") && rowWith(sc, "alice")
	})
	// Had they reached her Python, her next line would start with them.
	alice.typ(`print("back" + "-home")` + "\r")
	alice.waitScreen(`>>> print("back" + "-home")`, "back-home", ">>>")
	if sc := alice.screen(); sc.contains("zq") {
		t.Errorf("keys the professor typed after giving control back reached alice's Python:\n%s", sc)
	}
	alice.waitUntil("drop paula from the header once she left", func(sc vtScreen) bool {
		return !strings.Contains(sc.text[0], profUser) && strings.HasSuffix(sc.text[0], " student ")
	})
	quitTerm(t, prof)
	quitTerm(t, alice)

	// The audit: the view, the control taken and given back, by paula, of alice.
	entries := since(s.h.audit(t, s.b, "--user", profUser, "--limit", "200"), start)
	ids := map[string]int64{}
	for _, e := range entries {
		if e.Actor == profUser && e.Target == "alice" && e.Outcome == "ok" {
			switch e.Action {
			case "live.view", "live.control.start", "live.control.end":
				ids[e.Action] = e.ID
			}
		}
	}
	for _, action := range []string{"live.view", "live.control.start", "live.control.end"} {
		if ids[action] == 0 {
			t.Errorf("the audit has no %s by %s of alice since the step began:\n%s", action, profUser, dumpAudit(entries))
		}
	}
	if !(ids["live.view"] < ids["live.control.start"] && ids["live.control.start"] < ids["live.control.end"]) {
		t.Errorf("the audit's live.view, live.control.start and live.control.end are out of order (ids %v):\n%s", ids, dumpAudit(entries))
	}
}

// 14. An announcement shows at once on every connected student's screen
// (alice's and cleo's), and on dora's, who connects afterwards; F12
// dismisses it for alice only. Ending it takes it off the screens.
func (s *scenario) consoleAnnouncements(t *testing.T) {
	s.ensureConsoleCast(t)
	alice := s.student(t, "alice", alicePassword)
	cleo := s.student(t, "cleo", cleoPassword)

	prof := s.professor(t)
	prof.typ("4")
	prof.waitUntil("show the Announcements page", pageLoaded("When", "Who", "Text", "State"))
	prof.typ("n")
	prof.waitScreen("New announcement", ">")
	text := fmt.Sprintf("Save your work, the lab closes at %s", time.Now().Add(time.Hour).Format("15:04"))
	prof.typ(text)
	prof.waitScreen("> " + text)
	sent := time.Now()
	prof.typ("\r")
	banner := func(sc vtScreen) bool {
		return len(sc.text) > 1 && strings.Contains(sc.text[1], "Announcement from "+profUser) && strings.Contains(sc.text[1], text)
	}
	for _, st := range []*vtTerm{alice, cleo} {
		st.waitUntil("show the announcement's banner under the header", banner)
		t.Logf("the announcement reached %s %s after the professor pressed enter", st.name, time.Since(sent).Round(time.Millisecond))
	}
	prof.waitUntil("list the announcement as active", func(sc vtScreen) bool { return rowWith(sc, profUser, text, "active") })

	dora := s.student(t, "dora", doraPassword)
	dora.waitUntil("show the announcement made before she connected", banner)

	alice.typ(keyF12)
	alice.waitUntil("hide the dismissed announcement", func(sc vtScreen) bool { return !sc.contains(text) })
	// Only for alice: the others keep it, and so does a new login of cleo,
	// while a new login of alice does not bring it back.
	for _, st := range []*vtTerm{cleo, dora} {
		if sc, _ := waitSettled(st); !banner(sc) {
			t.Errorf("%s lost the announcement when alice dismissed it:\n%s", st.name, sc)
		}
	}
	again := s.student(t, "alice", alicePassword)
	if sc, _ := waitSettled(again); sc.contains(text) {
		t.Errorf("alice dismissed the announcement, yet her new login shows it:\n%s", sc)
	}
	quitTerm(t, again)

	// Ended by the professor, it leaves the screens (and later steps' ones).
	prof.typ("x")
	prof.waitScreen("End this announcement?")
	prof.typ("y")
	prof.waitUntil("list the announcement as ended", func(sc vtScreen) bool { return rowWith(sc, profUser, text, "ended") })
	for _, st := range []*vtTerm{cleo, dora} {
		st.waitUntil("take the ended announcement off the screen", func(sc vtScreen) bool { return !sc.contains(text) })
	}
	for _, st := range []*vtTerm{prof, alice, cleo, dora} {
		quitTerm(t, st)
	}
}

// 15. F9 with a question puts alice in the help queue; the professor's Help
// page shows her question and her wait, growing; the professor claims it
// (alice is told who comes) and resolves it (alice is told).
func (s *scenario) consoleHelpQueue(t *testing.T) {
	s.ensureConsoleCast(t)
	start := time.Now()
	alice := s.student(t, "alice", alicePassword)
	prof := s.professor(t)
	prof.typ("3")
	prof.waitUntil("show the empty help queue", func(sc vtScreen) bool {
		return sc.contains("Question", "Waiting") && sc.contains("No one is waiting for help.")
	})

	const question = "why does my loop never end?"
	alice.typ(keyF9)
	alice.waitScreen("Ask for help", ">")
	alice.typ(question)
	alice.waitScreen("> " + question)
	alice.typ("\r")
	alice.waitScreen("You are number 1 in the help queue.")

	// The wait counts: the row shows it, and a later look shows it longer.
	waitRe := regexp.MustCompile(`\s(\d+)s(\s|$)`)
	waited := func(sc vtScreen) int {
		for _, row := range sc.text {
			if strings.Contains(row, "alice") && strings.Contains(row, question) {
				if m := waitRe.FindStringSubmatch(row); m != nil {
					n, _ := strconv.Atoi(m[1])
					return n
				}
			}
		}
		return -1
	}
	sc := prof.waitUntil("show alice's question and her wait", func(sc vtScreen) bool {
		return waited(sc) >= 0 && sc.contains("3 Help (1 waiting)")
	})
	first := waited(sc)
	prof.waitUntil(fmt.Sprintf("show alice's wait grow past %ds", first), func(sc vtScreen) bool { return waited(sc) > first })

	prof.typ("c")
	prof.waitUntil("show the request claimed by paula", func(sc vtScreen) bool {
		return rowWith(sc, "alice", question, profUser+" (you)")
	})
	// alice asks where she is: paula is on her way.
	alice.typ(keyF9)
	alice.waitUntil("say that paula is coming", flatShows("You are number 1 in the help queue", profUser+" is coming to help you.", "Withdraw your request?"))
	alice.typ("n") // keep waiting
	alice.waitUntil("close the question", func(sc vtScreen) bool { return !sc.contains("Withdraw your request?") })

	prof.typ("r")
	prof.waitScreen("Mark alice's request resolved?")
	prof.typ("y")
	prof.waitScreen("No one is waiting for help.", "alice's request is resolved.")
	alice.waitScreen(profUser + " marked your help request as resolved.")

	quitTerm(t, prof)
	quitTerm(t, alice)
	entries := since(s.h.audit(t, s.b, "--user", "alice", "--limit", "200"), start)
	for _, want := range []struct{ actor, action string }{{"alice", "help.request"}, {profUser, "help.claim"}, {profUser, "help.resolve"}} {
		if !slices.ContainsFunc(entries, func(e auditEntry) bool {
			return e.Actor == want.actor && e.Action == want.action && e.Target == "alice" && e.Outcome == "ok"
		}) {
			t.Errorf("the audit has no %s by %s for alice since the step began:\n%s", want.action, want.actor, dumpAudit(entries))
		}
	}
}

// 16. A student's session cannot open the console: F10 says it is for
// professors, and the server audits the refusal. A question crafted to
// command the professor's terminal (an escape sequence pasted, a bidi
// override typed) never reaches it as such: it is refused, and the
// professor's screen stays as it was.
func (s *scenario) consoleRefusesStudents(t *testing.T) {
	s.ensureConsoleCast(t)
	start := time.Now()
	alice := s.student(t, "alice", alicePassword)
	alice.typ(keyF2) // the file list, where a letter is a command: F10 first
	alice.waitUntil("show the file list's help", func(sc vtScreen) bool { return strings.Contains(sc.text[sc.rows-1], "enter open") })

	const refused = "The console is for professors; this attempt was recorded."
	alice.typ(keyF10)
	if sc, ok := alice.eventually(func(sc vtScreen) bool { return sc.contains(refused) }); !ok {
		t.Errorf("alice pressed F10 in her workspace: the screen did not say %q within %s\n%s", refused, screenDeadline, sc)
	}
	if sc := alice.screen(); sc.contains("1 Students") || sc.contains("2 Live") {
		t.Errorf("alice's F10 showed the console:\n%s", sc)
	}
	var denied []auditEntry
	waitFor(screenDeadline, nil, func() bool {
		denied = nil
		for _, e := range since(s.h.audit(t, s.b, "--user", "alice", "--limit", "50"), start) {
			if e.Actor == "alice" && e.Outcome == "denied" && strings.HasPrefix(e.Action, "console.") {
				denied = append(denied, e)
			}
		}
		return len(denied) > 0
	})
	if len(denied) == 0 {
		t.Errorf("the audit has no denied console entry for alice's F10:\n%s",
			dumpAudit(since(s.h.audit(t, s.b, "--user", "alice", "--limit", "50"), start)))
	}

	// Crafted questions, while the professor looks at the help queue.
	prof := s.professor(t)
	prof.typ("3")
	before := prof.waitUntil("show the empty help queue", func(sc vtScreen) bool { return sc.contains("No one is waiting for help.") })
	mark := prof.rawLen()

	crafted := []struct {
		name, keys, reason string
		shown              string // what the field shows, when the server left the harm out
	}{
		// Pasted, so the escape sequences arrive inside the text: the
		// server's input drops a paste's escapes (pasteguard), so the
		// field holds their harmless rest. The question's own check
		// refuses escapes too (internal/classroom's tests).
		{"an escape sequence that clears the screen", "\x1b[200~wipe\x1b[2J\x1b[Hyour screen\x1b[201~", "", "wipe[2J[Hyour screen"},
		// Typed: it would show the question backwards.
		{"a right-to-left override", "abc\u202edef", "a text direction control", ""},
	}
	for _, c := range crafted {
		alice.typ(keyF9)
		alice.waitScreen("Ask for help", ">")
		alice.typ(c.keys)
		if c.shown != "" {
			alice.waitScreen("> " + c.shown)
			alice.typ(keyEsc)
			alice.waitUntil("close the question", func(sc vtScreen) bool { return !sc.contains("Ask for help") })
			continue
		}
		alice.typ("\r")
		refusal := flatShows("The question contains "+c.reason, "remove it and try again.")
		sc := alice.waitUntil("refuse the question or take it", func(sc vtScreen) bool {
			return refusal(sc) || sc.contains("You are number 1 in the help queue")
		})
		if !refusal(sc) {
			t.Errorf("alice's question with %s was accepted; it must be refused (saying it contains %s):\n%s", c.name, c.reason, sc)
			alice.typ(keyF9)
			alice.waitScreen("Withdraw your request?")
			alice.typ("y")
			alice.waitScreen("Your help request was withdrawn.")
			continue
		}
		alice.typ(keyEsc)
		alice.waitUntil("close the question", func(sc vtScreen) bool { return !sc.contains("Ask for help") })
	}
	// A plain question then reaches the professor: the screen was live all along.
	alice.typ(keyF9)
	alice.waitScreen("Ask for help", ">")
	alice.typ("is this plain enough?\r")
	alice.waitScreen("You are number 1 in the help queue.")
	after := prof.waitUntil("show alice's plain question", func(sc vtScreen) bool { return rowWith(sc, "alice", "is this plain enough?") })
	if raw := prof.rawSince(mark); strings.Contains(raw, "\x1b[2J") || strings.Contains(raw, "\u202e") || strings.Contains(raw, "wipe") || strings.Contains(raw, "your screen") {
		t.Errorf("the professor's terminal received part of a refused question (%q)", tail(raw, 2000))
	}
	// Still the console, whole: the header with every page, one waiting,
	// the help bar at the bottom.
	if !strings.Contains(after.text[0], "1 Students") || !strings.Contains(after.text[0], "3 Help (1 waiting)") ||
		!strings.Contains(after.text[0], "5 Audit") || !strings.Contains(after.text[after.rows-1], "F1 help") {
		t.Errorf("the professor's console lost its header or help bar while alice sent crafted questions:\nbefore: %s\nafter: %s", before, after)
	}

	// alice withdraws; the queue is empty again for the steps after.
	alice.typ(keyF9)
	alice.waitScreen("Withdraw your request?")
	alice.typ("y")
	alice.waitScreen("Your help request was withdrawn.")
	prof.waitScreen("No one is waiting for help.")
	quitTerm(t, prof)
	quitTerm(t, alice)
}

// ---- helpers ----

// ensureConsoleCast adds the professor and the students the console steps
// use, unless they are in the roster already (a step run by itself).
func (s *scenario) ensureConsoleCast(t *testing.T) {
	t.Helper()
	have := map[string]bool{}
	for _, u := range s.h.users(t, s.b) {
		have[u.Username] = true
	}
	for _, u := range []struct{ name, full, role, password string }{
		{profUser, profName, "professor", profPassword},
		{"alice", "Alice Liddell", "student", alicePassword},
		{"cleo", "Cleo Second", "student", cleoPassword},
		{"dora", "Dora Late", "student", doraPassword},
	} {
		if have[u.name] {
			continue
		}
		s.h.cli(t, cliOpts{stdin: u.password + "\n"}, append([]string{"user", "add", u.name, "--name", u.full, "--role", u.role, "--password-stdin"}, s.b.flags()...)...).mustSucceed(t)
	}
}

// professor logs paula in: she lands in the console, on the Students page.
func (s *scenario) professor(t *testing.T) *vtTerm {
	t.Helper()
	c := s.h.vtLogin(t, s.srv, sshOpts{knownHosts: s.knownHosts}, "the professor's terminal", profUser, profPassword, profCols, profRows)
	c.waitUntil("show the console's Students page", func(sc vtScreen) bool {
		return strings.Contains(sc.text[0], "1 Students") && strings.Contains(sc.text[0], "5 Audit") && sc.contains(" users, ")
	})
	return c
}

// student logs a student in and waits for their workspace.
func (s *scenario) student(t *testing.T, user, password string) *vtTerm {
	t.Helper()
	c := s.h.vtLogin(t, s.srv, sshOpts{knownHosts: s.knownHosts}, user+"'s terminal", user, password, studentCols, studentRows)
	c.waitScreen("welcome.py", "Python")
	return c
}

// openLiveView opens the live view of a student from the Live page: the
// filter narrows the list to them, enter keeps the filter, enter opens.
func openLiveView(prof *vtTerm, student string) {
	prof.t.Helper()
	prof.typ("/" + student)
	prof.waitUntil("filter the Live page on "+student, func(sc vtScreen) bool {
		return sc.contains("/ "+student) && rowWith(sc, student)
	})
	prof.typ("\r")
	prof.waitUntil("keep the filter", func(sc vtScreen) bool { return !sc.contains("enter keep filter") })
	prof.typ("\r")
}

// rowWith reports whether one row of the screen shows each of parts, in order.
func rowWith(sc vtScreen, parts ...string) bool {
	for _, row := range sc.text {
		rest, ok := row, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}

// headerSays is a condition: the first row (the workspace's header) ends
// with text.
func headerSays(text string) func(vtScreen) bool {
	return func(sc vtScreen) bool { return strings.HasSuffix(sc.text[0], " "+text+" ") }
}

// pageLoaded is a condition: the console's page shows its column titles
// and has read its rows.
func pageLoaded(titles ...string) func(vtScreen) bool {
	return func(sc vtScreen) bool {
		return rowWith(sc, titles...) && !strings.Contains(sc.text[sc.rows-2], "Loading")
	}
}

// whenBothShow waits until first's screen shows text and then second's, and
// returns how much later the second did. Both are polled together, so the
// difference is exact to a poll. Each gets travelDeadline: the first from
// now, the second from when the first showed it.
func whenBothShow(first, second *vtTerm, text string) (time.Duration, bool) {
	var a, b time.Time
	begin := time.Now()
	waitFor(2*travelDeadline, nil, func() bool {
		now := time.Now()
		if a.IsZero() && first.screen().contains(text) {
			a = now
		}
		if b.IsZero() && second.screen().contains(text) {
			b = now
		}
		switch {
		case !a.IsZero() && !b.IsZero():
			return true
		case a.IsZero():
			return now.Sub(begin) > travelDeadline
		}
		return now.Sub(a) > travelDeadline
	})
	if a.IsZero() || b.IsZero() {
		return 0, false
	}
	return max(b.Sub(a), 0), true
}

// flatShows is a condition: the screen's text, its rows joined and its runs
// of spaces made one, shows each of parts in order (a dialog wraps its
// sentences at any word).
func flatShows(parts ...string) func(vtScreen) bool {
	return func(sc vtScreen) bool {
		all := strings.Join(strings.Fields(strings.Join(sc.text, " ")), " ")
		for _, p := range parts {
			i := strings.Index(all, p)
			if i < 0 {
				return false
			}
			all = all[i+len(p):]
		}
		return true
	}
}

// eventually waits until cond holds for the screen, and reports whether it
// did within screenDeadline, without failing the test.
func (c *vtTerm) eventually(cond func(vtScreen) bool) (vtScreen, bool) {
	var sc vtScreen
	ok := waitFor(screenDeadline, c.exited, func() bool { sc = c.screen(); return cond(sc) })
	return sc, ok
}

// waitSettled waits until no output arrived for quietFor (or screenDeadline
// passed) and returns the screen then.
func waitSettled(c *vtTerm) (vtScreen, bool) {
	var sc vtScreen
	var quiet bool
	ok := waitFor(screenDeadline, c.exited, func() bool { sc, quiet = c.settled(); return quiet })
	return sc, ok
}

// rawLen is how much ssh has written so far; rawSince, what it wrote after.
func (c *vtTerm) rawLen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.raw.Len()
}

func (c *vtTerm) rawSince(n int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.raw.Bytes()[min(n, c.raw.Len()):])
}

// quitTerm quits a session with ctrl+q and checks that ssh ends well.
func quitTerm(t *testing.T, c *vtTerm) {
	t.Helper()
	if c.hasExited() {
		return
	}
	c.typ(keyCtrlQ)
	if code := c.exit(); code != 0 {
		t.Errorf("%s: ssh exited %d after ctrl+q\n%s", c.name, code, c.screen())
	}
}

// since keeps the audit entries at or after start (less a second: the
// store may keep times to the second).
func since(entries []auditEntry, start time.Time) []auditEntry {
	var out []auditEntry
	for _, e := range entries {
		if !e.At.Before(start.Add(-time.Second)) {
			out = append(out, e)
		}
	}
	return out
}
