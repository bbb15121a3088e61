package tui_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// quickOpen opens a file with ctrl+p.
func (d *driver) quickOpen(name string) {
	d.t.Helper()
	d.press(keyCtrlP)
	d.typeText(name + "\n")
	d.until(name+" open", func(string) bool { return strings.HasPrefix(d.status(), name) })
}

// tabRow is the editor's title row: the tabs.
func (d *driver) tabRow() string { return strings.Split(d.screen(), "\n")[1] }

// Every view shows the same open files: a file opened, renamed or closed in
// one terminal is opened, renamed or closed in the other.
func TestViewsShareTheirTabs(t *testing.T) {
	sp := newSpace(t, map[string]string{"lab1.py": "x = 1\n"})
	a := drive(t, sp, 100, 30)
	b := drive(t, sp, 100, 30)

	a.quickOpen("welcome.py")
	b.until("welcome.py's tab in the other view", func(string) bool { return strings.Contains(b.tabRow(), "welcome.py") })

	// Rename welcome.py from the file list of a: b's tab follows.
	a.press(keyF2, keyHome, keyDown) // lab1.py, welcome.py
	if !strings.Contains(a.screen(), "welcome.py") {
		t.Fatal("welcome.py not listed")
	}
	a.press(letter('m'))
	a.shows("Rename or move")
	for range len("welcome.py") {
		a.press(keyBack)
	}
	a.typeText("hello.py")
	a.press(keyEnter)
	a.shows("Renamed welcome.py to hello.py")
	b.until("the renamed tab in the other view", func(string) bool { return strings.Contains(b.tabRow(), "hello.py") })
	if strings.Contains(b.tabRow(), "welcome.py") {
		t.Errorf("b still has a tab for welcome.py: %q", b.tabRow())
	}

	// Close it in b: a loses the tab, and saving cannot recreate anything.
	b.press(keyF3, keyCtrlW)
	a.until("the tab closed in the other view", has("No file open"))
	if n := len(sp.ws.Files()); n != 0 {
		t.Errorf("%d files still open", n)
	}
}

// A reconnecting view lands where the last one left: the same current tab,
// the same pane, the same cursor.
func TestReconnectLandsWhereTheStudentWas(t *testing.T) {
	sp := newSpace(t, map[string]string{"lab1.py": "x = 1\ny = 2\nz = 3\n"})
	a := drive(t, sp, 100, 30)
	a.quickOpen("welcome.py")
	a.quickOpen("lab1.py")
	a.press(keyDown, keyDown, keyEnd)
	a.until("the cursor moved", func(string) bool { return strings.Contains(a.status(), "Ln 3, Col 6") })
	a.m.Close() // the connection dropped

	b := drive(t, sp, 100, 30)
	b.until("lab1.py current, at 3:6, in the editor", func(string) bool {
		return strings.Contains(b.status(), "lab1.py") && strings.Contains(b.status(), "Ln 3, Col 6")
	})
	b.typeText("!")
	if got := sp.ws.Files()[1].Buf.Line(2); got != "z = 3!" {
		t.Errorf("typing after the reconnection changed line 3 to %q: the editor did not have the keys", got)
	}
}

// The course folder shows after the home's files, read-only: its files open
// read-only and cannot be deleted; duplicating one copies it into the home.
func TestCourseFolderInTheFileList(t *testing.T) {
	sp := newSpace(t, nil)
	sp.withCourse(t, map[string]string{"lab1.py": "print('from the course')\n"})
	d := drive(t, sp, 100, 30)
	d.shows("course/ (read-only)")
	d.press(keyF2, tea.KeyPressMsg{Code: tea.KeyEnd}, keyEnter) // open the folder
	d.shows("lab1.py")
	d.press(keyDown, keyEnter)
	d.shows("/course/lab1.py is read-only: you can read and copy it")
	d.press(keyF2, letter('d'))
	d.shows("The course folder is read-only")
	d.press(letter('c'))
	d.shows("Copied /course/lab1.py into your home folder as lab1.py")
	if data, err := sp.home.ReadFile("lab1.py"); err != nil || string(data) != "print('from the course')\n" {
		t.Errorf("the copy in the home holds %q, %v", data, err)
	}
}

// withCourse gives the space a course folder holding these files, and opens
// the workspace again with it.
func (sp *space) withCourse(t *testing.T, content map[string]string) {
	t.Helper()
	sp.course = filepath.Join(t.TempDir(), "course")
	for name, text := range content {
		p := filepath.Join(sp.course, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sp.ws.Close()
	sp.open(t)
}
