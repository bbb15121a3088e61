package consoletui_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/store"
)

// fakeCourse is page 6's server side: a class grid the test changes as
// students would by checking.
type fakeCourse struct {
	mu       sync.Mutex
	grid     course.Grid
	calls    []string
	grading  chan struct{} // Grade reports half its progress, then waits for it
	released bool
}

func newFakeCourse() *fakeCourse {
	due := testNow.Add(24 * time.Hour)
	a := store.Assignment{Name: "hw1", Title: "Fibonacci", Due: due, ReleasedAt: testNow.Add(-time.Hour)}
	g := course.Grid{Assignment: a, Tests: []string{"test_fib.py::test_small", "test_fib.py::test_program"}}
	for _, u := range []string{"alice", "bob"} {
		g.Rows = append(g.Rows, course.GridRow{Username: u, FullName: "Full " + u, Deadline: course.Deadline{Due: due}, Status: "not due until ..."})
	}
	return &fakeCourse{grid: g, grading: make(chan struct{})}
}

func (f *fakeCourse) List(ctx context.Context) ([]course.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return []course.Summary{{Assignment: f.grid.Assignment, Counts: course.Counts{Students: 2, Released: 2}}}, nil
}

func (f *fakeCourse) Grid(ctx context.Context, name string) (course.Grid, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.grid
	g.Rows = append([]course.GridRow(nil), g.Rows...)
	return g, nil
}

func (f *fakeCourse) Extend(ctx context.Context, name, username string, until time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("extend %s %s %s", name, username, until.UTC().Format(time.RFC3339)))
	return nil
}

func (f *fakeCourse) Grade(ctx context.Context, name string, progress func(done, total int)) ([]course.GradeRow, error) {
	progress(1, 2)
	select {
	case <-f.grading:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	progress(2, 2)
	return []course.GradeRow{{Username: "alice", Status: course.StatusGraded}, {Username: "bob", Status: course.StatusNotSubmitted}}, nil
}

func (f *fakeCourse) ReleaseFeedback(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = true
	return nil
}

// check changes a student's row as their check would.
func (f *fakeCourse) check(user string, running bool, results map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.grid.Rows {
		r := &f.grid.Rows[i]
		if r.Username != user {
			continue
		}
		r.Check.Running = running
		if results != nil {
			r.Checked, r.Check.At, r.Tests = true, testNow, results
		}
	}
}

// gridRow is the screen's line of a student.
func gridRow(screen, user string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, " "+user+" ") || strings.HasPrefix(strings.TrimSpace(l), user+" ") {
			return l
		}
	}
	return ""
}

// TestAssignmentGridFillsAsStudentsCheck: page 6 lists the assignment, enter
// opens its grid, and the grid follows a student's check as it starts and
// ends, with nothing pressed; then extend, grade with progress, feedback and
// the live view act on the selected student.
func TestAssignmentGridFillsAsStudentsCheck(t *testing.T) {
	c := newFakeCourse()
	d := start(t, newFake(), 140, 30, c)
	d.press(char('6'))
	d.until("the assignments", func(s string) bool { return strings.Contains(s, "hw1") && strings.Contains(s, "Fibonacci") })
	d.press(keyEnter)
	d.until("the class grid", func(s string) bool {
		return strings.Contains(s, "small") && strings.Contains(s, "program") && strings.Contains(gridRow(s, "alice"), "never")
	})
	if r := gridRow(d.screen(), "alice"); strings.Contains(r, "pass") || strings.Contains(r, "FAIL") {
		t.Errorf("alice has results before checking: %q", r)
	}

	c.check("alice", true, nil)
	d.until("alice checking", func(s string) bool { return strings.Contains(gridRow(s, "alice"), "checking…") })
	c.check("alice", false, map[string]string{"test_fib.py::test_small": "passed", "test_fib.py::test_program": "failed"})
	d.until("alice's results", func(s string) bool {
		r := gridRow(s, "alice")
		return strings.Contains(r, "pass") && strings.Contains(r, "FAIL") && !strings.Contains(r, "checking")
	})
	if i, j := strings.Index(gridRow(d.screen(), "alice"), "pass"), strings.Index(gridRow(d.screen(), "alice"), "FAIL"); i > j {
		t.Errorf("the columns are not in the tests' order: %q", gridRow(d.screen(), "alice"))
	}
	if r := gridRow(d.screen(), "bob"); strings.Contains(r, "pass") || strings.Contains(r, "FAIL") {
		t.Errorf("bob got alice's results: %q", r)
	}
	if !strings.Contains(d.status(), "1 failing a visible test") {
		t.Errorf("status = %q", d.status())
	}

	// Extend alice by two days.
	d.press(keyEsc) // nothing filtered: back to the list
	d.until("the list again", func(s string) bool { return !strings.Contains(s, "never") })
	d.press(keyEnter)
	d.until("the grid again", func(s string) bool { return strings.Contains(gridRow(s, "alice"), "FAIL") })
	d.press(char('e'))
	d.typeText("2")
	d.press(keyEnter)
	d.until("the extension", func(s string) bool { return strings.Contains(d.status(), "alice's deadline for hw1 is now") })
	c.mu.Lock()
	calls := strings.Join(c.calls, ";")
	c.mu.Unlock()
	if want := "extend hw1 alice " + testNow.Add(72*time.Hour).Format(time.RFC3339); calls != want {
		t.Errorf("calls = %q, want %q", calls, want)
	}

	// Grade, with its progress in the status line.
	d.press(char('g'))
	d.press(char('y'))
	d.until("grading's progress", func(s string) bool { return strings.Contains(d.status(), "Grading hw1: 1 of 2 students") })
	close(c.grading)
	d.until("grading's end", func(s string) bool { return strings.Contains(d.status(), "Graded hw1: 1 graded, 0 errors") })

	d.press(char('f'))
	d.press(char('y'))
	d.until("feedback released", func(s string) bool { return strings.Contains(d.status(), "Students now see their results for hw1") })

	d.press(tea.KeyPressMsg{Code: tea.KeyHome}, keyEnter)
	d.until("the live view asked for", func(string) bool { return len(d.openedViews()) == 1 })
	if got := d.openedViews(); got[0] != "alice" {
		t.Errorf("enter opened %v, want alice", got)
	}
}
