// Package liveview is a professor's live view of a student's workspace: the
// file the student is editing, with their cursor, and their Python pane,
// updating as they type. It is a view of the workspace like the student's
// own (DESIGN: the same mechanism as a second connection), read-only until
// the professor takes control; then the professor's keys go to the pane
// the student is in, and the student is told.
package liveview

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/tui/editor"
	"github.com/classroomd/classroomd/internal/tui/figure"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/replpane"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace"
)

// Options say whose workspace is watched, by whom.
type Options struct {
	Student   string
	Watcher   string // the professor
	Transport string // how the professor's terminal is connected
	Workspace *workspace.Workspace
	// Control is told when the professor takes control or gives it back
	// (the console audits it); nil: nothing is told.
	Control func(on bool)
}

// CloseMsg asks the console to close the live view (esc).
type CloseMsg struct{}

// tickMsg has the view look at where the student is: the student's cursor
// moves without changing the text, so nothing else would tell it.
type tickMsg struct{ owner *Model }

// Every so often the view looks where the student is.
const follow = 100 * time.Millisecond

// Model is the live view. It is a pointer: Update changes it in place.
// Call Close when done: it detaches from the workspace.
type Model struct {
	o      Options
	keys   keys.KeyMap
	theme  theme.Theme
	ctx    context.Context
	cancel context.CancelFunc
	view   workspace.ViewID

	control bool
	place   workspace.Place
	file    *workspace.OpenFile
	ed      *editor.Model // nil while the student has no file open
	repl    replpane.Model

	width, height int
}

// New attaches a watcher's view to the student's workspace.
func New(o Options, km keys.KeyMap, th theme.Theme) *Model {
	m := &Model{o: o, keys: km, theme: th}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.view = o.Workspace.AttachView(workspace.ViewOptions{Watcher: o.Watcher, Transport: o.Transport}, 80, 24)
	m.repl = replpane.New(m.ctx, o.Workspace.REPL(), km, th)
	m.sync()
	return m
}

// Init follows the student's Python and where they are.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.repl.Init(), m.tick()}
	if m.ed != nil {
		cmds = append(cmds, m.ed.Init())
	}
	return tea.Batch(cmds...)
}

func (m *Model) tick() tea.Cmd {
	return tea.Tick(follow, func(time.Time) tea.Msg { return tickMsg{m} })
}

// Close gives control back, if taken, and detaches the view.
func (m *Model) Close() {
	if m.control {
		m.setControl(false)
	}
	m.cancel()
	if m.ed != nil {
		m.ed.Close()
	}
	m.repl.Close()
	m.o.Workspace.DetachView(m.view)
}

// Controlling reports whether the professor's keys go to the student.
func (m *Model) Controlling() bool { return m.control }

// SetSize sets the cells the view draws into.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = max(w, 0), max(h, 0)
	ew, eh, rw, rh := m.sizes()
	if m.ed != nil {
		m.ed.SetSize(ew, eh)
	}
	m.repl.SetSize(rw, rh)
	if m.control {
		m.o.Workspace.Activate(m.view, rw, rh)
	}
}

// sizes splits the body (below the title row) into the editor, its title
// row, the Python pane's title row and the Python pane.
func (m *Model) sizes() (ew, eh, rw, rh int) {
	body := max(m.height-1, 0)
	rh = max(body*2/5, min(body, 3))
	eh = max(body-rh-2, 0)
	if rh > 0 {
		rh--
	}
	return m.width, eh, m.width, rh
}

// sync follows the student to the file they are in (a new editor when it
// changed) and puts this view's cursor where theirs is.
func (m *Model) sync() tea.Cmd {
	p := m.o.Workspace.LastPlace()
	var cmd tea.Cmd
	if p.File != m.place.File || (m.control && p.Cursor != m.place.Cursor) || m.fileGone() {
		cmd = m.openEditor(p)
	}
	m.place = p
	if m.ed != nil && !m.control {
		m.ed.ShowSelection(m.file.Buf.Cursor(p.Cursor))
	}
	m.focus()
	return cmd
}

func (m *Model) fileGone() bool {
	if m.file == nil {
		return false
	}
	for _, f := range m.o.Workspace.Files() {
		if f == m.file {
			return false
		}
	}
	return true
}

// openEditor shows the student's file: with its own cursor while watching,
// with the student's cursor under control (the professor types where the
// student's cursor is).
func (m *Model) openEditor(p workspace.Place) tea.Cmd {
	if m.ed != nil {
		m.ed.Close()
		m.ed, m.file = nil, nil
	}
	for _, f := range m.o.Workspace.Files() {
		if f.Path() != p.File {
			continue
		}
		opts := editor.Options{ReadOnly: !m.control || f.ReadOnly}
		if m.control {
			opts.Cursor = p.Cursor
		}
		ed := editor.New(f.Buf, opts, m.keys.Editor, m.theme)
		ew, eh, _, _ := m.sizes()
		ed.SetSize(ew, eh)
		m.ed, m.file = &ed, f
		return ed.Init()
	}
	return nil
}

// focus gives the keys, under control, to the pane the student is in.
func (m *Model) focus() {
	if m.ed != nil {
		if m.control && m.place.Pane == "editor" {
			m.ed.Focus()
		} else {
			m.ed.Blur()
		}
	}
	if m.control && m.place.Pane == "python" && m.repl.Running() {
		m.repl.Focus() // running already: this starts nothing
	} else {
		m.repl.Blur()
	}
}

func (m *Model) setControl(on bool) tea.Cmd {
	m.control = on
	m.o.Workspace.SetControl(m.view, on)
	if m.o.Control != nil {
		m.o.Control(on)
	}
	m.place = workspace.Place{} // reopen the editor on the right cursor
	cmd := m.sync()
	if on {
		_, _, rw, rh := m.sizes()
		m.o.Workspace.Activate(m.view, rw, rh)
	}
	return cmd
}

// Update takes the keys, the student's changes and the ticks.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tickMsg:
		if msg.owner != m {
			return nil
		}
		return tea.Batch(m.sync(), m.tick())
	case editor.BufferChangedMsg, editor.CopyMsg, editor.NoticeMsg:
		if m.ed == nil {
			return nil
		}
		var cmd tea.Cmd
		*m.ed, cmd = m.ed.Update(msg)
		return cmd
	case replpane.ChangedMsg, replpane.StartedMsg, replpane.SentMsg, replpane.SettledMsg:
		var cmd tea.Cmd
		m.repl, cmd = m.repl.Update(msg)
		return cmd
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if m.control {
			return m.toStudent(msg)
		}
	}
	return nil
}

func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	lv := m.keys.Console
	if !m.control {
		switch {
		case key.Matches(k, lv.TakeControl):
			return m.setControl(true)
		case key.Matches(k, lv.Back):
			return func() tea.Msg { return CloseMsg{} }
		}
		return nil
	}
	if key.Matches(k, lv.GiveBack) {
		return m.setControl(false)
	}
	_, _, rw, rh := m.sizes()
	m.o.Workspace.Activate(m.view, rw, rh) // like tmux's latest: Python takes this size
	return m.toStudent(k)
}

// toStudent sends a key or a paste to the pane the student is in.
func (m *Model) toStudent(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch {
	case m.place.Pane == "editor" && m.ed != nil:
		*m.ed, cmd = m.ed.Update(msg)
	case m.place.Pane == "python":
		m.repl, cmd = m.repl.Update(msg)
	}
	return cmd
}

// View draws exactly height lines of width cells.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := []string{m.titleRow()}
	ew, eh, rw, rh := m.sizes()
	where := "no file open"
	if m.file != nil {
		where = termtext.Name(m.file.Path())
	}
	lines = append(lines, m.paneTitle(termtext.Safe(m.o.Student)+"'s editor: "+where, m.place.Pane == "editor", ew))
	if m.ed != nil {
		lines = append(lines, strings.Split(m.ed.View(), "\n")...)
	} else {
		for range eh {
			lines = append(lines, strings.Repeat(" ", ew))
		}
	}
	lines = append(lines, m.paneTitle(termtext.Safe(m.o.Student)+"'s "+replpane.Describe(m.o.Workspace.REPL().State()),
		m.place.Pane == "python", rw))
	if rh > 0 {
		lines = append(lines, strings.Split(m.repl.View(), "\n")...)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines[:h], "\n")
}

func (m *Model) titleRow() string {
	lv := m.keys.Console
	text := " Watching " + termtext.Safe(m.o.Student) + " (they see it) "
	hint := " " + lv.TakeControl.Help().Key + " take control · " + lv.Back.Help().Key + " back "
	style := m.theme.Header
	if m.control {
		text = " You are typing in " + termtext.Safe(m.o.Student) + "'s " + paneWords(m.place.Pane) + " "
		hint = " " + lv.GiveBack.Help().Key + " give control back "
		style = m.theme.StatusError
	}
	room := max(m.width-termtext.Width(hint), 0)
	return style.Render(termtext.Pad(termtext.Fit(text, room), room)) + m.theme.HeaderMuted.Render(termtext.Fit(hint, m.width-room))
}

func paneWords(p string) string {
	switch p {
	case "editor":
		return "editor"
	case "python":
		return "Python"
	}
	return "file list (nothing to type into: wait for them to open a file or Python)"
}

func (m *Model) paneTitle(text string, active bool, w int) string {
	s := m.theme.PaneTitle
	if active {
		s = m.theme.Selected
	}
	return s.Render(termtext.Pad(termtext.Fit(" "+text, w), w))
}

// Cursor is where the terminal's cursor goes, under control, in the
// student's Python pane (relative to the view).
func (m *Model) Cursor() *tea.Cursor {
	if !m.control {
		return nil
	}
	_, eh, _, _ := m.sizes()
	if m.place.Pane == "python" {
		if x, y, ok := m.repl.Cursor(); ok {
			return tea.NewCursor(x, 1+1+eh+1+y) // title, editor title, editor, Python title
		}
	}
	return nil // the editor draws its own cursor
}

// SetGraphics sets the protocol the professor's terminal draws the
// student's figures with (the professor's, as for their own workspace).
func (m *Model) SetGraphics(p figure.Protocol, cellW, cellH int) { m.repl.SetGraphics(p, cellW, cellH) }

// SetTmux says whether the professor's terminal is tmux (figure/tmux.go).
func (m *Model) SetTmux(on bool) { m.repl.SetTmux(on) }

// Transmit is the student's Python pane's kitty images this view is about
// to show (see replpane.Model.Transmit).
func (m *Model) Transmit() tea.Cmd { return m.repl.Transmit() }

// Overlay is the pixel images (iTerm2, sixel) of the student's figures
// this view shows whole, the view's first row being the terminal's row
// top in a terminal height rows high, and how to erase them.
func (m *Model) Overlay(top, height int) (draw, erase string) {
	_, eh, _, rh := m.sizes()
	if rh <= 0 {
		return "", ""
	}
	// Below the title row, the editor's title and rows, Python's title.
	return m.repl.Overlay(0, top+1+1+eh+1, height)
}

// Pace is replpane.Model.Pace for the images Overlay(top, height) draws.
func (m *Model) Pace(top, height int) tea.Cmd {
	_, eh, _, rh := m.sizes()
	if rh <= 0 {
		return nil
	}
	return m.repl.Pace(0, top+1+1+eh+1, height)
}
