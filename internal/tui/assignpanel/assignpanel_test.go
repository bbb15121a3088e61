package assignpanel

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

type fakeSource struct {
	list  []course.StudentAssignment
	check chan course.Results // a check answers when the test sends
}

func (f *fakeSource) Assignments(context.Context) ([]course.StudentAssignment, error) {
	return f.list, nil
}
func (f *fakeSource) Check(ctx context.Context, name string) (course.Results, error) {
	select {
	case r := <-f.check:
		return r, nil
	case <-ctx.Done():
		return course.Results{}, ctx.Err()
	}
}
func (f *fakeSource) Submit(context.Context, string) (store.Submission, error) {
	return store.Submission{SHA256: strings.Repeat("ab", 32), SubmittedAt: time.Now(), Files: 1}, nil
}

// run runs cmd and every command it batches, giving their messages to m,
// except ticks (the panel's clock).
func run(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		return
	}
	msg := cmd()
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			run(t, m, c)
		}
	case tickMsg, nil:
	default:
		next, _ := m.Update(msg)
		run(t, m, next)
	}
}

func press(s string) tea.KeyPressMsg {
	if s == "esc" {
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	}
	return tea.KeyPressMsg{Code: rune(s[0]), Text: s}
}

func TestPanelShowsOwnDeadlineCheckAndNoHiddenTest(t *testing.T) {
	now := time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC)
	due := now.Add(20*time.Minute + 5*time.Second)
	src := &fakeSource{check: make(chan course.Results, 1), list: []course.StudentAssignment{{
		Assignment: store.Assignment{Name: "hw1", Title: "Fibonacci", Due: now.Add(-24 * time.Hour)},
		Deadline:   course.Deadline{Due: due, Extended: true},
		README:     "# Fibonacci\nWrite fib(n).",
	}}}
	m := New(t.Context(), src, keys.Default(), theme.New(true), func() time.Time { return now })
	m.SetSize(100, 30)
	run(t, m, m.Open())
	v := m.View()
	for _, want := range []string{"hw1 · Fibonacci", "20:05 left", "extended for you", "Not submitted yet", "Write fib(n)."} {
		if !strings.Contains(v, want) {
			t.Errorf("panel lacks %q:\n%s", want, v)
		}
	}
	// A check shows its progress, then a line per visible test.
	cmd := m.Key(press("c"))
	if v := m.View(); !strings.Contains(v, "Checking: running the visible tests") {
		t.Errorf("no progress while the check runs:\n%s", v)
	}
	src.check <- course.Results{Score: 2, MaxScore: 3, Tests: []course.TestResult{
		{Name: "test_fib.py::test_small", Status: "passed", Score: 2, MaxScore: 2, Visibility: "visible"},
		{Name: "test_fib.py::test_program", Status: "failed", Score: 0, MaxScore: 1, Output: "assert '8' == '13'", Visibility: "visible"},
	}}
	run(t, m, cmd)
	v = m.View()
	for _, want := range []string{"1 of 2 visible tests pass", "✓ pass  test_small (2/2)", "✗ FAIL  test_program (0/1)", "assert '8' == '13'", "Hidden tests run when it is graded"} {
		if !strings.Contains(v, want) {
			t.Errorf("after the check the panel lacks %q:\n%s", want, v)
		}
	}
	// Submitting asks, then shows the receipt.
	m.Key(press("s"))
	if st, _ := m.Status(); !strings.Contains(st, "Submit your files in ~/hw1 now?") {
		t.Errorf("s did not ask: %q", st)
	}
	run(t, m, m.Key(press("y")))
	if st, _ := m.Status(); !strings.Contains(st, "receipt sha256 abab") {
		t.Errorf("no receipt after submitting: %q", st)
	}
	m.Key(press("esc"))
	if m.IsOpen() {
		t.Error("esc did not close the panel")
	}
}

func TestDueCountsDownInTheLastHourOnly(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	if s := Due(course.Deadline{Due: now.Add(59*time.Minute + 59*time.Second)}, now); !strings.Contains(s, "59:59 left") {
		t.Errorf("in the last hour: %q", s)
	}
	if s := Due(course.Deadline{Due: now.Add(3 * time.Hour)}, now); strings.Contains(s, "left") || !strings.Contains(s, "in 3h00m") {
		t.Errorf("three hours before: %q", s)
	}
	if s := Due(course.Deadline{Due: now.Add(-time.Minute)}, now); !strings.HasPrefix(s, "closed") {
		t.Errorf("after: %q", s)
	}
}

func TestPanelShowsReleasedResultsPerTest(t *testing.T) {
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	src := &fakeSource{list: []course.StudentAssignment{{
		Assignment:  store.Assignment{Name: "hw1", Due: now.Add(-48 * time.Hour)},
		Deadline:    course.Deadline{Due: now.Add(-48 * time.Hour)},
		Submissions: []store.Submission{{SubmittedAt: now.Add(-49 * time.Hour), SHA256: strings.Repeat("c", 64), Files: 1}},
		Feedback: &course.StudentGrade{Assignment: "hw1", Grade: store.Grade{Score: 4, MaxScore: 6, Status: course.StatusGraded},
			Results: course.Results{Tests: []course.TestResult{
				{Name: "test_fib.py::test_small", Status: "passed", Score: 2, MaxScore: 2},
				{Name: "test_fib.py::test_large", Status: "failed", Score: 0, MaxScore: 2},
			}}},
	}}}
	m := New(t.Context(), src, keys.Default(), theme.New(true), func() time.Time { return now })
	m.SetSize(100, 30)
	run(t, m, m.Open())
	v := m.View()
	for _, want := range []string{"Closed Mon 2 Mar 09:00", "Last submitted", "1 file)", "sha256 " + strings.Repeat("c", 64), "Results: 4/6 (graded)", "✓ pass  test_small (2/2)", "✗ FAIL  test_large (0/2)"} {
		if !strings.Contains(v, want) {
			t.Errorf("panel lacks %q:\n%s", want, v)
		}
	}
}
