package workspace

import (
	"context"
	"testing"
	"time"
)

// A server that stops tells every connected student why (EndAll), then
// journals what they had not saved (Shutdown): after the restart each finds
// the unsaved edit offered back.
func TestEndAllTellsEveryStudentAndShutdownJournalsTheirEdits(t *testing.T) {
	fx := newFixture(t)
	m := NewManager(fx.open, time.Hour, nil)
	ctx := context.Background()
	const msg = "The server is restarting. Your work is saved."

	type student struct {
		ws      *Workspace
		view    ViewID
		changes <-chan struct{}
		edited  string
	}
	students := map[string]*student{}
	for _, name := range []string{"amy", "ben"} {
		ws, _, err := m.Attach(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		s := &student{ws: ws, view: ws.AttachView(ViewOptions{Transport: "ssh"}, 80, 24)}
		var stop func()
		s.changes, stop = ws.Changes()
		defer stop()
		f, err := ws.Open("welcome.py")
		if err != nil {
			t.Fatal(err)
		}
		f.Buf.InsertText(f.Buf.AddCursor(), "# "+name+" was here\n")
		s.edited = f.Buf.Text()
		signalled(s.changes) // the open
		students[name] = s
	}
	// A professor watching amy is not a student's view: not ended by this.
	watcher := students["amy"].ws.AttachView(ViewOptions{Transport: "ssh", Watcher: "prof"}, 80, 24)
	signalled(students["amy"].changes)

	if n := m.EndAll(msg); n != 2 {
		t.Errorf("EndAll told %d workspaces, want 2", n)
	}
	for name, s := range students {
		if !signalled(s.changes) {
			t.Errorf("%s's view was not told of the end", name)
		}
		if got, ended := s.ws.Ended(s.view); !ended || got != msg {
			t.Errorf("%s's view: Ended = %q, %v; want %q", name, got, ended, msg)
		}
		if m.Lookup(name) != s.ws {
			t.Errorf("%s's workspace is gone after EndAll; it must stay until Shutdown", name)
		}
	}
	if _, ended := students["amy"].ws.Ended(watcher); ended {
		t.Error("EndAll ended the professor's live view")
	}

	if err := m.Shutdown(); err != nil {
		t.Fatal(err)
	}
	// The next server's workspaces offer the edits back.
	for name, s := range students {
		ws, err := fx.open(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		rec := ws.Recovered()
		if len(rec) != 1 || rec[0].Path != "welcome.py" || rec[0].Text != s.edited {
			t.Errorf("after the restart %s's journal offers %+v, want the unsaved welcome.py", name, rec)
		}
		ws.Close()
	}
}

func TestEndAllWithNoWorkspaces(t *testing.T) {
	m := NewManager(newFixture(t).open, time.Hour, nil)
	defer m.Shutdown()
	if n := m.EndAll("bye"); n != 0 {
		t.Errorf("EndAll with nobody connected told %d", n)
	}
}
