// Package replpane is the Python pane: one view of the student's REPL, which
// lives in the workspace and may have other views. It draws the REPL's
// screen at the pane's size, redraws when the REPL says something changed,
// and, while it has the keys, sends them to Python.
//
// Starting Python starts a sandbox, so it never happens in Update: Update
// only asks the REPL (Launch returns at once, so that the keys that follow
// in the same read are kept for the new Python), and returns a command that
// waits for the REPL's answer; the REPL tells every view through its
// subscription.
package replpane

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/tui/figure"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// REPL is what the pane needs of the student's REPL; *repl.REPL has it.
type REPL interface {
	Launch(req repl.Request) (wait func(ctx context.Context) error)
	SendKey(k tea.KeyPressMsg) error
	Paste(text string) error
	Render(w, h int) repl.Screen
	RenderBack(w, h, back int, plain bool) repl.Screen
	Subscribe() (<-chan struct{}, func())
	State() repl.State
	Quota() sandbox.HomeUsage
	// Version changes whenever what Render, State or Quota return may have.
	Version() uint64
}

// ChangedMsg tells the pane that the REPL's screen or state changed. The
// pane's Init command produces it; Update answers it with the command that
// waits for the next change.
type ChangedMsg struct{ owner *shared }

// StartedMsg reports the end of a start, restart or run the pane asked for.
type StartedMsg struct {
	File string // the file run, or ""
	Err  error
}

// shared is what copies of a Model share: the subscription, and the last
// view drawn (the pane is on screen while a student types in the editor:
// it is drawn again only when the REPL or the pane changed).
type shared struct {
	ch     <-chan struct{}
	cancel func()
	once   sync.Once

	viewKey viewKey
	view    string

	figures *figure.Drawer  // nil: the REPL has no figure store
	painter *figure.Painter // this view's protocol (nil with figures)
	wake    chan struct{}   // the painter has an image ready
	woken   bool            // changes call the view's wake (NewWoken), not ch
	painted atomic.Uint64   // counts the images made ready
	pacing  bool            // a SettledMsg is on its way (Pace)
}

type viewKey struct {
	version                 uint64
	width, height, back     int
	focused, starting, seen bool
	painted                 uint64
	proto                   figure.Protocol
}

// Model is the pane. Keep only the latest copy returned by Update, and call
// Close when it is discarded.
type Model struct {
	r     REPL
	ctx   context.Context // bounds the starts this pane asks for
	keys  keys.KeyMap
	theme theme.Theme
	s     *shared

	focused       bool
	starting      bool // a start this pane asked for is under way
	back          int  // lines this view is scrolled back into the scrollback
	width, height int
}

// New returns a pane over r. ctx bounds the starts it asks for (the view's
// life). Call Init to follow the REPL and Close when done.
func New(ctx context.Context, r REPL, km keys.KeyMap, th theme.Theme) Model {
	return NewWoken(ctx, r, km, th, nil)
}

// Watcher is a REPL that can call a function on each change instead of
// signalling a channel (repl.REPL.Watch).
type Watcher interface {
	Watch(f func()) (cancel func())
}

// NewWoken is New for a view whose event loop wake calls (Bubble Tea's
// Program.Wake): the REPL's changes and the painter's images call it, and
// the view passes Changed's message to Update on each wake-up, so no
// goroutine waits for the REPL (one hand-off less on every key's echo).
// A nil wake, or a REPL that cannot Watch, is New's channel and command.
func NewWoken(ctx context.Context, r REPL, km keys.KeyMap, th theme.Theme, wake func()) Model {
	s := &shared{wake: make(chan struct{}, 1)}
	if w, ok := r.(Watcher); ok && wake != nil {
		s.woken, s.cancel = true, w.Watch(wake)
	} else {
		s.ch, s.cancel = r.Subscribe()
	}
	// The figures of plt.show(), drawn over the rows the REPL reserved.
	if fr, ok := r.(interface{ FigureStore() repl.Figures }); ok {
		if src, ok := fr.FigureStore().(figure.Source); ok {
			s.figures = figure.NewDrawer(src)
			s.painter = figure.NewPainter(s.figures, func() {
				s.painted.Add(1)
				if s.woken {
					wake()
					return
				}
				select {
				case s.wake <- struct{}{}:
				default:
				}
			}, rand.Uint32())
		}
	}
	return Model{r: r, ctx: ctx, keys: km, theme: th, s: s}
}

// lines are a screen's lines with its figures drawn.
func (m Model) lines(s repl.Screen, w int) []string {
	if m.s.painter != nil {
		m.s.painter.Lines(s.Lines, s.Figures, w)
		return s.Lines
	}
	m.s.figures.Overlay(s.Lines, s.Figures, w)
	return s.Lines
}

// Init returns the command that waits for the REPL to change.
func (m Model) Init() tea.Cmd { return m.wait() }

// Changed is the message a woken view (NewWoken) passes to Update on
// each wake-up; the pane redraws if its REPL changed.
func (m Model) Changed() tea.Msg { return ChangedMsg{owner: m.s} }

func (m Model) wait() tea.Cmd {
	s := m.s
	if s.woken {
		return nil // the view's wake-ups bring ChangedMsg
	}
	return func() tea.Msg {
		select {
		case _, ok := <-s.ch:
			if !ok {
				return nil // closed: by Close, or the REPL ended
			}
		case <-s.wake:
		}
		return ChangedMsg{owner: s}
	}
}

// Close stops following the REPL: the waiting command returns. It is safe
// to call more than once.
func (m Model) Close() {
	m.s.once.Do(func() {
		m.s.cancel()
		m.s.painter.Close()
	})
}

// SetSize sets the cells the pane draws into.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(width, 0), max(height, 0)
}

// SetTheme changes the styles.
func (m *Model) SetTheme(th theme.Theme) {
	m.theme = th
	m.s.viewKey = viewKey{} // drawn in the old styles
}

// Focus gives the pane the keys, and starts Python if it does not run
// (never started, could not start, ended or was stopped). It asks the REPL
// whatever this view believes: another view may have asked already, and
// the REPL joins the requests.
func (m *Model) Focus() tea.Cmd {
	m.focused = true
	switch m.r.State().Status {
	case repl.NotStarted, repl.Failed:
		return m.Start()
	case repl.Exited, repl.Stopped:
		if !m.starting {
			return m.Restart()
		}
	}
	return nil
}

// Blur takes the keys away.
func (m *Model) Blur() { m.focused = false }

// Start asks the REPL to start Python if it does not run yet, and returns
// the command that waits for it.
func (m *Model) Start() tea.Cmd { return m.launch(repl.Request{}) }

// Restart asks for a fresh Python, and returns the command that waits for it.
func (m *Model) Restart() tea.Cmd { return m.launch(repl.Request{Restart: true}) }

// Run asks the REPL to run file (relative to the home) as python3 -i FILE;
// before, if set, runs first in the REPL's own goroutine (a save) and
// stops the run when it fails.
func (m *Model) Run(file string, before func() error) tea.Cmd {
	return m.launch(repl.Request{File: file, Before: before})
}

// launch asks now (never blocking) and waits in a command.
func (m *Model) launch(req repl.Request) tea.Cmd {
	m.starting = true
	wait, ctx, file := m.r.Launch(req), m.ctx, req.File
	return func() tea.Msg { return StartedMsg{File: file, Err: wait(ctx)} }
}

// Running reports whether Python takes input.
func (m Model) Running() bool { return m.r.State().Status == repl.Running }

// Update handles the REPL's changes and, when focused, keys and pastes.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case ChangedMsg:
		if msg.owner != m.s {
			return m, nil
		}
		return m, m.wait()
	case StartedMsg:
		m.starting = false
		return m, nil
	case SentMsg:
		if msg.owner == m.s {
			m.s.painter.Confirm(msg.sent)
			m.s.painted.Add(1) // drawn again, with the images' cells
		}
		return m, nil
	case SettledMsg:
		if msg.owner == m.s {
			m.s.pacing = false // the view's Pace, after this message, looks again
		}
		return m, nil
	case tea.KeyPressMsg:
		if !m.focused {
			return m, nil
		}
		return m.key(msg)
	case tea.PasteMsg:
		if st := m.r.State().Status; m.focused && (st == repl.Running || st == repl.Starting || st == repl.Restarting) {
			m.back = 0
			_ = m.r.Paste(msg.Content)
		}
		return m, nil
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			m.scroll(3)
		case tea.MouseWheelDown:
			m.scroll(-3)
		}
		return m, nil
	}
	return m, nil
}

// scroll moves the view n lines back through the output (forward when n
// is negative), no further than the oldest line kept.
func (m *Model) scroll(n int) {
	h := max(m.height-1, 1) // the first row says it is scrolled back
	m.back = m.r.RenderBack(m.width, h, max(m.back+n, 0), true).Back
}

// Back is how many lines this view is scrolled back (0: at the end).
func (m Model) Back() int { return m.back }

func (m Model) key(k tea.KeyPressMsg) (Model, tea.Cmd) {
	page := max(m.height-2, 1) // a page, keeping a line of context
	switch {
	case key.Matches(k, m.keys.REPL.Earlier):
		m.scroll(page)
		return m, nil
	case key.Matches(k, m.keys.REPL.Later):
		m.scroll(-page)
		return m, nil
	}
	m.back = 0 // typing returns to the end, as in a terminal
	st := m.r.State()
	switch st.Status {
	case repl.Running, repl.Starting, repl.Restarting:
		// ctrl+c too goes as a terminal sends it (\x03): the pty turns it
		// into SIGINT after the keys typed before it, in order. While
		// Python starts, the REPL keeps the keys for it (typeahead).
		_ = m.r.SendKey(k)
	case repl.Exited, repl.Failed, repl.Stopped:
		if key.Matches(k, m.keys.REPL.Restart) && !m.starting {
			return m, m.Restart()
		}
	case repl.NotStarted:
		// The key that starts Python is its first key too (but the
		// restart key, which only says "start").
		cmd := m.Start()
		if !key.Matches(k, m.keys.REPL.Restart) {
			_ = m.r.SendKey(k)
		}
		return m, cmd
	}
	return m, nil
}

// Describe says in words where Python is, for the status bar.
func Describe(st repl.State) string {
	switch st.Status {
	case repl.NotStarted:
		return "Python: not started"
	case repl.Starting, repl.Restarting:
		if st.Ahead > 0 {
			return fmt.Sprintf("Python: starting (%d ahead)…", st.Ahead)
		}
		return "Python: starting…"
	case repl.Running:
		switch st.Activity {
		case repl.Reading:
			return "Python: waiting for input()"
		case repl.Working:
			if st.File != "" {
				return "Python: running " + termtext.Safe(st.File)
			}
			return "Python: running"
		}
		return "Python: ready"
	case repl.Exited:
		if st.OOMKilled {
			return "Python: killed (memory)"
		}
		return fmt.Sprintf("Python: exited (%d)", st.ExitCode)
	case repl.Failed:
		return "Python: could not start"
	case repl.Stopped:
		return "Python: stopped"
	case repl.Closed:
		return "Python: closed"
	}
	return "Python"
}

// Why says why Python does not run, as a sentence with what to do, or ""
// while it runs.
func Why(st repl.State, restartKey string) string {
	again := fmt.Sprintf(" Press %s to start it again.", restartKey)
	switch st.Status {
	case repl.NotStarted:
		return "Python starts when you come to this pane (F4) or run a file (F5)."
	case repl.Starting, repl.Restarting:
		if st.Ahead > 0 {
			return fmt.Sprintf("Starting Python… %d ahead of you.", st.Ahead)
		}
		return "Starting Python…"
	case repl.Exited:
		switch {
		case st.OOMKilled:
			return "Python was killed for using too much memory." + again
		case st.ExitCode == 0:
			return "Python ended." + again
		case st.ExitCode > 128:
			return fmt.Sprintf("Python was killed (signal %d).", st.ExitCode-128) + again
		}
		return fmt.Sprintf("Python exited with code %d.", st.ExitCode) + again
	case repl.Failed:
		why := "unknown error"
		if st.Err != nil {
			why = termtext.Safe(strings.TrimPrefix(st.Err.Error(), "repl: "))
		}
		return "Python could not start: " + why + "." + again
	case repl.Stopped:
		why := "Python was stopped."
		if st.Reason != "" {
			why = termtext.Safe(st.Reason)
			if !strings.HasSuffix(why, ".") {
				why += "."
			}
		}
		return why + again
	case repl.Closed:
		return "Python has ended with your workspace. Connect again to start a new one."
	}
	return ""
}

// ErrText turns a start's error into a sentence for the status bar.
func ErrText(err error) string {
	if errors.Is(err, repl.ErrClosed) {
		return "Python has ended with your workspace. Connect again to start a new one."
	}
	s := termtext.Safe(strings.TrimPrefix(err.Error(), "repl: "))
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return "Could not start Python: " + s
}

// QuotaNotice says, as one sentence, that the student's home is full and
// what to do, or "" while it is not.
func QuotaNotice(u sandbox.HomeUsage) string {
	switch {
	case !u.Over:
		return ""
	case u.Err != nil && u.Bytes <= u.QuotaBytes:
		return "Your home's size could not be checked: files can't be written for now."
	}
	return fmt.Sprintf("Your home is full: %s of %s. Files can't be written until you delete some in the file list.",
		files.FormatSize(u.Bytes), files.FormatSize(u.QuotaBytes))
}

// banner is the line on top of the pane: the quota notice, or nothing.
func (m Model) banner() []string {
	n := QuotaNotice(m.r.Quota())
	if n == "" || m.height < 2 {
		return nil
	}
	return []string{m.theme.Error.Render(termtext.Pad(termtext.Fit(n, m.width), m.width))}
}

// Cursor returns where the terminal's cursor goes within the pane, when it
// shows: only while the pane has the keys and Python runs.
func (m Model) Cursor() (x, y int, ok bool) {
	if !m.focused || m.width <= 0 || m.height <= 0 || !m.Running() || m.back > 0 {
		return 0, 0, false
	}
	top := len(m.banner())
	s := m.r.Render(m.width, m.height-top)
	return s.CursorX, s.CursorY + top, s.CursorVisible
}

// View draws exactly height lines, each exactly width cells wide: Python's
// screen, and when it does not run, why, on the last lines. While the home
// is over its quota, the first line says so.
func (m Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	key := viewKey{version: m.r.Version(), width: w, height: h, back: m.back,
		focused: m.focused, starting: m.starting, seen: true,
		painted: m.s.painted.Load(), proto: m.s.painter.Protocol()}
	if key == m.s.viewKey {
		return m.s.view
	}
	m.s.view, m.s.viewKey = m.view(w, h), key
	return m.s.view
}

func (m Model) view(w, h int) string {
	top := m.banner() // nil, or one line when there is room for more
	if m.back > 0 && h > 1 {
		note := fmt.Sprintf("↑ %d lines back · %s later · any other key returns", m.back, m.keys.REPL.Later.Help().Key)
		top = append(top, m.theme.Muted.Render(termtext.Pad(termtext.Fit(note, w), w)))
		return strings.Join(top, "\n") + "\n" + strings.Join(m.lines(m.r.RenderBack(w, h-len(top), m.back, false), w), "\n")
	}
	if len(top) == 0 {
		return m.body(w, h)
	}
	return strings.Join(top, "\n") + "\n" + m.body(w, h-len(top))
}

// body draws the REPL's screen and why it does not run into w×h cells.
func (m Model) body(w, h int) string {
	if h <= 0 {
		return ""
	}
	st := m.r.State()
	why := Why(st, m.keys.REPL.Restart.Help().Key)
	if st.Status == repl.Running || why == "" {
		return strings.Join(m.lines(m.r.Render(w, h), w), "\n")
	}
	var msg []string
	for l := range strings.SplitSeq(wrap(why, w), "\n") {
		msg = append(msg, m.theme.Muted.Render(termtext.Pad(termtext.Fit(l, w), w)))
	}
	if len(msg) > h {
		msg = msg[:h]
	}
	var lines []string
	if st.Status != repl.NotStarted && h > len(msg) {
		lines = m.lines(m.r.Render(w, h-len(msg)), w) // what it printed last stays
	} else {
		for range h - len(msg) {
			lines = append(lines, strings.Repeat(" ", w))
		}
	}
	return strings.Join(append(lines, msg...), "\n")
}

// wrap breaks text at spaces to lines of at most w cells.
func wrap(text string, w int) string {
	var out []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case termtext.Width(line)+1+termtext.Width(word) <= w:
			line += " " + word
		default:
			out = append(out, line)
			line = word
		}
	}
	if line != "" {
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// SetGraphics sets the protocol this view draws figures with, and the
// terminal's cell size in pixels (0: unknown).
func (m *Model) SetGraphics(p figure.Protocol, cellW, cellH int) {
	m.s.painter.SetProtocol(p, cellW, cellH)
}

// SetTmux says whether the terminal is tmux: kitty's escapes then go
// through its passthrough (figure/tmux.go).
func (m *Model) SetTmux(on bool) { m.s.painter.SetTmux(on) }

// Graphics is the protocol this view draws figures with.
func (m Model) Graphics() figure.Protocol { return m.s.painter.Protocol() }

// shown is the REPL's screen as View draws it, and the pane's row where
// its first line is.
func (m Model) shown() (s repl.Screen, top int, ok bool) {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return repl.Screen{}, 0, false
	}
	top = len(m.banner())
	if m.back > 0 && h > 1 {
		top++
		return m.r.RenderBack(w, h-top, m.back, false), top, h-top > 0
	}
	h -= top
	if h <= 0 {
		return repl.Screen{}, 0, false
	}
	st := m.r.State()
	why := Why(st, m.keys.REPL.Restart.Help().Key)
	if st.Status == repl.Running || why == "" {
		return m.r.Render(w, h), top, true
	}
	msg := len(strings.Split(wrap(why, w), "\n"))
	if st.Status != repl.NotStarted && h > msg {
		return m.r.Render(w, h-msg), top, true
	}
	return repl.Screen{}, 0, false
}

// SentMsg says that a Transmit's bytes were written: its figures show.
type SentMsg struct {
	owner *shared
	sent  []figure.Sent
}

// Transmit returns the command that sends the terminal the kitty images
// the pane is about to show (nil when none): the bytes go out before the
// frame, and the cells show the images once they did (SentMsg).
func (m Model) Transmit() tea.Cmd {
	if m.s.painter.Protocol() != figure.Kitty {
		return nil
	}
	s, _, ok := m.shown()
	if !ok || len(s.Figures) == 0 {
		return nil
	}
	seq, sent := m.s.painter.Transmit(s.Figures, m.width)
	if seq == "" {
		return nil
	}
	owner := m.s
	var cmds []tea.Cmd
	for _, piece := range pieces(seq, transmitPiece) {
		cmds = append(cmds, tea.Raw(piece))
	}
	cmds = append(cmds, func() tea.Msg { return SentMsg{owner: owner, sent: sent} })
	return tea.Sequence(cmds...)
}

// transmitPiece bounds the bytes of one write of a kitty transmission: the
// frames of keys typed meanwhile go out between the pieces, so a figure
// does not hold up this student's echo for a whole image.
const transmitPiece = 16 << 10

// pieces cuts seq, a run of escape sequences each ending in ST, into
// pieces of at most about n bytes, each whole sequences. An ST after an
// ESC is within tmux's passthrough (its ESCs doubled), not an end.
func pieces(seq string, n int) []string {
	var out []string
	for len(seq) > n {
		cut := lastEnd(seq[:n])
		if cut < 0 {
			cut = firstEnd(seq) // one sequence longer than n
			if cut < 0 {
				break
			}
		}
		out = append(out, seq[:cut+2])
		seq = seq[cut+2:]
	}
	if seq != "" {
		out = append(out, seq)
	}
	return out
}

// lastEnd is the index of the last ST of s that ends a sequence, or -1.
func lastEnd(s string) int {
	for i := strings.LastIndex(s, "\x1b\\"); i >= 0; i = strings.LastIndex(s[:i], "\x1b\\") {
		if i == 0 || s[i-1] != '\x1b' {
			return i
		}
	}
	return -1
}

// firstEnd is the index of the first ST of s that ends a sequence, or -1.
func firstEnd(s string) int {
	for from := 0; ; {
		i := strings.Index(s[from:], "\x1b\\")
		if i < 0 {
			return -1
		}
		if i += from; i == 0 || s[i-1] != '\x1b' {
			return i
		}
		from = i + 2
	}
}

// Overlay returns the pixel images (iTerm2, sixel) of the figures the pane
// shows whole, the pane's first row being the terminal's row top and its
// first column left in a terminal height rows high, and the sequence that
// erases them (see figure.Painter.Overlay).
func (m Model) Overlay(left, top, height int) (draw, erase string) {
	if m.s.painter == nil || !m.s.painter.Protocol().Pixels() {
		return "", ""
	}
	s, off, ok := m.shown()
	if !ok {
		return "", ""
	}
	return m.s.painter.Overlay(s.Figures, m.width, left, top+off, height)
}

// SettledMsg wakes the pane when a pixel figure that moved may have stayed
// still long enough to be drawn (Pace).
type SettledMsg struct{ owner *shared }

// Pace tells the painter where the pixel figures (iTerm2, sixel) the pane
// shows are now, with Overlay's arguments, and returns the command that
// wakes the view once one that moved has stayed still for figure.Settle
// (nil when none waits, or a wake-up is on its way already: one timer per
// pane at a time, however fast the output). The view calls it after each
// message, wherever the overlay is drawn; Overlay then draws only figures
// at rest, and the rows of those that move show their half blocks.
func (m Model) Pace(left, top, height int) tea.Cmd {
	if p := m.s.painter.Protocol(); p != figure.ITerm2 && p != figure.Sixel {
		return nil
	}
	s, off, ok := m.shown()
	if !ok {
		return nil
	}
	wait, changed := m.s.painter.Pace(s.Figures, m.width, left, top+off, height)
	if changed {
		m.s.painted.Add(1) // the rows are drawn again: blank under an image, or half blocks
	}
	if wait <= 0 || m.s.pacing {
		return nil
	}
	m.s.pacing = true
	owner := m.s
	return tea.Tick(wait, func(time.Time) tea.Msg { return SettledMsg{owner: owner} })
}
