package course

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// The class grid (the console's page 6) shows, per student, the result of
// their latest check of each visible test: who is stuck on which test, right
// now. Those results live here, in the daemon's memory, not in the store: a
// check is a student trying something, not a record (the audit log keeps
// that it ran and its score). A restart empties the grid's check cells until
// students check again; submissions and grades come from the store.

// CheckState is a student's latest check of an assignment.
type CheckState struct {
	Running bool // a check is running now
	At      time.Time
	Results Results // the last finished check's
	Err     string  // why the last check could not run
}

// liveChecks holds the latest checks and who listens for changes.
type liveChecks struct {
	mu     sync.Mutex
	checks map[string]map[string]CheckState // assignment -> username
	subs   map[chan struct{}]struct{}
	tests  map[string][]Collected // by assignment digest: the collected tests
}

func (s *Service) noteCheck(name, username string, f func(*CheckState)) {
	l := &s.live
	l.mu.Lock()
	if l.checks == nil {
		l.checks = map[string]map[string]CheckState{}
	}
	if l.checks[name] == nil {
		l.checks[name] = map[string]CheckState{}
	}
	c := l.checks[name][username]
	f(&c)
	l.checks[name][username] = c
	for ch := range l.subs {
		select {
		case ch <- struct{}{}:
		default: // one pending wake-up is enough: the reader reads everything again
		}
	}
	l.mu.Unlock()
}

// Changes returns a channel told (coalesced) whenever a student's check
// starts or ends, and a function that ends the subscription.
func (s *Service) Changes() (<-chan struct{}, func()) {
	l := &s.live
	ch := make(chan struct{}, 1)
	l.mu.Lock()
	if l.subs == nil {
		l.subs = map[chan struct{}]struct{}{}
	}
	l.subs[ch] = struct{}{}
	l.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.subs, ch)
			l.mu.Unlock()
		})
	}
}

// GridRow is one student in the class grid.
type GridRow struct {
	Username, FullName string
	Deadline           Deadline
	Check              CheckState
	Checked            bool              // they checked since the daemon started
	Tests              map[string]string // visible test name -> "passed" / "failed", from the latest check
	Submitted          bool
	Submission         store.Submission // the latest
	Graded             bool
	Grade              store.Grade
	Status             string // as in the grades export
}

// Grid is an assignment's class grid.
type Grid struct {
	Assignment store.Assignment
	Tests      []string // the visible tests' names, in the order they are collected
	Rows       []GridRow
}

// ClassGrid returns the class grid of assignment name: one row per enabled
// student, one column per visible test.
func (s *Service) ClassGrid(ctx context.Context, name string) (Grid, error) {
	sa, err := s.Store.AssignmentByName(ctx, name)
	if err != nil {
		return Grid{}, err
	}
	export, err := s.Grades(ctx, name)
	if err != nil {
		return Grid{}, err
	}
	students, err := s.students(ctx)
	if err != nil {
		return Grid{}, err
	}
	subs, err := s.Store.ListSubmissions(ctx, name, "")
	if err != nil {
		return Grid{}, err
	}
	latest := map[string]store.Submission{}
	for _, sub := range subs {
		latest[sub.Username] = sub
	}
	gs, err := s.Store.ListGrades(ctx, name)
	if err != nil {
		return Grid{}, err
	}
	grades := map[string]store.Grade{}
	for _, g := range gs {
		grades[g.Username] = g
	}
	m, err := s.deadlines(ctx, sa)
	if err != nil {
		return Grid{}, err
	}
	status := map[string]string{}
	for _, r := range export {
		status[r.Username] = r.Status
	}
	g := Grid{Assignment: sa}
	seen := map[string]bool{}
	addTest := func(n string) {
		if !seen[n] {
			seen[n] = true
			g.Tests = append(g.Tests, n)
		}
	}
	for _, t := range s.visibleTests(ctx, sa) {
		addTest(t)
	}
	s.live.mu.Lock()
	checks := map[string]CheckState{}
	for u, c := range s.live.checks[name] {
		checks[u] = c
	}
	s.live.mu.Unlock()
	for _, u := range students {
		row := GridRow{Username: u.Username, FullName: u.FullName, Deadline: deadlineOf(sa, m, u.Username), Status: status[u.Username]}
		row.Check, row.Checked = checks[u.Username]
		if row.Checked {
			row.Tests = map[string]string{}
			for _, t := range row.Check.Results.Tests {
				if t.Visibility == "hidden" {
					continue
				}
				addTest(t.Name)
				row.Tests[t.Name] = t.Status
			}
		}
		row.Submission, row.Submitted = latest[u.Username]
		row.Grade, row.Graded = grades[u.Username]
		g.Rows = append(g.Rows, row)
	}
	return g, nil
}

// visibleTests are an assignment's visible tests as collected (once per
// version of the assignment; nil when collecting fails: the grid then
// shows the tests students have checked).
func (s *Service) visibleTests(ctx context.Context, sa store.Assignment) []string {
	l := &s.live
	l.mu.Lock()
	ts, ok := l.tests[sa.Digest]
	l.mu.Unlock()
	if !ok {
		a, err := s.loaded(sa.Name)
		if err != nil {
			return nil
		}
		if ts, err = s.Collect(ctx, a); err != nil {
			return nil
		}
		l.mu.Lock()
		if l.tests == nil {
			l.tests = map[string][]Collected{}
		}
		l.tests[sa.Digest] = ts
		l.mu.Unlock()
	}
	var out []string
	for _, t := range ts {
		if t.Visibility == "visible" {
			out = append(out, t.Name)
		}
	}
	return out
}

// StudentAssignment is what a student sees of one released assignment.
type StudentAssignment struct {
	Assignment  store.Assignment
	Deadline    Deadline // their own
	README      string
	Submissions []store.Submission // oldest first
	// Feedback is their grade once the professor released feedback (nil before).
	Feedback *StudentGrade
}

// Seat is one student's side of the course (the workspace's assignment
// panel): every call is for that student only.
type Seat struct {
	s        *Service
	by       Actor
	username string
}

// Seat binds the course to one student.
func (s *Service) Seat(by Actor, username string) *Seat {
	return &Seat{s: s, by: by, username: username}
}

// Assignments lists the assignments released to the student, by due time,
// each with their own deadline, README, submissions and released feedback.
func (st *Seat) Assignments(ctx context.Context) ([]StudentAssignment, error) {
	s := st.s
	as, err := s.Store.ListAssignments(ctx)
	if err != nil {
		return nil, err
	}
	grades, err := s.StudentGrades(ctx, st.username)
	if err != nil {
		return nil, err
	}
	var out []StudentAssignment
	for _, a := range as {
		if a.ReleasedAt.IsZero() {
			continue
		}
		m, err := s.deadlines(ctx, a)
		if err != nil {
			return nil, err
		}
		sa := StudentAssignment{Assignment: a, Deadline: deadlineOf(a, m, st.username)}
		if l, err := s.loaded(a.Name); err == nil {
			sa.README = l.README
		}
		if sa.Submissions, err = s.Store.ListSubmissions(ctx, a.Name, st.username); err != nil {
			return nil, err
		}
		for i := range grades {
			if grades[i].Assignment == a.Name {
				sa.Feedback = &grades[i]
			}
		}
		out = append(out, sa)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Deadline.Due.Before(out[j].Deadline.Due) })
	return out, nil
}

// Check runs the visible tests on the student's current files.
func (st *Seat) Check(ctx context.Context, name string) (Results, error) {
	return st.s.Check(ctx, st.by, name, st.username)
}

// Submit hands in the student's files now.
func (st *Seat) Submit(ctx context.Context, name string) (store.Submission, error) {
	return st.s.Submit(ctx, st.by, name, st.username)
}

// ErrNotProfessor is wrapped when an Office's actor is not an enabled professor.
var ErrNotProfessor = errors.New("not a professor")

// Office is a professor's side of the course (the console's page 6). Every
// call checks, in the store, that its actor is an enabled professor.
type Office struct {
	s  *Service
	by Actor
}

// Office binds the course to one professor.
func (s *Service) Office(by Actor) *Office { return &Office{s: s, by: by} }

func (o *Office) allowed(ctx context.Context, action string) error {
	u, err := o.s.Store.UserByName(ctx, o.by.Name)
	if err == nil && u.Role == store.RoleProfessor && !u.Disabled {
		return nil
	}
	o.s.audit(ctx, o.by, action, o.by.Name, "denied", "not a professor")
	return fmt.Errorf("assignments are for professors: %w", ErrNotProfessor)
}

// List returns every assignment with its counts.
func (o *Office) List(ctx context.Context) ([]Summary, error) {
	if err := o.allowed(ctx, "assignment.list"); err != nil {
		return nil, err
	}
	return o.s.List(ctx)
}

// Grid returns the class grid of an assignment.
func (o *Office) Grid(ctx context.Context, name string) (Grid, error) {
	if err := o.allowed(ctx, "assignment.grid"); err != nil {
		return Grid{}, err
	}
	return o.s.ClassGrid(ctx, name)
}

// Extend gives a student their own deadline.
func (o *Office) Extend(ctx context.Context, name, username string, until time.Time) error {
	if err := o.allowed(ctx, "assignment.extend"); err != nil {
		return err
	}
	if _, err := o.s.Store.UserByName(ctx, username); err != nil {
		return fmt.Errorf("there is no user %q", username)
	}
	return o.s.Extend(ctx, o.by, name, username, until)
}

// Grade grades the assignment (every student whose deadline passed),
// calling progress after each student.
func (o *Office) Grade(ctx context.Context, name string, progress func(done, total int)) ([]GradeRow, error) {
	if err := o.allowed(ctx, "assignment.grade"); err != nil {
		return nil, err
	}
	return o.s.Grade(ctx, o.by, name, GradeOptions{Progress: func(done, total int, _ GradeRow) {
		if progress != nil {
			progress(done, total)
		}
	}})
}

// ReleaseFeedback lets students see their results.
func (o *Office) ReleaseFeedback(ctx context.Context, name string) error {
	if err := o.allowed(ctx, "assignment.feedback"); err != nil {
		return err
	}
	return o.s.ReleaseFeedback(ctx, o.by, name, true)
}

// Changes is Service.Changes: told when a student's check starts or ends.
func (o *Office) Changes() (<-chan struct{}, func()) { return o.s.Changes() }
