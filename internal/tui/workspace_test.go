package tui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/tui"
	"github.com/classroomd/classroomd/internal/workspace"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

func TestMain(m *testing.M) {
	sandbox.MaybeRunInit()
	os.Exit(m.Run())
}

// space is a student's live workspace over a home in a temporary folder,
// with an unstarted REPL.
type space struct {
	dir, journal string
	course       string // the course folder, if any (see withCourse)
	home         *files.Home
	ws           *workspace.Workspace
	repl         *repl.REPL
}

const testUID = 203011

func newSpace(t testing.TB, extra map[string]string) *space {
	t.Helper()
	root := t.TempDir()
	dir, err := files.EnsureHome(filepath.Join(root, "homes"), "alice", files.NoOwner)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range extra {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sp := &space{dir: dir, journal: filepath.Join(root, "journal")}
	sp.open(t)
	return sp
}

// open (again) builds the workspace over the same home and journal.
func (sp *space) open(t testing.TB) {
	t.Helper()
	home, err := files.OpenHome(sp.dir)
	if err != nil {
		t.Fatal(err)
	}
	r := repl.New(repl.Config{Spec: sandbox.Spec{Username: "alice", UID: testUID, GID: testUID, Home: sp.dir,
		Cols: 80, Rows: 24, Limits: sandbox.DefaultLimits()}})
	o := workspace.Options{Username: "alice", Home: home, REPL: r, JournalDir: sp.journal, JournalEvery: time.Hour}
	if sp.course != "" {
		if o.Course, err = files.OpenReadOnly(sp.course); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := workspace.New(o)
	if err != nil {
		t.Fatal(err)
	}
	sp.home, sp.ws, sp.repl = home, ws, r
	t.Cleanup(func() { ws.Close() })
}

// driver runs a root model as a Program would, but from the test: commands
// run in goroutines (some wait for a long time: for a buffer or the REPL to
// change) and their messages are taken in, one at a time, by until.
type driver struct {
	t     testing.TB
	m     *tui.Model
	msgs  chan tea.Msg
	quit  atomic.Bool
	w, h  int
	alive atomic.Int32 // commands running
}

func drive(t testing.TB, sp *space, w, h int) *driver {
	t.Helper()
	d := &driver{t: t, msgs: make(chan tea.Msg, 64), w: w, h: h}
	d.m = tui.New(tui.Options{Username: "alice", Role: "student", Home: sp.home, Workspace: sp.ws,
		ChangePassword: func(string, string) error { return nil }})
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	d.exec(d.m.Init())
	d.until("the files are listed", func(s string) bool { return strings.Contains(s, "welcome.py") })
	return d
}

func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	d.alive.Add(1)
	go func() {
		defer d.alive.Add(-1)
		switch msg := cmd().(type) {
		case nil:
		case tea.QuitMsg:
			d.quit.Store(true)
		case tea.BatchMsg:
			for _, c := range msg {
				d.exec(c)
			}
		default:
			d.msgs <- msg
		}
	}()
}

func (d *driver) send(msg tea.Msg) {
	_, cmd := d.m.Update(msg)
	d.exec(cmd)
}

func (d *driver) press(keys ...tea.KeyPressMsg) {
	for _, k := range keys {
		d.send(k)
		d.drain()
	}
}

func (d *driver) typeText(s string) {
	for _, r := range s {
		if r == '\n' {
			d.press(keyEnter)
			continue
		}
		d.press(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// drain takes in the messages already waiting.
func (d *driver) drain() {
	for {
		select {
		case msg := <-d.msgs:
			d.send(msg)
		default:
			return
		}
	}
}

func (d *driver) raw() string    { return d.m.View().Content }
func (d *driver) screen() string { return ansi.Strip(d.raw()) }
func (d *driver) status() string {
	ls := strings.Split(d.screen(), "\n")
	return strings.TrimSpace(ls[len(ls)-2])
}

// until takes in messages until cond holds for the screen.
func (d *driver) until(what string, cond func(screen string) bool) {
	d.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		d.drain()
		if cond(d.screen()) {
			return
		}
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-time.After(50 * time.Millisecond): // look again: some changes send no message
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; screen:\n%s", what, d.screen())
		}
	}
}

// python is the Python pane's text: the rows below its title (the last
// title row starting with "Python"), above the status bar.
func (d *driver) python() string {
	ls := strings.Split(d.screen(), "\n")
	for i := len(ls) - 3; i > 0; i-- {
		if strings.HasPrefix(ls[i], " Python") {
			return strings.Join(ls[i+1:len(ls)-2], "\n")
		}
	}
	return ""
}

// inPython waits for what to show in the Python pane.
func (d *driver) inPython(what string) {
	d.t.Helper()
	d.until(fmt.Sprintf("%q in the Python pane", what), func(string) bool { return strings.Contains(d.python(), what) })
}

func (d *driver) shows(what string) { d.t.Helper(); d.until(fmt.Sprintf("%q", what), has(what)) }

func has(s string) func(string) bool {
	return func(scr string) bool { return strings.Contains(scr, s) }
}

// fits checks that nothing exceeds the terminal.
func (d *driver) fits(when string) {
	d.t.Helper()
	lines := strings.Split(d.raw(), "\n")
	if len(lines) > d.h {
		d.t.Errorf("%s: %d lines, terminal has %d", when, len(lines), d.h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > d.w {
			d.t.Errorf("%s: line %d is %d cells wide, terminal has %d: %q", when, i, lw, d.w, ansi.Strip(l))
		}
	}
}

var (
	keyF2    = tea.KeyPressMsg{Code: tea.KeyF2}
	keyF3    = tea.KeyPressMsg{Code: tea.KeyF3}
	keyF4    = tea.KeyPressMsg{Code: tea.KeyF4}
	keyF5    = tea.KeyPressMsg{Code: tea.KeyF5}
	keyCtrlS = tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl}
	keyCtrlW = tea.KeyPressMsg{Code: 'w', Mod: tea.ModCtrl}
	keyCtrlN = tea.KeyPressMsg{Code: 'n', Mod: tea.ModCtrl}
	keyCtrlP = tea.KeyPressMsg{Code: 'p', Mod: tea.ModCtrl}
	keyCtrlD = tea.KeyPressMsg{Code: 'd', Mod: tea.ModCtrl}
	keyCtrlR = tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl}
)

func letter(r rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: r, Text: string(r)} }

// openWelcome opens welcome.py from the file list (it is the only entry).
func (d *driver) openWelcome() {
	d.t.Helper()
	d.press(keyF2, keyHome, keyEnter)
	d.until("welcome.py in the editor", has("Your first Python program"))
}

func TestWorkspaceLayout(t *testing.T) {
	sp := newSpace(t, nil)
	sp.repl.Close() // no Python here: its pane says why
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 50}, {100, 30}, {60, 20}, {59, 12}, {40, 10}, {30, 8}, {20, 5}, {20, 3}, {10, 2}, {1, 1}} {
		w, h := sz[0], sz[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			d := &driver{t: t, msgs: make(chan tea.Msg, 64), w: w, h: h}
			d.m = tui.New(tui.Options{Username: "alice", FullName: "Alice Liddell", Role: "student", Home: sp.home, Workspace: sp.ws})
			defer d.m.Close()
			d.send(tea.WindowSizeMsg{Width: w, Height: h})
			d.exec(d.m.Init())
			d.until("the listing", func(s string) bool { return strings.Contains(s, "welcome.py") || h < 5 || w < 20 })
			d.fits("start")
			d.press(keyF2, keyHome, keyEnter)
			d.until("a tab", func(string) bool { return len(sp.ws.Files()) > 0 && strings.Contains(d.screen(), "welcome") || h < 5 })
			d.fits("welcome.py open")
			for _, k := range []tea.KeyPressMsg{keyF4, keyF2, keyF3, keyF1, keyEsc, keyCtrlP, keyEsc, keyCtrlN, keyEsc} {
				d.press(k)
				d.fits("after " + k.String())
			}
			if w == 80 && h == 24 {
				scr := d.screen()
				for _, want := range []string{"Files", "welcome.py", "Python", "Your first Python program", "ctrl+s save", "Ln 1, Col 1"} {
					if !strings.Contains(scr, want) {
						t.Errorf("80x24 lacks %q:\n%s", want, scr)
					}
				}
			}
			if w == 200 {
				// Python beside the editor: one row holds all three titles.
				row := strings.Split(d.screen(), "\n")[1]
				if !strings.Contains(row, "Files") || !strings.Contains(row, "Python") {
					t.Errorf("200 columns: Python is not beside the editor: %q", row)
				}
			}
			// Shrink and grow back: no stale rows, still inside.
			d.send(tea.WindowSizeMsg{Width: 20, Height: 5})
			d.w, d.h = 20, 5
			d.fits("shrunk")
			d.send(tea.WindowSizeMsg{Width: w, Height: h})
			d.w, d.h = w, h
			d.fits("grown back")
			if got := len(strings.Split(d.raw(), "\n")); h > 3 && got != h {
				t.Errorf("%d lines after growing back, want %d", got, h)
			}
		})
	}
}

func TestFocusKeysAndMouse(t *testing.T) {
	sp := newSpace(t, nil)
	sp.repl.Close() // no Python in this test: the pane says why
	d := drive(t, sp, 80, 24)
	d.openWelcome()
	if !strings.Contains(d.status(), "welcome.py · Ln 1, Col 1") {
		t.Errorf("editor status %q", d.status())
	}
	d.press(keyF2)
	if !strings.HasPrefix(d.status(), "welcome.py ·") || !strings.Contains(d.screen(), "enter open") {
		t.Errorf("F2: status %q, screen:\n%s", d.status(), d.screen())
	}
	d.press(keyF4)
	d.shows("Python has ended with your workspace")
	if !strings.Contains(d.screen(), "ctrl+c interrupt") {
		t.Errorf("F4: no Python help bar:\n%s", d.screen())
	}
	d.press(keyF3)
	if !strings.Contains(d.screen(), "ctrl+s save") {
		t.Errorf("F3: no editor help bar:\n%s", d.screen())
	}
	// A click in the Python pane (the bottom third) focuses it; one in the
	// file list, the files.
	d.send(tea.MouseClickMsg{X: 40, Y: 20, Button: tea.MouseLeft})
	if !strings.Contains(d.screen(), "ctrl+c interrupt") {
		t.Errorf("click on Python did not focus it:\n%s", d.screen())
	}
	d.send(tea.MouseClickMsg{X: 2, Y: 3, Button: tea.MouseLeft})
	if !strings.Contains(d.screen(), "enter open") {
		t.Errorf("click on the files did not focus them:\n%s", d.screen())
	}
	// A click in the editor's text focuses it and moves the cursor there.
	d.send(tea.MouseClickMsg{X: 30, Y: 4, Button: tea.MouseLeft})
	if !strings.Contains(d.status(), "Ln 3") {
		t.Errorf("click in the editor: status %q", d.status())
	}
}

func TestOpenShowsHighlightedText(t *testing.T) {
	sp := newSpace(t, map[string]string{"prog.py": "def f(x):\n    return x * 2\n"})
	d := drive(t, sp, 100, 30)
	d.press(keyCtrlP)
	d.typeText("prog")
	d.press(keyEnter) // before or after the list came: it opens the best match

	d.shows("return x * 2")
	// "return" is drawn in the keyword style: an SGR right before it.
	if !regexp.MustCompile(`\x1b\[[0-9;]+mreturn\x1b\[m`).MatchString(d.raw()) {
		t.Errorf("return is not highlighted: %q", d.raw())
	}
	if !strings.Contains(d.screen(), " prog.py ") {
		t.Errorf("no tab for prog.py:\n%s", d.screen())
	}
}

func TestTypeAndSave(t *testing.T) {
	sp := newSpace(t, nil)
	d := drive(t, sp, 80, 24)
	d.openWelcome()
	d.typeText("x = 21\n")
	if !strings.Contains(d.screen(), "welcome.py ●") {
		t.Errorf("no unsaved marker on the tab:\n%s", d.screen())
	}
	d.press(keyCtrlS)
	d.shows("Saved welcome.py.")
	data, err := os.ReadFile(filepath.Join(sp.dir, "welcome.py"))
	if err != nil || !strings.HasPrefix(string(data), "x = 21\n# Your first") {
		t.Fatalf("on disk: %q, %v", data, err)
	}
	if strings.Contains(d.screen(), "●") {
		t.Errorf("still marked unsaved:\n%s", d.screen())
	}
}

func TestTwoViewsSeeEachOthersEdits(t *testing.T) {
	sp := newSpace(t, nil)
	a := drive(t, sp, 80, 24)
	b := drive(t, sp, 120, 40)
	a.openWelcome()
	a.typeText("typed_in_a = 1\n")
	b.openWelcome()
	b.shows("typed_in_a = 1")
	b.press(tea.KeyPressMsg{Code: tea.KeyEnd})
	b.typeText("  # from b")
	a.shows("# from b")
	// Each view has its own cursor.
	if !strings.Contains(a.status(), "Ln 2, Col 1") {
		t.Errorf("a's cursor moved with b's: %q", a.status())
	}
}

func TestRefusedFiles(t *testing.T) {
	sp := newSpace(t, map[string]string{"a.bin": "\x00\x01\x02", "latin1.txt": "caf\xe9\n"})
	d := drive(t, sp, 120, 24)
	d.press(keyF2, keyHome, keyEnter) // a.bin
	d.shows("not a text file")
	d.press(keyF2, tea.KeyPressMsg{Code: tea.KeyDown}, keyEnter) // latin1.txt
	d.shows("not UTF-8 text")
	if len(sp.ws.Files()) != 0 {
		t.Error("a refused file was opened")
	}
}

func TestCloseTabAndNewFile(t *testing.T) {
	sp := newSpace(t, nil)
	d := drive(t, sp, 80, 24)
	d.openWelcome()
	d.typeText("#")
	d.press(keyCtrlW)
	d.shows("has unsaved changes")
	d.press(keyEsc)
	if len(sp.ws.Files()) != 1 {
		t.Fatal("esc closed the tab")
	}
	d.press(keyCtrlW, letter('d'))
	d.until("the tab closed", func(s string) bool { return strings.Contains(s, "No file open") })
	if len(sp.ws.Files()) != 0 {
		t.Error("the file is still open in the workspace")
	}

	d.press(keyF2, keyCtrlN)
	d.typeText("bad/name")
	d.press(keyEnter)
	d.shows("cannot contain /")
	for range len("bad/name") {
		d.press(keyBack)
	}
	d.typeText("lab1.py")
	d.press(keyEnter)
	d.until("lab1.py open", func(s string) bool { return strings.Contains(s, " lab1.py ") && strings.Contains(d.status(), "Ln 1") })
	if _, err := os.Stat(filepath.Join(sp.dir, "lab1.py")); err != nil {
		t.Error(err)
	}
	d.shows("lab1.py")
}

// A file a program writes (here, the test) appears in the file list, in
// the home and in an open folder.
func TestFileListFollowsTheDisk(t *testing.T) {
	sp := newSpace(t, map[string]string{"lab/old.py": ""})
	d := drive(t, sp, 80, 24)
	if err := os.WriteFile(filepath.Join(sp.dir, "out.txt"), []byte("42\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.shows("out.txt")
	d.press(keyF2, keyHome, keyEnter) // open lab/
	d.shows("old.py")
	if err := os.WriteFile(filepath.Join(sp.dir, "lab", "new.py"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d.shows("new.py")
	if err := os.Remove(filepath.Join(sp.dir, "out.txt")); err != nil {
		t.Fatal(err)
	}
	d.until("out.txt gone", func(s string) bool { return !strings.Contains(s, "out.txt") })
}

func TestQuitAsksWhenUnsaved(t *testing.T) {
	sp := newSpace(t, nil)
	d := drive(t, sp, 80, 24)
	d.openWelcome()
	d.press(keyCtrlQ) // nothing unsaved
	d.until("quit", func(string) bool { return d.quit.Load() })

	d2 := drive(t, sp, 80, 24)
	d2.press(keyF3)
	d2.typeText("y = 2\n")
	d2.press(keyCtrlC) // nothing selected: quit, which asks
	d2.shows("1 file has unsaved changes")
	d2.shows("stay in your workspace")
	d2.press(keyEsc)
	if d2.quit.Load() {
		t.Fatal("quit without asking")
	}
	d2.press(keyCtrlQ, letter('k'))
	d2.until("quit", func(string) bool { return d2.quit.Load() })
	if f := sp.ws.Files(); len(f) != 1 || !f[0].Buf.Modified() {
		t.Error("keeping did not keep the unsaved file in the workspace")
	}
}

func TestCtrlCInPythonDoesNotQuit(t *testing.T) {
	sp := newSpace(t, nil)
	sp.repl.Close()
	d := drive(t, sp, 80, 24)
	d.press(keyF4, keyCtrlC, keyCtrlD)
	d.drain()
	if d.quit.Load() {
		t.Fatal("ctrl+c in the Python pane quit")
	}
}

func TestRecoverJournaledWork(t *testing.T) {
	sp := newSpace(t, nil)
	f, err := sp.ws.Open("welcome.py")
	if err != nil {
		t.Fatal(err)
	}
	c := f.Buf.AddCursor()
	f.Buf.InsertText(c, "recovered = True\n")
	sp.ws.Close() // journals it, as a crash would have left it
	sp.open(t)

	d := drive(t, sp, 80, 24)
	d.shows("Recover unsaved changes")
	d.press(letter('r'))
	d.shows("recovered = True")
	if !strings.Contains(d.screen(), "welcome.py ●") {
		t.Errorf("recovered text not shown as unsaved:\n%s", d.screen())
	}
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	sp := newSpace(t, nil)
	before := runtime.NumGoroutine()
	d := drive(t, sp, 80, 24)
	d.openWelcome()
	d.m.Close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before || d.alive.Load() > 0 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before; %d commands still running\n%s",
				runtime.NumGoroutine(), before, d.alive.Load(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
	if sp.ws.Views() != 0 {
		t.Errorf("%d views still attached", sp.ws.Views())
	}
}

func BenchmarkKeystroke(b *testing.B) {
	var lines strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&lines, "def f%d(x):\n    return x * %d  # comment\n", i, i)
	}
	sp := newSpace(b, map[string]string{"big.py": lines.String()})
	d := drive(b, sp, 120, 40)
	d.press(keyF2, keyHome, keyEnter)
	d.shows("def f0(x)")
	d.press(tea.KeyPressMsg{Code: tea.KeyPgDown})
	k := letter('a')
	back := tea.KeyPressMsg{Code: tea.KeyBackspace}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			d.m.Update(k)
		} else {
			d.m.Update(back)
		}
		_ = d.m.View()
	}
}

var probeOnce = sync.OnceValue(sandbox.Probe)

// needSandbox skips a test where sandboxes cannot run (not root, no
// namespaces), except under CI=true, where that is a failure.
func needSandbox(t testing.TB) {
	t.Helper()
	if r := probeOnce(); r.Level == sandbox.None {
		msg := "sandboxes are not available here: missing " + strings.Join(r.Missing(), ", ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// F5 saves and runs the file in Python: its output shows in the Python
// pane, which gets the keys, and its variables stay at the prompt; ctrl+c
// interrupts Python without ending the session; ctrl+d ends Python and
// enter starts it again.
func TestRunInPython(t *testing.T) {
	needSandbox(t)
	sp := newSpace(t, map[string]string{"prog.py": "x = 21\nprint('hello from prog')\n",
		"ask.py": "n = input('name? ')\nprint('hi', n)\n"})
	d := drive(t, sp, 100, 30)
	d.press(keyCtrlP)
	d.typeText("prog")
	d.press(keyEnter)
	d.shows("print('hello from prog')")
	d.press(tea.KeyPressMsg{Code: tea.KeyEnd})
	d.typeText("\nname = 'unsaved edit'")
	d.press(keyF5)
	d.inPython("hello from prog")
	d.inPython(">>>")
	if data, _ := os.ReadFile(filepath.Join(sp.dir, "prog.py")); !strings.Contains(string(data), "unsaved edit") {
		t.Errorf("F5 did not save first: %q", data)
	}
	d.typeText("x*2\n")
	d.inPython("42")
	d.typeText("name\n")
	d.inPython("'unsaved edit'")

	// ctrl+c once the loop runs (as a student would: it said so).
	d.typeText(`exec("print('loop' + 'ing')\nwhile True: pass")` + "\n")
	d.inPython("looping")
	d.press(keyCtrlC)
	d.inPython("KeyboardInterrupt")
	if d.quit.Load() {
		t.Fatal("ctrl+c in Python quit the session")
	}
	d.typeText("print(x + 1)\n")
	d.inPython("22")

	// At the prompt: a ctrl+d typed while Python is between two lines
	// (its terminal not yet back in readline's mode) can be swallowed by
	// the kernel's line discipline, in any terminal.
	d.until("the prompt after 22", func(string) bool {
		var ls []string
		for l := range strings.SplitSeq(strings.TrimSpace(d.python()), "\n") {
			ls = append(ls, strings.TrimSpace(l))
		}
		return len(ls) >= 2 && ls[len(ls)-2] == "22" && ls[len(ls)-1] == ">>>"
	})
	d.press(keyCtrlD)
	d.inPython("Press enter to start it again")
	d.press(keyEnter)
	d.until("a fresh prompt", func(string) bool {
		_, after, ok := strings.Cut(d.python(), "RESTART: Shell")
		return ok && strings.Contains(after, ">>>") && sp.repl.State().Status == repl.Running
	})

	// input() waits for the answer typed in the pane. (In the pane, ctrl+p
	// is readline's: F3 first.)
	d.press(keyF3, keyCtrlP)
	d.typeText("ask")
	d.press(keyEnter)
	d.shows("input('name? ')")
	d.press(keyCtrlR)
	d.inPython("name? ")
	d.typeText("Bob\n")
	d.inPython("hi Bob")
}

// BenchmarkREPLKeystroke is the Python pane's keystroke path end to end:
// the key into the root model, through the pty to Python's line editor in
// its sandbox, its echo back through the emulator, and the frame drawn
// with it. Each iteration types a letter, then erases it.
func BenchmarkREPLKeystroke(b *testing.B) {
	needSandbox(b)
	sp := newSpace(b, nil)
	d := drive(b, sp, 120, 40)
	d.press(keyF4)
	d.inPython(">>>")
	echo := func(want string) {
		for !strings.Contains(d.python(), want) {
			d.drain()
		}
	}
	b.ResetTimer()
	for range b.N {
		d.m.Update(letter('a'))
		echo(">>> a")
		d.m.Update(keyBack)
		for strings.Contains(d.python(), ">>> a") {
			d.drain()
		}
	}
}

// ctrl+F5 gives a fresh Python even when a program ignores ctrl+c.
func TestRestartAStuckPython(t *testing.T) {
	needSandbox(t)
	sp := newSpace(t, nil)
	d := drive(t, sp, 100, 30)
	d.press(keyF4)
	d.inPython(">>>")
	d.typeText("stuck_var = 1\n")
	// The block says when it runs: the screen alone cannot tell a loop
	// that runs from one still being typed (both end in "...").
	d.typeText("if True:\n    print('loop' + 'ing')\n    while True:\n        try:\n            pass\n        except KeyboardInterrupt:\n            pass\n\n")
	d.inPython("looping")
	d.press(keyCtrlC)
	d.press(tea.KeyPressMsg{Code: tea.KeyF5, Mod: tea.ModCtrl})
	d.shows("Python restarted")
	d.until("a fresh prompt", func(string) bool {
		py := strings.TrimSpace(d.python())
		return strings.Contains(py, "RESTART: Shell") && strings.HasSuffix(py, ">>>")
	})
	d.typeText("print('fresh', 'stuck_var' in dir())\n")
	d.inPython("fresh False")
}
