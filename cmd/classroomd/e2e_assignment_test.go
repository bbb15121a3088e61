package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store/postgres/pgtest"
)

// TestAssignmentEndToEnd is #14's acceptance over real OpenSSH, on both stores:
//
//	professor: assignment add hw1 (due in a minute), add again (nothing changed)
//	professor: assignment release hw1     -> ann's own fib.py is kept
//	ann:       ssh check hw1              -> the visible tests pass, no hidden test named
//	ann, bea, cal, dan: ssh submit hw1    -> a receipt each (correct, forging, looping, crashing)
//	ann:       breaks fib.py after submitting (not graded)
//	professor: assignment extend hw1 fay --until in an hour
//	           ... the deadline passes ...
//	gus:       ssh submit hw1             -> refused, saying when it closed
//	eve:       never submitted            -> collected automatically at her deadline
//	professor: assignment grade hw1       -> ann 6/6, bea 0, cal 0, dan 0, fay not yet
//	professor: assignment grades --format csv, feedback --release
//	ann:       ssh grades                 -> her results, only after the release
func TestAssignmentEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests start real servers and ssh clients; skipped with -short")
	}
	if _, err := os.Stat(sshClientPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the end-to-end tests need OpenSSH's %s: %v", sshClientPath, err)
		}
		t.Skip(err)
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root: grading runs each student's code in a sandbox as their own uid")
		}
		t.Skip("grading runs each student's code in a sandbox as their own uid, only as root")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import pytest").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("grading needs the system pytest (.ci/run installs python3-pytest): %v", err)
		}
		t.Skipf("grading needs the system pytest (apt-get install python3-pytest): %v", err)
	}
	h := newHarness(t)
	t.Run("sqlite", func(t *testing.T) {
		h.assignmentScenario(t, backend{dataDir: t.TempDir(), uidBase: 390000})
	})
	t.Run("postgres", func(t *testing.T) {
		h.assignmentScenario(t, backend{dataDir: t.TempDir(), dbURL: pgtest.NewDatabase(t), uidBase: 395000})
	})
}

func (h *harness) assignmentScenario(t *testing.T, b backend) {
	srv := h.startServer(t, b, "--collect-every", "1s")
	defer srv.stop(t)
	o := sshOpts{knownHosts: t.TempDir() + "/known_hosts"}
	const pw = "quiet harbor 42"
	students := []string{"ann", "bea", "cal", "dan", "eve", "fay", "gus"}
	for _, u := range students {
		h.cli(t, cliOpts{stdin: pw + "\n"}, append([]string{"user", "add", u, "--password-stdin", "--name", "Student " + u, "--email", u + "@example.edu"}, b.flags()...)...).mustSucceed(t)
	}
	cli := func(args ...string) result {
		t.Helper()
		r := h.cli(t, cliOpts{}, append(args, b.flags()...)...)
		r.mustSucceed(t)
		return r
	}
	data := filepath.Join("..", "..", "python", "tests", "data")
	sub := func(name string) string { return readFile(t, filepath.Join(data, "subs", name, "fib.py")) }
	home := func(u string) string { return filepath.Join(b.dataDir, "homes", u, "hw1") }
	put := func(u, body string) {
		t.Helper()
		if err := os.MkdirAll(home(u), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home(u), "fib.py"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The assignment folder: python/tests/data/hw1 with a due time a minute away.
	due := time.Now().Add(60 * time.Second).UTC().Truncate(time.Second)
	dir := filepath.Join(t.TempDir(), "hw1")
	copyTree(t, filepath.Join(data, "hw1"), dir)
	toml := "title = \"Fibonacci\"\ndue = " + due.Format(time.RFC3339) + "\nfiles = [\"*.py\"]\n[limits]\nseconds = 2\n"
	if err := os.WriteFile(filepath.Join(dir, "assignment.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := cli("assignment", "add", dir); !strings.Contains(r.stdout, "added hw1") || !strings.Contains(r.stdout, "4 tests (2 visible), 6 points") {
		t.Errorf("assignment add:\n%s", r.stdout)
	}
	if r := cli("assignment", "add", dir); !strings.Contains(r.stdout, "updated hw1: nothing") {
		t.Errorf("assignment add, again:\n%s", r.stdout)
	}

	// ann has her own fib.py already: the release keeps it.
	put("ann", sub("good"))
	if r := cli("assignment", "release", "hw1"); !strings.Contains(r.stdout, "kept ann's own hw1/fib.py") || !strings.Contains(r.stdout, "released hw1 to 7 students (6 files copied)") {
		t.Errorf("assignment release:\n%s", r.stdout)
	}
	if got := readFile(t, filepath.Join(home("ann"), "fib.py")); got != sub("good") {
		t.Errorf("release overwrote ann's fib.py:\n%s", got)
	}
	if got := readFile(t, filepath.Join(home("eve"), "fib.py")); !strings.Contains(got, "NotImplementedError") {
		t.Errorf("eve did not get the starter fib.py:\n%s", got)
	}

	// The professor watches the class grid on the console's page 6 while ann checks.
	h.cli(t, cliOpts{stdin: pw + "\n"}, append([]string{"user", "add", "pat", "--role", "professor", "--password-stdin", "--name", "Pat Prof"}, b.flags()...)...).mustSucceed(t)
	prof := h.vtLogin(t, srv, o, "the professor's terminal", "pat", pw, 140, 30)
	defer quitTerm(t, prof)
	prof.waitUntil("the console", func(sc vtScreen) bool { return strings.Contains(sc.text[0], "6 Assignments") })
	prof.typ("6")
	prof.waitUntil("page 6 list hw1", func(sc vtScreen) bool { return rowWith(sc, "hw1", "Fibonacci") })
	prof.typ("\r")
	prof.waitUntil("the class grid of hw1, ann not checked yet", func(sc vtScreen) bool {
		return rowWith(sc, "Student", "small", "program") && rowWith(sc, "ann", "·", "·", "never")
	})

	// ann checks: the visible tests only, and not one hidden test's name.
	r := h.ssh(t, srv, o, "ann", pw, "check", "hw1")
	if r.code != 0 || !strings.Contains(r.stdout, "pass  test_small (2/2)") || !strings.Contains(r.stdout, "pass  test_program (1/1)") ||
		!strings.Contains(r.stdout, "2 of 2 visible tests pass") {
		t.Errorf("ssh ann check hw1: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "test_large") || strings.Contains(r.stdout+r.stderr, "test_zero") {
		t.Errorf("ssh check named a hidden test:\n%s", r.stdout)
	}

	// The grid shows ann's check with nothing pressed, and no hidden test as a column.
	sc := prof.waitUntil("ann's check in the grid", func(sc vtScreen) bool { return rowWith(sc, "ann", "pass", "pass") })
	if sc.contains("large") || sc.contains("zero") {
		t.Errorf("the class grid shows a hidden test:\n%s", strings.Join(sc.text, "\n"))
	}
	if rowWith(sc, "bea", "pass") {
		t.Errorf("bea, who did not check, has results in the grid:\n%s", strings.Join(sc.text, "\n"))
	}

	receipt := regexp.MustCompile(`receipt: sha256 ([0-9a-f]{64})`)
	receipts := map[string]string{}
	for u, s := range map[string]string{"bea": "forge", "cal": "loop", "dan": "crash"} {
		put(u, sub(s))
	}
	for _, u := range []string{"ann", "bea", "cal", "dan"} {
		r := h.ssh(t, srv, o, u, pw, "submit", "hw1")
		m := receipt.FindStringSubmatch(r.stdout)
		if r.code != 0 || m == nil || !strings.Contains(r.stdout, "Submitted hw1: 1 files") {
			t.Fatalf("ssh %s submit hw1: exit %d\n%s%s", u, r.code, r.stdout, r.stderr)
		}
		receipts[u] = m[1]
	}
	put("ann", sub("wrong")) // after submitting: not what is graded
	if r := h.ssh(t, srv, o, "ann", pw, "submissions"); !strings.Contains(r.stdout, receipts["ann"]) {
		t.Errorf("ssh ann submissions lacks her receipt:\n%s", r.stdout)
	}
	cli("assignment", "extend", "hw1", "fay", "--until", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))

	// The deadline passes.
	if !waitFor(time.Until(due)+5*time.Second, srv.done, func() bool { return time.Now().After(due.Add(time.Second)) }) {
		t.Fatal("the server ended before the deadline")
	}
	if r := h.ssh(t, srv, o, "gus", pw, "submit", "hw1"); r.code == 0 || !strings.Contains(r.stderr, "hw1 closed at") {
		t.Errorf("ssh gus submit hw1 after the deadline: exit %d, want a refusal saying when it closed\n%s%s", r.code, r.stdout, r.stderr)
	}
	// eve never submitted: the server collects her files at her deadline.
	if !waitFor(30*time.Second, srv.done, func() bool {
		return strings.Contains(h.ssh(t, srv, o, "eve", pw, "submissions").stdout, "collected at your deadline")
	}) {
		t.Errorf("eve's files were not collected at her deadline:\n%s", tail(srv.stderr.String(), 3000))
	}
	if r := h.ssh(t, srv, o, "fay", pw, "submissions"); !strings.Contains(r.stdout, "not submitted anything") {
		t.Errorf("fay (extended) was collected before her own deadline:\n%s", r.stdout)
	}

	r = cli("assignment", "grade", "hw1", "--parallel", "2")
	for _, want := range []string{
		`ann\s+6/6\s+graded`, `bea\s+0/6\s+graded`, `cal\s+0/6\s+graded`, `dan\s+0/6\s+graded`,
		`eve\s+0/6\s+graded`, `gus\s+0/6\s+graded`, `fay\s+0/0\s+extended until`,
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("assignment grade lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "graded 7/7") {
		t.Errorf("assignment grade showed no progress:\n%s", r.stderr)
	}

	csv := cli("assignment", "grades", "hw1", "--format", "csv").stdout
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 8 || lines[0] != "username,full_name,email,score,max_score,late,submitted_at,receipt,status" {
		t.Errorf("grades CSV:\n%s", csv)
	}
	if !strings.Contains(csv, "ann,Student ann,ann@example.edu,6,6,false,") || !strings.Contains(csv, receipts["ann"]+",graded") {
		t.Errorf("grades CSV lacks ann's row with her receipt %s:\n%s", receipts["ann"], csv)
	}
	if !regexp.MustCompile(`(?m)^eve,.*,[0-9a-f]{64},graded$`).MatchString(csv) || !regexp.MustCompile(`(?m)^fay,.*,extended until `).MatchString(csv) {
		t.Errorf("grades CSV: eve's automatic receipt or fay's extension is missing:\n%s", csv)
	}

	if r := h.ssh(t, srv, o, "ann", pw, "grades"); !strings.Contains(r.stdout, "No results have been released") {
		t.Errorf("ssh ann grades before the feedback release:\n%s", r.stdout)
	}
	cli("assignment", "feedback", "hw1", "--release")
	if r := h.ssh(t, srv, o, "ann", pw, "grades"); !strings.Contains(r.stdout, "hw1: 6/6 (graded)") || !strings.Contains(r.stdout, "pass  test_zero (1/1)") {
		t.Errorf("ssh ann grades after the release:\n%s", r.stdout)
	}

	seen := map[string]bool{}
	for _, e := range h.audit(t, b, "--limit", "1000") {
		seen[e.Action] = true
	}
	for _, a := range []string{"assignment.add", "assignment.release", "assignment.check", "assignment.submit", "assignment.extend", "assignment.collect", "assignment.grade", "assignment.feedback"} {
		if !seen[a] {
			t.Errorf("the audit log has no %s", a)
		}
	}
}

// copyTree copies the regular files of src into dst.
func copyTree(t *testing.T, src, dst string) {
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
