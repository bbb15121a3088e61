package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/tui/assignpanel"
)

// The assignment panel (F11): see internal/tui/assignpanel. It covers the
// panes while open; its state (a running check) stays while it is closed.

// Assignments is the student's side of the course (a *course.Seat).
type Assignments = assignpanel.Source

func (m *Model) assignmentsOpen() bool { return m.asg != nil && m.asg.IsOpen() }

// toggleAssignments opens or closes the panel.
func (m *Model) toggleAssignments() tea.Cmd {
	if m.opts.Assignments == nil {
		m.say("Assignments are not set up on this server.", false)
		return nil
	}
	if m.asg == nil {
		m.asg = assignpanel.New(m.ctx, m.opts.Assignments, m.keys, m.theme, nil)
	}
	if m.asg.IsOpen() {
		m.asg.Close()
		return nil
	}
	return m.asg.Open()
}

// assignMsg takes the panel's messages; ok is false for others.
func (m *Model) assignMsg(msg tea.Msg) (tea.Cmd, bool) {
	if n, ok := msg.(assignpanel.NoticeMsg); ok {
		m.say(n.Text, n.Err)
		return nil, true
	}
	if m.asg == nil {
		return nil, false
	}
	return m.asg.Update(msg)
}

// assignmentsView draws the panel in the body's w x h cells.
func (m *Model) assignmentsView(w, h int) string {
	m.asg.SetSize(w, h)
	return m.asg.View()
}
