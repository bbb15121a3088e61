package repl

import (
	"slices"
	"strings"
	"unicode/utf8"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
)

// Screen is the REPL's terminal as one view draws it: exactly Height lines,
// each exactly Width cells wide.
type Screen struct {
	// Lines are the rows to draw, top to bottom. Styled lines carry SGR
	// sequences and end with their style reset; plain lines are text only.
	// The slice is the caller's own; the strings are shared.
	Lines []string
	// Cursor is the position of the terminal's cursor within Lines, in
	// cells; CursorVisible is false when it falls outside the view or the
	// program hid it.
	CursorX, CursorY int
	CursorVisible    bool
	// Version is the REPL's version the screen was rendered from (see
	// REPL.Version).
	Version uint64
	// Back is how many lines the screen is scrolled back (RenderBack);
	// 0 shows the end, as a terminal does.
	Back int
	// Figures are the lines that belong to figures (figures.go), drawn
	// blank in Lines: the view draws the picture over them.
	Figures []FigureRow
}

// String joins the lines with newlines.
func (s Screen) String() string { return strings.Join(s.Lines, "\n") }

type renderKey struct {
	w, h  int
	back  int // lines scrolled back into the scrollback
	plain bool
}

// maxCachedRenders bounds the render cache: one entry per distinct view
// size and style, dropped whenever the screen changes.
const maxCachedRenders = 8

// Render returns the screen drawn for a view of w×h cells, with the cells'
// colours and attributes as SGR sequences. A view smaller than the terminal
// sees it cropped: the rightmost columns are cut, and rows are cut from the
// top so that the last line written and the cursor's line stay visible, as
// on a terminal whose bottom is anchored. A larger view sees it padded with
// blanks. Render is cheap when nothing changed since the last call at the
// same size: views may call it on every frame.
func (r *REPL) Render(w, h int) Screen { return r.render(w, h, 0, false) }

// RenderPlain is Render without styles (for NO_COLOR, tests and logs).
func (r *REPL) RenderPlain(w, h int) Screen { return r.render(w, h, 0, true) }

// RenderBack is Render scrolled back by back lines into the scrollback (the
// lines that scrolled off the top of the screen), to read earlier output;
// Screen.Back says how far it went (at most ScrollbackLen-wards).
func (r *REPL) RenderBack(w, h, back int, plain bool) Screen { return r.render(w, h, back, plain) }

func (r *REPL) render(w, h, back int, plain bool) Screen {
	if w <= 0 || h <= 0 {
		return Screen{}
	}
	w, h = min(w, maxCols*4), min(h, maxRows*4)
	key := renderKey{w, h, max(back, 0), plain}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.cache[key]
	if !ok {
		s = r.renderLocked(w, h, key.back, plain)
		if len(r.cache) >= maxCachedRenders {
			clear(r.cache)
		}
		r.cache[key] = s
	}
	s.Lines = append([]string(nil), s.Lines...)
	s.Figures = slices.Clone(s.Figures)
	return s
}

func (r *REPL) renderLocked(w, h, back int, plain bool) Screen {
	s := Screen{Lines: make([]string, h), Version: r.version}
	blank := strings.Repeat(" ", w)
	if r.term == nil {
		for i := range s.Lines {
			s.Lines[i] = blank
		}
		return s
	}
	emu := r.term.emu
	width, height := emu.Width(), emu.Height()
	cur := emu.CursorPosition()

	// The bottom of what is in use: the cursor's line or the last line
	// with something on it, whichever is lower.
	last := cur.Y
	for y := height - 1; y > last; y-- {
		if !blankRow(emu.CellAt, y, width) {
			last = y
			break
		}
	}
	top := 0
	if last >= h {
		top = last - h + 1
	}
	if cur.Y < top {
		top = cur.Y
	}
	// Scrolled back, rows above the screen's come from the scrollback,
	// whose line sb-1 is the one just above the screen's row 0.
	sb := 0
	if back > 0 {
		sb = r.term.emu.ScrollbackLen()
		back = min(back, sb+top)
		top -= back
	}
	s.Back = back

	var b strings.Builder
	draw := func(cellAt func(x, y int) *uv.Cell, y int) string {
		b.Reset()
		b.Grow(w)
		n := renderRow(&b, cellAt, y, min(width, w), plain)
		if pad := w - n; pad > 0 {
			b.WriteString(blank[:pad])
		}
		return b.String()
	}
	rows := r.drawn.rows(r.term, renderKey{w: w, plain: plain})
	for i := range s.Lines {
		y := top + i
		// A figure's row is blank here, in the cache too (its tag is in
		// the cells, so a change of the row changes its generation).
		var cellAt func(x, y int) *uv.Cell
		switch {
		case y >= height:
			s.Lines[i] = blank
			continue
		case y < 0:
			cellAt = func(x, _ int) *uv.Cell { return emu.ScrollbackCellAt(x, sb+y) }
		default:
			cellAt = emu.CellAt
		}
		id, k, n, fig := figureTag(cellAt, y)
		if fig {
			s.Figures = append(s.Figures, FigureRow{Line: i, ID: id, Row: k, Rows: n})
		}
		switch {
		case fig:
			s.Lines[i] = blank
		case y < 0:
			s.Lines[i] = draw(cellAt, y)
		default:
			s.Lines[i] = rows.row(y, func() string { return draw(emu.CellAt, y) })
		}
	}
	s.CursorX, s.CursorY = cur.X, cur.Y-top
	s.CursorVisible = !emu.CursorHidden() && cur.X < w && s.CursorY >= 0 && s.CursorY < h
	return s
}

func blankRow(cellAt func(x, y int) *uv.Cell, y, width int) bool {
	for x := 0; x < width; x++ {
		c := cellAt(x, y)
		if c == nil {
			return true
		}
		if (c.Content != " " && c.Content != "") || c.Style.Bg != nil || c.Style.Attrs&uv.AttrReverse != 0 {
			return false
		}
	}
	return true
}

// renderRow writes the first w columns of row y and returns how many it
// wrote. A wide character that would straddle the right edge is left out
// (the caller pads).
func renderRow(b *strings.Builder, cellAt func(x, y int) *uv.Cell, y, w int, plain bool) int {
	var pen uv.Style
	x := 0
	for x < w {
		c := cellAt(x, y)
		if c == nil {
			break
		}
		cw, content := c.Width, c.Content
		if cw <= 0 {
			// A stray wide-character placeholder, or a combining mark
			// with nothing to combine with: a blank.
			cw, content = 1, " "
		}
		if x+cw > w {
			break
		}
		if !plain && !c.Style.Equal(&pen) {
			b.WriteString(uv.StyleDiff(&pen, &c.Style))
			pen = c.Style
		}
		writeContent(b, content, cw)
		x += cw
	}
	if !pen.IsZero() {
		b.WriteString(ansi.ResetStyle)
	}
	return x
}

// writeContent writes a cell's grapheme, or blanks in its place when it is
// empty or holds a control character (C0, DEL or C1), which would reach the
// view's own terminal as a command.
func writeContent(b *strings.Builder, s string, width int) {
	if s == "" {
		b.WriteString(strings.Repeat(" ", width))
		return
	}
	if len(s) == 1 && s[0] >= 0x20 && s[0] < 0x7f {
		b.WriteString(s)
		return
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError {
			b.WriteString(strings.Repeat(" ", width))
			return
		}
		i += n
	}
	b.WriteString(s)
}

// drawnRows keeps the screen's rows as each view width last drew them, so
// that a change redraws only the rows the emulator touched (a key's echo:
// one row) rather than the whole screen. The emulator marks every row it
// changes, scrolls included; the marks are taken here, each time a
// render needs them, into a generation per row that every view's rows
// compare theirs with.
type drawnRows struct {
	term          *term // the emulator the generations are of
	width, height int
	gen           uint64   // the last generation handed out
	rowGen        []uint64 // the generation of each row's cells
	views         map[renderKey]*viewRows
}

// viewRows are the rows one view width drew: row y is current while its
// generation is the row's.
type viewRows struct {
	d     *drawnRows
	lines []string
	gen   []uint64
}

// rows takes the emulator's marks and returns the rows drawn for key (its
// h and back unused). The REPL's mutex is held.
func (d *drawnRows) rows(t *term, key renderKey) *viewRows {
	emu := t.emu
	if d.term != t || d.width != emu.Width() || d.height != emu.Height() {
		// Another emulator or size: every row is new.
		d.term, d.width, d.height = t, emu.Width(), emu.Height()
		d.rowGen = make([]uint64, d.height)
		d.gen++
		for y := range d.rowGen {
			d.rowGen[y] = d.gen
		}
		d.views = nil
	} else {
		for y, ld := range emu.Touched() {
			if ld != nil && (ld.FirstCell != -1 || ld.LastCell != -1) && y < len(d.rowGen) {
				d.gen++
				d.rowGen[y] = d.gen
			}
		}
	}
	emu.ClearTouched()
	v := d.views[key]
	if v == nil {
		if d.views == nil || len(d.views) >= maxCachedRenders {
			d.views = make(map[renderKey]*viewRows)
		}
		v = &viewRows{d: d, lines: make([]string, d.height), gen: make([]uint64, d.height)}
		d.views[key] = v
	}
	return v
}

// row returns row y, drawn again only when its cells changed since.
func (v *viewRows) row(y int, draw func() string) string {
	if g := v.d.rowGen[y]; v.gen[y] != g {
		v.lines[y], v.gen[y] = draw(), g
	}
	return v.lines[y]
}
