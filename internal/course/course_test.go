package course_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/course/sandboxrunner"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/sqlite"
)

func TestMain(m *testing.M) {
	sandbox.MaybeRunInit()
	os.Exit(m.Run())
}

const uidBase = 370000

// needSandbox skips where sandboxes cannot give each student their own uid,
// except under CI=true (root, namespaces), where that is a failure.
func needSandbox(t testing.TB) {
	t.Helper()
	needPytest(t)
	if r := sandbox.Probe(); r.Level == sandbox.None || os.Geteuid() != 0 {
		msg := "grading needs sandboxes with per-student uids (root and namespaces); missing: " + strings.Join(r.Missing(), ", ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// needPytest skips without the system pytest (Add collects the tests with
// it), except under CI=true, where .ci/run installs python3-pytest.
func needPytest(t testing.TB) {
	t.Helper()
	if err := exec.Command(sandbox.DefaultPython, "-c", "import pytest").Run(); err != nil {
		msg := "the system python has no pytest (apt-get install python3-pytest): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// clock is a settable now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var (
	due    = time.Date(2026, 3, 2, 23, 59, 0, 0, time.UTC)
	by     = course.Actor{Name: "cli:prof"}
	repo   = filepath.Join("..", "..", "python", "tests", "data")
	hwToml = "title = \"Fibonacci\"\ndue = 2026-03-02T23:59:00Z\nlate_until = 2026-03-03T23:59:00Z\nlate_penalty = 0.5\nfiles = [\"*.py\"]\n[limits]\nseconds = 2\nmemory_mb = 128\n"
)

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	svc   *course.Service
	st    store.Store
	clock *clock
	data  string
}

func newFixture(t testing.TB, students ...string) *fixture {
	t.Helper()
	data := t.TempDir()
	st, err := sqlite.Open(t.Context(), filepath.Join(data, "classroomd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, u := range students {
		if err := st.CreateUser(t.Context(), &store.User{Username: u, FullName: "Full " + u, Email: u + "@example.edu", Role: store.RoleStudent, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	c := &clock{t: due.Add(-48 * time.Hour)}
	svc := &course.Service{
		Store: st, DataDir: data, HomesDir: filepath.Join(data, "homes"),
		Owner:  func(u store.User) files.Owner { return files.Owner{UID: uidBase + int(u.ID), GID: uidBase + int(u.ID)} },
		Runner: sandboxrunner.Runner{}, Python: sandbox.DefaultPython, Now: c.Now,
	}
	return &fixture{svc: svc, st: st, clock: c, data: data}
}

func (f *fixture) addHW1(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "hw1")
	copyDir(t, filepath.Join(repo, "hw1"), dir)
	if err := os.WriteFile(filepath.Join(dir, "assignment.toml"), []byte(hwToml), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Add(t.Context(), by, dir)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if !res.Created || len(res.Tests) != 4 {
		t.Fatalf("Add = %+v, want a new assignment with 4 tests", res)
	}
	return dir
}

func (f *fixture) put(t *testing.T, user, name, body string) {
	t.Helper()
	p := filepath.Join(f.svc.HomesDir, user, "hw1", name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sub(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "subs", name, "fib.py"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAssignmentLifecycle: add, release (no overwrite), check, submit, a
// change after submitting not graded, the automatic snapshot at the deadline,
// an extended student not graded, a late submission, a refused one, grading
// of correct, forging, looping and crashing submissions, the export.
func TestAssignmentLifecycle(t *testing.T) {
	needSandbox(t)
	ctx := t.Context()
	f := newFixture(t, "good", "forge", "loop", "crash", "forgot", "ext", "late", "closed")
	dir := f.addHW1(t)

	// Re-adding unchanged says so; a change is named.
	again, err := f.svc.Add(ctx, by, dir)
	if err != nil || again.Created || strings.Join(again.Changes, ";") != "nothing" {
		t.Errorf("re-Add = %+v, %v; want an update that changed nothing", again, err)
	}

	// "closed" already has a fib.py: release keeps it.
	if err := os.MkdirAll(filepath.Join(f.svc.HomesDir, "closed", "hw1"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.put(t, "closed", "fib.py", "# mine\n")
	if _, err := f.svc.Submit(ctx, by, "hw1", "good"); !errors.Is(err, course.ErrNotReleased) {
		t.Errorf("Submit before release = %v, want ErrNotReleased", err)
	}
	rel, err := f.svc.Release(ctx, by, "hw1")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rel {
		switch {
		case r.Err != nil:
			t.Errorf("release to %s: %v", r.Username, r.Err)
		case r.Username == "closed" && (len(r.Kept) != 1 || len(r.Copied) != 0):
			t.Errorf("release to closed = %+v, want fib.py kept", r)
		case r.Username != "closed" && len(r.Copied) != 1:
			t.Errorf("release to %s = %+v, want fib.py copied", r.Username, r)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(f.svc.HomesDir, "closed", "hw1", "fib.py")); string(b) != "# mine\n" {
		t.Errorf("release overwrote closed's fib.py: %q", b)
	}
	// The starter files are the student's own (their uid), so their sandbox can edit them.
	good, _ := f.st.UserByName(ctx, "good")
	for _, p := range []string{"hw1", "hw1/fib.py"} {
		fi, err := os.Stat(filepath.Join(f.svc.HomesDir, "good", p))
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; int(uid) != uidBase+int(good.ID) {
			t.Errorf("~good/%s is owned by uid %d, want %d", p, uid, uidBase+int(good.ID))
		}
	}

	for _, u := range []string{"good", "forge", "loop", "crash", "ext", "late"} {
		src := u
		if u == "ext" || u == "late" {
			src = "good"
		}
		f.put(t, u, "fib.py", sub(t, src))
	}

	// A check runs only the visible tests and names no hidden one.
	res, err := f.svc.Check(ctx, course.Actor{Name: "good"}, "hw1", "good")
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if res.Score != 3 || res.MaxScore != 3 || len(res.Tests) != 2 {
		t.Errorf("Check = %+v, want the two visible tests passing (3/3)", res)
	}
	for _, tr := range res.Tests {
		if tr.Visibility != "visible" || strings.Contains(tr.Name, "large") || strings.Contains(tr.Name, "zero") {
			t.Errorf("Check reported %+v", tr)
		}
	}

	receipts := map[string]string{}
	for _, u := range []string{"good", "forge", "loop", "crash"} {
		s, err := f.svc.Submit(ctx, course.Actor{Name: u}, "hw1", u)
		if err != nil {
			t.Fatalf("Submit(%s): %v", u, err)
		}
		if len(s.SHA256) != 64 || s.Files != 1 || s.Late {
			t.Errorf("Submit(%s) = %+v", u, s)
		}
		receipts[u] = s.SHA256
	}
	// good breaks fib after submitting: the submission is graded, not this.
	f.put(t, "good", "fib.py", sub(t, "wrong"))

	if err := f.svc.Extend(ctx, by, "hw1", "ext", due.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}

	// After the deadline: a late submission is accepted and marked, then refused after late_until.
	f.clock.Set(due.Add(2 * time.Hour))
	ls, err := f.svc.Submit(ctx, course.Actor{Name: "late"}, "hw1", "late")
	if err != nil || !ls.Late {
		t.Errorf("late Submit = %+v, %v; want accepted and late", ls, err)
	}
	f.clock.Set(due.Add(25 * time.Hour))
	if _, err := f.svc.Submit(ctx, course.Actor{Name: "closed"}, "hw1", "closed"); !errors.Is(err, course.ErrClosed) || !strings.Contains(err.Error(), "closed at") {
		t.Errorf("Submit after late_until = %v, want a refusal saying when it closed", err)
	}

	// The automatic snapshot of those who never submitted (not ext: their deadline is later).
	made, err := f.svc.CollectDue(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var collected []string
	for _, m := range made {
		if !m.Automatic {
			t.Errorf("collected %+v not marked automatic", m)
		}
		collected = append(collected, m.Username)
	}
	if strings.Join(collected, ",") != "closed,forgot" {
		t.Errorf("collected %v, want closed and forgot", collected)
	}

	var progress []int
	rows, err := f.svc.Grade(ctx, by, "hw1", course.GradeOptions{Parallel: 2, Progress: func(done, total int, _ course.GradeRow) {
		progress = append(progress, done)
		if total != 8 {
			t.Errorf("progress total %d, want 8", total)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(progress) != 8 || progress[7] != 8 {
		t.Errorf("progress %v", progress)
	}
	got := map[string]course.GradeRow{}
	for _, r := range rows {
		got[r.Username] = r
	}
	want := map[string]float64{"good": 6, "forge": 0, "loop": 0, "crash": 0, "late": 3, "forgot": 0, "closed": 0}
	for u, score := range want {
		r := got[u]
		if r.Status != course.StatusGraded || r.Score != score || r.MaxScore != 6 {
			t.Errorf("%s graded %+v, want graded %g/6", u, r, score)
		}
	}
	if r := got["good"]; r.Receipt != receipts["good"] {
		t.Errorf("good's graded receipt %s, want the submission's %s", r.Receipt, receipts["good"])
	}
	if r := got["ext"]; !strings.HasPrefix(r.Status, "extended until") {
		t.Errorf("ext graded %+v, want not yet (extended)", r)
	}

	export, err := f.svc.Grades(ctx, "hw1")
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	if err := course.WriteGrades(&csv, export, "csv"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if lines[0] != "username,full_name,email,score,max_score,late,submitted_at,receipt,status" || len(lines) != 9 {
		t.Errorf("CSV:\n%s", csv.String())
	}
	if !strings.Contains(csv.String(), "good,Full good,good@example.edu,6,6,false,") || !strings.Contains(csv.String(), "late,Full late,late@example.edu,3,6,true,") {
		t.Errorf("CSV lacks good's or late's row:\n%s", csv.String())
	}

	// Students see results only after the feedback is released.
	if sg, _ := f.svc.StudentGrades(ctx, "good"); len(sg) != 0 {
		t.Errorf("grades visible before feedback: %+v", sg)
	}
	if err := f.svc.ReleaseFeedback(ctx, by, "hw1", true); err != nil {
		t.Fatal(err)
	}
	sg, err := f.svc.StudentGrades(ctx, "good")
	if err != nil || len(sg) != 1 || sg[0].Grade.Score != 6 || len(sg[0].Results.Tests) != 4 {
		t.Errorf("StudentGrades(good) = %+v, %v", sg, err)
	}

	// Snapshots are the daemon's, read-only, outside every home.
	subs, _ := f.st.ListSubmissions(ctx, "hw1", "good")
	snap := filepath.Join(f.data, filepath.FromSlash(subs[0].Path))
	if strings.HasPrefix(snap, f.svc.HomesDir) {
		t.Errorf("snapshot %s is inside the homes", snap)
	}
	if fi, err := os.Stat(filepath.Join(snap, "fib.py")); err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("snapshot file: %v, %v; want read-only", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(f.data, "submissions")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("submissions folder: %v, %v; want 0700", fi, err)
	}

	audit, _ := f.st.ListAudit(ctx, store.AuditFilter{Limit: 1000})
	seen := map[string]bool{}
	for _, e := range audit {
		seen[e.Action] = true
	}
	for _, a := range []string{"assignment.add", "assignment.release", "assignment.check", "assignment.submit", "assignment.extend", "assignment.collect", "assignment.grade", "assignment.feedback"} {
		if !seen[a] {
			t.Errorf("no audit entry %s", a)
		}
	}
}

// TestStudentCannotFindTestsOrSnapshots grades a submission that searches
// its sandbox for the tests and for any snapshot; its one test passes only
// when it finds nothing.
func TestStudentCannotFindTestsOrSnapshots(t *testing.T) {
	needSandbox(t)
	ctx := t.Context()
	f := newFixture(t, "spy", "other")
	f.addHW1(t)
	if _, err := f.svc.Release(ctx, by, "hw1"); err != nil {
		t.Fatal(err)
	}
	f.put(t, "other", "fib.py", "SECRET_OTHER = 1\n")
	if _, err := f.svc.Submit(ctx, by, "hw1", "other"); err != nil {
		t.Fatal(err)
	}
	spyDir := filepath.Join(t.TempDir(), "spy")
	writeFile(t, filepath.Join(spyDir, "assignment.toml"), "title = \"spy\"\ndue = 2026-03-02T23:59:00Z\nfiles = [\"*.py\"]\n")
	writeFile(t, filepath.Join(spyDir, "tests", "test_spy.py"), "def test_nothing_found(student):\n    assert student.function('spy.py', 'find')() == []\n")
	if _, err := f.svc.Add(ctx, by, spyDir); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Release(ctx, by, "spy"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(f.svc.HomesDir, "spy", "spy", "spy.py"), `import os
def find():
    found = []
    for top in ("/",):
        for root, dirs, files in os.walk(top, onerror=lambda e: None):
            dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys", "/usr", "/dev")]
            for name in files + dirs:
                p = os.path.join(root, name)
                if "test_fib" in name or "test_spy" in name or name in ("submissions", "assignments", "grading"):
                    found.append(p)
                elif name.endswith(".py"):
                    try:
                        if "SECRET_" + "OTHER" in open(p).read():
                            found.append(p)
                    except OSError:
                        pass
    return found
`)
	if _, err := f.svc.Submit(ctx, by, "spy", "spy"); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(due.Add(time.Hour))
	rows, err := f.svc.Grade(ctx, by, "spy", course.GradeOptions{User: "spy"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Status != course.StatusGraded || rows[0].Score != 1 {
		gs, _ := f.st.ListGrades(ctx, "spy")
		t.Errorf("the spy's search = %+v (it found something, or failed): %+v", rows, gs)
	}
}

func writeFile(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReleaseToStudentAddedLater: a student added after the release gets
// the starter code once (at their login), and a second login changes nothing.
func TestReleaseToStudentAddedLater(t *testing.T) {
	needPytest(t)
	ctx := t.Context()
	f := newFixture(t, "early")
	dir := filepath.Join(t.TempDir(), "hw1")
	copyDir(t, filepath.Join(repo, "hw1"), dir)
	writeFile(t, filepath.Join(dir, "assignment.toml"), hwToml)
	if _, err := f.svc.Add(ctx, by, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Release(ctx, by, "hw1"); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateUser(ctx, &store.User{Username: "late", Role: store.RoleStudent, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	rs, err := f.svc.ReleaseTo(ctx, "late")
	if err != nil || len(rs) != 1 || len(rs[0].Copied) != 1 || rs[0].Copied[0] != "hw1/fib.py" {
		t.Fatalf("ReleaseTo(late) = %+v, %v; want hw1/fib.py copied", rs, err)
	}
	writeFile(t, filepath.Join(f.svc.HomesDir, "late", "hw1", "fib.py"), "# edited\n")
	if rs, err := f.svc.ReleaseTo(ctx, "late"); err != nil || len(rs) != 0 {
		t.Errorf("second ReleaseTo(late) = %+v, %v; want nothing to do", rs, err)
	}
	if rs, err := f.svc.ReleaseTo(ctx, "early"); err != nil || len(rs) != 0 {
		t.Errorf("ReleaseTo(early), released already = %+v, %v", rs, err)
	}
	if b, _ := os.ReadFile(filepath.Join(f.svc.HomesDir, "late", "hw1", "fib.py")); string(b) != "# edited\n" {
		t.Errorf("late's fib.py was replaced: %q", b)
	}
}

// TestMaxChecksPerHour: over max_checks_per_hour a check is refused with
// when it is allowed again, and an hour later it runs again.
func TestMaxChecksPerHour(t *testing.T) {
	needSandbox(t)
	ctx := t.Context()
	f := newFixture(t, "ann")
	dir := filepath.Join(t.TempDir(), "hw1")
	copyDir(t, filepath.Join(repo, "hw1"), dir)
	writeFile(t, filepath.Join(dir, "assignment.toml"), "max_checks_per_hour = 1\n"+hwToml)
	if _, err := f.svc.Add(ctx, by, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Release(ctx, by, "hw1"); err != nil {
		t.Fatal(err)
	}
	ann := course.Actor{Name: "ann"}
	if _, err := f.svc.Check(ctx, ann, "hw1", "ann"); err != nil {
		t.Fatalf("first check: %v", err)
	}
	_, err := f.svc.Check(ctx, ann, "hw1", "ann")
	if !errors.Is(err, course.ErrTooManyChecks) || !strings.Contains(err.Error(), "try again after") {
		t.Fatalf("second check within the hour = %v, want ErrTooManyChecks saying when", err)
	}
	f.clock.Set(f.clock.Now().Add(61 * time.Minute))
	if res, err := f.svc.Check(ctx, ann, "hw1", "ann"); err != nil || len(res.Tests) != 2 {
		t.Errorf("check an hour later = %+v, %v", res, err)
	}
}

// TestCollectRunsInASandbox: collecting imports the test files, so as root
// it runs as nobody in a sandbox: a test module that reads /etc/shadow or
// finds itself root at import fails to collect.
func TestCollectRunsInASandbox(t *testing.T) {
	needSandbox(t)
	f := newFixture(t, "ann")
	dir := filepath.Join(t.TempDir(), "hw9")
	copyDir(t, filepath.Join(repo, "hw1"), dir)
	writeFile(t, filepath.Join(dir, "assignment.toml"), hwToml)
	writeFile(t, filepath.Join(dir, "tests", "test_fib.py"), `import os
import pytest

if os.getuid() == 0:
    raise RuntimeError("collected as root")
try:
    open("/etc/shadow").read()
    raise RuntimeError("read /etc/shadow")
except PermissionError:
    pass
except FileNotFoundError:
    pass


@pytest.mark.visible
def test_uid(student):
    assert os.getuid() == 65534
`)
	res, err := f.svc.Add(t.Context(), by, dir)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if len(res.Tests) != 1 || res.Tests[0].Visibility != "visible" {
		t.Errorf("Add collected %+v, want the one visible test", res.Tests)
	}
}
