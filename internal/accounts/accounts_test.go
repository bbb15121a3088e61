package accounts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/roster"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/sqlite"
)

// fakeClock stands in for time: sleeping advances it and is recorded.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}
func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

const testCost = bcrypt.MinCost

func newService(t *testing.T, th config.Throttle) (*Service, store.Store, *fakeClock) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc, err := New(Options{Store: st, HomesDir: filepath.Join(dir, "homes"), BcryptCost: testCost, Throttle: th})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	svc.now, svc.sleep = clock.now, clock.sleep
	return svc, st, clock
}

var cli = Actor{Name: "cli:test", Remote: "local"}

func addUser(t *testing.T, svc *Service, name, pw string) {
	t.Helper()
	if _, _, err := svc.AddUser(context.Background(), cli, NewUser{Username: name, Password: pw}); err != nil {
		t.Fatal(err)
	}
}

func TestNormalizeUsername(t *testing.T) {
	for in, want := range map[string]string{"alice": "alice", " Bob ": "bob", "j.smith-2_x": "j.smith-2_x"} {
		got, err := NormalizeUsername(in)
		if err != nil || got != want {
			t.Errorf("NormalizeUsername(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1abc", ".hidden", "../bob", "a/b", "al ice", "é", "a\x00", strings.Repeat("a", 33), "-x"} {
		if got, err := NormalizeUsername(bad); err == nil {
			t.Errorf("NormalizeUsername(%q) = %q, want an error", bad, got)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		pw := GeneratePassword()
		if len(pw) != 19 || strings.Count(pw, "-") != 3 {
			t.Fatalf("unexpected shape %q", pw)
		}
		for _, r := range strings.ReplaceAll(pw, "-", "") {
			if !strings.ContainsRune(readableAlphabet, r) {
				t.Fatalf("%q holds %q, outside the readable alphabet", pw, r)
			}
		}
		if seen[pw] {
			t.Fatalf("duplicate password %q", pw)
		}
		seen[pw] = true
	}
}

func TestCheckImportedHash(t *testing.T) {
	h, _ := bcrypt.GenerateFromPassword([]byte("secret-pass"), 5)
	body := string(h[4:])
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		hash := prefix + body
		if err := CheckImportedHash(hash); err != nil {
			t.Errorf("%s hash refused: %v", prefix, err)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("secret-pass")); err != nil {
			t.Errorf("%s hash does not verify: %v", prefix, err)
		}
	}
	for _, bad := range []string{"", "plaintext", "$1$abc", "$2a$03$" + body[3:], "$2a$15$" + body[3:], string(h) + "x"} {
		if err := CheckImportedHash(bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("CheckImportedHash(%q) = %v, want ErrBadHash", bad, err)
		}
	}
}

func TestLoginOutcomesAreAudited(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	ctx := context.Background()
	addUser(t, svc, "alice", "correct horse")
	addUser(t, svc, "dave", "correct horse")
	if err := svc.SetDisabled(ctx, cli, "dave", true); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user, pw string
		ok       bool
		reason   string
	}{
		{"alice", "correct horse", true, ""},
		{"Alice", "correct horse", true, ""},
		{"alice", "wrong", false, "wrong password"},
		{"nobody", "whatever", false, "unknown user"},
		{"../etc", "x", false, "unknown user"},
		{"dave", "correct horse", false, "account disabled"},
	}
	for _, c := range cases {
		res, err := svc.LoginPassword(ctx, c.user, c.pw, "192.0.2.7:5000")
		if err != nil || res.OK != c.ok || res.Reason != c.reason {
			t.Errorf("login %q/%q = %+v, %v; want ok=%v reason=%q", c.user, c.pw, res, err, c.ok, c.reason)
		}
	}
	entries, err := st.ListAudit(ctx, store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var logins []string
	for _, e := range entries {
		if e.Action == "login.password" {
			logins = append(logins, e.Target+":"+e.Outcome)
			if strings.Contains(e.Detail, "correct horse") || strings.Contains(e.Detail, "wrong") && e.Outcome == "ok" {
				t.Errorf("audit detail leaks: %+v", e)
			}
			if e.Remote != "192.0.2.7:5000" {
				t.Errorf("audit remote = %q", e.Remote)
			}
		}
	}
	want := "dave:denied ../etc:denied nobody:denied alice:denied alice:ok alice:ok"
	if got := strings.Join(logins, " "); got != want {
		t.Errorf("audit logins = %s\nwant %s", got, want)
	}
	u, _ := st.UserByName(ctx, "alice")
	if u.LastLoginAt.IsZero() {
		t.Error("last login not recorded")
	}
}

func TestThrottleSlowsOneUsernameNotItsNeighbours(t *testing.T) {
	th := config.DefaultThrottle()
	svc, _, clock := newService(t, th)
	ctx := context.Background()
	addUser(t, svc, "alice", "rabbit hole 42")
	addUser(t, svc, "bob", "builder of things")
	const ip = "198.51.100.1:4000"

	var delays []time.Duration
	for range 10 {
		res, err := svc.LoginPassword(ctx, "bob", "guess", ip)
		if err != nil || res.OK {
			t.Fatalf("guess: %+v %v", res, err)
		}
		delays = append(delays, res.Delay)
	}
	// The first five attempts are free; the rest wait 1s, 2s, 4s, 8s, 16s.
	want := []time.Duration{0, 0, 0, 0, 0, 1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	if fmt.Sprint(delays) != fmt.Sprint(want) {
		t.Errorf("delays = %v, want %v", delays, want)
	}
	res, _ := svc.LoginPassword(ctx, "bob", "builder of things", ip)
	if !res.OK || res.Delay != 30*time.Second {
		t.Errorf("bob's 11th attempt: ok=%v delay=%v, want ok after the 30s cap", res.OK, res.Delay)
	}
	res, _ = svc.LoginPassword(ctx, "alice", "rabbit hole 42", ip)
	if !res.OK || res.Delay != 0 {
		t.Errorf("alice from the same address: ok=%v delay=%v, want no delay", res.OK, res.Delay)
	}
	// Bob's success cleared his counter.
	res, _ = svc.LoginPassword(ctx, "bob", "guess", ip)
	if res.Delay != 0 {
		t.Errorf("after a success bob is still delayed %v", res.Delay)
	}
	// A person who waits out the delay is not held back at all.
	for range 6 {
		svc.LoginPassword(ctx, "bob", "guess", ip)
	}
	clock.advance(time.Hour)
	if res, _ := svc.LoginPassword(ctx, "bob", "builder of things", ip); res.Delay != 0 || !res.OK {
		t.Errorf("after the window: %+v", res)
	}
	if n := svc.locks.size(); n != 0 {
		t.Errorf("%d per-user locks left behind", n)
	}
}

func TestThrottleCapsOneAddressSprayingUsernames(t *testing.T) {
	th := config.DefaultThrottle()
	th.IPFreeFailures = 20
	svc, _, _ := newService(t, th)
	ctx := context.Background()
	addUser(t, svc, "carol", "christmas song")
	for i := range 21 {
		if res, _ := svc.LoginPassword(ctx, fmt.Sprintf("user%d", i), "x", "203.0.113.9:1"); res.Delay != 0 {
			t.Fatalf("attempt %d already delayed %v", i, res.Delay)
		}
	}
	res, _ := svc.LoginPassword(ctx, "carol", "christmas song", "203.0.113.9:2")
	if res.Delay == 0 || !res.OK {
		t.Errorf("the spraying address is not slowed: %+v", res)
	}
	res, _ = svc.LoginPassword(ctx, "carol", "christmas song", "203.0.113.10:2")
	if res.Delay != 0 || !res.OK {
		t.Errorf("another address is slowed: %+v", res)
	}
}

func TestParallelGuessesAreSerialised(t *testing.T) {
	svc, _, clock := newService(t, config.DefaultThrottle())
	addUser(t, svc, "bob", "builder of things")
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() { svc.LoginPassword(context.Background(), "bob", "guess", "192.0.2.1:1") })
	}
	wg.Wait()
	var total time.Duration
	for _, d := range clock.sleeps {
		total += d
	}
	// Serialised, the 6th..12th guesses each wait: 1+2+4+8+16+30+30 = 91s.
	if total != 91*time.Second {
		t.Errorf("parallel guesses waited %v in all, want 91s (they must queue)", total)
	}
}

func TestLoginRehashesOtherCost(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	ctx := context.Background()
	h, _ := bcrypt.GenerateFromPassword([]byte("imported pass"), 6)
	if _, err := st.ImportUsers(ctx, []store.UserImport{{Username: "erin", PasswordHash: "$2y$" + string(h[4:])}}); err != nil {
		t.Fatal(err)
	}
	if res, _ := svc.LoginPassword(ctx, "erin", "imported pass", "192.0.2.1:1"); !res.OK {
		t.Fatalf("imported $2y$ hash refused: %+v", res)
	}
	u, _ := st.UserByName(ctx, "erin")
	if cost, _ := bcrypt.Cost([]byte(u.PasswordHash)); cost != testCost {
		t.Errorf("hash cost after login = %d, want %d", cost, testCost)
	}
	if res, _ := svc.LoginPassword(ctx, "erin", "imported pass", "192.0.2.1:1"); !res.OK {
		t.Error("password no longer works after re-hash")
	}
}

func TestAddUserValidatesAndMakesHome(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	ctx := context.Background()
	u, pw, err := svc.AddUser(ctx, cli, NewUser{Username: "Frank", FullName: "Frank N", Email: "frank@example.edu"})
	if err != nil || u.Username != "frank" || pw == "" {
		t.Fatalf("AddUser = %+v %q %v", u, pw, err)
	}
	if res, _ := svc.LoginPassword(ctx, "frank", pw, "192.0.2.1:1"); !res.OK {
		t.Error("generated password does not log in")
	}
	if _, err := os.Stat(filepath.Join(svc.homesDir, "frank", "welcome.py")); err != nil {
		t.Errorf("no welcome.py: %v", err)
	}
	for _, bad := range []NewUser{
		{Username: "frank"},
		{Username: "x y"},
		{Username: "gina", Role: "admin"},
		{Username: "gina", Email: "not an email"},
		{Username: "gina", FullName: "evil\x1b[2J"},
		{Username: "gina", Password: "short"},
		{Username: "gina", Password: "my-gina-password"},
	} {
		if _, _, err := svc.AddUser(ctx, cli, bad); err == nil {
			t.Errorf("AddUser(%+v) succeeded", bad)
		}
	}
	if n, _ := st.CountUsers(ctx); n != 1 {
		t.Errorf("%d users after refused adds, want 1", n)
	}
}

func TestEnsureAdminOnlyOnEmptyRoster(t *testing.T) {
	svc, _, _ := newService(t, config.DefaultThrottle())
	ctx := context.Background()
	pw, err := svc.EnsureAdmin(ctx, cli)
	if err != nil || pw == "" {
		t.Fatalf("EnsureAdmin = %q, %v", pw, err)
	}
	u, _ := svc.User(ctx, "admin")
	if u.Role != store.RoleProfessor {
		t.Errorf("admin role = %s", u.Role)
	}
	if pw2, err := svc.EnsureAdmin(ctx, cli); err != nil || pw2 != "" {
		t.Errorf("second EnsureAdmin = %q, %v; want nothing created", pw2, err)
	}
}

func rosterOf(t *testing.T, csv string) []roster.Row {
	t.Helper()
	rows, err := roster.Parse(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestImportRoster(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	ctx := context.Background()
	h, _ := bcrypt.GenerateFromPassword([]byte("old system pw"), 5)
	var b strings.Builder
	b.WriteString("email,username,full_name,password_hash,role\n")
	for i := range 200 {
		hash := ""
		if i%4 == 0 {
			hash = "$2b$" + string(h[4:])
		}
		fmt.Fprintf(&b, "s%d@example.edu,s%03d,Student %d,%s,\n", i, i, i, hash)
	}
	var progressed int
	rep, err := svc.Import(ctx, cli, rosterOf(t, b.String()), ImportOptions{Progress: func(done, total int) { progressed = max(progressed, done) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Created) != 200 || len(rep.Generated) != 150 || progressed != 150 {
		t.Fatalf("created %d, generated %d, progress %d", len(rep.Created), len(rep.Generated), progressed)
	}
	if res, _ := svc.LoginPassword(ctx, "s000", "old system pw", "192.0.2.1:1"); !res.OK {
		t.Error("imported hash does not log in")
	}
	if res, _ := svc.LoginPassword(ctx, rep.Generated[0].Username, rep.Generated[0].Password, "192.0.2.1:1"); !res.OK {
		t.Error("generated password does not log in")
	}

	// Re-import: names and roles change, passwords do not (no password given).
	rep, err = svc.Import(ctx, cli, rosterOf(t, "username,full_name,role\ns001,Renamed,professor\n"), ImportOptions{})
	if err != nil || len(rep.Updated) != 1 || len(rep.Generated) != 0 {
		t.Fatalf("re-import: %+v %v", rep, err)
	}
	u, _ := st.UserByName(ctx, "s001")
	if u.FullName != "Renamed" || u.Role != store.RoleProfessor || u.Email != "s1@example.edu" {
		t.Errorf("after re-import: %+v", u)
	}
	if res, _ := svc.LoginPassword(ctx, "s000", "old system pw", "192.0.2.1:1"); !res.OK {
		t.Error("re-import changed a password it was not given")
	}
}

func TestImportWithOneBadRowWritesNothing(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	ctx := context.Background()
	csv := "username,role,password_hash\nann,student,\nbad user,student,\ncid,teacher,\ndan,,$2a$04$short\nann,,\n"
	rep, err := svc.Import(ctx, cli, rosterOf(t, csv), ImportOptions{})
	if !errors.Is(err, ErrInvalidRows) {
		t.Fatalf("err = %v, want ErrInvalidRows", err)
	}
	var lines []int
	for _, le := range rep.Invalid {
		lines = append(lines, le.Line)
	}
	if fmt.Sprint(lines) != "[3 4 5 6]" {
		t.Errorf("invalid lines = %v (%v), want [3 4 5 6]", lines, rep.Invalid)
	}
	if n, _ := st.CountUsers(ctx); n != 0 || len(rep.Generated) != 0 {
		t.Errorf("%d users written and %d passwords shown; want none", n, len(rep.Generated))
	}
	rep, err = svc.Import(ctx, cli, rosterOf(t, csv), ImportOptions{SkipInvalid: true})
	if err != nil || len(rep.Created) != 1 || rep.Created[0] != "ann" {
		t.Errorf("--skip-invalid: %+v %v", rep, err)
	}
}

// BenchmarkLoginRefusal compares refusing a wrong password with refusing an unknown
// username at the default bcrypt cost: the two must cost the same, or timing would
// tell an attacker which usernames exist.
func BenchmarkLoginRefusal(b *testing.B) {
	th := config.DefaultThrottle()
	th.UserFreeFailures, th.IPFreeFailures = 1<<30, 1<<30 // measure the check, not the throttle
	for _, c := range []struct{ name, user string }{{"wrong-password", "alice"}, {"unknown-user", "nobody"}} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			st, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			st.Migrate(context.Background())
			svc, err := New(Options{Store: st, HomesDir: dir, BcryptCost: config.DefaultBcryptCost, Throttle: th})
			if err != nil {
				b.Fatal(err)
			}
			svc.AddUser(context.Background(), cli, NewUser{Username: "alice", Password: "rabbit hole 42"})
			for b.Loop() {
				if res, _ := svc.LoginPassword(context.Background(), c.user, "guess", "192.0.2.1:1"); res.OK {
					b.Fatal("logged in")
				}
			}
		})
	}
}

func TestHomesBelongToEachStudentsOwnUID(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root")
		}
		t.Skip("needs root to give homes away")
	}
	svc, _, _ := newService(t, config.DefaultThrottle())
	svc.uidBase = 300000
	ctx := context.Background()
	var uids []int
	for _, name := range []string{"alice", "bob"} {
		u, _, err := svc.AddUser(ctx, cli, NewUser{Username: name})
		if err != nil {
			t.Fatal(err)
		}
		o := svc.Owner(u)
		if o.UID != 300000+int(u.ID) || o.GID != o.UID {
			t.Errorf("%s: owner %+v, want uid 300000+%d", name, o, u.ID)
		}
		fi, err := os.Stat(filepath.Join(svc.homesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != o.UID {
			t.Errorf("%s's home owned by %d, want %d", name, st.Uid, o.UID)
		}
		uids = append(uids, o.UID)
	}
	if uids[0] == uids[1] {
		t.Error("two students share a uid")
	}
}

// An action is audited even when its caller's context ends first: a client
// that hangs up right after its password was checked is still recorded.
func TestAuditOutlivesTheCallersContext(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	svc.Audit(ctx, Actor{Name: "sshd", Remote: "192.0.2.9:4000"}, "session.refused", "alice", "refused", "left early")
	entries, err := st.ListAudit(context.Background(), store.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == "session.refused" && e.Target == "alice" && e.Remote == "192.0.2.9:4000" {
			return
		}
	}
	t.Fatalf("the audit entry of a cancelled caller was not written: %+v", entries)
}

// hangUpStore cancels the caller's context as soon as the user has been read:
// a client that hangs up while its password is being checked.
type hangUpStore struct {
	store.Store
	hangUp context.CancelFunc
}

func (h hangUpStore) UserByName(ctx context.Context, name string) (store.User, error) {
	u, err := h.Store.UserByName(ctx, name)
	h.hangUp()
	return u, err
}

// A right password whose client hung up during the check still clears the
// username's earlier failures and is audited.
func TestRightPasswordIsRecordedAfterTheClientLeft(t *testing.T) {
	svc, st, clock := newService(t, config.DefaultThrottle())
	addUser(t, svc, "alice", "correct horse")
	for range 2 {
		if res, _ := svc.LoginPassword(context.Background(), "alice", "wrong", "192.0.2.7:5000"); res.OK {
			t.Fatal("a wrong password was accepted")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc.store = hangUpStore{Store: st, hangUp: cancel}
	res, err := svc.LoginPassword(ctx, "alice", "correct horse", "192.0.2.7:5001")
	if err != nil || !res.OK {
		t.Fatalf("login = %+v, %v", res, err)
	}
	f, err := st.LoginFailures(context.Background(), store.ScopeUser, "alice", clock.now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if f.Count != 0 {
		t.Errorf("after a right password, alice still has %d failures counted", f.Count)
	}
	entries, _ := st.ListAudit(context.Background(), store.AuditFilter{User: "alice"})
	for _, e := range entries {
		if e.Action == "login.password" && e.Outcome == "ok" && e.Remote == "192.0.2.7:5001" {
			return
		}
	}
	t.Errorf("the successful login is not in the audit log: %+v", entries)
}

// Password checks run on bounded slots: while every slot is busy a login
// waits in line (here until its client leaves), and it goes through once
// a slot is free (#13: a login storm's bcrypt took every core).
func TestPasswordChecksWaitForAFreeSlot(t *testing.T) {
	svc, _, _ := newService(t, config.DefaultThrottle())
	addUser(t, svc, "alice", "correct horse battery")
	for range cap(svc.hashing) {
		svc.hashing <- struct{}{} // every slot taken by other logins
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if res, err := svc.LoginPassword(ctx, "alice", "correct horse battery", "192.0.2.7:5000"); err == nil || res.OK {
		t.Fatalf("a login with no free slot went through: %+v, %v", res, err)
	}
	<-svc.hashing // one slot frees up
	res, err := svc.LoginPassword(context.Background(), "alice", "correct horse battery", "192.0.2.7:5000")
	if err != nil || !res.OK {
		t.Fatalf("login once a slot is free: %+v, %v", res, err)
	}
}

// A full name may not hold what would make a terminal do anything but draw
// it (#16 case 5): `user add --name` and roster imports took a right-to-left
// override, which the console refused; and what the command line prints of
// a name already stored is made harmless.
func TestHostileFullNames(t *testing.T) {
	for _, name := range []string{"Mal \u202eyrol", "a\u2066b\u2069", "x\u200fy", "bad\xffname", "two\u2028lines", "esc\x1b]0;t\x07"} {
		if err := ValidateFullName(name); err == nil {
			t.Errorf("ValidateFullName(%q) accepted it", name)
		}
	}
	for _, name := range []string{"Zoë Ångström", "محمد\u200cرضا", "李小龍", "O'Brien-Smith"} {
		if err := ValidateFullName(name); err != nil {
			t.Errorf("ValidateFullName(%q): %v", name, err)
		}
	}
	for in, want := range map[string]string{"Mal \u202eyrol": "Mal ?yrol", "a\x1b[2Jb": "a?[2Jb", "z\u200bw": "z?w", "bad\xffx": "bad?x"} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}
