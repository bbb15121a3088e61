package tui

import (
	"context"
	"fmt"
	"slices"
	"time"

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
// upgrade the view as they arrive).
//
// The choice is remembered per student and per transport (Options.Settings,
// "figures.ssh" or "figures.web"): kitty chosen in a kitty terminal must not
// break the browser tab, whose page draws figures itself. It is read once,
// in a command from Init, and applied when it arrives unless the student
// already chose in this connection; each ctrl+F4 stores the new choice in a
// command, one at a time (a second press while the first is stored is
// stored after it, so the last choice is the one kept). A value read back is
// only ever one of figure.Protocols, else auto: the store holds what an
// older or newer classroomd wrote, never something to pass on unchecked. A
// store that fails leaves the choice for this connection, and says so.

// figureState is the root model's part of it.
type figureState struct {
	detect       figure.Detector
	chosen       figure.Protocol // the student's choice (Auto: none)
	used         figure.Protocol // what this view draws with
	cellW, cellH int
	trueColor    bool // the profile was forced to true colour (kitty)
	applied      bool // the option was applied (at the first message)

	loaded bool   // the remembered choice arrived, or the student chose first
	saving bool   // a choice is being stored
	resave bool   // the choice changed meanwhile: store it after that
	said   string // the notice of the last ctrl+F4, completed once stored
}

// settingsTimeout bounds one read or write of a setting: a store that hangs
// must not keep a command (and its goroutine) forever.
const settingsTimeout = 5 * time.Second

// The answers of the settings' commands.
type (
	figureLoadedMsg struct {
		value string
		err   error
	}
	figureSavedMsg struct{ err error }
)

// figureSetting names the setting for this view's transport.
func (m *Model) figureSetting() string { return "figures." + m.transport() }

// transport is "web" for a browser's view, else "ssh".
func (m *Model) transport() string {
	if m.opts.Transport == "web" {
		return "web"
	}
	return "ssh"
}

// loginsWord says whose logins a remembered choice applies to.
func (m *Model) loginsWord() string {
	if m.transport() == "web" {
		return "your browser logins"
	}
	return "your ssh logins"
}

// rememberedProtocol reads a stored choice: one a student can choose, else
// Auto (an unknown value, or one only a client may claim, such as Page).
func rememberedProtocol(v string) figure.Protocol {
	if p, ok := figure.ParseProtocol(v); ok && slices.Contains(figure.Protocols, p) {
		return p
	}
	return figure.Auto
}

// loadFigures reads the remembered choice (Init).
func (m *Model) loadFigures() tea.Cmd {
	st := m.opts.Settings
	if st == nil {
		m.figs.loaded = true
		return nil
	}
	ctx, name := m.ctx, m.figureSetting()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, settingsTimeout)
		defer cancel()
		v, err := st.Setting(ctx, name)
		return figureLoadedMsg{value: v, err: err}
	}
}

// saveFigures stores the choice, after the one being stored if any.
func (m *Model) saveFigures() tea.Cmd {
	st := m.opts.Settings
	if st == nil {
		return nil
	}
	if m.figs.saving {
		m.figs.resave = true
		return nil
	}
	m.figs.saving = true
	// Not ended by Close: a student who quits right after ctrl+F4 still
	// has the choice at the next login (the timeout bounds it).
	ctx, name, value := context.WithoutCancel(m.ctx), m.figureSetting(), string(m.figs.chosen)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, settingsTimeout)
		defer cancel()
		return figureSavedMsg{err: st.SetSetting(ctx, name, value)}
	}
}

// figureNotice is the status after a choice: what it is, then how to change it.
func (m *Model) figureNotice(how string) string {
	return fmt.Sprintf("Figures: %s%s (%s to change).", describeProtocol(m.figs.chosen, m.repl.Graphics()), how, m.keys.Workspace.Figures.Help().Key)
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
	case replpane.SentMsg, replpane.SettledMsg:
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
			m.figs.loaded = true // a remembered choice arriving now is older
			cmd := m.applyFigures()
			m.figs.said = m.figureNotice("")
			m.say(m.figs.said, false)
			return true, tea.Batch(cmd, m.saveFigures())
		}
		return false, nil
	case figureLoadedMsg:
		if m.figs.loaded {
			return true, nil // the student chose first
		}
		m.figs.loaded = true
		p := rememberedProtocol(msg.value)
		if msg.err != nil || p == figure.Auto {
			return true, nil // auto, as without a choice (Settings logs the error)
		}
		m.figs.chosen = p
		cmd := m.applyFigures()
		if m.notice == "" && !m.formOpen && m.mode == modeWorkspace {
			m.say(m.figureNotice(", remembered for "+m.loginsWord()), false)
		}
		return true, cmd
	case figureSavedMsg:
		m.figs.saving = false
		if m.figs.resave { // the choice changed meanwhile: that one is what counts
			m.figs.resave = false
			return true, m.saveFigures()
		}
		if msg.err != nil {
			m.say(fmt.Sprintf("Figures: %s, for this connection only: the server could not remember the choice for your next logins.",
				describeProtocol(m.figs.chosen, m.repl.Graphics())), true)
			return true, nil
		}
		if m.notice == m.figs.said { // still on screen: complete it
			m.figs.said = m.figureNotice(", remembered for " + m.loginsWord())
			m.say(m.figs.said, false)
		}
		return true, nil
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
	m.repl.SetTmux(m.figs.detect.Tmux())
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
		if used == figure.Page {
			return "auto (this page shows the PNG itself)"
		}
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
		m.live.SetTmux(m.figs.detect.Tmux())
	}
	switch m.mode {
	case modeLive:
		if m.live != nil {
			return tea.Batch(m.live.Transmit(), m.paceFigures())
		}
	case modeWorkspace:
		return tea.Batch(m.repl.Transmit(), m.paceFigures())
	}
	return nil // the console: no Python pane shows
}

// figureOverlay is the pixel images (iTerm2, sixel) to draw over the
// frame, and how to erase them: only while the Python pane (or a live
// view's) shows and nothing covers it.
func (m *Model) figureOverlay() (draw, erase string) {
	live, left, top, ok := m.overlayPlace()
	switch {
	case !ok:
		return "", ""
	case live:
		return m.live.Overlay(top, m.height)
	}
	return m.repl.Overlay(left, top, m.height)
}

// paceFigures tells the pane whose pixel images the overlay draws where
// its figures are now, and returns its wake-up for when one that moved has
// come to rest (replpane.Model.Pace): after each message, so that View
// only reads what Update decided.
func (m *Model) paceFigures() tea.Cmd {
	live, left, top, ok := m.overlayPlace()
	switch {
	case !ok:
		return nil
	case live:
		return m.live.Pace(top, m.height)
	}
	return m.repl.Pace(left, top, m.height)
}

// overlayPlace is where the overlay's pane is: the live view's (live)
// under the header, or the Python pane's at column left and row top; ok is
// false while no such pane shows or something covers it.
func (m *Model) overlayPlace() (live bool, left, top int, ok bool) {
	if m.ws != nil && m.mode == modeLive && m.live != nil && !m.formOpen {
		return true, 0, 1, true // under the header
	}
	r := m.lay.repl
	if m.ws == nil || m.helpOpen || m.formOpen || m.dlg != nil || m.mode != modeWorkspace || m.assignmentsOpen() || r.w == 0 {
		return false, 0, 0, false
	}
	return false, r.x, r.y + 1, true
}
