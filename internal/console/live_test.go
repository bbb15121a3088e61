package console

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/workspace"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// TestLiveReportsEachConnectedStudent checks the Live page's figures:
// connections and transports (watchers left out), since, idle, the open
// file, the REPL's words and the watchers; a disconnected student whose
// workspace waits, and professors' own workspaces left out.
func TestLiveReportsEachConnectedStudent(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	ws, first := fx.connect("alice", "ssh")
	_, second := fx.connect("alice", "web")
	fx.connect("prof2", "ssh") // a professor in their own workspace
	watcher := ws.AttachView(workspace.ViewOptions{Transport: "ssh", Watcher: "prof"}, 120, 40)
	defer ws.DetachView(watcher)
	if _, err := ws.Open("welcome.py"); err != nil {
		t.Fatal(err)
	}
	ws.Activate(second, 100, 30) // a key in the browser
	// bob's connection dropped: his workspace waits for him.
	_, detach, err := fx.ws.Attach(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	detach()

	fx.advance(10 * time.Minute) // ten minutes later
	list, err := fx.prof.Live(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Username != "alice" || list[1].Username != "bob" {
		t.Fatalf("Live lists %+v; want alice and bob (not prof2)", list)
	}
	a := list[0]
	infos := ws.ViewInfos()
	if a.FullName != "Alice A" || a.Connections != 2 || !slices.Equal(a.Transports, []string{"ssh", "web"}) ||
		!a.Since.Equal(infos[0].Since) || infos[0].ID != first {
		t.Errorf("alice: %+v; want 2 connections over ssh and web since %v", a, infos[0].Since)
	}
	if a.Idle < 10*time.Minute || a.Idle > 11*time.Minute {
		t.Errorf("alice idle %v, want about 10 minutes", a.Idle)
	}
	if a.OpenFile != "welcome.py" || a.REPL != "not started" || a.MemoryBytes != 0 || a.CPUPercent != 0 {
		t.Errorf("alice: open file %q, REPL %q, memory %d, CPU %v; want welcome.py, not started, nothing used", a.OpenFile, a.REPL, a.MemoryBytes, a.CPUPercent)
	}
	if !slices.Equal(a.Watchers, []string{"prof"}) {
		t.Errorf("alice's watchers %v, want [prof]", a.Watchers)
	}
	ws.SetPlace(workspace.Place{File: "lab1.py", Pane: "editor"})
	list, _ = fx.prof.Live(ctx)
	if list[0].OpenFile != "lab1.py" {
		t.Errorf("open file %q after the student moved to lab1.py", list[0].OpenFile)
	}
	if b := list[1]; b.Connections != 0 || len(b.Transports) != 0 || !b.Since.IsZero() {
		t.Errorf("bob, disconnected: %+v", b)
	}
}

func TestReplWords(t *testing.T) {
	for st, want := range map[repl.State]string{
		{Status: repl.NotStarted}:                             "not started",
		{Status: repl.Starting}:                               "starting",
		{Status: repl.Running}:                                "ready",
		{Status: repl.Running, File: "prog.py"}:               "running prog.py",
		{Status: repl.Running, File: "x\x1b[2J.py"}:           "running x?[2J.py",
		{Status: repl.Exited, ExitCode: 1}:                    "exited (1)",
		{Status: repl.Exited, ExitCode: 137, OOMKilled: true}: "killed (memory)",
		{Status: repl.Failed}:                                 "could not start",
		{Status: repl.Stopped}:                                "stopped",
		{Status: repl.Closed}:                                 "closed",
	} {
		if got := replWords(st); got != want {
			t.Errorf("replWords(%+v) = %q, want %q", st, got, want)
		}
	}
}

// TestWatchAndControlAreAudited checks that a live view needs the student
// connected, returns their workspace, and that the view and the control
// (start and end) are audited.
func TestWatchAndControlAreAudited(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	_, err := fx.prof.Watch(ctx, "alice")
	wantKind(t, "watching alice before she connects", err, ErrNotConnected)
	ws, _ := fx.connect("alice", "ssh")
	got, err := fx.prof.Watch(ctx, " Alice ")
	if err != nil || got != ws {
		t.Fatalf("Watch(alice) = %p, %v; want her workspace %p", got, err, ws)
	}
	fx.wantAudit(ActionLiveView, "prof", "alice", "ok")
	fx.prof.ControlChanged(ctx, "alice", true)
	fx.wantAudit(ActionControlStart, "prof", "alice", "ok")
	fx.prof.ControlChanged(ctx, "alice", false)
	fx.wantAudit(ActionControlEnd, "prof", "alice", "ok")
	wantKind(t, "restarting bob's Python while he is away", fx.prof.RestartREPL(ctx, "bob"), ErrNotConnected)
}

// TestEndSessionEndsEveryViewOfTheStudent checks that EndSession ends each
// of the student's views with the message (not a watcher's), and is audited.
func TestEndSessionEndsEveryViewOfTheStudent(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	wantKind(t, "ending bob's absent session", fx.prof.EndSession(ctx, "bob", "bye"), ErrNotConnected)
	ws, v1 := fx.connect("alice", "ssh")
	_, v2 := fx.connect("alice", "web")
	watcher := ws.AttachView(workspace.ViewOptions{Transport: "ssh", Watcher: "prof"}, 80, 24)
	defer ws.DetachView(watcher)
	if err := fx.prof.EndSession(ctx, "alice", "  Lab is over, see you Thursday  "); err != nil {
		t.Fatal(err)
	}
	for _, v := range []workspace.ViewID{v1, v2} {
		if msg, ended := ws.Ended(v); !ended || msg != "Lab is over, see you Thursday" {
			t.Errorf("view %d: ended %v with %q", v, ended, msg)
		}
	}
	if _, ended := ws.Ended(watcher); ended {
		t.Error("the watcher's view was ended too")
	}
	if e := fx.wantAudit(ActionSessionEnd, "prof", "alice", "ok"); e.Detail != "Lab is over, see you Thursday" {
		t.Errorf("session.end detail %q", e.Detail)
	}
	// No message: the default one.
	if err := fx.prof.EndSession(ctx, "alice", ""); err != nil {
		t.Fatal(err)
	}
	if msg, _ := ws.Ended(v1); msg != DefaultEndMessage {
		t.Errorf("message %q, want the default", msg)
	}
}

// TestBrowseHomeIsReadOnly checks that a student's home opens read-only,
// also for a student who never logged in, and that it is audited.
func TestBrowseHomeIsReadOnly(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	h, err := fx.prof.BrowseHome(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if !h.ReadOnly() {
		t.Error("the home is not read-only")
	}
	entries, err := h.List(".")
	if err != nil || !slices.ContainsFunc(entries, func(e files.Entry) bool { return e.Name == files.WelcomeFile }) {
		t.Errorf("List: %v, %v; want welcome.py", entries, err)
	}
	if _, err := h.ReadFile(files.WelcomeFile); err != nil {
		t.Errorf("ReadFile: %v", err)
	}
	if _, err := h.List("../alice"); err == nil {
		t.Error("the browsed home let ../alice be listed")
	}
	fx.wantAudit(ActionBrowseFiles, "prof", "bob", "ok")
}

// TestPassThroughsToTheClassroom checks that announcements and the help
// queue work from the Desk as its professor, and are audited by classroom.
func TestPassThroughsToTheClassroom(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	events, cancel := fx.prof.Subscribe()
	defer cancel()
	a, err := fx.prof.Announce(ctx, "Quiz at 10")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if !e.Announcements {
			t.Errorf("event %+v, want an announcement change", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event after an announcement")
	}
	if h, err := fx.prof.History(ctx, 0); err != nil || len(h) != 1 || h[0].ID != a.ID {
		t.Errorf("History: %+v, %v", h, err)
	}
	if err := fx.prof.Retract(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.class.RequestHelp(ctx, fx.classroomActor("alice"), "stuck on lab 2"); err != nil {
		t.Fatal(err)
	}
	q, err := fx.prof.Queue(ctx)
	if err != nil || len(q) != 1 || q[0].Student != "alice" {
		t.Fatalf("Queue: %+v, %v", q, err)
	}
	if r, err := fx.prof.Claim(ctx, q[0].ID); err != nil || r.ClaimedBy != "prof" {
		t.Fatalf("Claim: %+v, %v", r, err)
	}
	if err := fx.prof.Unclaim(ctx, q[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := fx.prof.Resolve(ctx, q[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"announce", "announce.retract", "help.claim", "help.unclaim", "help.resolve"} {
		fx.wantAudit(action, "prof", map[bool]string{true: "", false: "alice"}[action[:4] == "anno"], "ok")
	}
	list, err := fx.prof.Audit(ctx, 3)
	if err != nil || len(list) != 3 || list[0].Action != "help.resolve" {
		t.Errorf("Audit(3): %+v, %v; want the 3 newest, help.resolve first", list, err)
	}
}

// TestStatsAndRestartOfARealREPL runs a student's Python in a real sandbox:
// Live reports its memory and, while it spins, its CPU share; RestartREPL
// gives a fresh Python and is audited.
func TestStatsAndRestartOfARealREPL(t *testing.T) {
	needRootSandbox(t)
	fx := newFixture(t)
	fx.sandbox = true
	ctx := context.Background()
	ws, _ := fx.connect("alice", "ssh")
	r := ws.REPL()
	startCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := r.Start(startCtx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Python's prompt", func() bool { return containsPrompt(r) })
	list, err := fx.prof.Live(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("Live: %+v, %v", list, err)
	}
	if list[0].REPL != "ready" || list[0].MemoryBytes <= 0 || list[0].CPUPercent != 0 {
		t.Errorf("alice at the prompt: REPL %q, memory %d, CPU %v%% (0 on the first call)", list[0].REPL, list[0].MemoryBytes, list[0].CPUPercent)
	}
	if _, err := r.Write([]byte("while True: pass\r\r")); err != nil {
		t.Fatal(err)
	}
	var cpu float64
	waitFor(t, "a CPU share above 20% while Python spins", func() bool {
		l, err := fx.prof.Live(ctx)
		if err != nil || len(l) != 1 {
			t.Fatalf("Live: %+v, %v", l, err)
		}
		cpu = l[0].CPUPercent
		return cpu > 20
	})
	t.Logf("spinning: %.0f%% of a core", cpu)
	if err := fx.prof.RestartREPL(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	fx.wantAudit(ActionRestartREPL, "prof", "alice", "ok")
	waitFor(t, "a fresh prompt after the restart", func() bool {
		s := screen(r)
		i := strings.LastIndex(s, "RESTART")
		return r.State().Status == repl.Running && i >= 0 && strings.Contains(s[i:], ">>>")
	})
	if l, _ := fx.prof.Live(ctx); len(l) != 1 || l[0].REPL != "ready" {
		t.Errorf("after the restart: %+v", l)
	}
}

// screen is the REPL's screen as plain text.
func screen(r *repl.REPL) string {
	cols, rows := r.Size()
	return strings.Join(r.RenderPlain(cols, rows).Lines, "\n")
}

func containsPrompt(r *repl.REPL) bool { return strings.Contains(screen(r), ">>>") }
