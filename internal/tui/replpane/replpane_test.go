package replpane

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// fakeREPL is a REPL whose state and home usage the test sets; its screen
// is a line per row saying which row it is.
type fakeREPL struct {
	mu       sync.Mutex
	state    repl.State
	quota    sandbox.HomeUsage
	restarts int
	version  uint64
	sent     []string // keys given to SendKey
	ch       chan struct{}
}

func newFake() *fakeREPL { return &fakeREPL{ch: make(chan struct{}, 1)} }

func (f *fakeREPL) Launch(req repl.Request) func(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.Restart {
		f.restarts++
	}
	return func(context.Context) error { return nil }
}
func (f *fakeREPL) SendKey(k tea.KeyPressMsg) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, k.String())
	return nil
}
func (f *fakeREPL) Paste(string) error { return nil }
func (f *fakeREPL) Render(w, h int) repl.Screen {
	var s repl.Screen
	for i := range h {
		l := ansi.Truncate("row "+string(rune('0'+i%10)), w, "")
		s.Lines = append(s.Lines, l+strings.Repeat(" ", w-ansi.StringWidth(l)))
	}
	s.CursorX, s.CursorY, s.CursorVisible = 4, 1, true
	return s
}

// RenderBack draws 50 lines of output, "out 1" to "out 50", the last ones
// at the bottom when back is 0.
func (f *fakeREPL) RenderBack(w, h, back int, _ bool) repl.Screen {
	const total = 50
	back = max(min(back, total-h), 0)
	s := repl.Screen{Back: back}
	for i := range h {
		l := ansi.Truncate(fmt.Sprintf("out %d", total-back-h+i+1), w, "")
		s.Lines = append(s.Lines, l+strings.Repeat(" ", w-ansi.StringWidth(l)))
	}
	return s
}
func (f *fakeREPL) Subscribe() (<-chan struct{}, func()) { return f.ch, func() {} }
func (f *fakeREPL) State() repl.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}

// Version is new at every call: the tests change the fake's fields
// directly, so the pane must never reuse a view it drew.
func (f *fakeREPL) Version() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	return f.version
}

func (f *fakeREPL) Quota() sandbox.HomeUsage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.quota
}

func pane(f *fakeREPL, w, h int) Model {
	m := New(context.Background(), f, keys.Default(), theme.New(true))
	m.SetSize(w, h)
	return m
}

func plainLines(v string) []string { return strings.Split(ansi.Strip(v), "\n") }

func checkBox(t *testing.T, v string, w, h int) []string {
	t.Helper()
	lines := plainLines(v)
	if len(lines) != h {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), h, ansi.Strip(v))
	}
	for i, l := range lines {
		if ansi.StringWidth(l) != w {
			t.Fatalf("line %d is %d cells, want %d: %q", i, ansi.StringWidth(l), w, l)
		}
	}
	return lines
}

func TestQuotaBanner(t *testing.T) {
	f := newFake()
	f.state = repl.State{Status: repl.Running}
	m := pane(f, 120, 6)
	lines := checkBox(t, m.View(), 120, 6)
	if lines[0] != "row 0"+strings.Repeat(" ", 115) {
		t.Fatalf("under quota, the screen starts on top: %q", lines[0])
	}

	f.quota = sandbox.HomeUsage{Bytes: 212 << 20, QuotaBytes: 200 << 20, Over: true}
	lines = checkBox(t, m.View(), 120, 6)
	want := "Your home is full: 212 MiB of 200 MiB. Files can't be written until you delete some in the file list."
	if strings.TrimRight(lines[0], " ") != want {
		t.Fatalf("banner %q, want %q", lines[0], want)
	}
	if !strings.HasPrefix(lines[1], "row 0") || !strings.HasPrefix(lines[5], "row 4") {
		t.Fatalf("the screen does not follow the banner:\n%s", strings.Join(lines, "\n"))
	}
	m.focused = true
	if x, y, ok := m.Cursor(); !ok || x != 4 || y != 2 {
		t.Fatalf("cursor %d,%d %v: want 4,2 (below the banner)", x, y, ok)
	}

	// Narrow: the banner is cut to the width; a one-line pane keeps the screen.
	m.SetSize(20, 3)
	lines = checkBox(t, m.View(), 20, 3)
	if !strings.HasPrefix(lines[0], "Your home is full") {
		t.Fatalf("narrow banner %q", lines[0])
	}
	m.SetSize(20, 1)
	if lines = checkBox(t, m.View(), 20, 1); !strings.HasPrefix(lines[0], "row 0") {
		t.Fatalf("one line: %q", lines[0])
	}

	// Stopped and over quota: the banner, the screen, and why.
	f.state = repl.State{Status: repl.Stopped, Reason: "Python was stopped after 30 minutes without use."}
	m.SetSize(120, 6)
	lines = checkBox(t, m.View(), 120, 6)
	if !strings.HasPrefix(lines[0], "Your home is full") || !strings.HasPrefix(lines[1], "row 0") ||
		!strings.HasPrefix(lines[5], "Python was stopped after 30 minutes without use. Press enter to start it again.") {
		t.Fatalf("stopped and full:\n%s", strings.Join(lines, "\n"))
	}

	// Back under quota: the banner goes.
	f.quota.Over, f.quota.Bytes = false, 10<<20
	if lines = checkBox(t, m.View(), 120, 6); !strings.HasPrefix(lines[0], "row 0") {
		t.Fatalf("under quota again: %q", lines[0])
	}
}

func TestQuotaNotice(t *testing.T) {
	for _, c := range []struct {
		u    sandbox.HomeUsage
		want string
	}{
		{sandbox.HomeUsage{}, ""},
		{sandbox.HomeUsage{Bytes: 5 << 20, QuotaBytes: 200 << 20}, ""},
		{sandbox.HomeUsage{Bytes: 200<<20 + 300<<10, QuotaBytes: 200 << 20, Over: true},
			"Your home is full: 200.3 MiB of 200 MiB. Files can't be written until you delete some in the file list."},
		{sandbox.HomeUsage{QuotaBytes: 200 << 20, Over: true, Err: context.DeadlineExceeded},
			"Your home's size could not be checked: files can't be written for now."},
	} {
		if got := QuotaNotice(c.u); got != c.want {
			t.Errorf("QuotaNotice(%+v) = %q, want %q", c.u, got, c.want)
		}
	}
}

// TestStoppedREPL: a REPL the server stopped says why, keeps its screen,
// and the restart key starts it again.
func TestStoppedREPL(t *testing.T) {
	f := newFake()
	f.state = repl.State{Status: repl.Stopped, Reason: "Python was stopped after 30 minutes without use"}
	m := pane(f, 40, 5)
	lines := checkBox(t, m.View(), 40, 5)
	got := strings.Join(lines, "\n")
	if !strings.HasPrefix(lines[0], "row 0") || !strings.Contains(got, "Python was stopped after 30 minutes") ||
		!strings.Contains(got, "without use. Press enter to start it") {
		t.Fatalf("stopped pane:\n%s", got)
	}
	if d := Describe(f.state); d != "Python: stopped" {
		t.Fatalf("Describe: %q", d)
	}
	if w := Why(repl.State{Status: repl.Stopped}, "enter"); w != "Python was stopped. Press enter to start it again." {
		t.Fatalf("Why without a reason: %q", w)
	}
	// Coming to the pane (F4) starts a Python that does not run (#13).
	cmd := m.Focus()
	if cmd == nil {
		t.Fatal("focusing a stopped REPL does not start it")
	}
	msg := cmd()
	if _, ok := msg.(StartedMsg); !ok || f.restarts != 1 {
		t.Fatalf("focus did not restart (restarts %d)", f.restarts)
	}
	m, _ = m.Update(msg)
	// Still stopped (the fake does not start): enter asks again.
	m, cmd = m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if cmd == nil {
		t.Fatal("enter on a stopped REPL does nothing")
	}
	if _, ok := cmd().(StartedMsg); !ok || f.restarts != 2 {
		t.Fatalf("enter did not restart (restarts %d)", f.restarts)
	}
	_ = m
}

// shift+pgup scrolls back through earlier output, shift+pgdn forward, and
// any other key returns to the end (and goes to Python).
func TestScrollBack(t *testing.T) {
	f := newFake()
	f.state = repl.State{Status: repl.Running}
	m := New(context.Background(), f, keys.Default(), theme.New(true))
	m.SetSize(30, 11)
	m.Focus()
	earlier := tea.KeyPressMsg{Code: tea.KeyPgUp, Mod: tea.ModShift}
	later := tea.KeyPressMsg{Code: tea.KeyPgDown, Mod: tea.ModShift}

	m, _ = m.Update(earlier)
	view := ansi.Strip(m.View())
	if m.Back() != 9 || !strings.Contains(view, "9 lines back") || !strings.Contains(view, "out 41") || strings.Contains(view, "out 42") {
		t.Errorf("after shift+pgup: back %d, view:\n%s", m.Back(), view)
	}
	if _, _, ok := m.Cursor(); ok {
		t.Error("the cursor shows while scrolled back")
	}
	for range 20 {
		m, _ = m.Update(earlier)
	}
	if view := ansi.Strip(m.View()); m.Back() != 40 || !strings.Contains(view, "out 1 ") {
		t.Errorf("scrolled to the top: back %d, view:\n%s", m.Back(), view)
	}
	m, _ = m.Update(later)
	if m.Back() != 31 {
		t.Errorf("shift+pgdn: back %d, want 31", m.Back())
	}
	m, _ = m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if m.Back() != 28 {
		t.Errorf("wheel down: back %d, want 28", m.Back())
	}
	m, _ = m.Update(tea.KeyPressMsg{Code: 'x', Text: "x"})
	if view := ansi.Strip(m.View()); m.Back() != 0 || strings.Contains(view, "lines back") {
		t.Errorf("a key did not return to the end: back %d, view:\n%s", m.Back(), view)
	}
}

// While Python starts, keys go to the REPL (which keeps them for the new
// Python) instead of being dropped, and the pane says where it is: its
// place in line, then running, waiting for input() or ready (#13).
func TestKeysWhileStartingAndWhatPythonDoes(t *testing.T) {
	f := newFake()
	f.state = repl.State{Status: repl.Starting, Ahead: 12}
	m := pane(f, 40, 5)
	m.Focus()
	m, _ = m.Update(tea.KeyPressMsg{Code: 'x', Text: "x"})
	if len(f.sent) != 1 || f.sent[0] != "x" {
		t.Fatalf("keys sent while starting: %q, want [x]", f.sent)
	}
	if got := strings.Join(checkBox(t, m.View(), 40, 5), "\n"); !strings.Contains(got, "12 ahead of you") {
		t.Fatalf("a start in line does not say its place:\n%s", got)
	}
	for _, c := range []struct {
		st   repl.State
		want string
	}{
		{repl.State{Status: repl.Starting, Ahead: 3}, "Python: starting (3 ahead)…"},
		{repl.State{Status: repl.Running, File: "demo.py", Activity: repl.Working}, "Python: running demo.py"},
		{repl.State{Status: repl.Running, File: "demo.py", Activity: repl.Reading}, "Python: waiting for input()"},
		{repl.State{Status: repl.Running, File: "demo.py", Activity: repl.Ready}, "Python: ready"},
	} {
		if got := Describe(c.st); got != c.want {
			t.Errorf("Describe(%+v) = %q, want %q", c.st, got, c.want)
		}
	}
}

func TestTransmissionPiecesAreWholeSequences(t *testing.T) {
	seq := strings.Repeat("\x1b_Gm=1;"+strings.Repeat("A", 4096)+"\x1b\\", 10)
	ps := pieces(seq, 16<<10)
	if len(ps) < 3 || strings.Join(ps, "") != seq {
		t.Fatalf("%d pieces, joined equal: %v", len(ps), strings.Join(ps, "") == seq)
	}
	for i, p := range ps {
		if len(p) > 16<<10 || !strings.HasPrefix(p, "\x1b_G") || !strings.HasSuffix(p, "\x1b\\") {
			t.Errorf("piece %d: %d bytes, %q…%q", i, len(p), p[:4], p[len(p)-2:])
		}
	}
}
