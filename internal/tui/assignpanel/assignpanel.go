// Package assignpanel is the student's assignment panel in the workspace:
// the assignments released to them, each with their own due time
// (extensions and standing extra days included, and said so), a countdown
// in the last hour, the README, the visible tests' results of their latest
// check, their submissions' receipts and, once the professor releases
// feedback, each test's result.
//
// Everything comes from a Source (a *course.Seat bound to the student on
// the server). Every call runs in a command, off the event loop: a check
// takes seconds (fresh sandboxes). The panel keeps its state while closed,
// so a check started here finishes and is shown when it is opened again.
package assignpanel

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

// Source is the student's side of the course: *course.Seat.
type Source interface {
	Assignments(ctx context.Context) ([]course.StudentAssignment, error)
	Check(ctx context.Context, name string) (course.Results, error)
	Submit(ctx context.Context, name string) (store.Submission, error)
}

var _ Source = (*course.Seat)(nil)

// How long the panel waits for the server.
const (
	loadTimeout   = 15 * time.Second
	checkTimeout  = 15 * time.Minute // the grader's own bound is shorter
	submitTimeout = time.Minute
)

type (
	loadedMsg struct {
		list []course.StudentAssignment
		err  error
	}
	checkedMsg struct {
		name string
		res  course.Results
		err  error
	}
	submittedMsg struct {
		name string
		sub  store.Submission
		err  error
	}
	tickMsg struct{ gen int }
)

// NoticeMsg is a sentence for the workspace's status line (a check or
// submission that ended while the panel was closed).
type NoticeMsg struct {
	Text string
	Err  bool
}

type checkRun struct {
	started time.Time
	done    bool
	res     course.Results
	err     error
}

// Model is the panel. Update changes it in place.
type Model struct {
	src   Source
	keys  keys.KeyMap
	theme theme.Theme
	ctx   context.Context
	now   func() time.Time

	open    bool
	tickGen int
	loaded  bool
	loadErr string
	list    []course.StudentAssignment
	cur     int
	scroll  int
	confirm bool // asking whether to submit

	checks   map[string]*checkRun
	submits  map[string]store.Submission // this session's receipts
	submitOn map[string]bool
	notice   string
	noticeEr bool
	width    int
	height   int
}

// New returns a closed panel over src; ctx bounds its commands.
func New(ctx context.Context, src Source, km keys.KeyMap, th theme.Theme, now func() time.Time) *Model {
	if now == nil {
		now = time.Now
	}
	return &Model{src: src, keys: km, theme: th, ctx: ctx, now: now,
		checks: map[string]*checkRun{}, submits: map[string]store.Submission{}, submitOn: map[string]bool{}}
}

// Open shows the panel and reads the assignments again.
func (m *Model) Open() tea.Cmd {
	m.open = true
	m.tickGen++
	return tea.Batch(m.load(), m.tick())
}

// Close hides the panel; a check goes on.
func (m *Model) Close() { m.open = false; m.confirm = false; m.tickGen++ }

// IsOpen reports whether the panel is shown.
func (m *Model) IsOpen() bool { return m.open }

// SetTheme changes the styles.
func (m *Model) SetTheme(th theme.Theme) { m.theme = th }

// SetSize sets the cells the panel draws into.
func (m *Model) SetSize(w, h int) { m.width, m.height = max(w, 0), max(h, 0) }

func (m *Model) call(timeout time.Duration, fn func(ctx context.Context) tea.Msg) tea.Cmd {
	parent := m.ctx
	return func() tea.Msg {
		if parent.Err() != nil {
			return nil
		}
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		msg := fn(ctx)
		if parent.Err() != nil {
			return nil
		}
		return msg
	}
}

func (m *Model) load() tea.Cmd {
	src := m.src
	return m.call(loadTimeout, func(ctx context.Context) tea.Msg {
		list, err := src.Assignments(ctx)
		return loadedMsg{list, err}
	})
}

// tick redraws each second while the panel is open (the countdown, a
// check's elapsed time).
func (m *Model) tick() tea.Cmd {
	gen, done := m.tickGen, m.ctx.Done()
	return func() tea.Msg {
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-t.C:
			return tickMsg{gen}
		case <-done:
			return nil
		}
	}
}

func (m *Model) current() (course.StudentAssignment, bool) {
	if m.cur < 0 || m.cur >= len(m.list) {
		return course.StudentAssignment{}, false
	}
	return m.list[m.cur], true
}

// Update takes the panel's messages; ok is false for messages not its own.
func (m *Model) Update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case loadedMsg:
		m.loaded = true
		if msg.err != nil {
			m.loadErr = "Could not read your assignments: " + termtext.Safe(msg.err.Error()) + "."
			return nil, true
		}
		name := ""
		if a, ok := m.current(); ok {
			name = a.Assignment.Name
		}
		m.loadErr, m.list = "", msg.list
		m.cur = 0
		for i, a := range m.list {
			if a.Assignment.Name == name {
				m.cur = i
			}
		}
		return nil, true
	case tickMsg:
		if msg.gen != m.tickGen || !m.open {
			return nil, true
		}
		return m.tick(), true
	case checkedMsg:
		run := m.checks[msg.name]
		if run == nil {
			return nil, true
		}
		run.done, run.res, run.err = true, msg.res, msg.err
		text, isErr := checkSummary(msg.name, msg.res, msg.err)
		if m.open {
			m.notice, m.noticeEr = text, isErr
			return nil, true
		}
		return func() tea.Msg { return NoticeMsg{text, isErr} }, true
	case submittedMsg:
		delete(m.submitOn, msg.name)
		var text string
		isErr := msg.err != nil
		if msg.err != nil {
			text = "Not submitted: " + termtext.Safe(msg.err.Error()) + "."
		} else {
			m.submits[msg.name] = msg.sub
			text = fmt.Sprintf("Submitted %s at %s; receipt sha256 %s.", msg.name, msg.sub.SubmittedAt.Local().Format("15:04:05"), msg.sub.SHA256[:16]+"…")
		}
		var cmds []tea.Cmd
		if msg.err == nil {
			cmds = append(cmds, m.load())
		}
		if m.open {
			m.notice, m.noticeEr = text, isErr
		} else {
			cmds = append(cmds, func() tea.Msg { return NoticeMsg{text, isErr} })
		}
		return tea.Batch(cmds...), true
	}
	return nil, false
}

func checkSummary(name string, res course.Results, err error) (string, bool) {
	switch {
	case err != nil:
		return "The check of " + name + " could not run: " + termtext.Safe(strings.TrimSuffix(err.Error(), ".")) + ".", true
	case res.Error != "":
		return "The tests of " + name + " could not run: " + termtext.Safe(strings.TrimSuffix(res.Error, ".")) + ".", true
	}
	passed := 0
	for _, t := range res.Tests {
		if t.Status == "passed" {
			passed++
		}
	}
	return fmt.Sprintf("Checked %s: %d of %d visible tests pass (%g/%g).", name, passed, len(res.Tests), res.Score, res.MaxScore), passed < len(res.Tests)
}

// Key handles a key while the panel is open.
func (m *Model) Key(k tea.KeyPressMsg) tea.Cmd {
	a := m.keys.Assignment
	d := m.keys.Dialog
	if m.confirm {
		switch {
		case key.Matches(k, d.Yes):
			m.confirm = false
			return m.submit()
		case key.Matches(k, d.No, d.Cancel):
			m.confirm = false
		}
		return nil
	}
	m.notice = ""
	switch {
	case key.Matches(k, a.Close, m.keys.Workspace.Assignments):
		m.Close()
	case key.Matches(k, a.Check):
		return m.check()
	case key.Matches(k, a.Submit):
		if cur, ok := m.current(); ok && !m.submitOn[cur.Assignment.Name] {
			m.confirm = true
		}
	case key.Matches(k, a.Prev):
		if m.cur > 0 {
			m.cur, m.scroll = m.cur-1, 0
		}
	case key.Matches(k, a.Next):
		if m.cur < len(m.list)-1 {
			m.cur, m.scroll = m.cur+1, 0
		}
	case key.Matches(k, a.Up):
		m.scroll = max(m.scroll-1, 0)
	case key.Matches(k, a.Down):
		m.scroll++
	case key.Matches(k, a.PageUp):
		m.scroll = max(m.scroll-max(m.height-2, 1), 0)
	case key.Matches(k, a.PageDn):
		m.scroll += max(m.height-2, 1)
	}
	return nil
}

func (m *Model) check() tea.Cmd {
	cur, ok := m.current()
	if !ok {
		return nil
	}
	name := cur.Assignment.Name
	if r := m.checks[name]; r != nil && !r.done {
		m.notice = "A check of " + name + " is running already."
		return nil
	}
	m.checks[name] = &checkRun{started: m.now()}
	src := m.src
	return m.call(checkTimeout, func(ctx context.Context) tea.Msg {
		res, err := src.Check(ctx, name)
		return checkedMsg{name, res, err}
	})
}

func (m *Model) submit() tea.Cmd {
	cur, ok := m.current()
	if !ok {
		return nil
	}
	name := cur.Assignment.Name
	m.submitOn[name] = true
	m.notice = "Submitting " + name + "…"
	src := m.src
	return m.call(submitTimeout, func(ctx context.Context) tea.Msg {
		sub, err := src.Submit(ctx, name)
		return submittedMsg{name, sub, err}
	})
}

// Checking reports whether a check of any assignment is running.
func (m *Model) Checking() bool {
	for _, r := range m.checks {
		if !r.done {
			return true
		}
	}
	return false
}

// HelpBar is the panel's help bar.
func (m *Model) HelpBar() []key.Binding {
	if m.confirm {
		return []key.Binding{m.keys.Dialog.Yes, m.keys.Dialog.No, m.keys.Dialog.Cancel}
	}
	return m.keys.AssignmentHelp()
}

// Status is the panel's status line.
func (m *Model) Status() (string, bool) {
	if m.confirm {
		cur, _ := m.current()
		return "Submit your files in ~/" + cur.Assignment.Name + " now? y submits, n does not.", false
	}
	if m.notice != "" {
		return m.notice, m.noticeEr
	}
	if m.loadErr != "" {
		return m.loadErr, true
	}
	if len(m.list) > 1 {
		return fmt.Sprintf("Assignment %d of %d: ← → for the others; c checks, s submits.", m.cur+1, len(m.list)), false
	}
	return "c runs the visible tests on your files; s submits them.", false
}

// Due describes a deadline relative to now: the countdown in the last hour.
func Due(d course.Deadline, now time.Time) string {
	left := d.Due.Sub(now)
	when := d.Due.Local().Format("Mon 2 Jan 15:04 MST")
	switch {
	case left <= 0:
		if !d.LateUntil.IsZero() && now.Before(d.LateUntil) {
			return fmt.Sprintf("was due %s; late submissions until %s", when, d.LateUntil.Local().Format("Mon 2 Jan 15:04"))
		}
		return "closed " + when
	case left < time.Hour:
		s := int(left.Seconds())
		return fmt.Sprintf("due %s: %d:%02d left", when, s/60, s%60)
	case left < 48*time.Hour:
		return fmt.Sprintf("due %s (in %dh%02dm)", when, int(left.Hours()), int(left.Minutes())%60)
	}
	return fmt.Sprintf("due %s (in %d days)", when, int(left.Hours()/24))
}

// View draws the panel in its size.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := m.lines(w)
	if m.scroll > max(len(lines)-h, 0) {
		m.scroll = max(len(lines)-h, 0)
	}
	lines = lines[m.scroll:]
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = termtext.Pad(l, w)
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines, "\n")
}

func (m *Model) lines(w int) []string {
	th := m.theme
	fit := func(s string) string { return termtext.Fit(s, w) }
	if !m.loaded {
		return []string{fit(" Reading your assignments…")}
	}
	cur, ok := m.current()
	if !ok {
		if m.loadErr != "" {
			return []string{th.Error.Render(fit(" " + m.loadErr))}
		}
		return []string{fit(" No assignment has been released to you yet.")}
	}
	a, d, now := cur.Assignment, cur.Deadline, m.now()
	name := termtext.Safe(a.Name)
	var out []string
	title := " " + name
	if a.Title != "" {
		title += " · " + termtext.Safe(a.Title)
	}
	out = append(out, th.Heading.Render(fit(title)))
	due := " " + Due(d, now)
	dueStyle := th.Label
	if left := d.Due.Sub(now); left > 0 && left < time.Hour {
		dueStyle = th.Error
	}
	out = append(out, dueStyle.Render(fit(strings.ToUpper(due[:2])+due[2:])))
	switch {
	case d.Extended:
		out = append(out, fit(" Your own deadline: extended for you (the class's was "+a.Due.Local().Format("Mon 2 Jan 15:04")+")."))
	case d.ExtraDays > 0:
		out = append(out, fit(fmt.Sprintf(" Your own deadline: %d extra days on every assignment (the class's was %s).", d.ExtraDays, a.Due.Local().Format("Mon 2 Jan 15:04"))))
	}

	// Submissions.
	if n := len(cur.Submissions); n > 0 {
		s := cur.Submissions[n-1]
		how := "submitted"
		if s.Automatic {
			how = "collected at your deadline"
		} else if s.Late {
			how = "submitted late"
		}
		files := "1 file"
		if s.Files != 1 {
			files = fmt.Sprintf("%d files", s.Files)
		}
		out = append(out, fit(fmt.Sprintf(" Last %s %s (%s); receipt:", how, s.SubmittedAt.Local().Format("Mon 2 Jan 15:04:05"), files)))
		out = append(out, fit("   sha256 "+s.SHA256))
		if n > 1 {
			out = append(out, th.Muted.Render(fit(fmt.Sprintf(" %d submissions; the last one before your deadline counts.", n))))
		}
	} else if m.submitOn[a.Name] {
		out = append(out, fit(" Submitting…"))
	} else {
		out = append(out, th.Muted.Render(fit(" Not submitted yet. s submits; at your deadline your files are collected anyway.")))
	}

	// The latest check.
	out = append(out, "")
	if run := m.checks[a.Name]; run != nil {
		if !run.done {
			out = append(out, th.Label.Render(fit(fmt.Sprintf(" Checking: running the visible tests in a fresh sandbox… %ds", int(now.Sub(run.started).Seconds())))))
		} else {
			text, isErr := checkSummary(a.Name, run.res, run.err)
			st := th.Label
			if isErr {
				st = th.Error
			}
			out = append(out, st.Render(fit(" "+text)))
			out = append(out, m.testLines(w, run.res.Tests, true)...)
			if run.err == nil && run.res.Error == "" {
				out = append(out, th.Muted.Render(fit(" Hidden tests run when it is graded.")))
			}
		}
	} else {
		out = append(out, th.Muted.Render(fit(" c runs the visible tests on your current files (the same tests and sandbox as the grader).")))
	}

	// Feedback.
	if fb := cur.Feedback; fb != nil {
		out = append(out, "", th.Heading.Render(fit(fmt.Sprintf(" Results: %g/%g (%s)", fb.Grade.Score, fb.Grade.MaxScore, termtext.Safe(fb.Grade.Status)))))
		out = append(out, m.testLines(w, fb.Results.Tests, false)...)
	}

	// The README.
	if cur.README != "" {
		out = append(out, "", th.PaneTitle.Render(fit(" README.md")))
		for _, l := range strings.Split(strings.TrimRight(strings.ReplaceAll(cur.README, "\t", "    "), "\n"), "\n") {
			out = append(out, wrap(" "+termtext.Safe(l), w)...)
		}
	}
	return out
}

// testLines is a line per test, with the message of a failing one.
func (m *Model) testLines(w int, ts []course.TestResult, messages bool) []string {
	var out []string
	for _, t := range ts {
		mark, st := "✓ pass", m.theme.File
		if t.Status != "passed" {
			mark, st = "✗ FAIL", m.theme.Error
		}
		out = append(out, st.Render(termtext.Fit(fmt.Sprintf("   %s  %s (%g/%g)", mark, termtext.Safe(shortName(t.Name)), t.Score, t.MaxScore), w)))
		if messages && t.Status != "passed" && strings.TrimSpace(t.Output) != "" {
			msgs := strings.Split(strings.TrimSpace(t.Output), "\n")
			if len(msgs) > 6 {
				msgs = append(msgs[:6], "…")
			}
			for _, l := range msgs {
				out = append(out, m.theme.Muted.Render(termtext.Fit("          "+termtext.Safe(l), w)))
			}
		}
	}
	return out
}

func shortName(n string) string {
	if i := strings.LastIndex(n, "::"); i >= 0 {
		return n[i+2:]
	}
	return n
}

// wrap breaks a line at spaces to width w (a long word is cut).
func wrap(s string, w int) []string {
	if w < 8 || termtext.Width(s) <= w {
		return []string{termtext.Fit(s, w)}
	}
	var out []string
	for termtext.Width(s) > w {
		cut := -1
		n := 0
		for i, r := range s {
			n += termtext.Width(string(r))
			if n > w {
				break
			}
			if r == ' ' && i > 1 {
				cut = i
			}
		}
		if cut <= 0 {
			out = append(out, termtext.Fit(s, w))
			r := []rune(s)
			s = "  " + string(r[min(len(r), w-1):])
			continue
		}
		out = append(out, s[:cut])
		s = "  " + strings.TrimLeft(s[cut:], " ")
	}
	return append(out, s)
}
