package tui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/tui/replpane"
	"github.com/classroomd/classroomd/internal/tui/termtext"
)

// rect is a pane's cells on the screen, its title row included. A zero
// width means the pane is not shown.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool {
	return r.w > 0 && x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

// layout is where the panes are: files | editor side by side with Python
// below, or Python beside them on a wide terminal; on a small terminal
// only the focused pane, over the whole body.
type layout struct {
	files, editor, repl rect
	wide, single        bool
}

// Below these the panes do not fit side by side: the focused one gets the
// whole body.
const (
	minSplitCols = 60
	minSplitRows = 10 // body rows
	wideCols     = 160
)

func (m *Model) layout() {
	body := max(m.height-fixedRows-m.bannerRows(), 0)
	y := 1 + m.bannerRows() // the panes' first row
	m.form.SetSize(m.width, max(m.height-screenFixedRows, 0))
	m.helpScreen.SetSize(m.width, max(m.height-screenFixedRows, 0))
	m.help.SetWidth(m.width)
	if m.ws == nil {
		if body >= 2 {
			body-- // pane title
		}
		m.tree.SetSize(m.width, body)
		return
	}

	w := m.width
	var l layout
	switch {
	case body <= 0:
	case w < minSplitCols || body < minSplitRows:
		l.single = true
		r := rect{0, y, w, body}
		switch m.focus {
		case paneEditor:
			l.editor = r
		case paneREPL:
			l.repl = r
		default:
			l.files = r
		}
	case w >= wideCols:
		l.wide = true
		fw := min(max(w/6, 20), 32)
		rw := (w - fw - 2) * 2 / 5
		ew := w - fw - rw - 2
		l.files = rect{0, y, fw, body}
		l.editor = rect{fw + 1, y, ew, body}
		l.repl = rect{fw + ew + 2, y, rw, body}
	default:
		rh := max(body/3, 5)
		top := body - rh
		fw := min(max(w/4, 16), 30)
		l.files = rect{0, y, fw, top}
		l.editor = rect{fw + 1, y, w - fw - 1, top}
		l.repl = rect{0, y + top, w, rh}
	}
	m.lay = l

	inner := func(r rect) (int, int) { return r.w, max(r.h-1, 0) } // below the title row
	m.tree.SetSize(inner(l.files))
	ew, eh := inner(l.editor)
	if l.editor.w == 0 {
		ew, eh = max(w, 0), max(body-1, 0) // keep a sensible size while hidden
	}
	for _, t := range m.tabs {
		t.ed.SetSize(ew, eh)
	}
	m.repl.SetSize(inner(l.repl))
}

// replSize is the size of this view's Python pane, which the REPL's pty
// takes while this view is the active one. A hidden pane (a small terminal
// showing another) counts as the whole body.
func (m *Model) replSize() (int, int) {
	if r := m.lay.repl; r.w > 0 && r.h > 1 {
		return r.w, r.h - 1
	}
	return max(m.width, 1), max(m.height-fixedRows-m.bannerRows()-1, 1)
}

// panesView draws the body: each shown pane with its title row, side by
// side with a separator column between.
func (m *Model) panesView() []string {
	l := m.lay
	body := max(m.height-fixedRows-m.bannerRows(), 0)
	type shown struct {
		r     rect
		lines []string
	}
	var panes []shown
	if l.files.w > 0 {
		panes = append(panes, shown{l.files, m.filesLines()})
	}
	if l.editor.w > 0 {
		panes = append(panes, shown{l.editor, m.editorLines()})
	}
	if l.repl.w > 0 {
		panes = append(panes, shown{l.repl, m.replLines()})
	}
	sep := m.drawn.get("sep", func() string { return m.theme.Muted.Render("│") })
	out := make([]string, body)
	for row := range out {
		y := 1 + m.bannerRows() + row
		var b strings.Builder
		x := 0
		for _, p := range panes {
			if y < p.r.y || y >= p.r.y+p.r.h {
				continue
			}
			if p.r.x > x {
				b.WriteString(sep)
				x++
			}
			b.WriteString(p.lines[y-p.r.y])
			x += p.r.w
		}
		out[row] = b.String()
	}
	return out
}

// fit makes every line of s exactly w cells wide and returns exactly h lines.
func fit(s string, w, h int) []string {
	lines := strings.Split(s, "\n")
	if s == "" {
		lines = nil
	}
	out := make([]string, h)
	for i := range out {
		l := ""
		if i < len(lines) {
			l = ansi.Truncate(lines[i], w, "")
		}
		out[i] = termtext.Pad(l, w)
	}
	return out
}

// splitRows undoes strings.Join(fit(..., h), "\n"): the h lines back.
func splitRows(joined string, h int) []string {
	if h <= 0 {
		return nil
	}
	return strings.Split(joined, "\n")
}

// rows returns exactly h lines of s, whose lines a component already made
// exactly w cells wide (the editor's and the REPL's contract): they are not
// measured again, which would cost more than drawing them.
func rows(s string, w, h int) []string {
	lines := strings.Split(s, "\n")
	if s == "" {
		lines = nil
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return lines
}

func (m *Model) title(text string, focused bool, w int) string {
	return m.drawn.get("title\x00"+text+"\x00"+strconv.FormatBool(focused)+"\x00"+strconv.Itoa(w), func() string {
		text = termtext.Pad(termtext.Fit(" "+text, w), w)
		if focused {
			return m.theme.Selected.Render(text)
		}
		return m.theme.PaneTitle.Render(text)
	})
}

func (m *Model) filesLines() []string {
	r := m.lay.files
	lines := []string{m.title("Files", m.focus == paneFiles, r.w)}
	tree := m.tree.View()
	fitted := m.drawn.get("files\x00"+tree+"\x00"+strconv.Itoa(r.w)+"\x00"+strconv.Itoa(r.h), func() string {
		return strings.Join(fit(tree, r.w, r.h-1), "\n")
	})
	return append(lines, splitRows(fitted, r.h-1)...)
}

func (m *Model) replLines() []string {
	r := m.lay.repl
	t := "Python"
	if st := replpane.Describe(m.ws.REPL().State()); st != "" {
		t = st
	}
	lines := []string{m.title(t, m.focus == paneREPL, r.w)}
	return append(lines, rows(m.repl.View(), r.w, r.h-1)...)
}

func (m *Model) editorLines() []string {
	r := m.lay.editor
	lines := []string{m.tabBar(r.w)}
	if t := m.current(); t != nil {
		return append(lines, rows(t.ed.View(), r.w, r.h-1)...)
	}
	hint := []string{
		"",
		" No file open.",
		"",
		" enter on a file opens it;",
		" ctrl+p finds a file by name;",
		" ctrl+n makes a new one.",
	}
	hints := m.drawn.get("no file\x00"+strconv.Itoa(r.w)+"\x00"+strconv.Itoa(r.h), func() string {
		return strings.Join(fit(m.theme.Muted.Render(strings.Join(hint, "\n")), r.w, r.h-1), "\n")
	})
	return append(lines, splitRows(hints, r.h-1)...)
}

// tabBar shows the open files' names, the current one highlighted, a ●
// after those with unsaved changes. When they do not all fit, the ones
// around the current tab are shown.
func (m *Model) tabBar(w int) string {
	if len(m.tabs) == 0 {
		return m.title("Editor", m.focus == paneEditor, w)
	}
	labels := make([]string, len(m.tabs))
	for i, t := range m.tabs {
		name := termtext.Name(baseName(t.file.Path()))
		if t.file.Buf.Modified() {
			name += " ●"
		}
		if t.file.ReadOnly {
			name += " (read-only)"
		}
		labels[i] = " " + name + " "
	}
	// The widest run of tabs around the current one that fits.
	from, to := m.cur, m.cur+1
	width := termtext.Width(labels[m.cur])
	for {
		grew := false
		if to < len(labels) && width+1+termtext.Width(labels[to]) <= w {
			width += 1 + termtext.Width(labels[to])
			to++
			grew = true
		}
		if from > 0 && width+1+termtext.Width(labels[from-1]) <= w {
			from--
			width += 1 + termtext.Width(labels[from])
			grew = true
		}
		if !grew {
			break
		}
	}
	var b strings.Builder
	used := 0
	for i := from; i < to; i++ {
		if i > from {
			b.WriteString(m.theme.Muted.Render("│"))
			used++
		}
		l := termtext.Fit(labels[i], w-used)
		used += termtext.Width(l)
		switch {
		case i == m.cur && m.focus == paneEditor:
			b.WriteString(m.theme.Selected.Render(l))
		case i == m.cur:
			b.WriteString(m.theme.PaneTitle.Underline(true).Render(l))
		default:
			b.WriteString(m.theme.Muted.Render(l))
		}
	}
	return b.String() + strings.Repeat(" ", max(w-used, 0))
}

func baseName(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// replCursor places the terminal's cursor on Python's, while Python has
// the keys.
func (m *Model) replCursor() *tea.Cursor {
	if m.helpOpen || m.formOpen || m.dlg != nil || m.focus != paneREPL || m.lay.repl.w == 0 {
		return nil
	}
	x, y, ok := m.repl.Cursor()
	r := m.lay.repl
	if !ok || x >= r.w || y+1 >= r.h {
		return nil
	}
	return tea.NewCursor(r.x+x, r.y+1+y)
}

// mouse: a click focuses the pane under it; in the editor the mouse selects
// and scrolls too (with coordinates relative to the editor's text).
func (m *Model) mouse(msg tea.MouseMsg) tea.Cmd {
	if m.ws == nil || m.helpOpen || m.formOpen || m.dlg != nil {
		return nil
	}
	ms := msg.Mouse()
	l := m.lay
	var cmd tea.Cmd
	if _, ok := msg.(tea.MouseClickMsg); ok {
		m.activate()
		if m.bannerRows() > 0 && ms.Y == 1 {
			return m.dismissNews() // a click on the announcement dismisses it
		}
		switch {
		case l.files.contains(ms.X, ms.Y) && m.focus != paneFiles:
			cmd = m.setFocus(paneFiles)
		case l.editor.contains(ms.X, ms.Y) && m.focus != paneEditor:
			cmd = m.setFocus(paneEditor)
		case l.repl.contains(ms.X, ms.Y) && m.focus != paneREPL:
			cmd = m.setFocus(paneREPL)
		}
		if l.editor.contains(ms.X, ms.Y) && ms.Y == l.editor.y {
			return cmd // the tab bar
		}
	}
	_, wheel := msg.(tea.MouseWheelMsg)
	if wheel && l.repl.contains(ms.X, ms.Y) {
		m.repl, _ = m.repl.Update(msg) // scrolls through earlier output
		return cmd
	}
	if t := m.current(); t != nil && (m.focus == paneEditor && !wheel || wheel && l.editor.contains(ms.X, ms.Y)) {
		rel := ms
		rel.X, rel.Y = ms.X-l.editor.x, ms.Y-l.editor.y-1
		var ecmd tea.Cmd
		switch msg.(type) {
		case tea.MouseClickMsg:
			if !l.editor.contains(ms.X, ms.Y) {
				return cmd
			}
			t.ed, ecmd = t.ed.Update(tea.MouseClickMsg(rel))
		case tea.MouseMotionMsg:
			t.ed, ecmd = t.ed.Update(tea.MouseMotionMsg(rel))
		case tea.MouseReleaseMsg:
			t.ed, ecmd = t.ed.Update(tea.MouseReleaseMsg(rel))
		case tea.MouseWheelMsg:
			t.ed, ecmd = t.ed.Update(tea.MouseWheelMsg(rel))
		}
		return tea.Batch(cmd, ecmd)
	}
	return cmd
}
