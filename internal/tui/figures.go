package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/classroomd/classroomd/internal/tui/figure"
	"github.com/classroomd/classroomd/internal/tui/replpane"
)

// Figures (#15): which protocol this view draws plt.show()'s figures with.
// The student's choice (ctrl+F4 cycles auto, blocks, kitty, iterm2, sixel,
// off) wins; else the client's, when it knows (Options.Graphics: the
// browser); else what the terminal claims (figure.Detector: the queries
// go out when Bubble Tea hands us the client's environment, the answers
// upgrade the view as they arrive). The choice lasts for this connection.

// figureState is the root model's part of it.
type figureState struct {
	detect       figure.Detector
	chosen       figure.Protocol // the student's choice (Auto: none)
	used         figure.Protocol // what this view draws with
	cellW, cellH int
	trueColor    bool // the profile was forced to true colour (kitty)
	applied      bool // the option was applied (at the first message)
}

// figureMsg handles the messages figures need; handled reports whether
// msg was only for them.
func (m *Model) figureMsg(msg tea.Msg) (handled bool, cmd tea.Cmd) {
	if m.ws == nil {
		return false, nil
	}
	if !m.figs.applied { // the first message: the option holds from the start
		m.figs.applied = true
		if c := m.applyFigures(); c != nil {
			defer func() { cmd = tea.Batch(c, cmd) }()
		}
	}
	switch msg := msg.(type) {
	case replpane.SentMsg:
		m.repl, cmd = m.repl.Update(msg)
		if m.live != nil {
			cmd = tea.Batch(cmd, m.live.Update(msg))
		}
		return true, cmd
	case tea.EnvMsg:
		// Every view asks, even one the client's choice decides: the
		// answers are read either way, and the choice may change.
		return false, tea.Batch(tea.Raw(m.figs.detect.Env(msg)), m.applyFigures())
	case tea.KeyPressMsg:
		if key.Matches(msg, m.keys.Workspace.Figures) && !m.helpOpen && !m.formOpen && m.dlg == nil && m.mode == modeWorkspace {
			m.figs.chosen = nextProtocol(m.figs.chosen)
			cmd := m.applyFigures()
			m.say(fmt.Sprintf("Figures: %s (%s to change).", describeProtocol(m.figs.chosen, m.repl.Graphics()), m.keys.Workspace.Figures.Help().Key), false)
			return true, cmd
		}
		return false, nil
	}
	answer, next := m.figs.detect.Observe(msg)
	if !answer {
		return false, nil
	}
	cmd = m.applyFigures()
	if next != "" {
		cmd = tea.Batch(tea.Raw(next), cmd)
	}
	return true, cmd
}

// applyFigures sets the pane's protocol from the choice, the option and
// the terminal's claims.
func (m *Model) applyFigures() tea.Cmd {
	p := m.figs.chosen
	if p == "" || p == figure.Auto {
		if opt, ok := figure.ParseProtocol(m.opts.Graphics); ok && opt != figure.Auto {
			p = opt
		} else {
			p = m.figs.detect.Protocol()
		}
	}
	cw, ch := m.figs.detect.CellSize()
	m.figs.used, m.figs.cellW, m.figs.cellH = p, cw, ch
	m.repl.SetGraphics(p, cw, ch)
	if p == figure.Kitty && !m.figs.trueColor {
		// Kitty's placeholders carry the image id in their colour: a
		// 256-colour profile would corrupt it (kitty draws true colour).
		m.figs.trueColor = true
		return func() tea.Msg { return tea.ColorProfileMsg{Profile: colorprofile.TrueColor} }
	}
	return nil
}

// nextProtocol is the choice after p.
func nextProtocol(p figure.Protocol) figure.Protocol {
	if p == "" {
		p = figure.Auto
	}
	for i, q := range figure.Protocols {
		if q == p {
			return figure.Protocols[(i+1)%len(figure.Protocols)]
		}
	}
	return figure.Auto
}

// describeProtocol says the choice in words.
func describeProtocol(chosen, used figure.Protocol) string {
	switch chosen {
	case "", figure.Auto:
		return fmt.Sprintf("auto (this terminal: %s)", used)
	case figure.Off:
		return "off, the rows name the PNG in ~/figures"
	}
	return string(chosen)
}

// figuresAfter runs after each message: the kitty images the Python pane
// (or the live view of a student's) is about to show go out before the
// frame, and a live view draws as this terminal does.
func (m *Model) figuresAfter() tea.Cmd {
	if m.ws == nil {
		return nil
	}
	if m.live != nil {
		m.live.SetGraphics(m.figs.used, m.figs.cellW, m.figs.cellH)
	}
	switch m.mode {
	case modeLive:
		if m.live != nil {
			return m.live.Transmit()
		}
	case modeWorkspace:
		return m.repl.Transmit()
	}
	return nil // the console: no Python pane shows
}

// figureOverlay is the pixel images (iTerm2, sixel) to draw over the
// frame, and how to erase them: only while the Python pane (or a live
// view's) shows and nothing covers it.
func (m *Model) figureOverlay() (draw, erase string) {
	if m.ws != nil && m.mode == modeLive && m.live != nil && !m.formOpen {
		return m.live.Overlay(1, m.height) // under the header
	}
	r := m.lay.repl
	if m.ws == nil || m.helpOpen || m.formOpen || m.dlg != nil || m.mode != modeWorkspace || m.assignmentsOpen() || r.w == 0 {
		return "", ""
	}
	return m.repl.Overlay(r.x, r.y+1, m.height)
}
