package consoletui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/tui/console/table"
	"github.com/classroomd/classroomd/internal/tui/termtext"
)

// Page 6, Assignments: each assignment with its counts; enter opens its
// class grid, one row per student and one column per visible test, filled
// from the students' latest checks (read again every second while shown),
// with submitted / late / extended / score. From the grid: extend a
// student, grade with progress, release feedback, watch a student.

// Course is the professor's side of the course: *course.Office, which
// checks at each call that its actor is an enabled professor.
type Course interface {
	List(ctx context.Context) ([]course.Summary, error)
	Grid(ctx context.Context, name string) (course.Grid, error)
	Extend(ctx context.Context, name, username string, until time.Time) error
	Grade(ctx context.Context, name string, progress func(done, total int)) ([]course.GradeRow, error)
	ReleaseFeedback(ctx context.Context, name string) error
}

var _ Course = (*course.Office)(nil)

const (
	tableAssignments = "assignments"
	tableGrid        = "grid"
	gradeTimeout     = 2 * time.Hour
)

var assignmentCols = []table.Column{
	{Title: "Name", Min: 6},
	{Title: "Title", Flex: true, Drop: 2},
	{Title: "Due", Drop: 3},
	{Title: "Released", Right: true, Numeric: true, Drop: 4},
	{Title: "Checked", Right: true, Numeric: true},
	{Title: "Submitted", Right: true, Numeric: true},
	{Title: "Late", Right: true, Numeric: true, Drop: 5},
	{Title: "Extended", Right: true, Numeric: true, Drop: 6},
	{Title: "Graded", Right: true, Numeric: true},
	{Title: "Feedback", Drop: 1},
}

// gridView is an open class grid.
type gridView struct {
	name     string
	grid     course.Grid
	tests    []string // the columns the table was built with
	table    table.Model
	ready    bool
	err      string
	inflight bool
	seq      uint64

	mu       sync.Mutex // guards the progress, set by the grading command
	grading  bool
	done     int
	total    int
	gradeErr string
}

type gridMsg struct {
	name string
	seq  uint64
	grid course.Grid
	err  error
}

func (m *Model) hasCourse() bool { return m.opts.Course != nil }

// table is the list the keys move in: the grid when one is open.
func (m *Model) table() *table.Model {
	if m.page == PageAssignments && m.grid != nil {
		return &m.grid.table
	}
	return &m.tables[m.page]
}

func (m *Model) setAssignmentRows() {
	now := m.now()
	rows := make([]table.Row, len(m.assignments))
	for i, s := range m.assignments {
		a, c := s.Assignment, s.Counts
		fb := ""
		if !a.FeedbackReleasedAt.IsZero() {
			fb = "released"
		}
		n := func(v int) table.Cell { return table.Cell{Text: itoa(v), Num: float64(v)} }
		rows[i] = table.Row{ID: a.Name, Muted: a.ReleasedAt.IsZero(), Cells: []table.Cell{
			{Text: a.Name}, {Text: a.Title}, {Text: when(a.Due, now), Key: timeKey(a.Due)},
			{Text: fmt.Sprintf("%d/%d", c.Released, c.Students), Num: float64(c.Released)},
			n(c.Checked), n(c.Submitted), n(c.Late), n(c.Extended), n(c.Graded), {Text: fb},
		}}
	}
	t := &m.tables[PageAssignments]
	if m.hasCourse() {
		t.SetEmpty("No assignment yet: classroomd assignment add DIR adds one (see the README).")
	} else {
		t.SetEmpty("Assignments are not set up on this server.")
	}
	t.SetRows(rows)
}

// openGrid opens the class grid of an assignment.
func (m *Model) openGrid(name string) tea.Cmd {
	g := &gridView{name: name}
	g.table = table.New(tableGrid, gridCols(nil), m.keys, m.theme)
	g.table.SetEmpty("Loading the class grid…")
	g.table.SetSize(m.width, m.bodyHeight())
	m.grid = g
	m.tickGen++
	return tea.Batch(m.loadGrid(), m.nextTick())
}

func (m *Model) closeGrid() {
	m.grid = nil
	m.tickGen++
}

func gridCols(tests []string) []table.Column {
	cols := []table.Column{{Title: "Student", Min: 8}, {Title: "Name", Drop: 2, Max: 20}}
	for _, t := range tests {
		cols = append(cols, table.Column{Title: shortTest(t), Max: 16})
	}
	return append(cols,
		table.Column{Title: "Check", Drop: 3},
		table.Column{Title: "Submitted", Drop: 4},
		table.Column{Title: "Late", Drop: 5},
		table.Column{Title: "Due", Drop: 1},
		table.Column{Title: "Score", Right: true, Numeric: true},
		table.Column{Title: "Status", Flex: true, Drop: 6},
	)
}

func shortTest(n string) string {
	if i := strings.LastIndex(n, "::"); i >= 0 {
		n = n[i+2:]
	}
	return strings.TrimPrefix(n, "test_")
}

func (m *Model) loadGrid() tea.Cmd {
	g, c := m.grid, m.opts.Course
	if g == nil || c == nil {
		return nil
	}
	g.seq++
	g.inflight = true
	seq, name := g.seq, g.name
	return m.call(loadTimeout, func(ctx context.Context) tea.Msg {
		grid, err := c.Grid(ctx, name)
		return gridMsg{name: name, seq: seq, grid: grid, err: err}
	})
}

func (m *Model) gridLoaded(msg gridMsg) {
	g := m.grid
	if g == nil || g.name != msg.name || g.seq != msg.seq {
		return
	}
	g.inflight = false
	if msg.err != nil {
		g.err = failure("read the class grid of "+msg.name, msg.err)
		if !g.ready {
			g.table.SetEmpty(g.err)
		}
		return
	}
	g.err, g.ready, g.grid = "", true, msg.grid
	if strings.Join(g.tests, "\x00") != strings.Join(msg.grid.Tests, "\x00") || len(g.tests) == 0 && len(msg.grid.Tests) > 0 {
		sel := g.table.SelectedID()
		g.tests = msg.grid.Tests
		g.table = table.New(tableGrid, gridCols(g.tests), m.keys, m.theme)
		g.table.SetSize(m.width, m.bodyHeight())
		defer g.table.Select(sel)
	}
	now := m.now()
	rows := make([]table.Row, len(msg.grid.Rows))
	for i, r := range msg.grid.Rows {
		cells := []table.Cell{{Text: r.Username}, {Text: r.FullName}}
		failing := false
		for _, t := range g.tests {
			c := table.Cell{Text: "·", Key: "1"}
			switch r.Tests[t] {
			case "passed":
				c = table.Cell{Text: "pass", Key: "2"}
			case "failed":
				c, failing = table.Cell{Text: "FAIL", Key: "0"}, true
			}
			cells = append(cells, c)
		}
		check := table.Cell{Text: "never"}
		switch {
		case r.Check.Running:
			check = table.Cell{Text: "checking…", Key: "z"}
		case r.Check.Err != "":
			check = table.Cell{Text: "error", Key: timeKey(r.Check.At)}
		case r.Checked:
			check = table.Cell{Text: when(r.Check.At, now), Key: timeKey(r.Check.At)}
		}
		sub := table.Cell{Text: "no"}
		late := ""
		if r.Submitted {
			sub = table.Cell{Text: when(r.Submission.SubmittedAt, now), Key: timeKey(r.Submission.SubmittedAt)}
			if r.Submission.Automatic {
				sub.Text += " (auto)"
			}
			if r.Submission.Late {
				late = "late"
			}
		}
		due := when(r.Deadline.Due, now)
		if r.Deadline.Extended {
			due += " (ext)"
		} else if r.Deadline.ExtraDays > 0 {
			due += fmt.Sprintf(" (+%dd)", r.Deadline.ExtraDays)
		}
		score := table.Cell{Text: "", Num: -1}
		if r.Graded && r.Grade.Status == course.StatusGraded {
			score = table.Cell{Text: fmt.Sprintf("%g/%g", r.Grade.Score, r.Grade.MaxScore), Num: r.Grade.Score}
		}
		cells = append(cells, check, sub, table.Cell{Text: late}, table.Cell{Text: due, Key: timeKey(r.Deadline.Due)}, score, table.Cell{Text: r.Status})
		rows[i] = table.Row{ID: r.Username, Alert: failing || r.Check.Err != "", Cells: cells}
	}
	g.table.SetEmpty("No student in the roster.")
	g.table.SetRows(rows)
}

// assignmentsKey handles page 6's own keys.
func (m *Model) assignmentsKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	c := m.keys.Console
	g := m.grid
	if g == nil {
		if key.Matches(k, c.Refresh) {
			return m.load(PageAssignments), true
		}
		return nil, false
	}
	switch {
	case key.Matches(k, c.Back) && g.table.Filter() == "":
		m.closeGrid()
		return m.load(PageAssignments), true
	case key.Matches(k, c.Extend):
		if r, ok := g.table.Selected(); ok {
			m.openDialog(m.extendPrompt(g.name, r.ID))
		}
		return nil, true
	case key.Matches(k, c.Grade):
		m.askGrade(g)
		return nil, true
	case key.Matches(k, c.Feedback):
		m.askFeedback(g.name)
		return nil, true
	}
	return nil, false
}

func (m *Model) extendPrompt(name, student string) *dialog {
	d := &dialog{kind: dlgPrompt, title: "Extend " + name + " for " + student, accept: "extend", student: student,
		text: "A number of days from the class's due time (2), or a time (2026-03-05T23:59:00Z or 2026-03-05 23:59). " + student + " sees the new deadline."}
	c := m.opts.Course
	due := m.grid.grid.Assignment.Due
	d.submit = func(d *dialog) tea.Cmd {
		until, err := parseUntil(strings.TrimSpace(d.input), due, m.now().Location())
		if err != nil {
			d.err = sentence(err)
			return nil
		}
		return m.act(d, actionTimeout, "extend "+name+" for "+student, nil, func(ctx context.Context) (string, *dialog, error) {
			return fmt.Sprintf("%s's deadline for %s is now %s.", student, name, until.In(m.now().Location()).Format("Mon 2 Jan 15:04")), nil,
				c.Extend(ctx, name, student, until)
		})
	}
	return d
}

// parseUntil reads an extension: days after due, or a time.
func parseUntil(s string, due time.Time, loc *time.Location) (time.Time, error) {
	if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil {
		if n < 1 || n > 365 {
			return time.Time{}, fmt.Errorf("give between 1 and 365 days")
		}
		return due.Add(time.Duration(n) * 24 * time.Hour), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a number of days nor a time like 2026-03-05 23:59", termtext.Safe(s))
}

func (m *Model) askGrade(g *gridView) {
	g.mu.Lock()
	busy := g.grading
	g.mu.Unlock()
	if busy {
		m.say("Grading "+g.name+" is under way.", false)
		return
	}
	c, name := m.opts.Course, g.name
	m.openDialog(&dialog{kind: dlgConfirm, title: "Grade " + name + "?", yes: "grade",
		text: "Every student whose own deadline has passed is graded now in fresh sandboxes (those who never submitted are collected first); a grade given before is replaced.",
		onYes: func() tea.Cmd {
			g.mu.Lock()
			g.grading, g.done, g.total, g.gradeErr = true, 0, 0, ""
			g.mu.Unlock()
			return m.act(nil, gradeTimeout, "grade "+name, []Page{PageAssignments}, func(ctx context.Context) (string, *dialog, error) {
				rows, err := c.Grade(ctx, name, func(done, total int) {
					g.mu.Lock()
					g.done, g.total = done, total
					g.mu.Unlock()
				})
				g.mu.Lock()
				g.grading = false
				g.mu.Unlock()
				graded, errs := 0, 0
				for _, r := range rows {
					switch {
					case r.Status == course.StatusGraded:
						graded++
					case strings.HasPrefix(r.Status, "error"):
						errs++
					}
				}
				return fmt.Sprintf("Graded %s: %d graded, %d errors, %d others (not due, extended or not submitted).", name, graded, errs, len(rows)-graded-errs), nil, err
			})
		}})
}

func (m *Model) askFeedback(name string) {
	c := m.opts.Course
	m.openDialog(&dialog{kind: dlgConfirm, title: "Release the feedback of " + name + "?", yes: "release",
		text: "Students then see their score and each test's result, in their workspace (F11) and with ssh HOST grades.",
		onYes: func() tea.Cmd {
			return m.act(nil, actionTimeout, "release the feedback of "+name, []Page{PageAssignments}, func(ctx context.Context) (string, *dialog, error) {
				return "Students now see their results for " + name + ".", nil, c.ReleaseFeedback(ctx, name)
			})
		}})
}

// describeAssignments is page 6's status line.
func (m *Model) describeAssignments() string {
	g := m.grid
	if g == nil {
		if len(m.assignments) == 0 {
			return "No assignment."
		}
		return "enter opens the class grid: each student's latest check of each visible test."
	}
	g.mu.Lock()
	grading, done, total := g.grading, g.done, g.total
	g.mu.Unlock()
	if grading && total == 0 {
		return "Grading " + g.name + ": collecting who never submitted, starting the sandboxes…"
	}
	if grading {
		return fmt.Sprintf("Grading %s: %d of %d students %s", g.name, done, total, bar(done, total, 20))
	}
	if g.err != "" {
		return g.err
	}
	if !g.ready {
		return "Loading…"
	}
	checking, stuck := 0, 0
	for _, r := range g.grid.Rows {
		if r.Check.Running {
			checking++
		}
		for _, st := range r.Tests {
			if st == "failed" {
				stuck++
				break
			}
		}
	}
	return fmt.Sprintf("%s: %d checking now, %d failing a visible test; e extends, g grades, f releases feedback, enter watches.",
		g.name, checking, stuck)
}

func bar(done, total, w int) string {
	if total <= 0 {
		return ""
	}
	n := done * w / total
	return "[" + strings.Repeat("█", n) + strings.Repeat("·", w-n) + "]"
}
