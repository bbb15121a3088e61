package liveview

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace"
	"github.com/classroomd/classroomd/internal/workspace/buffer"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// studentWorkspace is alice's workspace with lab1.py open in her editor,
// her cursor on line 2, column 4.
func studentWorkspace(t *testing.T) (*workspace.Workspace, *workspace.OpenFile, buffer.CursorID) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lab1.py"), []byte("x = 1\nprint(x)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	home, err := files.OpenHome(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := repl.New(repl.Config{Spec: sandbox.Spec{Username: "alice", Home: dir, Cols: 80, Rows: 24}})
	ws, err := workspace.New(workspace.Options{Username: "alice", Home: home, REPL: r,
		JournalDir: filepath.Join(t.TempDir(), "journal"), JournalEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.AttachView(workspace.ViewOptions{Transport: "ssh"}, 80, 24)
	f, err := ws.Open("lab1.py")
	if err != nil {
		t.Fatal(err)
	}
	cur := f.Buf.AddCursor()
	f.Buf.SetCursor(cur, buffer.Pos{Line: 1, Col: 4}, false)
	ws.SetPlace(workspace.Place{File: "lab1.py", Pane: "editor", Cursor: cur})
	return ws, f, cur
}

func screen(m *Model) string { return ansi.Strip(m.View()) }

func TestWatchThenTakeControl(t *testing.T) {
	ws, f, cur := studentWorkspace(t)
	var audited []bool
	m := New(Options{Student: "alice", Watcher: "bob", Workspace: ws, Control: func(on bool) { audited = append(audited, on) }},
		keys.Default(), theme.New(true))
	m.SetSize(80, 24)
	m.Init()
	if s := screen(m); !strings.Contains(s, "alice's editor: lab1.py") || !strings.Contains(s, "print(x)") {
		t.Fatalf("the live view does not show alice's file:\n%s", s)
	}
	if w := ws.Watchers(); len(w) != 1 || w[0] != (workspace.Watcher{Name: "bob"}) {
		t.Errorf("watchers %+v, want bob, not in control", w)
	}
	// Watching is read-only: a letter changes nothing.
	m.Update(tea.KeyPressMsg{Code: 'z', Text: "z"})
	if f.Buf.Text() != "x = 1\nprint(x)\n" {
		t.Errorf("watching changed the text: %q", f.Buf.Text())
	}
	// The student types: the view shows it at the next look.
	f.Buf.InsertText(cur, "(1)")
	m.Update(tickMsg{m})
	if s := screen(m); !strings.Contains(s, "prin(1)t(x)") {
		t.Errorf("the student's edit does not show:\n%s", s)
	}

	m.Update(tea.KeyPressMsg{Code: 't', Text: "t"})
	if !m.Controlling() || len(ws.Watchers()) != 1 || !ws.Watchers()[0].Control {
		t.Fatalf("t did not take control: %+v", ws.Watchers())
	}
	if s := screen(m); !strings.Contains(s, "You are typing in alice's editor") {
		t.Errorf("the title does not say who types:\n%s", s)
	}
	m.Update(tea.KeyPressMsg{Code: 't', Text: "t"}) // typed for her, at her cursor
	if got := f.Buf.Line(1); got != "prin(1)tt(x)" {
		t.Errorf("under control, t typed %q, want it at alice's cursor", got)
	}
	m.Update(tea.KeyPressMsg{Code: 't', Mod: tea.ModCtrl})
	if m.Controlling() || ws.Watchers()[0].Control {
		t.Error("ctrl+t did not give control back")
	}
	m.Close()
	if len(ws.Watchers()) != 0 {
		t.Errorf("watchers after Close: %+v", ws.Watchers())
	}
	if len(audited) != 2 || !audited[0] || audited[1] {
		t.Errorf("control changes told: %v, want [true false]", audited)
	}
}

// The view fits its size, and esc asks the console to close it.
func TestFitsAndCloses(t *testing.T) {
	ws, _, _ := studentWorkspace(t)
	m := New(Options{Student: "alice\x1b[2J", Watcher: "bob", Workspace: ws}, keys.Default(), theme.New(true))
	defer m.Close()
	for _, size := range [][2]int{{80, 24}, {200, 50}, {40, 10}} {
		m.SetSize(size[0], size[1])
		lines := strings.Split(m.View(), "\n")
		if len(lines) != size[1] {
			t.Errorf("%dx%d: %d lines", size[0], size[1], len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w > size[0] {
				t.Errorf("%dx%d: line %d is %d wide", size[0], size[1], i, w)
			}
			if strings.Contains(l, "\x1b[2J") {
				t.Error("an escape in a username reached the terminal")
			}
		}
	}
	cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEscape})
	if cmd == nil {
		t.Fatal("esc did nothing")
	}
	if _, ok := cmd().(CloseMsg); !ok {
		t.Error("esc did not ask to close the live view")
	}
}
