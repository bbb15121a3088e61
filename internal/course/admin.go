package course

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/python"
)

// Collected is one test as the harness collected it.
type Collected struct {
	Name       string  `json:"name"`
	MaxScore   float64 `json:"max_score"`
	Visibility string  `json:"visibility"`
}

// AddResult says what Add did.
type AddResult struct {
	Assignment store.Assignment
	Created    bool
	Changes    []string // for an update: what changed, one sentence each ("nothing" when identical)
	Tests      []Collected
}

// CollectUID is the host uid (and gid) that collects an assignment's tests
// in a sandbox: nobody's, which owns no file of ours.
const CollectUID = 65534

// Collect runs pytest's collection of a's tests with the harness and
// returns the tests. Collecting imports the test files, which is running
// them: as root with a Runner it happens in a fresh sandbox as CollectUID
// (no network, the tests and the harness read-only at /course, an empty
// home), else as a plain subprocess of the caller with a clean environment
// (the professor running their own tests as themselves).
func (s *Service) Collect(ctx context.Context, a *Assignment) ([]Collected, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	var runErr error
	if s.Runner != nil && os.Geteuid() == 0 {
		o, e, err := s.collectSandboxed(ctx, a)
		if err != nil {
			return nil, err
		}
		out.WriteString(o)
		errb.WriteString(e)
	} else {
		dir, err := os.MkdirTemp("", "classroomd-collect-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		if err := python.WriteHarness(dir); err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, s.python(), "-m", python.Package+".run", "--tests", filepath.Join(a.Dir, "tests"), "--collect-only")
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "PYTHONPATH=" + dir, "PYTHONDONTWRITEBYTECODE=1", "LANG=C.UTF-8", "HOME=" + dir}
		cmd.Stdout, cmd.Stderr = &out, &errb
		runErr = cmd.Run()
	}
	var res struct {
		Tests []Collected `json:"tests"`
		Error string      `json:"error"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("collect the tests of %s: %v (is python3-pytest installed?)\n%s", a.Name, runErr, tail(errb.String(), 2000))
	}
	if res.Error != "" {
		return nil, fmt.Errorf("the tests of %s do not collect: %s\n%s", a.Name, res.Error, tail(errb.String(), 2000))
	}
	if len(res.Tests) == 0 {
		return nil, fmt.Errorf("the tests of %s collect no test: name them test_*", a.Name)
	}
	return res.Tests, nil
}

// collectSandboxed collects a's tests in a sandbox as CollectUID and
// returns what it printed.
func (s *Service) collectSandboxed(ctx context.Context, a *Assignment) (stdout, stderr string, err error) {
	dir, err := s.privateDir("grading", "collect-"+a.Name+"-"+randomName())
	if err != nil {
		return "", "", err
	}
	defer os.RemoveAll(dir)
	home, course := filepath.Join(dir, "home"), filepath.Join(dir, "course")
	if err := os.Mkdir(home, 0o755); err != nil {
		return "", "", err
	}
	if err := os.Chown(home, CollectUID, CollectUID); err != nil {
		return "", "", err
	}
	if err := python.WriteHarness(course); err != nil {
		return "", "", err
	}
	tests := make([]snapshotFile, 0, len(a.Tests))
	for _, t := range a.Tests {
		b, err := os.ReadFile(filepath.Join(a.Dir, "tests", filepath.FromSlash(t)))
		if err != nil {
			return "", "", err
		}
		tests = append(tests, snapshotFile{rel: t, data: b})
	}
	if err := writeTree(filepath.Join(course, "tests"), tests, 0o444); err != nil {
		return "", "", err
	}
	out, errb := &capped{n: 8 << 20}, &capped{n: 64 << 10}
	p, err := s.Runner.Start(ctx, RunSpec{Username: "collect-" + a.Name, Owner: files.Owner{UID: CollectUID, GID: CollectUID},
		Home: home, CourseDir: course, Stdout: out, Stderr: errb,
		Command: []string{s.python(), "-m", python.Package + ".run", "--tests", "/course/tests", "--collect-only"},
		Env:     []string{"PYTHONPATH=/course", "PYTHONDONTWRITEBYTECODE=1"}})
	if err != nil {
		return "", "", fmt.Errorf("start collecting the tests of %s in a sandbox: %w", a.Name, err)
	}
	defer p.Close()
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			p.Kill()
		case <-done:
		}
	}()
	p.Wait()
	close(done)
	return out.String(), errb.String(), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// Add validates the folder dir, checks that its tests collect, keeps a copy
// under the data dir (what is released and graded) and stores the
// assignment. Re-adding updates it and says what changed.
func (s *Service) Add(ctx context.Context, by Actor, dir string) (AddResult, error) {
	a, err := Load(dir)
	if err != nil {
		return AddResult{}, err
	}
	tests, err := s.Collect(ctx, a)
	if err != nil {
		return AddResult{}, err
	}
	if err := s.keepCopy(a); err != nil {
		return AddResult{}, fmt.Errorf("keep a copy of %s: %w", a.Name, err)
	}
	row := store.Assignment{
		Name: a.Name, Title: a.Config.Title, Due: a.Config.Due, LateUntil: a.Config.LateUntil,
		LatePenalty: a.Config.LatePenalty, Config: a.Raw, Digest: a.Digest, SourceDir: a.Dir,
	}
	before, existed, after, err := s.Store.PutAssignment(ctx, row, s.now())
	if err != nil {
		s.audit(ctx, by, "assignment.add", a.Name, "error", err.Error())
		return AddResult{}, err
	}
	res := AddResult{Assignment: after, Created: !existed, Tests: tests}
	if existed {
		res.Changes = changes(before, after)
	}
	detail := fmt.Sprintf("%d tests, digest %s", len(tests), a.Digest[:12])
	if existed {
		detail = "update: " + strings.Join(res.Changes, "; ")
	}
	s.audit(ctx, by, "assignment.add", a.Name, "ok", detail)
	return res, nil
}

func changes(b, a store.Assignment) []string {
	var c []string
	if b.Title != a.Title {
		c = append(c, fmt.Sprintf("title %q -> %q", b.Title, a.Title))
	}
	if !b.Due.Equal(a.Due) {
		c = append(c, fmt.Sprintf("due %s -> %s", b.Due.Format(time.RFC3339), a.Due.Format(time.RFC3339)))
	}
	if !b.LateUntil.Equal(a.LateUntil) {
		c = append(c, fmt.Sprintf("late_until %s -> %s", fmtTime(b.LateUntil), fmtTime(a.LateUntil)))
	}
	if b.LatePenalty != a.LatePenalty {
		c = append(c, fmt.Sprintf("late_penalty %g -> %g", b.LatePenalty, a.LatePenalty))
	}
	var bc, ac Config
	toml.Decode(b.Config, &bc)
	toml.Decode(a.Config, &ac)
	if !slices.Equal(bc.Files, ac.Files) {
		c = append(c, fmt.Sprintf("files %q -> %q", bc.Files, ac.Files))
	}
	if bc.Limits != ac.Limits || bc.MaxChecksPerHour != ac.MaxChecksPerHour {
		c = append(c, "limits changed")
	}
	if b.Digest != a.Digest && len(c) == 0 {
		c = append(c, "the tests, starter code or README changed")
	}
	if len(c) == 0 {
		c = append(c, "nothing")
	}
	return c
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.Format(time.RFC3339)
}

// assignmentDir is the daemon's copy of an assignment's folder.
func (s *Service) assignmentDir(name string) string {
	return filepath.Join(s.DataDir, "assignments", name)
}

// keepCopy replaces DATA_DIR/assignments/NAME with a copy of the folder.
func (s *Service) keepCopy(a *Assignment) error {
	parent, err := s.privateDir("assignments")
	if err != nil {
		return err
	}
	tmp := filepath.Join(parent, "."+a.Name+".new-"+randomName())
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	copyOne := func(rel string) error {
		src := filepath.Join(a.Dir, filepath.FromSlash(rel))
		dst := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	}
	for _, f := range append([]string{ConfigFile}, prefix("starter/", a.Starter)...) {
		if err := copyOne(f); err != nil {
			return err
		}
	}
	for _, f := range prefix("tests/", a.Tests) {
		if err := copyOne(f); err != nil {
			return err
		}
	}
	if a.README != "" {
		if err := copyOne("README.md"); err != nil {
			return err
		}
	}
	dst := s.assignmentDir(a.Name)
	old := filepath.Join(parent, "."+a.Name+".old-"+randomName())
	if err := os.Rename(dst, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Rename(old, dst)
		return err
	}
	return os.RemoveAll(old)
}

func prefix(p string, xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = p + x
	}
	return out
}

// loaded reads the daemon's copy of an assignment.
func (s *Service) loaded(name string) (*Assignment, error) {
	a, err := Load(s.assignmentDir(name))
	if err != nil {
		return nil, fmt.Errorf("the stored copy of %s: %w (add it again with classroomd assignment add)", name, err)
	}
	return a, nil
}

// Counts summarises an assignment for list and show.
type Counts struct {
	Students, Released, Checked, Submitted, Late, Graded, Extended int
}

// Summary is an assignment with its counts.
type Summary struct {
	Assignment store.Assignment
	Counts     Counts
}

// List returns every assignment with its counts.
func (s *Service) List(ctx context.Context) ([]Summary, error) {
	as, err := s.Store.ListAssignments(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(as))
	for _, a := range as {
		c, err := s.counts(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, Summary{a, c})
	}
	return out, nil
}

// Show returns one assignment with its counts.
func (s *Service) Show(ctx context.Context, name string) (Summary, error) {
	a, err := s.Store.AssignmentByName(ctx, name)
	if err != nil {
		return Summary{}, err
	}
	c, err := s.counts(ctx, a)
	return Summary{a, c}, err
}

func (s *Service) counts(ctx context.Context, a store.Assignment) (Counts, error) {
	var c Counts
	st, err := s.students(ctx)
	if err != nil {
		return c, err
	}
	c.Students = len(st)
	rel, err := s.Store.ReleasedTo(ctx, a.Name)
	if err != nil {
		return c, err
	}
	c.Released = len(rel)
	subs, err := s.Store.ListSubmissions(ctx, a.Name, "")
	if err != nil {
		return c, err
	}
	seen, late := map[string]bool{}, map[string]bool{}
	for _, sub := range subs {
		seen[sub.Username] = true
		if sub.Late {
			late[sub.Username] = true
		}
	}
	c.Submitted, c.Late = len(seen), len(late)
	gs, err := s.Store.ListGrades(ctx, a.Name)
	if err != nil {
		return c, err
	}
	for _, g := range gs {
		if g.Status == StatusGraded {
			c.Graded++
		}
	}
	exts, err := s.Store.ListExtensions(ctx, a.Name)
	if err != nil {
		return c, err
	}
	c.Extended = len(exts)
	checked, err := s.Store.ListAudit(ctx, store.AuditFilter{Limit: 100000})
	if err == nil {
		who := map[string]bool{}
		for _, e := range checked {
			if e.Action == "assignment.check" && strings.HasPrefix(e.Detail, a.Name+":") {
				who[e.Actor] = true
			}
		}
		c.Checked = len(who)
	}
	return c, nil
}

// Extend gives username their own deadline for assignment name.
func (s *Service) Extend(ctx context.Context, by Actor, name, username string, until time.Time) error {
	if _, err := s.Store.AssignmentByName(ctx, name); err != nil {
		return err
	}
	err := s.Store.SetExtension(ctx, store.Extension{Assignment: name, Username: username, Until: until.UTC(), GrantedBy: by.Name, GrantedAt: s.now()})
	outcome, detail := "ok", name+": until "+until.UTC().Format(time.RFC3339)
	if err != nil {
		outcome, detail = "error", err.Error()
	}
	s.audit(ctx, by, "assignment.extend", username, outcome, detail)
	return err
}

// SetExtraDays sets username's standing extra days on every deadline (0 removes them).
func (s *Service) SetExtraDays(ctx context.Context, by Actor, username string, days int) error {
	if days < 0 || days > 365 {
		return fmt.Errorf("extra days must be between 0 and 365, not %d", days)
	}
	err := s.Store.SetAccommodation(ctx, store.Accommodation{Username: username, ExtraDays: days, SetBy: by.Name, SetAt: s.now()})
	outcome, detail := "ok", fmt.Sprintf("%d extra days on every deadline", days)
	if err != nil {
		outcome, detail = "error", err.Error()
	}
	s.audit(ctx, by, "user.extra_days", username, outcome, detail)
	return err
}

// ReleaseFeedback lets students see their results (or, with release false, hides them again).
func (s *Service) ReleaseFeedback(ctx context.Context, by Actor, name string, release bool) error {
	at := time.Time{}
	if release {
		at = s.now()
	}
	_, err := s.Store.SetFeedbackReleased(ctx, name, at)
	outcome, detail := "ok", fmt.Sprintf("released: %v", release)
	if err != nil {
		outcome, detail = "error", err.Error()
	}
	s.audit(ctx, by, "assignment.feedback", name, outcome, detail)
	return err
}
