package console

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/sqlite"
	"github.com/classroomd/classroomd/internal/workspace"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

func TestMain(m *testing.M) {
	sandbox.MaybeRunInit() // a REPL's sandbox re-executes this binary
	os.Exit(m.Run())
}

// fixture is a console on a SQLite store with a real workspace manager.
// Its users: professors prof and prof2, a disabled professor dora, and
// students alice and bob.
type fixture struct {
	t       testing.TB
	dir     string
	store   store.Store
	acc     *accounts.Service
	class   *classroom.Service
	ws      *workspace.Manager
	svc     *Service
	prof    *Desk
	offset  time.Duration // the console's clock runs this far ahead of the real one
	offMu   sync.Mutex
	sandbox bool // REPLs get a real sandbox identity (root tests)
}

const testUIDBase = 204000

func newFixture(t testing.TB) *fixture {
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
	uidBase := 0
	if os.Geteuid() == 0 {
		uidBase = testUIDBase // homes belong to the student's uid, as in production
	}
	acc, err := accounts.New(accounts.Options{Store: st, HomesDir: filepath.Join(dir, "homes"), BcryptCost: bcrypt.MinCost,
		UIDBase: uidBase, Throttle: config.DefaultThrottle()})
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{t: t, dir: dir, store: st, acc: acc, class: classroom.New(classroom.Options{Store: st})}
	fx.ws = workspace.NewManager(fx.open, time.Hour, nil)
	t.Cleanup(func() { fx.ws.Shutdown() })
	fx.svc = New(Options{Store: st, Accounts: acc, Classroom: fx.class, Workspaces: fx.ws, Now: fx.now})
	cli := accounts.Actor{Name: "cli:test", Remote: "local"}
	for _, u := range []accounts.NewUser{
		{Username: "prof", FullName: "Professor P", Role: store.RoleProfessor, Password: "correct horse battery"},
		{Username: "prof2", FullName: "Professor Q", Role: store.RoleProfessor, Password: "correct horse battery"},
		{Username: "dora", FullName: "Dora D", Role: store.RoleProfessor, Password: "correct horse battery"},
		{Username: "alice", FullName: "Alice A", Email: "alice@example.edu", Role: store.RoleStudent, Password: "correct horse battery"},
		{Username: "bob", FullName: "Bob B", Role: store.RoleStudent, Password: "correct horse battery"},
	} {
		if _, _, err := acc.AddUser(ctx, cli, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := acc.SetDisabled(ctx, cli, "dora", true); err != nil {
		t.Fatal(err)
	}
	fx.prof = fx.as("prof")
	return fx
}

func (fx *fixture) now() time.Time {
	fx.offMu.Lock()
	defer fx.offMu.Unlock()
	return time.Now().Add(fx.offset)
}

func (fx *fixture) advance(d time.Duration) {
	fx.offMu.Lock()
	fx.offset += d
	fx.offMu.Unlock()
}

func (fx *fixture) classroomActor(name string) classroom.Actor {
	return classroom.Actor{Username: name, Remote: "192.0.2.10:5555"}
}

func (fx *fixture) as(name string) *Desk {
	return fx.svc.As(accounts.Actor{Name: name, Remote: "192.0.2.9:4242"})
}

// open builds a workspace as the daemon does: the home, a REPL (not
// started) in the student's sandbox, the journal.
func (fx *fixture) open(ctx context.Context, username string) (*workspace.Workspace, error) {
	u, err := fx.acc.User(ctx, username)
	if err != nil {
		return nil, err
	}
	dir, err := fx.acc.EnsureHome(ctx, username)
	if err != nil {
		return nil, err
	}
	home, err := files.OpenHome(dir)
	if err != nil {
		return nil, err
	}
	owner := fx.acc.Owner(u)
	spec := sandbox.Spec{Username: username, Home: dir, Cols: 80, Rows: 24, UID: owner.UID, GID: owner.GID}
	if fx.sandbox {
		spec.Limits = sandbox.DefaultLimits()
	}
	r := repl.New(repl.Config{Spec: spec})
	return workspace.New(workspace.Options{Username: username, Home: home, REPL: r,
		JournalDir: filepath.Join(fx.dir, "journal", username), JournalEvery: time.Hour})
}

// connect attaches a view of username's workspace over transport, as a
// session does, and returns the workspace and the view; both end with the test.
func (fx *fixture) connect(username, transport string) (*workspace.Workspace, workspace.ViewID) {
	fx.t.Helper()
	ws, detach, err := fx.ws.Attach(context.Background(), username)
	if err != nil {
		fx.t.Fatal(err)
	}
	id := ws.AttachView(workspace.ViewOptions{Transport: transport}, 100, 30)
	fx.t.Cleanup(func() { ws.DetachView(id); detach() })
	return ws, id
}

// audits returns the audit entries of action, newest first.
func (fx *fixture) audits(action string) []store.AuditEntry {
	fx.t.Helper()
	all, err := fx.store.ListAudit(context.Background(), store.AuditFilter{Limit: 10000})
	if err != nil {
		fx.t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, e := range all {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// allAudits returns every audit entry, newest first.
func (fx *fixture) allAudits() []store.AuditEntry {
	fx.t.Helper()
	all, err := fx.store.ListAudit(context.Background(), store.AuditFilter{Limit: 10000})
	if err != nil {
		fx.t.Fatal(err)
	}
	return all
}

// wantAudit fails unless the newest entry of action is by actor, about
// target, with outcome.
func (fx *fixture) wantAudit(action, actor, target, outcome string) store.AuditEntry {
	fx.t.Helper()
	list := fx.audits(action)
	if len(list) == 0 {
		fx.t.Fatalf("no audit entry %q (want one by %s about %q, %s)", action, actor, target, outcome)
	}
	e := list[0]
	if e.Actor != actor || e.Target != target || e.Outcome != outcome {
		fx.t.Fatalf("latest %q audit entry: actor %q target %q outcome %q detail %q; want actor %q target %q outcome %q",
			action, e.Actor, e.Target, e.Outcome, e.Detail, actor, target, outcome)
	}
	if e.Remote != "192.0.2.9:4242" {
		fx.t.Errorf("audit entry %q: remote %q, want the session's address", action, e.Remote)
	}
	return e
}

// wantKind fails unless err matches kind and reads as a sentence for a
// person: a capital first, a full stop last, and no control character (a
// crafted name must never reach the professor's terminal as an escape).
func wantKind(t *testing.T, what string, err, kind error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("%s: error %q (%T) does not match %v", what, err, err, kind)
	}
	checkSentence(t, what, err)
}

func checkSentence(t *testing.T, what string, err error) {
	t.Helper()
	msg := err.Error()
	first := []rune(msg)[0]
	if !unicode.IsUpper(first) && first != '"' || !strings.HasSuffix(msg, ".") {
		t.Errorf("%s: %q is not a sentence", what, msg)
	}
	if strings.IndexFunc(msg, func(r rune) bool { return unicode.IsControl(r) || isBidi(r) }) >= 0 {
		t.Errorf("%s: the message carries a control character: %q", what, msg)
	}
	if len(msg) > 600 {
		t.Errorf("%s: a %d-byte message", what, len(msg))
	}
}

// waitFor waits until cond holds, checking every few milliseconds, for at
// most 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
}

// needRootSandbox skips a test that runs a real sandboxed Python with
// cgroups where that is impossible, except under CI=true (CI runs as root).
func needRootSandbox(t *testing.T) {
	t.Helper()
	msg := ""
	if os.Geteuid() != 0 {
		msg = "not root: sandboxes have no cgroup to count their use"
	} else if r := sandbox.Probe(); r.Level == sandbox.None {
		msg = "sandboxes are not available here: missing " + strings.Join(r.Missing(), ", ")
	}
	if msg == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
