package consoletui_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/console"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/sqlite"
	consoletui "github.com/classroomd/classroomd/internal/tui/console"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace"
)

// realDesk is a *console.Desk for the professor "prof" over a SQLite store,
// with the student "alice"; the classroom service is returned too, to act as
// a student.
func realDesk(t *testing.T) (*console.Desk, *classroom.Service) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "console.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	acc, err := accounts.New(accounts.Options{Store: st, HomesDir: filepath.Join(dir, "homes"),
		BcryptCost: bcrypt.MinCost, Throttle: config.DefaultThrottle()})
	if err != nil {
		t.Fatal(err)
	}
	cli := accounts.Actor{Name: "cli:test", Remote: "local"}
	for _, u := range []accounts.NewUser{
		{Username: "prof", FullName: "Professor P", Role: store.RoleProfessor, Password: "correct horse battery"},
		{Username: "alice", FullName: "Alice A", Role: store.RoleStudent, Password: "correct horse battery"},
	} {
		if _, _, err := acc.AddUser(ctx, cli, u); err != nil {
			t.Fatal(err)
		}
	}
	class := classroom.New(classroom.Options{Store: st})
	noWorkspace := func(context.Context, string) (*workspace.Workspace, error) {
		return nil, errors.New("no workspaces in this test")
	}
	mgr := workspace.NewManager(noWorkspace, time.Hour, nil)
	t.Cleanup(func() { mgr.Shutdown() })
	svc := console.New(console.Options{Store: st, Accounts: acc, Classroom: class, Workspaces: mgr})
	return svc.As(accounts.Actor{Name: "prof", Remote: "192.0.2.9:4242"}), class
}

// The pages over the real server side: what a professor does shows, a
// student's request arrives through the classroom's events, and the audit
// lists what was done.
func TestWithTheRealDesk(t *testing.T) {
	desk, class := realDesk(t)
	d := &driver{t: t, msgs: make(chan tea.Msg, 256), saved: map[string]string{}, desk: newFake()}
	d.m = consoletui.New(context.Background(), desk, keys.Default(), theme.New(true), consoletui.Options{Username: "prof"})
	t.Cleanup(func() {
		d.m.Close()
		d.settle()
	})
	d.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	d.exec(d.m.Init())
	d.until("the roster", func(s string) bool { return strings.Contains(s, "Alice A") && strings.Contains(s, "Professor P") })

	d.press(char('a'))
	d.typeText("zoe")
	d.press(keyEnter, keyEnter, keyEnter, keyEnter)
	d.until("zoe's password", func(s string) bool { return strings.Contains(s, "zoe's password") })
	d.press(keyEnter)
	d.until("zoe in the roster", func(s string) bool { return strings.Contains(s, "zoe") && strings.Contains(s, "must change password") })

	// An import preview writes nothing.
	d.press(char('i'), char('p'))
	d.send(tea.PasteMsg{Content: "username,full_name\nyann,Yann Y\n1bad,Bad\n"})
	d.press(keyCtrlD)
	d.until("the preview", func(s string) bool { return strings.Contains(s, "what would change") })
	if s := d.oneLine(); !strings.Contains(s, "yann") || !strings.Contains(s, "bad line") {
		t.Errorf("preview:\n%s", d.screen())
	}
	d.press(char('y'), keyEsc)
	d.press(char('1'))
	d.until("the roster again", func(s string) bool { return strings.Contains(s, "zoe") })
	if strings.Contains(d.screen(), "yann") {
		t.Error("the preview imported yann")
	}

	// A student asks for help: the header counts them at once.
	if _, err := class.RequestHelp(context.Background(), classroom.Actor{Username: "alice", Remote: "local"}, "stuck on loops"); err != nil {
		t.Fatal(err)
	}
	d.until("the count", func(s string) bool { return strings.Contains(s, "3 Help (1 waiting)") })
	d.press(char('3'))
	d.until("the question", func(s string) bool { return strings.Contains(s, "stuck on loops") })
	d.press(char('c'))
	d.until("the claim", func(s string) bool { return strings.Contains(s, "prof (you)") })

	d.press(char('4'), char('n'))
	d.typeText("Quiz at 11")
	d.press(keyEnter)
	d.until("the announcement", func(s string) bool {
		return strings.Contains(s, "Quiz at 11") && strings.Contains(s, "active") && !strings.Contains(s, "New announcement")
	})

	d.press(char('5'))
	d.until("the audit", func(s string) bool {
		return strings.Contains(s, "user.add") && strings.Contains(s, "help.claim") && strings.Contains(s, "zoe")
	})
	d.checkFits(120, 30, "the audit")
}
