package consoletui_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/console"
	"github.com/classroomd/classroomd/internal/roster"
	"github.com/classroomd/classroomd/internal/store"
	consoletui "github.com/classroomd/classroomd/internal/tui/console"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

var (
	keyEnter    = tea.KeyPressMsg{Code: tea.KeyEnter}
	keyEsc      = tea.KeyPressMsg{Code: tea.KeyEscape}
	keyTab      = tea.KeyPressMsg{Code: tea.KeyTab}
	keyShiftTab = tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	keyDown     = tea.KeyPressMsg{Code: tea.KeyDown}
	keyUp       = tea.KeyPressMsg{Code: tea.KeyUp}
	keyRight    = tea.KeyPressMsg{Code: tea.KeyRight}
	keyBack     = tea.KeyPressMsg{Code: tea.KeyBackspace}
	keyF1       = tea.KeyPressMsg{Code: tea.KeyF1}
	keyCtrlD    = tea.KeyPressMsg{Code: 'd', Mod: tea.ModCtrl}
	keyCtrlQ    = tea.KeyPressMsg{Code: 'q', Mod: tea.ModCtrl}
	keyCtrlU    = tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
)

func char(r rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: r, Text: string(r)} }

// selectRow moves the cursor to the row holding text.
func (d *driver) selectRow(text string) {
	d.t.Helper()
	d.press(tea.KeyPressMsg{Code: tea.KeyHome})
	for range 100 {
		for _, l := range strings.Split(d.raw(), "\n") {
			if strings.Contains(l, "\x1b[7m") && strings.Contains(l, text) { // the reversed row
				return
			}
		}
		d.press(keyDown)
	}
	d.t.Fatalf("no row holds %q:\n%s", text, d.screen())
}

func TestStudentsPage(t *testing.T) {
	d := start(t, newFake(), 120, 30)
	// The help count and the roster arrive as messages of their own: wait for every one of them
	// rather than reading the screen once (it flaked reading the header before the help count).
	wants := []string{"1 Students", "2 Live", "3 Help (2 waiting)", "4 Announcements", "5 Audit",
		"Username", "Name", "Role", "Status", "Last login", "Online",
		"Alice Liddell", "yes ×2", "must change password", "disabled", "professor", "never"}
	d.until("the students page with the help count", func(scr string) bool {
		for _, want := range wants {
			if !strings.Contains(scr, want) {
				return false
			}
		}
		return true
	})
	// Sorted by the status column, descending, then filtered.
	d.press(char('s'), char('s'), char('s'), char('s'), char('s'), char('S'))
	if !strings.Contains(d.screen(), "Status ▼") {
		t.Errorf("no sort mark on Status:\n%s", d.screen())
	}
	lines := strings.Split(d.screen(), "\n")
	if !strings.Contains(lines[2], "bob") { // "must change password" sorts last, first when reversed
		t.Errorf("first row after sorting by status descending: %q", lines[2])
	}
	d.press(char('/'))
	d.typeText("danv")
	if s := d.screen(); strings.Contains(s, "alice") || !strings.Contains(s, "carol") || !strings.Contains(s, "1 of 4") {
		t.Errorf("filter 'danv':\n%s", s)
	}
	d.press(keyEsc)
	if !strings.Contains(d.screen(), "alice") {
		t.Errorf("esc did not clear the filter:\n%s", d.screen())
	}
	// Pages by number, tab and shift+tab; F1 shows the console's help.
	d.press(char('5'))
	d.until("the audit page", func(s string) bool { return strings.Contains(s, "live.view") })
	d.press(keyTab)
	if d.m.Page() != consoletui.PageAssignments {
		t.Errorf("tab from the audit page went to %v", d.m.Page())
	}
	d.press(keyTab)
	if d.m.Page() != consoletui.PageStudents {
		t.Errorf("tab from the last page went to %v", d.m.Page())
	}
	d.press(keyShiftTab)
	if d.m.Page() != consoletui.PageAssignments {
		t.Errorf("shift+tab from the first page went to %v", d.m.Page())
	}
	d.press(keyF1)
	if s := d.oneLine(); !strings.Contains(s, "1 Students") || !strings.Contains(s, "reset the password") {
		t.Errorf("F1 lacks the console's keys:\n%s", d.screen())
	}
	d.press(tea.KeyPressMsg{Code: tea.KeyEnd})
	if s := d.oneLine(); !strings.Contains(s, "show or close this help") {
		t.Errorf("F1 scrolled to its end lacks the general keys:\n%s", d.screen())
	}
	d.press(keyEsc)
	if strings.Contains(d.oneLine(), "reset the password") {
		t.Error("esc did not close the help")
	}
}

func TestAddUserShowsThePasswordOnce(t *testing.T) {
	d := start(t, newFake(), 100, 30)
	d.press(char('a'))
	if !strings.Contains(d.screen(), "Add a user") {
		t.Fatalf("a did not open the form:\n%s", d.screen())
	}
	d.press(keyEnter, keyEnter, keyEnter, keyEnter) // enter moves down; on the last field it submits
	if !strings.Contains(d.screen(), "Type a username.") {
		t.Errorf("an empty username was not caught:\n%s", d.screen())
	}
	d.typeText("erin")
	d.press(keyTab)
	d.typeText("Erin Brockovich")
	d.press(keyTab)
	d.typeText("erin@example.edu")
	d.press(keyTab, keyRight, keyEnter) // role: professor
	d.untilCalled("AddUser")
	if !d.hasCall("AddUser erin|Erin Brockovich|erin@example.edu|professor") {
		t.Errorf("calls: %q", d.desk.called())
	}
	d.until("the password", func(s string) bool { return strings.Contains(s, "gen-pass-erin") })
	if !strings.Contains(d.oneLine(), "Shown only this once") {
		t.Errorf("the password is not said to be shown once:\n%s", d.screen())
	}
	d.press(keyEsc, char('q'), char('1'))
	if !strings.Contains(d.screen(), "gen-pass-erin") {
		t.Fatalf("the password went away without enter:\n%s", d.screen())
	}
	d.press(keyEnter)
	if strings.Contains(d.screen(), "gen-pass-erin") {
		t.Errorf("the password stays after enter:\n%s", d.screen())
	}
	d.until("erin in the roster", func(s string) bool { return strings.Contains(s, "erin") })
}

func TestAddUserErrorShowsInTheForm(t *testing.T) {
	f := newFake()
	f.set(func(f *fakeDesk) {
		f.errs["AddUser"] = errors.New("the user alice exists already; pick another username")
	})
	d := start(t, f, 80, 24)
	d.press(char('a'))
	d.typeText("alice")
	d.press(keyEnter, keyEnter, keyEnter, keyEnter)
	d.until("the error", func(s string) bool {
		return strings.Contains(strings.Join(strings.Fields(s), " "), "The user alice exists already; pick another username.")
	})
	if !strings.Contains(d.screen(), "Add a user") {
		t.Error("the form closed on an error")
	}
	d.checkFits(80, 24, "the form with an error")
}

func TestEditSendsOnlyWhatChanged(t *testing.T) {
	d := start(t, newFake(), 100, 30)
	d.selectRow("bob")
	d.press(char('e'))
	if !strings.Contains(d.screen(), "Edit bob") || !strings.Contains(d.screen(), "Bob Marley") {
		t.Fatalf("e did not open bob's form:\n%s", d.screen())
	}
	d.press(keyTab, keyCtrlU) // email, cleared: it was empty
	d.typeText("bob@example.edu")
	d.press(keyEnter, keyEnter) // to the role, then save
	d.untilCalled("UpdateUser")
	if !d.hasCall("UpdateUser bob -|bob@example.edu|-") {
		t.Errorf("calls: %q", d.desk.called())
	}
	d.until("the notice", func(s string) bool { return strings.Contains(s, "Saved bob.") })

	// Enter opens the form too; nothing changed sends nothing.
	d.press(keyEnter)
	d.until("the form", func(s string) bool { return strings.Contains(s, "Edit bob") })
	d.press(keyEnter, keyEnter, keyEnter)
	if n := len(d.desk.called()); n != 1 || !strings.Contains(d.status(), "Nothing changed.") {
		t.Errorf("%d calls; status %q", n, d.status())
	}
}

func TestDisableAndResetAskFirst(t *testing.T) {
	d := start(t, newFake(), 100, 30)
	d.selectRow("bob")
	d.press(char('d'))
	if !strings.Contains(d.screen(), "Disable bob?") {
		t.Fatalf("no question:\n%s", d.screen())
	}
	d.press(char('n'))
	d.press(char('d'), keyEsc)
	if len(d.desk.called()) != 0 {
		t.Fatalf("n and esc still called %q", d.desk.called())
	}
	d.press(char('d'), char('y'))
	d.untilCalled("SetDisabled bob true")
	d.until("the notice", func(s string) bool { return strings.Contains(s, "bob is disabled.") })

	d.selectRow("carol")
	d.press(char('d'))
	if !strings.Contains(d.screen(), "Enable carol?") {
		t.Errorf("a disabled user is not offered enabling:\n%s", d.screen())
	}
	d.press(char('y'))
	d.untilCalled("SetDisabled carol false")

	d.selectRow("bob")
	d.press(char('p'))
	if !strings.Contains(d.screen(), "Reset bob's password?") {
		t.Fatalf("no question:\n%s", d.screen())
	}
	d.press(char('y'))
	d.untilCalled("ResetPassword bob")
	d.until("the new password", func(s string) bool { return strings.Contains(s, "new-pass-bob") })
	d.checkFits(100, 30, "a password shown once")
	d.press(keyEnter)
	if strings.Contains(d.screen(), "new-pass-bob") {
		t.Error("the password stays after enter")
	}
}

func TestImportPastedWithPreview(t *testing.T) {
	f := newFake()
	f.preview = console.ImportPreview{
		Rows: []console.PreviewRow{
			{Line: 2, Username: "frank", FullName: "Frank Ocean", Role: store.RoleStudent, New: true},
			{Line: 3, Username: "alice", FullName: "Alice L.", Role: store.RoleStudent},
		},
		Errors: []roster.LineError{{Line: 4, Err: errors.New("\"9lives\" is not a valid username")}},
		Create: 1, Update: 1,
	}
	d := start(t, f, 120, 30)
	d.press(char('i'))
	if !strings.Contains(d.screen(), "Import a roster") {
		t.Fatalf("i did not open the import:\n%s", d.screen())
	}
	d.press(char('p'))
	csv := "username,full_name\nfrank,Frank Ocean\nalice,Alice L.\n9lives,Cat"
	d.send(tea.PasteMsg{Content: strings.ReplaceAll(csv, "\n", "\r\n")})
	d.typeText("\n")
	d.press(keyEnter) // a new line
	if !strings.Contains(d.screen(), "frank,Frank Ocean") || !strings.Contains(d.screen(), "6 lines") {
		t.Errorf("the pasted text does not show:\n%s", d.screen())
	}
	d.press(keyBack, keyBack)
	d.press(keyCtrlD)
	d.untilCalled("PreviewImport")
	if !d.hasCall(fmt.Sprintf("PreviewImport text=%q path=\"\"", csv)) {
		t.Errorf("calls: %q", d.desk.called())
	}
	d.until("the preview", func(s string) bool { return strings.Contains(s, "what would change") })
	s := d.oneLine()
	for _, want := range []string{"1 user to create, 1 to update.", "bad line", "\"9lives\" is not a valid username.",
		"create", "frank", "update", "password generated", "nothing is imported while a line is bad"} {
		if !strings.Contains(s, want) {
			t.Errorf("the preview lacks %q:\n%s", want, d.screen())
		}
	}
	d.checkFits(120, 30, "the preview")
	d.press(char('y'))
	if slices.ContainsFunc(d.desk.called(), func(c string) bool { return strings.HasPrefix(c, "Import ") }) {
		t.Fatal("imported with a bad line")
	}
	d.press(keyEsc)

	// Without errors, y imports and the passwords show once.
	f.set(func(f *fakeDesk) {
		f.preview.Errors = nil
		f.report = accounts.ImportReport{Created: []string{"frank"}, Updated: []string{"alice"},
			Generated: []roster.Generated{{Username: "frank", Password: "pw-frank-123"}}}
	})
	d.press(char('i'), char('p'))
	d.send(tea.PasteMsg{Content: csv})
	d.press(keyCtrlD)
	d.until("the preview", func(s string) bool { return strings.Contains(s, "Nothing is written until you confirm") })
	d.press(char('y'))
	d.untilCalled("Import text=")
	d.until("the passwords", func(s string) bool { return strings.Contains(s, "pw-frank-123") })
	d.press(keyEnter)
	d.until("the notice", func(s string) bool { return strings.Contains(s, "Imported: 1 created, 1 updated.") })
}

func TestImportFromAPathOnTheServer(t *testing.T) {
	f := newFake()
	f.set(func(f *fakeDesk) {
		f.errs["PreviewImport"] = errors.New("there is no file /srv/nope.csv on the server; check the path")
	})
	d := start(t, f, 80, 24)
	d.press(char('i'), char('f'))
	d.typeText("/srv/nope.csv")
	d.press(keyEnter)
	d.untilCalled(`PreviewImport text="" path="/srv/nope.csv"`)
	d.until("the error in the prompt", func(s string) bool {
		return strings.Contains(strings.Join(strings.Fields(s), " "), "There is no file /srv/nope.csv on the server; check the path.")
	})
	d.checkFits(80, 24, "the import prompt with an error")
}

func TestExportSavesIntoTheHome(t *testing.T) {
	d := start(t, newFake(), 100, 30)
	d.press(char('x'))
	if !strings.Contains(d.screen(), "roster-2026-11-03.csv") {
		t.Fatalf("no default name:\n%s", d.screen())
	}
	d.press(keyEnter)
	d.until("the notice", func(s string) bool { return strings.Contains(s, "Saved the roster as roster-2026-11-03.csv") })
	d.mu.Lock()
	data := d.saved["roster-2026-11-03.csv"]
	d.mu.Unlock()
	if !strings.HasPrefix(data, "username,") {
		t.Errorf("saved %q", data)
	}
	// A name the home refuses: the reason shows in the prompt.
	d.press(char('x'), keyCtrlU)
	d.typeText("a/b.csv")
	d.press(keyEnter)
	d.until("the error", func(s string) bool { return strings.Contains(s, "A file name cannot hold a slash") })
}

func TestLivePage(t *testing.T) {
	f := newFake()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "lab1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "primes.py"), []byte("def is_prime(n):\n    return n > 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.homes["alice"] = home
	d := start(t, f, 160, 30)
	d.press(char('2'))
	d.until("the live page", func(s string) bool { return strings.Contains(s, "lab1/primes.py") })
	for _, want := range []string{"ssh+web ×2", "running primes.py", "88", "45 MiB", "12s", "4m", "prof", "Dave Grohl"} {
		if !strings.Contains(d.screen(), want) {
			t.Errorf("live page lacks %q:\n%s", want, d.screen())
		}
	}
	// Refreshed every second while shown.
	f.set(func(f *fakeDesk) { f.live[1].REPL = "running loop.py" })
	d.until("the refresh", func(s string) bool { return strings.Contains(s, "running loop.py") })

	d.selectRow("alice")
	d.press(keyEnter)
	d.untilTrue("OpenLiveView", func() bool { return slices.Equal(d.openedViews(), []string{"alice"}) })

	d.press(char('r'))
	if !strings.Contains(d.screen(), "Restart alice's Python?") {
		t.Fatalf("no question:\n%s", d.screen())
	}
	d.press(char('y'))
	d.untilCalled("RestartREPL alice")

	d.press(char('k'))
	d.typeText("Class is over")
	d.press(keyEnter)
	d.untilCalled(`EndSession alice "Class is over"`)
	d.until("the notice", func(s string) bool { return strings.Contains(s, "alice's session was ended.") })

	// Browse alice's files, read-only.
	d.press(char('b'))
	d.untilCalled("BrowseHome alice")
	d.until("the tree", func(s string) bool {
		return strings.Contains(s, "alice's files (read-only)") && strings.Contains(s, "primes.py")
	})
	d.press(char('d'))
	if !strings.Contains(d.status(), "read-only") {
		t.Errorf("d in the browser: status %q", d.status())
	}
	d.selectRow("primes.py")
	d.press(keyEnter)
	d.until("the viewer", func(s string) bool { return strings.Contains(s, "def is_prime(n):") })
	if !strings.Contains(d.raw(), "\x1b[") {
		t.Error("the viewer is not highlighted")
	}
	d.typeText("x")
	d.until("the read-only notice", func(s string) bool { return strings.Contains(s, "This file is read-only.") })
	d.checkFits(160, 30, "the viewer")
	d.press(keyEsc)
	if strings.Contains(d.screen(), "def is_prime") || !strings.Contains(d.screen(), "alice's files") {
		t.Errorf("esc did not go back to the tree:\n%s", d.screen())
	}
	d.press(keyEsc)
	if !strings.Contains(d.screen(), "running loop.py") {
		t.Errorf("esc did not go back to the list:\n%s", d.screen())
	}

	// Leaving the page stops the refresh.
	d.press(char('1'))
	d.untilTrue("the last refresh to end", func() bool { return d.alive.Load() <= 1 }) // the event wait only
	n := f.readCount("Live")
	d.untilTrue("no tick left", func() bool { return d.alive.Load() <= 1 })
	d.drain()
	if got := f.readCount("Live"); got != n {
		t.Errorf("Live read %d times after leaving the page", got-n)
	}
}

func TestHelpQueue(t *testing.T) {
	f := newFake()
	d := start(t, f, 120, 30)
	d.press(char('3'))
	d.until("the queue", func(s string) bool { return strings.Contains(s, "my loop never ends") })
	s := d.screen()
	for _, want := range []string{"(no question)", "12m", "other", "Alice Liddell"} {
		if !strings.Contains(s, want) {
			t.Errorf("queue lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "alice") > strings.Index(s, "(no question)") {
		t.Errorf("the queue is not oldest first:\n%s", s)
	}
	d.press(keyEnter)
	d.untilTrue("OpenLiveView", func() bool { return slices.Equal(d.openedViews(), []string{"alice"}) })

	d.press(char('c'))
	d.untilCalled("Claim 7")
	f.set(func(f *fakeDesk) { f.queue[0].ClaimedBy = "prof" })
	f.publish(classroom.Event{Queue: true})
	d.until("the claim", func(s string) bool { return strings.Contains(s, "prof (you)") })
	d.press(char('c'))
	d.untilCalled("Unclaim 7")

	d.press(char('r'), char('y'))
	d.untilCalled("Resolve 7")
	f.set(func(f *fakeDesk) { f.queue = f.queue[1:] })
	f.publish(classroom.Event{Queue: true})
	d.until("the count", func(s string) bool { return strings.Contains(s, "3 Help (1 waiting)") })

	// A conflict is a sentence in the status line.
	f.set(func(f *fakeDesk) { f.errs["Claim"] = errors.New("other claimed this request already") })
	d.press(char('c'))
	d.until("the conflict", func(s string) bool {
		return strings.Contains(s, "Could not claim bob's request: other claimed this request already.")
	})
	d.checkFits(120, 30, "the help page")
}

func TestAnnouncements(t *testing.T) {
	f := newFake()
	d := start(t, f, 100, 30)
	d.press(char('4'))
	d.until("the history", func(s string) bool { return strings.Contains(s, "Lab ends at noon") })
	if !strings.Contains(d.screen(), "active") || !strings.Contains(d.screen(), "ended") {
		t.Errorf("no states:\n%s", d.screen())
	}
	f.set(func(f *fakeDesk) {
		f.errs["Announce"] = errors.New("an announcement is at most 300 characters; this one has 301")
	})
	d.press(char('n'))
	d.typeText("Quiz at 11")
	d.press(keyEnter)
	d.until("the refusal in the input", func(s string) bool {
		return strings.Contains(s, "An announcement is at most 300 characters; this one has 301.")
	})
	if !strings.Contains(d.screen(), "New announcement") {
		t.Fatal("the input closed on a refusal")
	}
	f.set(func(f *fakeDesk) { delete(f.errs, "Announce") })
	d.press(keyEnter)
	d.untilCalled(`Announce "Quiz at 11"`)
	d.until("the new one", func(s string) bool {
		return strings.Contains(s, "Quiz at 11") && !strings.Contains(s, "New announcement")
	})

	d.selectRow("Lab ends at noon")
	d.press(char('x'))
	if !strings.Contains(d.screen(), "End this announcement?") {
		t.Fatalf("no question:\n%s", d.screen())
	}
	d.press(char('y'))
	d.untilCalled("Retract 2")
	// The answer comes after the call: had it come while x was pressed
	// below, its notice would have replaced the one the test reads.
	d.until("the notice", func(s string) bool { return strings.Contains(s, "The announcement has ended.") })
	d.selectRow("Welcome to the lab")
	d.press(char('x'))
	if !strings.Contains(d.status(), "ended already") {
		t.Errorf("ending an ended one: %q", d.status())
	}
	d.press(keyEnter)
	d.until("the details", func(s string) bool { return strings.Contains(s, "Ended by prof") })
	d.press(keyEsc)
}

func TestAudit(t *testing.T) {
	f := newFake()
	d := start(t, f, 200, 50)
	d.press(char('5'))
	d.until("the audit", func(s string) bool { return strings.Contains(s, "live.view") })
	s := d.screen()
	if !(strings.Index(s, "live.view") < strings.Index(s, "console.roster") &&
		strings.Index(s, "console.roster") < strings.Index(s, "user.passwd")) {
		t.Errorf("not newest first:\n%s", s)
	}
	d.press(char('/'))
	d.typeText("not a prof") // the detail column
	if s := d.screen(); strings.Contains(s, "live.view") || !strings.Contains(s, "console.roster") {
		t.Errorf("the filter does not look at the detail:\n%s", s)
	}
	d.press(keyEnter, keyEnter)
	d.until("the entry", func(s string) bool {
		return strings.Contains(s, "Audit entry #2") && strings.Contains(s, "10.0.0.2:4444")
	})
	d.press(keyEsc)
	n := f.readCount("Audit")
	f.set(func(f *fakeDesk) {
		f.audit = append([]store.AuditEntry{{ID: 4, At: testNow, Actor: "prof", Action: "announce", Outcome: "ok", Detail: "not a prof test"}}, f.audit...)
	})
	d.press(char('r'))
	d.until("the new entry", func(s string) bool { return strings.Contains(s, "announce") })
	if f.readCount("Audit") != n+1 {
		t.Errorf("r read the audit %d times", f.readCount("Audit")-n)
	}
}

func TestEveryPageFits(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {200, 50}, {40, 12}, {20, 5}} {
		w, h := sz[0], sz[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			f := newFake()
			for i := range 60 { // more rows than fit
				f.roster = append(f.roster, console.Student{User: store.User{Username: fmt.Sprintf("s%02d", i),
					FullName: strings.Repeat("Long Name ", 5), Email: "someone.with.a.long.address@example.edu", Role: store.RoleStudent}})
			}
			d := start(t, f, w, h)
			d.checkFits(w, h, "students")
			for _, p := range "2345" {
				d.press(char(p))
				d.drain()
				d.checkFits(w, h, "page "+string(p))
			}
			d.press(char('1'), char('a'))
			d.checkFits(w, h, "the add form")
			d.press(keyEsc, char('i'), char('p'))
			d.send(tea.PasteMsg{Content: strings.Repeat("a,b,c\n", 100)})
			d.checkFits(w, h, "the pasted roster")
			d.press(keyEsc, keyF1)
			d.checkFits(w, h, "the full help")
		})
	}
}

func TestCraftedTextIsHarmless(t *testing.T) {
	evil := "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[H\u202eevil\r\nX\x9b1m"
	f := newFake()
	f.roster[0].FullName = evil
	f.roster[0].Email = evil
	f.live[0].FullName, f.live[0].OpenFile, f.live[0].REPL = evil, evil, evil
	f.live[0].Watchers = []string{evil}
	f.queue[0].Question = evil
	f.queue[1].ClaimedBy = evil
	f.history[0].Text = evil
	f.audit[0].Detail, f.audit[0].Target = evil, evil
	f.set(func(f *fakeDesk) { f.errs["ResetPassword"] = errors.New(evil) })
	d := start(t, f, 200, 50)
	check := func(what string) {
		t.Helper()
		raw := d.raw()
		for _, bad := range []string{"\x1b]", "\x1b[2J", "\x1b[H", "\u202e", "\r", "\x07", "\x9b"} {
			if strings.Contains(raw, bad) {
				t.Errorf("%s: the screen holds %q", what, bad)
			}
		}
		if n := strings.Count(raw, "\n"); n != 49 {
			t.Errorf("%s: %d lines", what, n+1)
		}
	}
	check("students")
	d.press(char('p'), char('y'))
	d.until("the error", func(s string) bool { return strings.Contains(s, "Could not reset alice's password") })
	check("an error")
	d.press(char('e'))
	check("the edit form")
	d.press(keyEsc)
	for _, p := range "2345" {
		d.press(char(p))
		d.drain()
		check("page " + string(p))
	}
	d.press(keyEnter)
	check("an audit entry")
}

func TestLoadErrorsAreSentences(t *testing.T) {
	f := newFake()
	f.set(func(f *fakeDesk) {
		f.errs["Live"] = errors.New("only professors can see who is online; if you teach this class, ask a professor to change your role")
	})
	f.set(func(f *fakeDesk) { f.errs["Audit"] = context.DeadlineExceeded })
	d := start(t, f, 120, 30)
	d.press(char('2'))
	d.until("the error", func(s string) bool {
		return strings.Contains(s, "Could not read the live sessions: only professors can see who is online;")
	})
	d.press(char('5'))
	d.until("the timeout", func(s string) bool {
		return strings.Contains(s, "The server did not answer in time; try again in a moment.")
	})
}

func TestQuit(t *testing.T) {
	d := start(t, newFake(), 80, 24)
	d.press(char('a'))
	d.press(keyCtrlQ)
	d.untilTrue("quit", d.quit.Load)
}

func TestNoGoroutineLeftAfterClose(t *testing.T) {
	before := runtime.NumGoroutine()
	f := newFake()
	f.block["Live"] = true // a read that answers only when cancelled
	d := &driver{t: t, desk: f, msgs: make(chan tea.Msg, 256), saved: map[string]string{}}
	d.m = consoletui.New(context.Background(), f, keys.Default(), theme.New(true), consoletui.Options{Username: "prof"})
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	d.exec(d.m.Init())
	d.untilTrue("the subscription", func() bool { return f.subscribers() == 1 })
	d.press(char('3')) // ticks
	d.press(char('2')) // a Live read that blocks, and ticks
	d.untilTrue("the blocked read", func() bool { return f.readCount("Live") == 1 })
	d.m.Close()
	d.m.Close() // twice is fine
	d.settle()
	if d.alive.Load() != 0 {
		t.Fatalf("%d commands still running after Close", d.alive.Load())
	}
	if f.subscribers() != 0 || f.unsubs.Load() != 1 {
		t.Errorf("subscription not ended: %d left, %d cancels", f.subscribers(), f.unsubs.Load())
	}
	goroutinesDownTo(t, before)
}

func TestNoGoroutineLeftWithTheViewerOpen(t *testing.T) {
	before := runtime.NumGoroutine()
	f := newFake()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "a.py"), []byte("print(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.homes["alice"] = home
	d := &driver{t: t, desk: f, msgs: make(chan tea.Msg, 256), saved: map[string]string{}}
	d.m = consoletui.New(context.Background(), f, keys.Default(), theme.New(true), consoletui.Options{Username: "prof"})
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	d.exec(d.m.Init())
	d.press(char('2'))
	d.until("live", func(s string) bool { return strings.Contains(s, "alice") })
	d.selectRow("alice")
	d.press(char('b'))
	d.until("the tree", func(s string) bool { return strings.Contains(s, "a.py") })
	d.selectRow("a.py")
	d.press(keyEnter)
	d.until("the viewer", func(s string) bool { return strings.Contains(s, "print(1)") })
	d.m.Close()
	d.settle()
	if d.alive.Load() != 0 {
		t.Fatalf("%d commands still running after Close", d.alive.Load())
	}
	goroutinesDownTo(t, before)
}

// BenchmarkLive200 is the Live page with 200 students: a refresh (the
// rows read every second) and the frame drawn after it.
func BenchmarkLive200(b *testing.B) {
	f := newFake()
	f.live = nil
	for i := range 200 {
		f.live = append(f.live, console.LiveStudent{Username: fmt.Sprintf("student%03d", i), FullName: fmt.Sprintf("Student Number %d", i),
			Connections: 1 + i%2, Transports: []string{"ssh"}, Since: testNow.Add(-time.Duration(i) * time.Minute),
			Idle: time.Duration(i) * time.Second, OpenFile: fmt.Sprintf("lab%d/exercise_%d.py", i%5, i), REPL: "running exercise.py",
			CPUPercent: float64(i % 100), MemoryBytes: int64(i) << 20})
	}
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			d := start(b, f, sz[0], sz[1])
			d.press(char('2'))
			d.until("the live page", func(s string) bool { return strings.Contains(s, "student000") })
			d.press(char('s'), char('s'), char('s'), char('s'), char('s')) // sorted by idle time
			msg := consoletui.LiveRefreshForTest(d.m, f.live)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				d.m.Update(msg)
				_ = d.m.Render()
			}
		})
	}
}
