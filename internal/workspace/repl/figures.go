package repl

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	uv "github.com/charmbracelet/ultraviolet"
)

// Figures (#15). Python's matplotlib backend (python/classroomd_figures.py)
// saves a shown figure in ~/figures and prints a private marker,
//
//	ESC ] 7708 ; figure=figures/NAME-N.png BEL   (or ESC \ for BEL)
//
// The REPL finds the marker in the output's own order (across reads) and,
// exactly there, asks the workspace's figure store (SetFigures) for the
// figure and reserves a block of rows in the emulator for it: it writes
// rows whose first two cells hold private-use characters naming the figure
// and the row (see figureTag). The rows are then text like any other: they
// scroll into the scrollback, are cleared by a clear, and keep their place
// across a resize, and no pixel passes through the emulator. Render reports
// them (Screen.Figures) and draws them blank; each view draws the picture
// over them for its own terminal. A refused figure (a marker naming a file
// outside ~/figures, too many at once) gets a line saying so instead.
//
// Student code can print the marker, or the private-use characters,
// itself: it then names at most a file in its own ~/figures, or a figure of
// its own workspace, which the store checks as it would any other.
const (
	figureIntro  = "\x1b]7708;"
	figureKey    = "figure="
	maxFigureOSC = 512 // longer payloads are not markers of ours

	// A reserved row starts with two cells: figureIDBase+id (id < figureIDSpan)
	// and figureRowBase + row<<8 | rows (Supplementary Private Use Areas B
	// and A: no text a student prints uses them by accident).
	figureIDBase  = 0x100000
	figureIDSpan  = 0xFFFE
	figureRowBase = 0xF0000

	// MaxFigureRows bounds the rows reserved for one figure.
	MaxFigureRows = 20
	minFigureRows = 4
)

// Figures is where the REPL's figures go: the workspace's figure store.
type Figures interface {
	// Show is called, with the REPL's lock held and in output order, for
	// each figure marker; rel is what the marker names (untrusted). It must
	// not block. It returns the figure's id (nonzero) to reserve rows for,
	// or a refusal, a sentence for the student's pane, or neither (a flood
	// already told: nothing to draw or say).
	Show(rel string) (id uint64, refusal string)
}

// FigureRow is a line of a Screen that belongs to a figure.
type FigureRow struct {
	Line int    // index into Screen.Lines
	ID   uint64 // the figure (the store's id, modulo figureIDSpan)
	Row  int    // which of its rows, from 0
	Rows int    // how many rows it has
}

// SetFigures sets the figure store (nil: figures are not drawn; their
// markers are dropped).
func (r *REPL) SetFigures(f Figures) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.figures = f
}

// FigureStore is what SetFigures set (nil: none). Views draw the figures
// from it.
func (r *REPL) FigureStore() Figures {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.figures
}

// Invalidate tells every view that what they draw may have changed
// although the emulator did not (a figure finished decoding).
func (r *REPL) Invalidate() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.changedLocked()
	}
}

// figureEvent is one whole marker: where it ends in the chunk, and what it
// names.
type figureEvent struct {
	end int
	rel string
}

// figureScanner finds figure markers in Python's output across reads. It
// keeps at most maxFigureOSC bytes.
type figureScanner struct {
	match   int  // bytes of figureIntro matched so far
	in      bool // in a marker's payload
	esc     bool // ESC seen in the payload: ST if '\' follows
	over    bool // payload too long: not a marker
	payload []byte
}

// scan returns the markers that end in p, in order.
func (s *figureScanner) scan(p []byte) []figureEvent {
	var evs []figureEvent
	for i := 0; i < len(p); i++ {
		b := p[i]
		if !s.in {
			if s.match == 0 {
				j := bytes.IndexByte(p[i:], 0x1b)
				if j < 0 {
					return evs
				}
				i += j
				b = 0x1b
			}
			switch {
			case b == figureIntro[s.match]:
				s.match++
				if s.match == len(figureIntro) {
					s.in, s.match, s.over, s.esc = true, 0, false, false
					s.payload = s.payload[:0]
				}
			case b == 0x1b:
				s.match = 1
			default:
				s.match = 0
			}
			continue
		}
		end := false
		switch {
		case s.esc:
			s.esc = false
			if b != '\\' {
				s.in = false // another sequence: not a marker
				if b == ']' {
					s.match = 2
				}
				continue
			}
			end = true
		case b == 0x07:
			end = true
		case b == 0x1b:
			s.esc = true
		case b == 0x18 || b == 0x1a: // CAN, SUB: the sequence is cancelled
			s.in = false
		default:
			if len(s.payload) >= maxFigureOSC {
				s.over = true
			} else {
				s.payload = append(s.payload, b)
			}
		}
		if end {
			s.in = false
			if !s.over {
				if rel, ok := strings.CutPrefix(string(s.payload), figureKey); ok {
					evs = append(evs, figureEvent{end: i + 1, rel: rel})
				}
			}
		}
	}
	return evs
}

// feedLocked writes output to the emulator, placing each figure where its
// marker ends.
func (r *REPL) feedLocked(figs *figureScanner, p []byte) {
	from := 0
	for _, ev := range figs.scan(p) {
		r.term.write(p[from:ev.end])
		r.figureLocked(ev.rel)
		from = ev.end
	}
	r.term.write(p[from:])
}

// figureRows is how many rows a figure gets on a screen of height rows.
func figureRows(height int) int {
	return max(minFigureRows, min(MaxFigureRows, height*3/4))
}

// figureLocked handles one marker at the point of the output it ended.
func (r *REPL) figureLocked(rel string) {
	if r.figures == nil || r.term == nil {
		return
	}
	id, refusal := r.figures.Show(rel)
	t := r.term
	var b []byte
	if t.emu.CursorPosition().X != 0 {
		b = append(b, "\r\n"...)
	}
	if id == 0 || t.emu.Width() < 2 {
		if refusal == "" {
			return
		}
		b = append(b, "\x1b[0m[classroomd: "...)
		b = append(b, safeLine(refusal, 300)...)
		b = append(b, "]\r\n"...)
		t.write(b)
		return
	}
	rows := figureRows(t.emu.Height())
	idr := rune(figureIDBase + id%figureIDSpan)
	for k := range rows {
		b = utf8.AppendRune(b, idr)
		b = utf8.AppendRune(b, rune(figureRowBase+k<<8|rows))
		b = append(b, "\r\n"...)
	}
	t.write(b)
}

// figureTag reads the figure tag at the start of row y, if any.
func figureTag(cellAt func(x, y int) *uv.Cell, y int) (id uint64, row, rows int, ok bool) {
	c0, c1 := cellAt(0, y), cellAt(1, y)
	if c0 == nil || c1 == nil {
		return 0, 0, 0, false
	}
	a, n := utf8.DecodeRuneInString(c0.Content)
	if n == 0 || n != len(c0.Content) || a < figureIDBase || a >= figureIDBase+figureIDSpan {
		return 0, 0, 0, false
	}
	t, n := utf8.DecodeRuneInString(c1.Content)
	if n == 0 || n != len(c1.Content) || t < figureRowBase || t > figureRowBase+0xFFFF {
		return 0, 0, 0, false
	}
	v := int(t - figureRowBase)
	row, rows = v>>8, v&0xFF
	if rows == 0 || row >= rows {
		return 0, 0, 0, false
	}
	return uint64(a - figureIDBase), row, rows, true
}

// FigureID maps a store's id to the id the screen reports (FigureRow.ID).
func FigureID(id uint64) uint64 { return id % figureIDSpan }

// safeLine is s on one line, without control characters, at most n runes.
func safeLine(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if n == 0 {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			r = '?'
		}
		b.WriteRune(r)
		n--
	}
	return b.String()
}
