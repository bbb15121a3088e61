package tui_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/console"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/sqlite"
	"github.com/classroomd/classroomd/internal/tui"
	"github.com/classroomd/classroomd/internal/workspace"
)

// consoleServer is the console's server side over a SQLite store with a
// professor (prof) and a student (alice).
func consoleServer(t *testing.T) (*console.Service, store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	acc, err := accounts.New(accounts.Options{Store: st, HomesDir: filepath.Join(t.TempDir(), "homes"),
		BcryptCost: bcrypt.MinCost, Throttle: config.DefaultThrottle()})
	if err != nil {
		t.Fatal(err)
	}
	cli := accounts.Actor{Name: "cli:test", Remote: "local"}
	for _, u := range []accounts.NewUser{
		{Username: "prof", FullName: "Pat Prof", Role: store.RoleProfessor, Password: "correct horse battery"},
		{Username: "alice", FullName: "Alice Liddell", Role: store.RoleStudent, Password: "correct horse battery"},
	} {
		if _, _, err := acc.AddUser(ctx, cli, u); err != nil {
			t.Fatal(err)
		}
	}
	spaces := workspace.NewManager(func(context.Context, string) (*workspace.Workspace, error) { return nil, workspace.ErrClosed }, 0, nil)
	t.Cleanup(func() { spaces.Shutdown() })
	class := classroom.New(classroom.Options{Store: st})
	return console.New(console.Options{Store: st, Accounts: acc, Classroom: class, Workspaces: spaces}), st
}

func driveAs(t *testing.T, sp *space, username, role string, desk tui.Desk) *driver {
	t.Helper()
	d := &driver{t: t, msgs: make(chan tea.Msg, 64), w: 100, h: 30}
	d.m = tui.New(tui.Options{Username: username, Role: role, Workspace: sp.ws, Desk: desk})
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: d.w, Height: d.h})
	d.exec(d.m.Init())
	return d
}

// A professor lands in the console and F10 takes them to their workspace
// and back.
func TestProfessorLandsInTheConsole(t *testing.T) {
	svc, _ := consoleServer(t)
	sp := newSpace(t, nil)
	d := driveAs(t, sp, "prof", "professor", svc.As(accounts.Actor{Name: "prof", Remote: "127.0.0.1:1"}))
	d.shows("1 Students")
	d.shows("Alice Liddell")
	d.press(tea.KeyPressMsg{Code: tea.KeyF10})
	d.shows("welcome.py")
	d.press(tea.KeyPressMsg{Code: tea.KeyF10})
	d.shows("1 Students")
}

// A student's F10 is refused, and the server records the attempt.
func TestStudentCannotOpenTheConsole(t *testing.T) {
	svc, st := consoleServer(t)
	sp := newSpace(t, nil)
	d := driveAs(t, sp, "alice", "student", svc.As(accounts.Actor{Name: "alice", Remote: "127.0.0.1:2"}))
	d.shows("welcome.py")
	d.press(tea.KeyPressMsg{Code: tea.KeyF10})
	d.shows("The console is for professors")
	if strings.Contains(d.screen(), "1 Students") {
		t.Fatal("the console opened for a student")
	}
	entries, err := st.ListAudit(context.Background(), store.AuditFilter{User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	denied := false
	for _, e := range entries {
		denied = denied || (e.Actor == "alice" && e.Outcome == "denied")
	}
	if !denied {
		t.Errorf("no denied entry for alice in the audit: %+v", entries)
	}
}
