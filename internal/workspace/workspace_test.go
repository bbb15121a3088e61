package workspace

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

type fixture struct {
	homes, journals string
	opened          atomic.Int32
	repls           sync.Map // username -> *repl.REPL
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	return &fixture{homes: filepath.Join(dir, "homes"), journals: filepath.Join(dir, "journal")}
}

func (fx *fixture) open(_ context.Context, username string) (*Workspace, error) {
	fx.opened.Add(1)
	dir, err := files.EnsureHome(fx.homes, username, files.NoOwner)
	if err != nil {
		return nil, err
	}
	home, err := files.OpenHome(dir)
	if err != nil {
		return nil, err
	}
	r := repl.New(repl.Config{Spec: sandbox.Spec{Username: username, Home: dir, Cols: 80, Rows: 24}})
	fx.repls.Store(username, r)
	return New(Options{Username: username, Home: home, REPL: r, JournalDir: journalDir(fx.journals, username), JournalEvery: time.Hour})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestReconnectWithinGraceFindsTheSameWorkspace(t *testing.T) {
	fx := newFixture(t)
	m := NewManager(fx.open, time.Hour, nil)
	defer m.Shutdown()
	ctx := context.Background()
	ws1, detach1, err := m.Attach(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ws1.Open("welcome.py")
	if err != nil {
		t.Fatal(err)
	}
	c := f.Buf.AddCursor()
	f.Buf.InsertText(c, "# unsaved\n")
	detach1() // the Wi-Fi drops
	detach1() // a second call is harmless
	ws2, detach2, err := m.Attach(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer detach2()
	if ws2 != ws1 || fx.opened.Load() != 1 {
		t.Fatal("a reconnect within the grace period got a new workspace")
	}
	f2, _ := ws2.Open("welcome.py")
	if f2 != f || !f2.Buf.Modified() {
		t.Error("the unsaved edit is gone after reconnecting")
	}
}

func TestGraceExpiryEndsTheWorkspace(t *testing.T) {
	fx := newFixture(t)
	m := NewManager(fx.open, 20*time.Millisecond, nil)
	defer m.Shutdown()
	_, detach, err := m.Attach(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	detach()
	r, _ := fx.repls.Load("bob")
	waitUntil(t, "the workspace and its REPL to end", func() bool {
		return len(m.Live()) == 0 && r.(*repl.REPL).State().Status == repl.Closed
	})
}

func TestConcurrentAttachesShareOneWorkspace(t *testing.T) {
	fx := newFixture(t)
	m := NewManager(fx.open, time.Hour, nil)
	defer m.Shutdown()
	var wg sync.WaitGroup
	got := make([]*Workspace, 10)
	for i := range got {
		wg.Go(func() {
			ws, _, err := m.Attach(context.Background(), "carol")
			if err != nil {
				t.Error(err)
			}
			got[i] = ws
		})
	}
	wg.Wait()
	for _, ws := range got {
		if ws != got[0] {
			t.Fatal("two connections of one student got different workspaces")
		}
	}
	if n := got[0].Views(); n != 0 {
		t.Errorf("views %d: Attach counts connections, AttachView counts screens", n)
	}
}

func TestREPLFollowsTheLatestActiveView(t *testing.T) {
	fx := newFixture(t)
	m := NewManager(fx.open, time.Hour, nil)
	defer m.Shutdown()
	ws, _, err := m.Attach(context.Background(), "dora")
	if err != nil {
		t.Fatal(err)
	}
	r := ws.REPL()
	size := func() [2]int { c, rows := r.Size(); return [2]int{c, rows} }
	big := ws.AttachView(ViewOptions{}, 200, 50)
	small := ws.AttachView(ViewOptions{}, 80, 24)
	if size() != [2]int{80, 24} {
		t.Errorf("after the second view: %v", size())
	}
	ws.Activate(big, 200, 50)
	if size() != [2]int{200, 50} {
		t.Errorf("after typing in the big view: %v", size())
	}
	ws.Activate(small, 100, 30) // resized
	ws.DetachView(small)
	if size() != [2]int{200, 50} {
		t.Errorf("after the small view left: %v", size())
	}
}

func TestJournalRecoversUnsavedEditsAfterACrash(t *testing.T) {
	fx := newFixture(t)
	ws, err := fx.open(context.Background(), "erin")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ws.Open("welcome.py")
	if err != nil {
		t.Fatal(err)
	}
	c := f.Buf.AddCursor()
	f.Buf.InsertText(c, "x = 21\n")
	edited := f.Buf.Text()
	ws.flushJournal() // what the ticker does every few seconds
	// A crash: nothing is saved or closed, the next server reads the journal.
	ws2, err := fx.open(context.Background(), "erin")
	if err != nil {
		t.Fatal(err)
	}
	defer ws2.Close()
	rec := ws2.Recovered()
	if len(rec) != 1 || rec[0].Path != "welcome.py" || rec[0].Text != edited {
		t.Fatalf("recovered %+v", rec)
	}
	g, err := ws2.Open("welcome.py")
	if err != nil {
		t.Fatal(err)
	}
	if g.Buf.Text() != edited || !g.Buf.Modified() {
		t.Fatalf("recovered buffer: modified=%v text %q", g.Buf.Modified(), g.Buf.Text())
	}
	onDisk, _ := os.ReadFile(filepath.Join(fx.homes, "erin", "welcome.py"))
	if string(onDisk) == edited {
		t.Fatal("recovery must not write the file by itself")
	}
	if err := ws2.Save(g); err != nil {
		t.Fatal(err)
	}
	onDisk, _ = os.ReadFile(filepath.Join(fx.homes, "erin", "welcome.py"))
	if string(onDisk) != edited {
		t.Error("save did not write the recovered text")
	}
	ws.Close()
	ws3, err := fx.open(context.Background(), "erin")
	if err != nil {
		t.Fatal(err)
	}
	defer ws3.Close()
	if rec := ws3.Recovered(); len(rec) != 0 {
		t.Errorf("a saved file is still offered for recovery: %+v", rec)
	}
}

// A crash after a save's rename but before the journal was cleared leaves
// an entry that is the file as saved: it is dropped, not offered.
func TestJournalEntryAlreadySavedIsNotOffered(t *testing.T) {
	fx := newFixture(t)
	ws, err := fx.open(context.Background(), "erin")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ws.Open("welcome.py")
	if err != nil {
		t.Fatal(err)
	}
	f.Buf.InsertText(f.Buf.AddCursor(), "x = 21\n")
	edited := f.Buf.Text()
	ws.flushJournal()
	// The save's rename happened, the journal's clearing did not.
	path := filepath.Join(fx.homes, "erin", "welcome.py")
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	ws2, err := fx.open(context.Background(), "erin")
	if err != nil {
		t.Fatal(err)
	}
	if rec := ws2.Recovered(); len(rec) != 0 {
		t.Fatalf("the saved text is offered for recovery: %+v", rec)
	}
	ws2.Close()
	// Nor at the next start: the entry left the journal.
	ws3, err := fx.open(context.Background(), "erin")
	if err != nil {
		t.Fatal(err)
	}
	defer ws3.Close()
	if rec := ws3.Recovered(); len(rec) != 0 {
		t.Fatalf("the entry is still in the journal: %+v", rec)
	}
	ws.Close()
}

func TestShutdownEndsEverything(t *testing.T) {
	fx := newFixture(t)
	m := NewManager(fx.open, time.Hour, nil)
	for _, u := range []string{"f1", "f2"} {
		if _, _, err := m.Attach(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Shutdown(); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"f1", "f2"} {
		r, _ := fx.repls.Load(u)
		if r.(*repl.REPL).State().Status != repl.Closed {
			t.Errorf("%s's REPL still open after shutdown", u)
		}
	}
	if _, _, err := m.Attach(context.Background(), "f3"); err != ErrClosed {
		t.Errorf("attach after shutdown: %v", err)
	}
}

func TestClipboardIsSharedByViews(t *testing.T) {
	fx := newFixture(t)
	m := NewManager(fx.open, time.Hour, nil)
	defer m.Shutdown()
	a, _, _ := m.Attach(context.Background(), "gus")
	b, _, _ := m.Attach(context.Background(), "gus")
	a.Clipboard().Set("copied in one terminal")
	if got := b.Clipboard().Get(); got != "copied in one terminal" {
		t.Errorf("the other terminal pastes %q", got)
	}
}
