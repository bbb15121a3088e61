package filetree

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

type mapLister struct {
	mu    sync.Mutex
	dirs  map[string][]files.Entry
	calls []string
}

func (l *mapLister) List(rel string) ([]files.Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, rel)
	es, ok := l.dirs[rel]
	if !ok {
		return nil, fmt.Errorf("list %s: no such folder", rel)
	}
	return es, nil
}

func d(name string) files.Entry { return files.Entry{Name: name, IsDir: true} }
func f(name string) files.Entry { return files.Entry{Name: name} }

func newLister() *mapLister {
	return &mapLister{dirs: map[string][]files.Entry{
		".":     {d("a"), d("b"), f("x.py"), {Name: "link", Symlink: true}},
		"a":     {d("aa"), f("a1.py"), f("a2.py")},
		"a/aa":  {f("deep.py")},
		"b":     {},
		"other": {f("nope.py")},
	}}
}

// run executes cmd's listing synchronously and feeds the result back.
func run(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	if cmd == nil {
		return m
	}
	m, next := m.Update(cmd())
	return run(t, m, next)
}

func press(t *testing.T, m Model, k tea.KeyPressMsg) Model {
	t.Helper()
	m, cmd := m.Update(k)
	return run(t, m, cmd)
}

func newModel(t *testing.T, l Lister, w, h int) Model {
	t.Helper()
	m := New(l, keys.Default().Tree, theme.New(true))
	m.SetSize(w, h)
	return run(t, m, m.Init())
}

func selected(m Model) string {
	_, rel, _ := m.Selected()
	return rel
}

func screen(m Model) string { return ansi.Strip(m.View()) }

var (
	down   = tea.KeyPressMsg{Code: tea.KeyDown}
	up     = tea.KeyPressMsg{Code: tea.KeyUp}
	enter  = tea.KeyPressMsg{Code: tea.KeyEnter}
	right  = tea.KeyPressMsg{Code: tea.KeyRight}
	left   = tea.KeyPressMsg{Code: tea.KeyLeft}
	pgdn   = tea.KeyPressMsg{Code: tea.KeyPgDown}
	pgup   = tea.KeyPressMsg{Code: tea.KeyPgUp}
	end    = tea.KeyPressMsg{Code: tea.KeyEnd}
	home   = tea.KeyPressMsg{Code: tea.KeyHome}
	bigG   = tea.KeyPressMsg{Code: 'g', ShiftedCode: 'G', Text: "G", Mod: tea.ModShift}
	smallG = tea.KeyPressMsg{Code: 'g', Text: "g"}
)

func TestInitialListing(t *testing.T) {
	l := newLister()
	m := newModel(t, l, 40, 10)
	want := []string{"▸ a/", "▸ b/", "  x.py", "  link@"}
	lines := strings.Split(screen(m), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d lines, want 10", len(lines))
	}
	for i, w := range want {
		if strings.TrimRight(lines[i], " ") != w {
			t.Errorf("line %d = %q, want %q", i, lines[i], w)
		}
	}
	if selected(m) != "a" {
		t.Errorf("selected %q, want a", selected(m))
	}
	// Lazy: only the home was listed.
	if strings.Join(l.calls, ",") != "." {
		t.Errorf("listed %v, want only the home", l.calls)
	}
}

func TestLoadingAndEmpty(t *testing.T) {
	m := New(&mapLister{dirs: map[string][]files.Entry{".": nil}}, keys.Default().Tree, theme.New(true))
	m.SetSize(20, 3)
	if !m.Loading() || !strings.Contains(screen(m), "Loading") {
		t.Errorf("before the first listing: Loading()=%v, view %q", m.Loading(), screen(m))
	}
	m = run(t, m, m.Init())
	if m.Loading() || !m.Empty() || !strings.Contains(screen(m), "empty") {
		t.Errorf("empty home: Loading()=%v Empty()=%v view %q", m.Loading(), m.Empty(), screen(m))
	}
	if _, _, ok := m.Selected(); ok {
		t.Error("something is selected in an empty home")
	}
}

func TestExpandCollapse(t *testing.T) {
	l := newLister()
	m := newModel(t, l, 40, 10)

	m = press(t, m, right) // open a/
	if !strings.Contains(screen(m), "▾ a/") || !strings.Contains(screen(m), "a1.py") {
		t.Fatalf("a/ not open:\n%s", screen(m))
	}
	m = press(t, m, right) // already open: go to its first child
	if selected(m) != "a/aa" {
		t.Errorf("selected %q, want a/aa", selected(m))
	}
	m = press(t, m, enter) // open a/aa/
	m = press(t, m, down)
	if selected(m) != "a/aa/deep.py" {
		t.Errorf("selected %q, want a/aa/deep.py", selected(m))
	}
	if !strings.Contains(screen(m), "      deep.py") {
		t.Errorf("deep.py not indented two levels:\n%s", screen(m))
	}
	m = press(t, m, left) // a file: go to its folder
	if selected(m) != "a/aa" {
		t.Errorf("selected %q, want a/aa", selected(m))
	}
	m = press(t, m, left) // an open folder: close it
	if strings.Contains(screen(m), "deep.py") || selected(m) != "a/aa" {
		t.Errorf("a/aa not closed (selected %q):\n%s", selected(m), screen(m))
	}
	m = press(t, m, left) // closed folder: go to parent
	m = press(t, m, enter)
	if strings.Contains(screen(m), "a1.py") || selected(m) != "a" {
		t.Errorf("a/ not closed (selected %q):\n%s", selected(m), screen(m))
	}
	// Left on a top-level entry stays put.
	m = press(t, m, left)
	if selected(m) != "a" {
		t.Errorf("selected %q, want a", selected(m))
	}
	// Enter on a file or symlink does nothing.
	m = press(t, m, end)
	before := screen(m)
	if m = press(t, m, enter); screen(m) != before {
		t.Error("enter on a symlink changed the view")
	}
}

func TestRefreshKeepsOpenFoldersAndCursor(t *testing.T) {
	l := newLister()
	m := newModel(t, l, 40, 10)
	m = press(t, m, enter) // a/
	m = press(t, m, down)
	m = press(t, m, enter) // a/aa/
	m = press(t, m, down)  // deep.py

	l.mu.Lock()
	l.dirs["."] = append([]files.Entry{d("0new")}, l.dirs["."]...)
	l.dirs["a/aa"] = []files.Entry{f("deep.py"), f("deeper.py")}
	l.calls = nil
	l.mu.Unlock()

	m = run(t, m, m.Refresh())
	if got := strings.Join(l.calls, ","); got != ".,a,a/aa" {
		t.Errorf("refresh listed %q, want .,a,a/aa", got)
	}
	scr := screen(m)
	for _, want := range []string{"0new/", "▾ a/", "▾ aa/", "deeper.py"} {
		if !strings.Contains(scr, want) {
			t.Errorf("after refresh %q missing:\n%s", want, scr)
		}
	}
	if selected(m) != "a/aa/deep.py" {
		t.Errorf("cursor moved to %q", selected(m))
	}

	// A removed open folder disappears and the cursor stays in range.
	l.mu.Lock()
	l.dirs["a"] = []files.Entry{f("a1.py")}
	l.mu.Unlock()
	m = run(t, m, m.Refresh())
	if strings.Contains(screen(m), "deep") {
		t.Errorf("removed folder still shown:\n%s", screen(m))
	}
	if _, _, ok := m.Selected(); !ok {
		t.Error("nothing selected after the selected entry vanished")
	}
	if _, err := m.Err(); err != nil {
		t.Errorf("Err() = %v after a good refresh", err)
	}
}

func TestFailedFolderStaysClosed(t *testing.T) {
	l := newLister()
	l.dirs["a"] = nil
	delete(l.dirs, "a")
	m := newModel(t, l, 40, 10)
	m = press(t, m, enter)
	rel, err := m.Err()
	if err == nil || rel != "a" {
		t.Fatalf("Err() = %q, %v; want a's error", rel, err)
	}
	if !strings.Contains(screen(m), "▸ a/") {
		t.Errorf("failed folder shown open:\n%s", screen(m))
	}
	// Fixed on disk: Enter again retries.
	l.mu.Lock()
	l.dirs["a"] = []files.Entry{f("back.py")}
	l.mu.Unlock()
	m = press(t, m, enter)
	if _, err := m.Err(); err != nil || !strings.Contains(screen(m), "back.py") {
		t.Errorf("retry: err %v, view:\n%s", err, screen(m))
	}
}

func TestForeignResultsIgnored(t *testing.T) {
	one := newModel(t, newLister(), 40, 10)
	other := New(newLister(), keys.Default().Tree, theme.New(true))
	other.SetSize(40, 10)
	// A listing meant for another tree must not land in this one.
	msg := other.load(".")()
	other, _ = other.Update(msg)
	before := screen(one)
	one, _ = one.Update(loadedMsg{owner: other.root, results: []result{{rel: ".", entries: []files.Entry{f("intruder.py")}}}})
	if screen(one) != before {
		t.Errorf("a foreign listing changed the tree:\n%s", screen(one))
	}
}

func TestPagingAndScrolling(t *testing.T) {
	l := &mapLister{dirs: map[string][]files.Entry{".": nil}}
	for i := range 30 {
		l.dirs["."] = append(l.dirs["."], f(fmt.Sprintf("f%02d.py", i)))
	}
	m := newModel(t, l, 20, 5)
	cases := []struct {
		k    tea.KeyPressMsg
		want string
	}{
		{pgdn, "f04.py"},
		{pgdn, "f08.py"},
		{pgup, "f04.py"},
		{bigG, "f29.py"},
		{smallG, "f00.py"},
		{end, "f29.py"},
		{up, "f28.py"},
		{home, "f00.py"},
	}
	for _, c := range cases {
		m = press(t, m, c.k)
		if selected(m) != c.want {
			t.Errorf("after %s selected %q, want %q", c.k, selected(m), c.want)
		}
		scr := screen(m)
		if !strings.Contains(scr, c.want) {
			t.Errorf("after %s the cursor %q is off screen:\n%s", c.k, c.want, scr)
		}
		if n := strings.Count(scr, "\n") + 1; n != 5 {
			t.Errorf("after %s: %d lines, want 5", c.k, n)
		}
	}
	// Growing the pane after scrolling to the end shows rows above, not blanks.
	m = press(t, m, end)
	m.SetSize(20, 10)
	if lines := strings.Split(screen(m), "\n"); strings.TrimSpace(lines[9]) != "f29.py" {
		t.Errorf("after growing, last line %q, want f29.py:\n%s", lines[9], screen(m))
	}
}

func TestRowsFitWidth(t *testing.T) {
	l := &mapLister{dirs: map[string][]files.Entry{".": {d("a")}}}
	rel := "."
	// A deep chain of folders with long, wide and hostile names.
	names := []string{"a", "b_" + strings.Repeat("long", 20), "文件夹文件夹文件夹", "c\x1b]0;pwned\x07", "d"}
	for i := 0; i < len(names); i++ {
		next := names[i]
		if rel == "." {
			l.dirs["."] = []files.Entry{d(next)}
			rel = next
		} else {
			l.dirs[rel] = []files.Entry{d(next), f(strings.Repeat("x", 100) + ".py")}
			rel = rel + "/" + next
		}
	}
	l.dirs[rel] = []files.Entry{f("leaf.py")}
	for _, w := range []int{1, 2, 5, 9, 20, 33} {
		m := newModel(t, l, w, 12)
		for range names {
			m = press(t, m, enter)
			m = press(t, m, down)
		}
		for i, line := range strings.Split(m.View(), "\n") {
			if lw := ansi.StringWidth(line); lw > w {
				t.Errorf("width %d: line %d is %d wide: %q", w, i, lw, ansi.Strip(line))
			}
			if strings.Contains(line, "\x1b]0;") || strings.Contains(line, "\x07") {
				t.Errorf("width %d: control characters reached line %d", w, i)
			}
		}
	}
}

// Listings run concurrently: one asked for earlier but arriving later
// must not bring back what a newer one no longer lists.
func TestOlderListingArrivingLateIsDropped(t *testing.T) {
	l := newLister()
	m := New(l, keys.Default().Tree, theme.New(true))
	m.SetSize(40, 10)
	m = run(t, m, m.Init())
	older := m.Refresh() // asked before the rename
	l.mu.Lock()
	l.dirs["."] = []files.Entry{d("a"), d("b"), f("y.py"), {Name: "link", Symlink: true}}
	l.mu.Unlock()
	m = run(t, m, m.Refresh()) // asked after it, arrives first
	lateMsg := older()
	m, _ = m.Update(lateMsg)
	if v := ansi.Strip(m.View()); !strings.Contains(v, "y.py") || strings.Contains(v, "x.py") {
		t.Errorf("a late, older listing replaced a newer one:\n%s", v)
	}
}

// The course folder is listed after the home's entries, under its own
// path, read-only.
func TestCourseFolder(t *testing.T) {
	l := newLister()
	l.dirs["/course"] = []files.Entry{f("lab1.py")}
	m := New(l, keys.Default().Tree, theme.New(true))
	m.SetCourse("/course")
	m.SetSize(40, 10)
	m = run(t, m, m.Init())
	m = press(t, m, tea.KeyPressMsg{Code: tea.KeyEnd})
	if _, rel, _ := m.Selected(); rel != "/course" {
		t.Fatalf("the last entry is %q, want the course folder", rel)
	}
	m = press(t, m, tea.KeyPressMsg{Code: tea.KeyEnter})
	m = press(t, m, tea.KeyPressMsg{Code: tea.KeyDown})
	if _, rel, _ := m.Selected(); rel != "/course/lab1.py" {
		t.Errorf("the course's file is %q, want /course/lab1.py", rel)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "course/ (read-only)") {
		t.Errorf("the course folder is not shown read-only:\n%s", v)
	}
	if got := m.Expanded(); len(got) != 2 || got[1] != "/course" {
		t.Errorf("Expanded = %q, want the home and /course", got)
	}
}
