package editor

import (
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace/buffer"
)

// Styles beyond the code classes, numbered after them.
const (
	stySelection = numClasses + iota
	styCursor
	styCursorSelecting // the cursor while something is selected: underlined, so the selection's end shows
	styLineNumber
	styLineNumberCurrent
	styPrompt
	styMuted
	styError
	numStyles
)

// styleTable holds, for each style, the escape sequences that open and close
// it: drawing a run of text is then two string writes rather than a lipgloss
// Render. Bubble Tea downsamples the colours to the terminal's profile (none
// under NO_COLOR) when it writes the frame.
type styleTable [numStyles]struct{ open, close string }

func newStyleTable(th theme.Theme) *styleTable {
	c := th.Code
	styles := [numStyles]lipgloss.Style{
		clsText:              lipgloss.NewStyle(),
		clsKeyword:           c.Keyword,
		clsConstant:          c.Constant,
		clsString:            c.String,
		clsNumber:            c.Number,
		clsComment:           c.Comment,
		clsBuiltin:           c.Builtin,
		clsFunction:          c.Function,
		clsDecorator:         c.Decorator,
		stySelection:         th.Selection,
		styCursor:            th.Cursor,
		styCursorSelecting:   th.Cursor.UnsetReverse().Underline(true),
		styLineNumber:        th.LineNumber,
		styLineNumberCurrent: th.LineNumberCurrent,
		styPrompt:            th.Prompt,
		styMuted:             th.Muted,
		styError:             th.Error,
	}
	var t styleTable
	for i, s := range styles {
		r := s.Render("X")
		at := strings.Index(r, "X")
		t[i].open, t[i].close = r[:at], r[at+1:]
	}
	return &t
}

// frameKey is everything a frame depends on: when it is unchanged, View
// returns the last frame as it is (Bubble Tea asks for a view after every
// message, most of which are not about the editor).
type frameKey struct {
	version       uint64
	cursor        buffer.Selection
	top, left     int
	width, height int
	focused       bool
	prompt        prompt
	ignoreCase    bool
	styles        *styleTable
}

// View draws exactly height lines, each exactly width cells wide.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	s := m.s
	rows := m.textRows()

	// Read what is shown, and what the highlighter needs above it, at one
	// version of the text (retrying if another view edits in between).
	var f buffer.Frame
	for attempt := 0; attempt < 3; attempt++ {
		f = m.buf.Read(m.id, 0, 0, current, nil)
		top := m.clampTop(f.Top, f.LineCount)
		f = m.buf.Read(m.id, top, top+rows, s.hl.version, s.scratch)
		s.scratch = f.Lines
		if f.First != m.clampTop(f.Top, f.LineCount) {
			continue // scrolled by another view's edit in between
		}
		key := frameKey{version: f.Version, cursor: f.Cursor, top: f.First, left: m.left,
			width: m.width, height: m.height, focused: m.focused, prompt: m.prompt,
			ignoreCase: m.ignoreCase, styles: m.styles}
		if key == s.frame && s.view != "" {
			return s.view
		}
		s.hl.invalidate(f.Changed, f.Version)
		if from := s.hl.known(); from < f.First {
			g := m.buf.Read(m.id, from, f.First, f.Version, s.scan)
			s.scan = g.Lines
			if g.Version != f.Version {
				continue
			}
			s.hl.advance(g.First, g.Lines, f.First)
			clear(s.scan) // do not keep old lines alive
		}
		s.hl.advance(f.First, f.Lines, f.First+len(f.Lines))
		s.view = m.render(f, rows)
		s.frame = key
		return s.view
	}
	return m.render(f, rows)
}

// rowKey is everything one text row is drawn from: a row whose key is the
// one it had in the last frame is not drawn again (typing changes one row).
type rowKey struct {
	line                   string
	state                  uint8 // the highlighter's state at the line's start
	cursor, selFrom, selTo int
	number                 int // the line number shown; 0: no gutter
	current                bool
	gw, tw, left           int
	styles                 *styleTable
}

type drawnRow struct {
	key rowKey
	out string
}

func (m Model) render(f buffer.Frame, rows int) string {
	gw, tw := m.gutter(f.LineCount)
	start, end := f.Cursor.Ordered()
	var sb strings.Builder
	sb.Grow(m.height * (m.width + 32))
	r := lineRenderer{sb: &sb, styles: m.styles, left: m.left, width: tw}
	if len(m.s.rows) != rows {
		m.s.rows = make([]drawnRow, rows)
	}
	var rb strings.Builder
	for row := range rows {
		if row > 0 {
			sb.WriteByte('\n')
		}
		i := f.First + row
		if i >= f.LineCount || row >= len(f.Lines) {
			r.spaces(m.width)
			continue
		}
		line := f.Lines[row]
		cursor := -1
		if m.focused && m.prompt.kind == promptNone && i == f.Cursor.Head.Line {
			cursor = min(f.Cursor.Head.Col, len(line))
		}
		selFrom, selTo := -1, -1
		if !f.Cursor.Empty() && start.Line <= i && i <= end.Line {
			selFrom, selTo = 0, len(line)+1 // +1: the line break is selected too
			if i == start.Line {
				selFrom = start.Col
			}
			if i == end.Line {
				selTo = end.Col
			}
		}
		key := rowKey{line: line, state: m.s.hl.state(i), cursor: cursor, selFrom: selFrom, selTo: selTo,
			current: i == f.Cursor.Head.Line, gw: gw, tw: tw, left: m.left, styles: m.styles}
		if gw > 0 {
			key.number = i + 1
		}
		if d := &m.s.rows[row]; d.key == key && d.out != "" {
			sb.WriteString(d.out)
			continue
		}
		rb.Reset()
		rr := lineRenderer{sb: &rb, styles: m.styles, left: m.left, width: tw}
		if gw > 0 {
			num := strconv.Itoa(i + 1)
			sty := styLineNumber
			if key.current {
				sty = styLineNumberCurrent
			}
			rr.styled(sty, strings.Repeat(" ", gw-1-len(num))+num)
			rb.WriteByte(' ')
		}
		rr.line(line, m.s.hl.spans(line, key.state), cursor, selFrom, selTo)
		m.s.rows[row] = drawnRow{key: key, out: rb.String()}
		sb.WriteString(m.s.rows[row].out)
	}
	if m.prompt.kind != promptNone && m.height > 1 {
		sb.WriteByte('\n')
		m.renderPrompt(&sb, f.LineCount)
	}
	return sb.String()
}

func (m Model) renderPrompt(sb *strings.Builder, lineCount int) {
	var label, hint string
	switch m.prompt.kind {
	case promptFind:
		label = "Find: "
		hint = "  (case ignored)"
		if !m.ignoreCase {
			hint = "  (match case)"
		}
	case promptGoTo:
		label = "Go to line (1-" + strconv.Itoa(lineCount) + "): "
	}
	r := lineRenderer{sb: sb, styles: m.styles, width: m.width}
	text := termtext.Safe(m.prompt.text)
	type part struct {
		sty  int
		text string
	}
	parts := []part{{styPrompt, label}, {clsText, text}, {styCursor, " "}}
	if m.prompt.status != "" {
		parts = append(parts, part{styError, " " + m.prompt.status})
	} else if hint != "" {
		parts = append(parts, part{styMuted, hint})
	}
	// The end of a long query stays visible, by the cursor.
	total := 0
	for _, p := range parts {
		total += termtext.Width(p.text)
	}
	if over := total - m.width; over > 0 && len(parts) > 2 {
		parts[1].text = cutLeft(parts[1].text, over)
	}
	left := m.width
	for _, p := range parts {
		if left <= 0 {
			break
		}
		t := termtext.Fit(p.text, left)
		r.styled(p.sty, t)
		left -= termtext.Width(t)
	}
	r.spaces(left)
}

// cutLeft removes at least n cells from the start of s.
func cutLeft(s string, n int) string {
	cut := 0
	for i := 0; i < len(s); {
		size, w := buffer.Cluster(s[i:], 0)
		if cut >= n {
			return s[i:]
		}
		cut += w
		i += size
	}
	return ""
}

// lineRenderer writes styled runs of one line into sb.
type lineRenderer struct {
	sb     *strings.Builder
	styles *styleTable
	left   int // the first display column shown
	width  int // the cells of text shown
}

func (r *lineRenderer) styled(sty int, text string) {
	s := &r.styles[sty]
	r.sb.WriteString(s.open)
	r.sb.WriteString(text)
	r.sb.WriteString(s.close)
}

const blanks = "                                                                " // 64

func (r *lineRenderer) spaces(n int) {
	for n > 0 {
		k := min(n, len(blanks))
		r.sb.WriteString(blanks[:k])
		n -= k
	}
}

// line draws the columns [left, left+width) of line: its characters in the
// style of their class, the selection (bytes [selFrom, selTo); selTo past
// the end for a selected line break; -1 when the selection is empty or not
// on this line) and the cursor (at byte cursor, or -1),
// padded with spaces to width cells. Tabs become spaces; characters a
// terminal would not print as they are become '?'; a wide character cut by
// an edge becomes spaces.
func (r *lineRenderer) line(line string, spans []span, cursor, selFrom, selTo int) {
	var (
		i, col int  // the next character: its byte offset and display column
		si     int  // the span holding it
		out    int  // cells written
		sty    = -1 // the style open
		run    = -1 // start of the characters written as a slice of line, or -1
		right  = r.left + r.width
	)
	flush := func() {
		if run >= 0 {
			r.sb.WriteString(line[run:i])
			run = -1
		}
	}
	setStyle := func(next int) {
		if next == sty {
			return
		}
		flush()
		if sty >= 0 {
			r.sb.WriteString(r.styles[sty].close)
		}
		r.sb.WriteString(r.styles[next].open)
		sty = next
	}
	for i < len(line) && col < right {
		size, w := buffer.Cluster(line[i:], col)
		if col+w <= r.left {
			col, i = col+w, i+size
			continue
		}
		for si < len(spans)-1 && spans[si].end <= i {
			si++
		}
		next := int(clsText)
		if si < len(spans) {
			next = int(spans[si].class)
		}
		switch {
		case i == cursor && selFrom >= 0:
			next = styCursorSelecting
		case i == cursor:
			next = styCursor
		case i >= selFrom && i < selTo:
			next = stySelection
		}
		setStyle(next)
		cluster := line[i : i+size]
		visible := min(col+w, right) - max(col, r.left)
		switch {
		case visible == w && cluster != "\t" && buffer.Printable(cluster):
			if run < 0 {
				run = i
			}
		case visible == w && cluster != "\t":
			flush()
			r.sb.WriteByte('?') // a character a terminal would not print as it is
		default:
			flush()
			r.spaces(visible) // a tab, or a wide character cut by an edge
		}
		out += visible
		col, i = col+w, i+size
	}
	flush()
	// After the text: the cursor at the end of the line, or the selected
	// line break, take one cell.
	if i == len(line) && out < r.width && col >= r.left {
		eol := len(line)
		switch {
		case cursor == eol && selFrom >= 0:
			setStyle(styCursorSelecting)
		case cursor == eol:
			setStyle(styCursor)
		case eol >= selFrom && eol < selTo:
			setStyle(stySelection)
		default:
			eol = -1
		}
		if eol >= 0 {
			r.sb.WriteByte(' ')
			out++
		}
	}
	if sty >= 0 {
		r.sb.WriteString(r.styles[sty].close)
	}
	r.spaces(r.width - out)
}
