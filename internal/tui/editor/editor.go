// Package editor is the editor pane: one view of a *buffer.Buffer, which
// lives in the workspace and may have other views (another terminal of the
// same student, a professor watching). The view owns a cursor in the buffer;
// what it draws is read from the buffer at each View, so it shows the other
// views' edits as soon as it is told of them (BufferChangedMsg).
//
// Keys that are not the editor's (function keys, ctrl+s, ctrl+q...) are
// ignored, so the parent can give the editor every key it does not handle
// itself. Handles tells which keys the editor uses: in particular ctrl+c
// copies only while something is selected, and otherwise is the parent's
// (it quits). Mouse messages must carry coordinates relative to the
// editor's top-left cell.
//
// The clipboard is the parent's (Options.Clipboard: one per student, shared
// by their terminals). ctrl+c and ctrl+x write to it within Update, so that
// a ctrl+v typed right after pastes the new text, and then send a CopyMsg
// (for the parent to copy to the student's own clipboard with OSC 52, and
// say so). A bracketed paste (tea.PasteMsg) is inserted as one undo step.
package editor

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace/buffer"
)

// ReadOnlyNotice is what typing into a read-only file says.
const ReadOnlyNotice = "This file is read-only."

// Options configure an editor.
type Options struct {
	// ReadOnly refuses every change (with a NoticeMsg); moving, selecting,
	// finding and copying still work.
	ReadOnly bool
	// Cursor is the buffer cursor this view uses, for a view that takes over
	// where an earlier one was (a reconnection); Close leaves it in the
	// buffer. Zero: the editor adds its own, and Close removes it.
	Cursor buffer.CursorID
	// Clipboard keeps what ctrl+c and ctrl+x copy and gives what ctrl+v
	// pastes. Nil: copying only sends CopyMsg, and ctrl+v does nothing.
	Clipboard Clipboard
}

// Clipboard is the parent's clipboard. Its methods are called within
// Update, so they must be quick; they may be called from several programs
// (terminals) at once.
type Clipboard interface {
	Get() string
	Set(text string)
}

// MemoryClipboard is a Clipboard in memory, safe for concurrent use. The
// zero value is empty and ready.
type MemoryClipboard struct {
	mu   sync.Mutex
	text string
}

// Get returns the text last set.
func (c *MemoryClipboard) Get() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text
}

// Set replaces the text.
func (c *MemoryClipboard) Set(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.text = text
}

// BufferChangedMsg tells an editor that its buffer changed, perhaps by
// another view. The editor's Init command produces it; Update answers it
// with the command that waits for the next change.
type BufferChangedMsg struct{ owner *shared }

// CopyMsg carries text copied or cut, after it was written to
// Options.Clipboard: for OSC 52 (tea.SetClipboard) and a notice.
type CopyMsg struct{ Text string }

// NoticeMsg is a sentence for the status bar, such as ReadOnlyNotice.
type NoticeMsg struct{ Text string }

type promptKind int

const (
	promptNone promptKind = iota
	promptFind
	promptGoTo
)

type prompt struct {
	kind   promptKind
	text   string
	status string           // "No match", said after the text
	origin buffer.Selection // the selection when the find prompt opened
}

// shared is the state that copies of a Model share: the subscription, the
// highlighter and the last frame.
type shared struct {
	sub       <-chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	ownCursor bool

	hl      *highlighter
	scratch []string // lines read for a frame
	scan    []string // lines read for the highlighter's scan
	frame   frameKey
	view    string
	rows    []drawnRow // each text row as the last frame drew it
}

// Model is the editor. Like other Bubble Tea components it is used by value,
// but its caches are shared between copies: keep only the latest copy
// returned by Update, and call Close when it is discarded.
type Model struct {
	buf    *buffer.Buffer
	id     buffer.CursorID
	opts   Options
	keys   keys.Editor
	theme  theme.Theme
	styles *styleTable
	s      *shared

	focused    bool
	ignoreCase bool   // find ignores case (toggled in the prompt)
	lastQuery  string // what the find prompt offers next time
	prompt     prompt
	dragging   bool // the left button went down in the text and is still down

	width, height int
	left          int // the first display column shown
}

// New returns a focused view of buf. Call Init to follow other views' edits
// and Close when done with it.
func New(buf *buffer.Buffer, opts Options, km keys.Editor, th theme.Theme) Model {
	s := &shared{hl: newHighlighter(), done: make(chan struct{})}
	id := opts.Cursor
	if id == 0 {
		id = buf.AddCursor()
		s.ownCursor = true
	}
	s.sub = buf.Subscribe()
	return Model{
		buf: buf, id: id, opts: opts, keys: km, theme: th,
		styles: newStyleTable(th), s: s, focused: true, ignoreCase: true,
	}
}

// Init returns the command that waits for the buffer to change.
func (m Model) Init() tea.Cmd { return m.wait() }

// wait returns a command that blocks until the buffer changes (then it
// returns a BufferChangedMsg) or the editor is closed (then nil). Exactly one
// is outstanding: Init starts it and each BufferChangedMsg re-arms it.
func (m Model) wait() tea.Cmd {
	s := m.s
	return func() tea.Msg {
		select {
		case <-s.sub:
			return BufferChangedMsg{owner: s}
		case <-s.done:
			return nil
		}
	}
}

// Close stops following the buffer (the waiting command returns) and
// removes the editor's own cursor. It is safe to call more than once.
func (m Model) Close() {
	m.s.closeOnce.Do(func() {
		close(m.s.done)
		m.buf.Unsubscribe(m.s.sub)
		if m.s.ownCursor {
			m.buf.RemoveCursor(m.id)
		}
	})
}

// ShowSelection puts this editor's own cursor at sel and scrolls to it: a
// professor's live view follows the student's cursor this way, without
// moving it.
func (m *Model) ShowSelection(sel buffer.Selection) {
	if m.buf.Cursor(m.id) != sel {
		m.buf.SetSelection(m.id, sel)
		m.follow()
	}
}

// Buffer returns the buffer this editor shows.
func (m Model) Buffer() *buffer.Buffer { return m.buf }

// CursorID returns this view's cursor in the buffer.
func (m Model) CursorID() buffer.CursorID { return m.id }

// ReadOnly reports whether the editor refuses changes.
func (m Model) ReadOnly() bool { return m.opts.ReadOnly }

// SetReadOnly changes whether the editor refuses changes.
func (m *Model) SetReadOnly(ro bool) { m.opts.ReadOnly = ro }

// SetSize sets the cells the editor draws into.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(width, 0), max(height, 0)
	m.follow()
}

// SetTheme changes the styles (after the terminal reports its background).
func (m *Model) SetTheme(th theme.Theme) {
	m.theme = th
	m.styles = newStyleTable(th)
}

// Focus shows the cursor; Blur hides it. Keys go where the parent sends
// them either way.
func (m *Model) Focus() { m.focused = true }

// Blur hides the cursor.
func (m *Model) Blur() { m.focused = false }

// Focused reports whether the cursor is shown.
func (m Model) Focused() bool { return m.focused }

// Position returns the cursor's line and column, counted from 1 as the
// status bar shows them (the column in characters).
func (m Model) Position() (line, col int) {
	sel := m.buf.Cursor(m.id)
	text := m.buf.Line(sel.Head.Line)
	return sel.Head.Line + 1, utf8.RuneCountInString(text[:min(sel.Head.Col, len(text))]) + 1
}

// PromptOpen reports whether the find or go-to-line prompt is open (the
// parent shows the prompt's help then), and which.
func (m Model) PromptOpen() (open, find bool) {
	return m.prompt.kind != promptNone, m.prompt.kind == promptFind
}

// Handles reports whether the editor acts on k, so that the parent can give
// it precedence over the parent's own meaning of the key (ctrl+c).
func (m Model) Handles(k tea.KeyPressMsg) bool {
	e := m.keys
	if m.prompt.kind != promptNone {
		return text(k) != "" || key.Matches(k, e.PromptNext, e.PromptPrev, e.PromptCase, e.PromptDelete, e.PromptClose)
	}
	switch {
	case key.Matches(k, e.Copy):
		return !m.buf.Cursor(m.id).Empty()
	case key.Matches(k, e.Paste):
		return m.opts.Clipboard != nil
	}
	if text(k) != "" {
		return true
	}
	return key.Matches(k, e.Up, e.Down, e.Left, e.Right, e.WordLeft, e.WordRight, e.Home, e.End,
		e.PageUp, e.PageDown, e.Top, e.Bottom,
		e.SelectUp, e.SelectDown, e.SelectLeft, e.SelectRight, e.SelectWordLeft, e.SelectWordRight,
		e.SelectHome, e.SelectEnd, e.SelectPageUp, e.SelectPageDown, e.SelectTop, e.SelectBottom, e.SelectAll,
		e.Newline, e.Indent, e.Dedent, e.Backspace, e.Delete,
		e.Undo, e.Redo, e.Cut, e.Find, e.GoToLine)
}

// text returns what a key types, or "" for a key that types nothing (a
// control or alt combination, a named key).
func text(k tea.KeyPressMsg) string {
	if k.Text == "" || k.Mod.Contains(tea.ModCtrl) || k.Mod.Contains(tea.ModAlt) ||
		k.Mod.Contains(tea.ModSuper) || k.Mod.Contains(tea.ModMeta) {
		return ""
	}
	return k.Text
}

// Update handles keys, pastes, the mouse and changes of the buffer.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case BufferChangedMsg:
		if msg.owner != m.s {
			return m, nil
		}
		return m, m.wait()
	case tea.KeyPressMsg:
		if m.prompt.kind != promptNone {
			return m.promptKey(msg)
		}
		return m.handleKey(msg)
	case tea.PasteMsg:
		if m.prompt.kind != promptNone {
			first, _, _ := strings.Cut(strings.ReplaceAll(msg.Content, "\r", "\n"), "\n")
			m.setPromptText(m.prompt.text + first)
			return m, nil
		}
		return m.edit(func() bool { return m.buf.InsertText(m.id, msg.Content) })
	case tea.MouseClickMsg:
		return m.click(tea.Mouse(msg)), nil
	case tea.MouseMotionMsg:
		return m.drag(tea.Mouse(msg)), nil
	case tea.MouseReleaseMsg:
		m.dragging = false
		return m, nil
	case tea.MouseWheelMsg:
		return m.wheel(tea.Mouse(msg)), nil
	}
	return m, nil
}

func (m Model) handleKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	e, b, id := m.keys, m.buf, m.id
	move := func(mo buffer.Motion, extend bool) (Model, tea.Cmd) {
		b.Move(id, mo, extend)
		m.follow()
		return m, nil
	}
	switch {
	case key.Matches(k, e.Up):
		return m.lines(-1, false)
	case key.Matches(k, e.Down):
		return m.lines(1, false)
	case key.Matches(k, e.SelectUp):
		return m.lines(-1, true)
	case key.Matches(k, e.SelectDown):
		return m.lines(1, true)
	case key.Matches(k, e.PageUp):
		return m.page(-1, false)
	case key.Matches(k, e.PageDown):
		return m.page(1, false)
	case key.Matches(k, e.SelectPageUp):
		return m.page(-1, true)
	case key.Matches(k, e.SelectPageDown):
		return m.page(1, true)
	case key.Matches(k, e.Left):
		return move(buffer.Left, false)
	case key.Matches(k, e.Right):
		return move(buffer.Right, false)
	case key.Matches(k, e.SelectLeft):
		return move(buffer.Left, true)
	case key.Matches(k, e.SelectRight):
		return move(buffer.Right, true)
	case key.Matches(k, e.WordLeft):
		return move(buffer.WordLeft, false)
	case key.Matches(k, e.WordRight):
		return move(buffer.WordRight, false)
	case key.Matches(k, e.SelectWordLeft):
		return move(buffer.WordLeft, true)
	case key.Matches(k, e.SelectWordRight):
		return move(buffer.WordRight, true)
	case key.Matches(k, e.Home):
		return move(buffer.LineStart, false)
	case key.Matches(k, e.End):
		return move(buffer.LineEnd, false)
	case key.Matches(k, e.SelectHome):
		return move(buffer.LineStart, true)
	case key.Matches(k, e.SelectEnd):
		return move(buffer.LineEnd, true)
	case key.Matches(k, e.Top):
		return move(buffer.DocStart, false)
	case key.Matches(k, e.Bottom):
		return move(buffer.DocEnd, false)
	case key.Matches(k, e.SelectTop):
		return move(buffer.DocStart, true)
	case key.Matches(k, e.SelectBottom):
		return move(buffer.DocEnd, true)
	case key.Matches(k, e.SelectAll):
		b.SelectAll(id)
		m.follow()
		return m, nil

	case key.Matches(k, e.Copy):
		if t := b.Selected(id); t != "" {
			return m, m.copied(t)
		}
		return m, nil // the parent's (see Handles)
	case key.Matches(k, e.Cut):
		if m.opts.ReadOnly {
			return m, notice(ReadOnlyNotice)
		}
		if t := b.Cut(id); t != "" {
			m.follow()
			return m, m.copied(t)
		}
		return m, nil
	case key.Matches(k, e.Paste):
		if m.opts.Clipboard == nil {
			return m, nil
		}
		clip := m.opts.Clipboard.Get()
		return m.edit(func() bool { return b.InsertText(id, clip) })

	case key.Matches(k, e.Undo):
		return m.edit(func() bool { return b.Undo(id) })
	case key.Matches(k, e.Redo):
		return m.edit(func() bool { return b.Redo(id) })
	case key.Matches(k, e.Newline):
		return m.edit(func() bool { return b.Newline(id) })
	case key.Matches(k, e.Indent):
		return m.edit(func() bool { return b.Indent(id) })
	case key.Matches(k, e.Dedent):
		return m.edit(func() bool { return b.Dedent(id) })
	case key.Matches(k, e.Backspace):
		return m.edit(func() bool { return b.Backspace(id) })
	case key.Matches(k, e.Delete):
		return m.edit(func() bool { return b.Delete(id) })

	case key.Matches(k, e.Find):
		q := m.lastQuery
		if sel := b.Selected(id); sel != "" && !strings.ContainsAny(sel, "\n") {
			q = sel
		}
		m.prompt = prompt{kind: promptFind, text: q, origin: b.Cursor(id)}
		m.follow()
		return m, nil
	case key.Matches(k, e.GoToLine):
		m.prompt = prompt{kind: promptGoTo}
		m.follow()
		return m, nil
	}
	if t := text(k); t != "" {
		return m.edit(func() bool { return b.InsertText(id, t) })
	}
	return m, nil
}

// edit runs a change unless the editor is read-only, then scrolls to the
// cursor.
func (m Model) edit(change func() bool) (Model, tea.Cmd) {
	if m.opts.ReadOnly {
		return m, notice(ReadOnlyNotice)
	}
	change()
	m.follow()
	return m, nil
}

// copied keeps t in the clipboard at once (a paste queued behind the copy
// must find it) and tells the parent with a CopyMsg.
func (m Model) copied(t string) tea.Cmd {
	if m.opts.Clipboard != nil {
		m.opts.Clipboard.Set(t)
	}
	return func() tea.Msg { return CopyMsg{Text: t} }
}

func notice(s string) tea.Cmd { return func() tea.Msg { return NoticeMsg{Text: s} } }

func (m Model) lines(delta int, extend bool) (Model, tea.Cmd) {
	m.buf.MoveLines(m.id, delta, extend)
	m.follow()
	return m, nil
}

// page moves the cursor and the view by a screenful, so the cursor keeps
// its row.
func (m Model) page(dir int, extend bool) (Model, tea.Cmd) {
	rows := max(m.textRows()-1, 1)
	f := m.buf.Read(m.id, 0, 0, current, nil)
	m.buf.SetTop(m.id, m.clampTop(f.Top+dir*rows, f.LineCount))
	m.buf.MoveLines(m.id, dir*rows, extend)
	m.follow()
	return m, nil
}

// textRows is the rows that show text: all but the prompt's.
func (m Model) textRows() int {
	if m.prompt.kind != promptNone && m.height > 1 {
		return m.height - 1
	}
	return m.height
}

// clampTop keeps the view's first line in the text, and does not leave
// empty rows below the last line while lines above are hidden.
func (m Model) clampTop(top, count int) int {
	return max(min(top, count-m.textRows()), 0)
}

// follow scrolls so that the cursor is visible.
func (m *Model) follow() {
	if m.height <= 0 || m.width <= 0 {
		return
	}
	f := m.buf.Read(m.id, 0, 0, current, nil)
	h := f.Cursor.Head
	rows := m.textRows()
	top := f.Top
	if h.Line < top {
		top = h.Line
	}
	if h.Line >= top+rows {
		top = h.Line - rows + 1
	}
	if top = m.clampTop(top, f.LineCount); top != f.Top {
		m.buf.SetTop(m.id, top)
	}
	_, tw := m.gutter(f.LineCount)
	x := buffer.DisplayCol(m.buf.Line(h.Line), h.Col)
	if x < m.left {
		m.left = max(x-tw/4, 0) // some context on the left
	}
	if x >= m.left+tw {
		m.left = x - tw + 1
	}
}

// gutter returns the width of the line numbers' gutter (0 when the editor is
// too narrow for it) and of the text.
func (m Model) gutter(lineCount int) (gutter, text int) {
	g := max(len(strconv.Itoa(lineCount)), 3) + 1
	if m.width-g < 8 {
		g = 0
	}
	return g, max(m.width-g, 1)
}

// at returns the text position under a cell of the editor.
func (m Model) at(x, y int) buffer.Pos {
	f := m.buf.Read(m.id, 0, 0, current, nil)
	g, _ := m.gutter(f.LineCount)
	line := f.Top + max(y, 0)
	if line >= f.LineCount {
		last := f.LineCount - 1
		return buffer.Pos{Line: last, Col: len(m.buf.Line(last))}
	}
	return buffer.Pos{Line: line, Col: buffer.ColumnAt(m.buf.Line(line), m.left+max(x-g, 0))}
}

func (m Model) click(ms tea.Mouse) Model {
	if ms.Button != tea.MouseLeft || ms.Y < 0 || ms.Y >= m.textRows() || ms.X < 0 || ms.X >= m.width {
		return m
	}
	m.buf.SetCursor(m.id, m.at(ms.X, ms.Y), ms.Mod.Contains(tea.ModShift))
	m.dragging = true
	m.follow()
	return m
}

// drag extends the selection to the cell under the mouse; above or below
// the text it scrolls by a line.
func (m Model) drag(ms tea.Mouse) Model {
	if !m.dragging || ms.Button != tea.MouseLeft {
		return m
	}
	f := m.buf.Read(m.id, 0, 0, current, nil)
	switch {
	case ms.Y < 0:
		m.buf.SetTop(m.id, m.clampTop(f.Top-1, f.LineCount))
	case ms.Y >= m.textRows():
		m.buf.SetTop(m.id, m.clampTop(f.Top+1, f.LineCount))
	}
	y := min(max(ms.Y, 0), m.textRows()-1)
	m.buf.SetCursor(m.id, m.at(ms.X, y), true)
	m.follow()
	return m
}

// current is a version newer than any: Read with it reports no changed line
// and costs nothing for it.
const current = ^uint64(0)

// wheelLines is how far a turn of the wheel scrolls.
const wheelLines = 3

func (m Model) wheel(ms tea.Mouse) Model {
	f := m.buf.Read(m.id, 0, 0, current, nil)
	switch {
	case ms.Button == tea.MouseWheelUp && !ms.Mod.Contains(tea.ModShift):
		m.buf.SetTop(m.id, m.clampTop(f.Top-wheelLines, f.LineCount))
	case ms.Button == tea.MouseWheelDown && !ms.Mod.Contains(tea.ModShift):
		m.buf.SetTop(m.id, m.clampTop(f.Top+wheelLines, f.LineCount))
	case ms.Button == tea.MouseWheelLeft, ms.Button == tea.MouseWheelUp:
		m.left = max(m.left-2*wheelLines, 0)
	case ms.Button == tea.MouseWheelRight, ms.Button == tea.MouseWheelDown:
		m.left += 2 * wheelLines
	}
	return m // the cursor stays where it is, perhaps off screen
}

// promptKey handles a key while the find or go-to-line prompt is open.
func (m Model) promptKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	e := m.keys
	switch {
	case key.Matches(k, e.PromptClose):
		if m.prompt.kind == promptFind && m.prompt.text != "" {
			m.lastQuery = m.prompt.text
		}
		m.prompt = prompt{}
		m.follow()
		return m, nil
	case key.Matches(k, e.PromptDelete):
		if t := m.prompt.text; t != "" {
			_, n := utf8.DecodeLastRuneInString(t)
			m.setPromptText(t[:len(t)-n])
		}
		return m, nil
	}
	if m.prompt.kind == promptGoTo {
		if key.Matches(k, e.PromptNext) && k.Code == tea.KeyEnter {
			n, err := strconv.Atoi(strings.TrimSpace(m.prompt.text))
			if err != nil {
				m.prompt.status = "Type a line number."
				return m, nil
			}
			m.buf.GoToLine(m.id, n)
			m.prompt = prompt{}
			m.follow()
			return m, nil
		}
		if t := text(k); t != "" {
			m.setPromptText(m.prompt.text + t)
		}
		return m, nil
	}
	switch {
	case key.Matches(k, e.PromptNext):
		m.find(false)
	case key.Matches(k, e.PromptPrev):
		m.find(true)
	case key.Matches(k, e.PromptCase):
		m.ignoreCase = !m.ignoreCase
		m.setPromptText(m.prompt.text)
	default:
		if t := text(k); t != "" {
			m.setPromptText(m.prompt.text + t)
		}
	}
	return m, nil
}

// setPromptText changes the prompt's text; in the find prompt it searches
// again from where the prompt opened, as the student types.
func (m *Model) setPromptText(t string) {
	m.prompt.text = t
	m.prompt.status = ""
	if m.prompt.kind != promptFind {
		return
	}
	start, _ := m.prompt.origin.Ordered()
	m.buf.SetCursor(m.id, start, false)
	if t != "" {
		m.find(false)
	}
}

func (m *Model) find(backward bool) {
	q := m.prompt.text
	if q == "" {
		return
	}
	m.lastQuery = q
	if m.buf.Find(m.id, q, buffer.FindOptions{Backward: backward, IgnoreCase: m.ignoreCase}) {
		m.prompt.status = ""
	} else {
		m.prompt.status = "No match"
	}
	m.follow()
}
