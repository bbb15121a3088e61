package tui

import (
	"context"
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/console"
	consoletui "github.com/classroomd/classroomd/internal/tui/console"
	"github.com/classroomd/classroomd/internal/tui/console/liveview"
	"github.com/classroomd/classroomd/internal/workspace"
)

// Desk is the console's server side, bound to the user of this terminal (a
// *console.Desk). Every session gets one, students too: the server refuses
// and audits whatever a student asks of it, which is how an attempt to open
// the console is recorded.
type Desk interface {
	consoletui.Desk
	Watch(ctx context.Context, student string) (*workspace.Workspace, error)
	ControlChanged(ctx context.Context, student string, on bool)
}

var _ Desk = (*console.Desk)(nil)

// mode is what the terminal shows: the workspace, the console, or a live
// view of a student's workspace (from the console).
type mode int

const (
	modeWorkspace mode = iota
	modeConsole
	modeLive
)

// Answers of the console's commands at the root.
type (
	consoleAllowedMsg struct{ err error }
	watchingMsg       struct {
		student string
		ws      *workspace.Workspace
		err     error
	}
)

// professor reports whether the login's role is professor (the server
// checks again at every call).
func (m *Model) professor() bool { return m.opts.Role == "professor" }

// toggleConsole is F10: from the workspace to the console, or back. The
// console opens only once the server said this user may use it.
func (m *Model) toggleConsole() tea.Cmd {
	switch {
	case m.mode != modeWorkspace:
		m.closeLive()
		m.mode = modeWorkspace
		m.layout()
		return m.con.SetVisible(false)
	case m.con != nil:
		m.mode = modeConsole
		return m.con.SetVisible(true)
	case m.opts.Desk == nil:
		m.say("The console is for professors.", true)
		return nil
	}
	desk, ctx := m.opts.Desk, m.ctx
	return func() tea.Msg {
		_, err := desk.Roster(ctx) // refused, and audited, for anyone but a professor
		return consoleAllowedMsg{err}
	}
}

// openConsole builds the console and shows it.
func (m *Model) openConsole() tea.Cmd {
	opts := consoletui.Options{Username: m.opts.Username, Course: m.opts.Office}
	if m.ws != nil {
		home := m.ws.Home()
		opts.SaveFile = func(name string, data []byte) error { return home.WriteFile(name, data) }
	}
	m.con = consoletui.New(m.ctx, m.opts.Desk, m.keys, m.theme, opts)
	m.con.SetSize(m.width, m.height)
	m.mode = modeConsole
	return m.con.Init()
}

// consoleMsg takes the messages of the console and the live view; ok is
// false for others.
func (m *Model) consoleMsg(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case consoleAllowedMsg:
		if msg.err != nil {
			if errors.Is(msg.err, console.ErrForbidden) {
				m.say("The console is for professors; this attempt was recorded.", true)
			} else {
				m.say(sentence(msg.err), true)
			}
			return nil, true
		}
		return m.openConsole(), true
	case consoletui.OpenLiveView:
		desk, ctx, student := m.opts.Desk, m.ctx, msg.Username
		return func() tea.Msg {
			ws, err := desk.Watch(ctx, student)
			return watchingMsg{student, ws, err}
		}, true
	case watchingMsg:
		if msg.err != nil {
			m.con.Say(sentence(msg.err), true)
			return nil, true
		}
		m.closeLive()
		desk, ctx, student := m.opts.Desk, m.ctx, msg.student
		m.live = liveview.New(liveview.Options{Student: student, Watcher: m.opts.Username, Transport: m.opts.Transport,
			Workspace: msg.ws, Control: func(on bool) { desk.ControlChanged(ctx, student, on) }}, m.keys, m.theme)
		m.live.SetSize(m.width, max(m.height-1, 0))
		m.mode = modeLive
		return tea.Batch(m.live.Init(), m.con.SetVisible(false)), true // Live stops reading meanwhile
	case liveview.CloseMsg:
		m.closeLive()
		m.mode = modeConsole
		return m.con.SetVisible(true), true
	}
	return nil, false
}

func (m *Model) closeLive() {
	if m.live != nil {
		m.live.Close()
		m.live = nil
	}
}

// otherModeKey takes the keys while the console or a live view is shown.
func (m *Model) otherModeKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.keys.SwitchConsole) && !(m.mode == modeLive && m.live.Controlling()) {
		return m.toggleConsole()
	}
	if m.mode == modeLive {
		return m.live.Update(msg)
	}
	_, cmd := m.con.Update(msg)
	return cmd
}

// otherModeView draws the console, or the live view under the header.
func (m *Model) otherModeView() string {
	if m.mode == modeConsole {
		return m.con.Render()
	}
	lines := []string{m.header()}
	if m.height > 1 {
		lines = append(lines, m.live.View())
	}
	return strings.Join(lines, "\n")
}

// liveCursor is the terminal's cursor in a live view under control.
func (m *Model) liveCursor() *tea.Cursor {
	if c := m.live.Cursor(); c != nil {
		c.Y++ // under the header
		return c
	}
	return nil
}

// closeConsole ends the console and the live view with the terminal.
func (m *Model) closeConsole() {
	m.closeLive()
	if m.con != nil {
		m.con.Close()
	}
}

// forward gives a message to the console and the live view, which share
// some message types with the workspace's panes (a buffer or Python that
// changed) and have their own answers to commands.
func (m *Model) forward(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	if m.live != nil {
		cmds = append(cmds, m.live.Update(msg))
	}
	if m.con != nil {
		_, cmd := m.con.Update(msg)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}
