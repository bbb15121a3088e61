package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/tui/termtext"
)

// Classroom is a student's side of the class, bound to them (a
// *classroom.Seat): the professor's announcements, and their own place in
// the help queue. The server checks who asks at each call.
type Classroom interface {
	Current(ctx context.Context) ([]store.Announcement, error)
	Dismiss(ctx context.Context, id int64) error
	RequestHelp(ctx context.Context, question string) (int, error)
	CancelHelp(ctx context.Context) error
	MyRequest(ctx context.Context) (classroom.HelpStatus, error)
	Subscribe() (<-chan classroom.Event, func())
}

// Answers of the classroom's commands.
type (
	// seq orders the answers: an answer to an older question (the first
	// load, racing an event's) must not undo a newer one.
	newsMsg struct {
		seq  uint64
		list []store.Announcement
		err  error
	}
	helpStatusMsg struct {
		seq uint64
		st  classroom.HelpStatus
		err error
	}
	askedMsg struct {
		place int
		err   error
	}
	withdrawnMsg  struct{ err error }
	classEventMsg struct{ ev classroom.Event }
)

// classInit starts following the class: the current announcements, the
// help request, and the hub's events.
func (m *Model) classInit() tea.Cmd {
	if m.opts.Classroom == nil {
		return nil
	}
	m.classCh, m.classStop = m.opts.Classroom.Subscribe()
	return tea.Batch(m.loadNews(), m.loadHelp(), m.waitClass())
}

func (m *Model) waitClass() tea.Cmd {
	ch, ctx := m.classCh, m.ctx
	return func() tea.Msg {
		select {
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			return classEventMsg{ev}
		case <-ctx.Done():
			return nil
		}
	}
}

func (m *Model) loadNews() tea.Cmd {
	c, ctx := m.opts.Classroom, m.ctx
	m.newsAsked++
	seq := m.newsAsked
	return func() tea.Msg {
		list, err := c.Current(ctx)
		return newsMsg{seq, list, err}
	}
}

func (m *Model) loadHelp() tea.Cmd {
	c, ctx := m.opts.Classroom, m.ctx
	m.helpAsked++
	seq := m.helpAsked
	return func() tea.Msg {
		st, err := c.MyRequest(ctx)
		return helpStatusMsg{seq, st, err}
	}
}

// classMsg takes the classroom's messages; ok is false for others.
func (m *Model) classMsg(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case classEventMsg:
		cmds := []tea.Cmd{m.waitClass()}
		ev := msg.ev
		if ev.Announcements || ev.DismissedBy(m.opts.Username) {
			cmds = append(cmds, m.loadNews())
		}
		if ev.Queue {
			cmds = append(cmds, m.loadHelp())
		}
		if r, ok := ev.ResolvedFor(m.opts.Username); ok {
			m.say(termtext.Safe(r.By)+" marked your help request as resolved.", false)
		}
		return tea.Batch(cmds...), true
	case newsMsg:
		if msg.seq < m.newsShown {
			return nil, true
		}
		m.newsShown = msg.seq
		if msg.err == nil {
			if len(msg.list) > len(m.news) {
				m.notice = "" // the banner is what matters now
			}
			m.news = msg.list
			m.layout()
		}
		return nil, true
	case helpStatusMsg:
		if msg.seq < m.helpShown {
			return nil, true
		}
		m.helpShown = msg.seq
		if msg.err == nil {
			m.helpStatus = msg.st
			if m.dlg != nil && m.dlg.kind == dlgHelpQueued {
				m.dlg = nil
				if msg.st.Place > 0 {
					m.askHelp() // the same question, with the news
				}
			}
		}
		return nil, true
	case askedMsg:
		if msg.err != nil {
			if m.dlg != nil && m.dlg.kind == dlgAskHelp {
				m.dlg.err = sentence(msg.err)
				return nil, true
			}
			m.say(sentence(msg.err), true)
			return nil, true
		}
		m.dlg = nil
		m.helpStatus.Place = msg.place
		m.helpShown = m.helpAsked // a load already under way predates the request
		m.say(fmt.Sprintf("You are number %d in the help queue. %s shows your place, or withdraws the request.",
			msg.place, m.keys.Workspace.AskHelp.Help().Key), false)
		return m.loadHelp(), true
	case withdrawnMsg:
		if msg.err != nil {
			m.say(sentence(msg.err), true)
			return nil, true
		}
		m.say("Your help request was withdrawn.", false)
		m.helpShown = m.helpAsked
		return m.loadHelp(), true
	}
	return nil, false
}

// askHelp opens the help question, or, when the student is in the queue
// already, says where and offers to withdraw.
func (m *Model) askHelp() {
	if m.opts.Classroom == nil {
		m.say("The help queue is not available here.", true)
		return
	}
	st := m.helpStatus
	if st.Place == 0 {
		m.dlg = &dialog{kind: dlgAskHelp, title: "Ask for help",
			text: "Your professor sees who asks, in order. Type your question in one line (or nothing), then enter."}
		return
	}
	text := fmt.Sprintf("You are number %d in the help queue, waiting for %s.", st.Place, waited(st.Waiting))
	if st.Request.ClaimedBy != "" {
		text += " " + termtext.Safe(st.Request.ClaimedBy) + " is coming to help you."
	}
	if q := st.Request.Question; q != "" {
		text += " Your question: " + termtext.Safe(q)
	}
	m.dlg = &dialog{kind: dlgHelpQueued, title: "Help queue", text: text + " Withdraw your request?"}
}

func (m *Model) requestHelp(question string) tea.Cmd {
	c, ctx := m.opts.Classroom, m.ctx
	return func() tea.Msg {
		place, err := c.RequestHelp(ctx, question)
		return askedMsg{place, err}
	}
}

func (m *Model) withdrawHelp() tea.Cmd {
	c, ctx := m.opts.Classroom, m.ctx
	return func() tea.Msg { return withdrawnMsg{c.CancelHelp(ctx)} }
}

// dismissNews hides the announcement on top, in every view of the student.
func (m *Model) dismissNews() tea.Cmd {
	if len(m.news) == 0 {
		m.say("There is no announcement to dismiss.", false)
		return nil
	}
	a := m.news[0]
	m.news = m.news[1:]
	m.newsShown = m.newsAsked // a load already under way still lists a
	m.layout()
	c, ctx, seq := m.opts.Classroom, m.ctx, m.newsShown
	return func() tea.Msg {
		if err := c.Dismiss(ctx, a.ID); err != nil {
			return newsMsg{seq: seq, err: err}
		}
		return nil
	}
}

// bannerRows is the rows the announcement banner takes: one while there is
// an announcement to show and room for it.
func (m *Model) bannerRows() int {
	if len(m.news) == 0 || m.ws == nil || m.height < fixedRows+minSplitRows {
		return 0
	}
	return 1
}

// banner draws the oldest announcement not dismissed.
func (m *Model) banner() string {
	a := m.news[0]
	label := " Announcement from " + termtext.Safe(a.Author) + ", " + a.CreatedAt.Local().Format("15:04") + ": "
	hint := " · " + m.keys.Workspace.Dismiss.Help().Key + " dismiss "
	if n := len(m.news) - 1; n > 0 {
		hint = fmt.Sprintf(" · %s dismiss (%d more) ", m.keys.Workspace.Dismiss.Help().Key, n)
	}
	room := m.width - termtext.Width(label) - termtext.Width(hint)
	text := termtext.Pad(termtext.Fit(termtext.Safe(a.Text), max(room, 0)), max(room, 0))
	return m.theme.Brand.Render(termtext.Fit(label, m.width)) + m.theme.Header.Render(text) + m.theme.HeaderMuted.Render(hint)
}

// watchedBy says who watches this workspace, for the header: the student
// always knows.
func (m *Model) watchedBy() string {
	var look, typing []string
	for _, w := range m.watchers {
		if w.Control {
			typing = append(typing, termtext.Safe(w.Name))
		} else {
			look = append(look, termtext.Safe(w.Name))
		}
	}
	switch {
	case len(typing) > 0:
		return strings.Join(typing, ", ") + " is typing in your workspace"
	case len(look) > 0:
		return "watched by " + strings.Join(look, ", ")
	}
	return ""
}

// waited says how long, in words.
func waited(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < 2*time.Minute:
		return "1 minute"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return fmt.Sprintf("%dh%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}
