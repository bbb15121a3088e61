package figure

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/ansi/kitty"
	"github.com/charmbracelet/x/ansi/sixel"

	"github.com/classroomd/classroomd/internal/workspace/figures"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// The pixel protocols (#15): one Painter per view draws the figures in the
// protocol its terminal claimed (detect.go), on top of the Drawer's
// half-block pictures and notes.
//
// kitty: the PNG is transmitted once per view (a=T, U=1: a virtual
// placement, f=100: kitty decodes the PNG itself) and the figure's rows
// are ordinary cells, U+10EEEE with diacritics naming each cell's row and
// column, the image id in their foreground colour (true colour, so the view
// forces that profile). Cells scroll, clear and are covered by dialogs like
// any text: nothing to erase. The transmission goes out before the frame
// (Transmit, from Update: tea.Raw).
//
// iTerm2 and sixel draw pixels, not cells: they are an overlay written
// after the frame at the figure's place (Overlay: Bubble Tea's View.Overlay,
// a classroomd patch in third_party/bubbletea), only while all of the
// figure's rows are on screen and nothing covers the pane, with the cursor
// saved and restored around it (a figure partly scrolled off shows its
// half-block picture meanwhile). The rows under an image are blank cells; to
// erase an image, the overlay's erase sequence blanks them again (what the
// renderer believes they hold), before the next frame's cells. A sixel is
// encoded once per figure per size in a goroutine of the Painter (the
// encoder's CPU stays off the render path: one at a time per view, each in
// one of the decoding slots every workspace shares, Store.Slot); until it
// is ready the rows say it is being drawn. A sixel never reaches the
// screen's last row (it would scroll the screen).
//
// Limits: ultraviolet's renderer may move the cursor right by rewriting a
// few cells, which would blank a strip of an image whose row changed to its
// right; the pane is drawn at the screen's right edge or next to a border
// that rarely changes, and the next change of the overlay draws it whole.

// Painter draws one view's figures. It is safe for concurrent use; Close
// ends its encoding.
type Painter struct {
	drawer *Drawer
	src    Source
	wake   func() // a sixel is ready: the view should draw again

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	proto    Protocol
	cellW    int
	cellH    int
	idBase   uint32                // kitty image ids: idBase | figure id
	placed   map[uint64]kittyPlace // kitty: what the terminal holds
	encoding map[sixelKey]*sixelImage
	queue    []sixelKey
	running  bool
	iterm    map[uint64]itermImage
	tmux     bool // kitty's escapes go through tmux's passthrough (tmux.go)

	// Pacing of the pixel images (Pace): where each figure was last seen
	// whole on screen, and since when.
	paced  map[uint64]pacedPlace
	settle time.Duration
	now    func() time.Time

	// The last overlay made, and what it was made of (Overlay).
	lastKey, lastDraw, lastErase string
	rowCache                     map[rowKey]string // kitty placeholder rows
}

type kittyPlace struct {
	png        *byte // the figure's file (a figure id can be reused)
	cols, rows int
	shown      bool // the transmission was written (Confirm): cells may show it
}

type sixelKey struct {
	id         uint64
	png        *byte
	cols, rows int
	cellW      int
	cellH      int
}

type sixelImage struct {
	done bool
	seq  string // DCS … ST, or "" when it could not be encoded
}

type itermImage struct {
	png *byte
	b64 string
}

// pacedPlace is where a pixel figure is: its first line in the pane's
// screen, its size, and its place on the terminal.
type pacedPlace struct {
	png           *byte
	line, w, rows int
	left, y       int
	cell          int       // the cell's size in pixels (cellSize): a sixel is encoded for it
	since         time.Time // when it came to this place
	still         bool      // it stayed there for Settle: its image may be drawn
}

// samePlace reports whether a and b are the same figure at the same place.
func (a pacedPlace) samePlace(b pacedPlace) bool {
	return a.png == b.png && a.line == b.line && a.w == b.w && a.rows == b.rows &&
		a.left == b.left && a.y == b.y && a.cell == b.cell
}

// Settle is how long a pixel figure (iTerm2, sixel) must stay at one place
// on the terminal before its image is drawn there. While the pane scrolls
// (output after a figure), the figure moves a line at each frame, and each
// move would erase the image and send the whole of it again: tens of
// kilobytes a frame, 3-4 times the PNG per figure, and the student's echo
// waiting behind them. Moving, it shows its half blocks. 150 ms is longer
// than the gaps between the frames of output streaming in (at most 1/60 s
// apart with output coming) and between a loop's prints, yet short enough
// that a figure at rest is drawn about as soon as the eye looks at it.
const Settle = 150 * time.Millisecond

// maxSixels bounds the encoded sixels a Painter keeps.
const maxSixels = 8

// NewPainter returns a Painter over d's figures; wake is called (from the
// Painter's goroutine) when an image it was asked for is ready. seed
// varies the kitty image ids between views of one terminal.
func NewPainter(d *Drawer, wake func(), seed uint32) *Painter {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Painter{drawer: d, wake: wake, ctx: ctx, cancel: cancel, proto: Blocks,
		cellW: defaultCellW, cellH: defaultCellH,
		idBase: (seed%0x7F + 1) << 16, placed: map[uint64]kittyPlace{},
		encoding: map[sixelKey]*sixelImage{}, iterm: map[uint64]itermImage{}, rowCache: map[rowKey]string{},
		paced: map[uint64]pacedPlace{}, settle: Settle, now: time.Now}
	if d != nil {
		p.src = d.src
	}
	return p
}

// Close stops the encoding and waits for it.
func (p *Painter) Close() {
	if p == nil {
		return
	}
	p.cancel()
	p.wg.Wait()
}

// SetProtocol sets the protocol and the terminal's cell size in pixels.
func (p *Painter) SetProtocol(proto Protocol, cellW, cellH int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if proto == Auto {
		proto = Blocks
	}
	p.proto = proto
	if cellW > 0 && cellH > 0 {
		p.cellW, p.cellH = cellW, cellH
	}
	if proto != Kitty {
		clear(p.placed) // switching back to kitty sends them again
	}
	if proto != ITerm2 && proto != Sixel {
		clear(p.paced)
	}
}

// SetTmux says whether the terminal is tmux (or screen): kitty's escapes
// then go through its passthrough (tmux.go). A change sends the kitty images
// again: the bytes sent before went to tmux, or past it.
func (p *Painter) SetTmux(on bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tmux != on {
		p.tmux = on
		clear(p.placed)
	}
}

// Protocol is what the Painter draws with.
func (p *Painter) Protocol() Protocol {
	if p == nil {
		return Blocks
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proto
}

// ready is figure id when it can be drawn in pixels.
func (p *Painter) ready(id uint64) (figures.Figure, bool) {
	if p.src == nil {
		return figures.Figure{}, false
	}
	f := p.src.Get(id)
	return f, f.State == figures.Ready && len(f.PNG) > 0
}

// Lines replaces, in lines (a Screen's lines, each w cells), the figure
// rows with what this view's protocol draws there: half blocks, kitty
// placeholders, blanks under an image drawn by the overlay, or a note.
func (p *Painter) Lines(lines []string, rows []repl.FigureRow, w int) {
	if p == nil {
		return
	}
	proto := p.Protocol()
	if proto == Blocks {
		p.drawer.Overlay(lines, rows, w)
		return
	}
	for _, r := range rows {
		if r.Line < 0 || r.Line >= len(lines) {
			continue
		}
		f, ok := p.ready(r.ID)
		switch {
		case !ok:
			pic := p.drawer.Lines(r.ID, w, r.Rows) // a note: pending, refused, gone
			if r.Row < len(pic) {
				lines[r.Line] = pic[r.Row]
			}
		case proto == Off:
			lines[r.Line] = strings.Repeat(" ", max(w, 0))
			if r.Row == 0 {
				lines[r.Line] = noteLine(fmt.Sprintf("[figure: ~/%s]", f.Path), w)
			}
		case proto == Kitty:
			if !p.kittyShown(r.ID, f, kittyCols(w), r.Rows) { // until its bytes are out: half blocks
				pic := p.drawer.Lines(r.ID, w, r.Rows)
				if r.Row < len(pic) {
					lines[r.Line] = pic[r.Row]
				}
				continue
			}
			lines[r.Line] = p.placeholderRow(r.ID, r.Row, kittyCols(w), w)
		case !wholeOnScreen(rows, firstOf(r)) || (proto == ITerm2 || proto == Sixel) && !p.stillAt(r.ID, f, r.Line-r.Row, w, r.Rows):
			// Partly scrolled off, or moving (Pace): no image (Overlay),
			// the half blocks.
			pic := p.drawer.Lines(r.ID, w, r.Rows)
			if r.Row < len(pic) {
				lines[r.Line] = pic[r.Row]
			}
		default: // blank under the image
			lines[r.Line] = strings.Repeat(" ", max(w, 0))
			if r.Row == 0 && proto == Sixel && !p.sixelReady(f, w, r.Rows) {
				lines[r.Line] = noteLine(fmt.Sprintf("[drawing the figure ~/%s…]", f.Path), w)
			}
		}
	}
}

func (p *Painter) kittyShown(id uint64, f figures.Figure, cols, rows int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	pl := p.placed[id]
	return pl.shown && pl.png == &f.PNG[0] && pl.cols == cols && pl.rows == rows
}

// Confirm says that what Transmit returned for sent was written to the
// terminal: the figures' cells can show them.
func (p *Painter) Confirm(sent []Sent) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range sent {
		if pl, ok := p.placed[s.id]; ok && pl == s.place {
			pl.shown = true
			p.placed[s.id] = pl
		}
	}
}

// Sent is one figure's transmission, for Confirm.
type Sent struct {
	id    uint64
	place kittyPlace
}

// kittyCols is how many cells wide a kitty figure is in a pane w wide
// (the diacritics number at most 297 columns).
func kittyCols(w int) int { return min(max(w, 1), 297) }

// kittyID is figure id's image id in the terminal (24 bits: the
// foreground colour of its placeholders).
func (p *Painter) kittyID(id uint64) uint32 { return p.idBase | uint32(id&0xFFFF) }

// placeholderRow is row r of a kitty figure cols cells wide, padded to w
// (kept: the pane draws it again at each change of its text).
func (p *Painter) placeholderRow(id uint64, r, cols, w int) string {
	k := rowKey{id, r, cols, w}
	p.mu.Lock()
	row, ok := p.rowCache[k]
	p.mu.Unlock()
	if ok {
		return row
	}
	row = p.makePlaceholderRow(id, r, cols, w)
	p.mu.Lock()
	if len(p.rowCache) >= 4*repl.MaxFigureRows {
		clear(p.rowCache)
	}
	p.rowCache[k] = row
	p.mu.Unlock()
	return row
}

type rowKey struct {
	id           uint64
	row, cols, w int
}

func (p *Painter) makePlaceholderRow(id uint64, r, cols, w int) string {
	kid := p.kittyID(id)
	var b strings.Builder
	fmt.Fprintf(&b, "\x1b[38;2;%d;%d;%dm", kid>>16&0xFF, kid>>8&0xFF, kid&0xFF)
	for c := range cols {
		b.WriteRune(kitty.Placeholder)
		b.WriteRune(kitty.Diacritic(r))
		b.WriteRune(kitty.Diacritic(c))
	}
	b.WriteString("\x1b[m")
	b.WriteString(strings.Repeat(" ", max(w-cols, 0)))
	return b.String()
}

// Transmit returns what the terminal must receive before a frame shows
// the kitty figures among rows (a pane w wide): each figure's PNG the first
// time, a new placement when its size changed; "" when nothing (or not
// kitty). Once it is written, Confirm(sent) lets the cells show them.
func (p *Painter) Transmit(rows []repl.FigureRow, w int) (seq string, sent []Sent) {
	if p == nil || p.Protocol() != Kitty {
		return "", nil
	}
	var b strings.Builder
	p.forgetGone(&b)
	for _, r := range rows {
		if r.Row != 0 && r.Line != 0 {
			continue // one look per figure: its first row, or its top on screen
		}
		f, ok := p.ready(r.ID)
		if !ok {
			continue
		}
		want := kittyPlace{png: &f.PNG[0], cols: kittyCols(w), rows: r.Rows}
		kid := p.kittyID(r.ID)
		p.mu.Lock()
		had, known := p.placed[r.ID]
		if known && had.png == want.png && had.cols == want.cols && had.rows == want.rows {
			p.mu.Unlock()
			continue
		}
		p.placed[r.ID] = want
		p.mu.Unlock()
		sent = append(sent, Sent{id: r.ID, place: want})
		switch {
		case !known || had.png != want.png:
			b.WriteString(KittyTransmit(kid, f.PNG, want.cols, want.rows))
		default:
			fmt.Fprintf(&b, "\x1b_Ga=p,U=1,i=%d,p=1,c=%d,r=%d,q=2\x1b\\", kid, want.cols, want.rows)
		}
	}
	seq = b.String()
	p.mu.Lock()
	tmux := p.tmux
	p.mu.Unlock()
	if tmux && seq != "" {
		seq = tmuxEach(seq) // the placeholders need no wrapping: they are text
	}
	return seq, sent
}

// forgetGone tells the terminal to free the images of figures the store
// no longer keeps (their rows only name the file now), writing into b.
func (p *Painter) forgetGone(b *strings.Builder) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id := range p.placed {
		if f := p.src.Get(id); f.State == figures.Gone {
			fmt.Fprintf(b, "\x1b_Ga=d,d=I,i=%d,q=2\x1b\\", p.kittyID(id))
			delete(p.placed, id)
		}
	}
}

// KittyTransmit is the kitty graphics sequence that sends data (a PNG) as
// image id with a virtual placement of cols×rows cells for Unicode
// placeholders, in chunks of 4096 base64 bytes, quietly (q=2: no answer).
func KittyTransmit(id uint32, data []byte, cols, rows int) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	first := true
	for len(enc) > 0 || first {
		chunk := enc[:min(len(enc), kitty.MaxChunkSize)]
		enc = enc[len(chunk):]
		more := 0
		if len(enc) > 0 {
			more = 1
		}
		if first {
			fmt.Fprintf(&b, "\x1b_Ga=T,U=1,f=100,t=d,i=%d,p=1,c=%d,r=%d,q=2,m=%d;%s\x1b\\", id, cols, rows, more, chunk)
			first = false
		} else {
			fmt.Fprintf(&b, "\x1b_Gm=%d;%s\x1b\\", more, chunk)
		}
	}
	return b.String()
}

// Overlay returns the pixel images of the figures among rows, a screen
// whose line 0 is at the terminal's row top and column left, in a terminal
// height rows high, and the sequence that erases them; both "" when the
// protocol draws cells.
func (p *Painter) Overlay(rows []repl.FigureRow, w, left, top, height int) (draw, erase string) {
	if p == nil {
		return "", ""
	}
	proto := p.Protocol()
	if !proto.Pixels() || w <= 0 {
		return "", ""
	}
	if proto == Page {
		return p.pageOverlay(rows, w, left, top, height)
	}
	// Which images go where: the same as last time costs no copy (View is
	// on the keystroke path; an image is tens of kilobytes).
	type place struct {
		f    figures.Figure
		y    int
		rows int
		six  string // the sixel, encoded
	}
	var places []place
	var key strings.Builder
	p.mu.Lock()
	fmt.Fprintf(&key, "%s %d %d %dx%d|", proto, w, left, p.cellW, p.cellH) // the cells size a sixel
	p.mu.Unlock()
	for _, r := range rows {
		if r.Row != 0 || !wholeOnScreen(rows, r) {
			continue
		}
		y := top + r.Line
		if y < 0 || y+r.Rows > height-1 { // never on the last row
			continue
		}
		f, ok := p.ready(r.ID)
		if !ok || !p.still(r.ID, placeOf(f, r, w, left, top, p.cellSize())) {
			continue // not ready, or moving: its half blocks (Pace)
		}
		pl := place{f: f, y: y, rows: r.Rows}
		if proto == Sixel {
			if pl.six = p.sixelSeq(f, w, r.Rows); pl.six == "" {
				continue // being encoded
			}
		}
		places = append(places, pl)
		fmt.Fprintf(&key, "%d@%d+%d:%p;", f.ID, y, r.Rows, &f.PNG[0])
	}
	p.mu.Lock()
	if key.String() == p.lastKey {
		draw, erase = p.lastDraw, p.lastErase
		p.mu.Unlock()
		return draw, erase
	}
	p.mu.Unlock()
	var d, e strings.Builder
	for _, pl := range places {
		img := pl.six
		if proto == ITerm2 {
			img = p.itermSeq(pl.f, w, pl.rows)
		}
		d.WriteString(ansi.SaveCursor + ansi.CursorPosition(left+1, pl.y+1) + img + ansi.RestoreCursor)
		e.WriteString(ansi.SaveCursor + "\x1b[m")
		for i := range pl.rows {
			e.WriteString(ansi.CursorPosition(left+1, pl.y+i+1) + ansi.EraseCharacter(w))
		}
		e.WriteString(ansi.RestoreCursor)
	}
	draw, erase = d.String(), e.String()
	p.mu.Lock()
	p.lastKey, p.lastDraw, p.lastErase = key.String(), draw, erase
	p.mu.Unlock()
	return draw, erase
}

// Pace notes where the pixel figures (iTerm2, sixel) among rows are now,
// with the arguments of Overlay, and says how long until the next of those
// that moved has stayed still for Settle (0: none waits). changed reports
// that a figure's image started or stopped being drawable: the pane must
// draw its rows again (blank under an image, or half blocks). Call it from
// Update, after each change: Overlay and Lines, called from View, draw an
// image only where Pace last saw its figure still, so the two always agree
// and View never looks at a clock. A sixel's encoding starts here, while
// its figure moves.
func (p *Painter) Pace(rows []repl.FigureRow, w, left, top, height int) (wait time.Duration, changed bool) {
	if p == nil {
		return 0, false
	}
	proto := p.Protocol()
	if proto != ITerm2 && proto != Sixel || w <= 0 {
		return 0, false
	}
	cell := p.cellSize()
	var here []uint64
	for _, r := range rows {
		if r.Row != 0 || !wholeOnScreen(rows, r) {
			continue
		}
		if y := top + r.Line; y < 0 || y+r.Rows > height-1 {
			continue // never drawn there (Overlay): its half blocks
		}
		f, ok := p.ready(r.ID)
		if !ok {
			continue
		}
		if proto == Sixel {
			p.sixelSeq(f, w, r.Rows) // encoded meanwhile, off the render path
		}
		want := placeOf(f, r, w, left, top, cell)
		here = append(here, r.ID)
		p.mu.Lock()
		now := p.now()
		had, known := p.paced[r.ID]
		if !known || !had.samePlace(want) {
			want.since = now
			changed = changed || had.still
			had = want
		}
		if !had.still {
			if rest := p.settle - now.Sub(had.since); rest > 0 {
				if wait == 0 || rest < wait {
					wait = rest
				}
			} else {
				had.still, changed = true, true
			}
		}
		p.paced[r.ID] = had
		p.mu.Unlock()
	}
	p.mu.Lock()
	for id := range p.paced { // no longer whole on screen: moving when it comes back
		if !slices.Contains(here, id) {
			delete(p.paced, id)
		}
	}
	p.mu.Unlock()
	return wait, changed
}

// placeOf is where figure f, whose first row is r, is in a pane w wide at
// the terminal's column left and row top.
func placeOf(f figures.Figure, r repl.FigureRow, w, left, top, cell int) pacedPlace {
	return pacedPlace{png: &f.PNG[0], line: r.Line, w: w, rows: r.Rows, left: left, y: top + r.Line, cell: cell}
}

// cellSize is the cell's size in pixels, as one number for placeOf (a
// sixel is encoded for it).
func (p *Painter) cellSize() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cellW<<16 | p.cellH
}

// still reports whether Pace last saw figure id at place, still.
func (p *Painter) still(id uint64, place pacedPlace) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	had, ok := p.paced[id]
	return ok && had.still && had.samePlace(place)
}

// stillAt is still for Lines, which knows the figure's place in the pane's
// screen only (its first line, its size).
func (p *Painter) stillAt(id uint64, f figures.Figure, line, w, rows int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	had, ok := p.paced[id]
	return ok && had.still && had.png == &f.PNG[0] && had.line == line && had.w == w && had.rows == rows
}

// firstOf is the row 0 of r's figure, where it is (or would be) on screen.
func firstOf(r repl.FigureRow) repl.FigureRow {
	return repl.FigureRow{Line: r.Line - r.Row, ID: r.ID, Row: 0, Rows: r.Rows}
}

// wholeOnScreen reports whether every row of r's figure is among rows.
func wholeOnScreen(rows []repl.FigureRow, first repl.FigureRow) bool {
	n := 0
	for _, r := range rows {
		if r.ID == first.ID && r.Line == first.Line+r.Row {
			n++
		}
	}
	return n == first.Rows
}

// itermSeq is f as an iTerm2 inline image of w×rows cells (kept with its
// aspect, on the left).
func (p *Painter) itermSeq(f figures.Figure, w, rows int) string {
	p.mu.Lock()
	im, ok := p.iterm[f.ID]
	p.mu.Unlock()
	if !ok || im.png != &f.PNG[0] {
		im = itermImage{png: &f.PNG[0], b64: base64.StdEncoding.EncodeToString(f.PNG)}
		p.mu.Lock()
		if len(p.iterm) >= maxSixels {
			clear(p.iterm)
		}
		p.iterm[f.ID] = im
		p.mu.Unlock()
	}
	return ITerm2Image(len(f.PNG), im.b64, w, rows)
}

// ITerm2Image is OSC 1337 File= with an image of size bytes (b64, its
// base64) drawn inline in w×rows cells, keeping its aspect.
func ITerm2Image(size int, b64 string, w, rows int) string {
	return fmt.Sprintf("\x1b]1337;File=inline=1;size=%d;width=%d;height=%d;preserveAspectRatio=1;doNotMoveCursor=1:%s\a", size, w, rows, b64)
}

func (p *Painter) sixelKeyOf(f figures.Figure, w, rows int) sixelKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sixelKey{id: f.ID, png: &f.PNG[0], cols: w, rows: rows, cellW: p.cellW, cellH: p.cellH}
}

// sixelReady reports whether f's sixel at this size is encoded.
func (p *Painter) sixelReady(f figures.Figure, w, rows int) bool {
	k := p.sixelKeyOf(f, w, rows)
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.encoding[k]
	return s != nil && s.done
}

// sixelSeq is f's sixel at w×rows cells, or "" while it is encoded (the
// encoding is started: wake tells when it is done).
func (p *Painter) sixelSeq(f figures.Figure, w, rows int) string {
	k := p.sixelKeyOf(f, w, rows)
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.encoding[k]; s != nil {
		return s.seq
	}
	if p.ctx.Err() != nil {
		return "" // closed: nothing more is encoded
	}
	if len(p.encoding) >= maxSixels {
		for old, s := range p.encoding {
			if s.done {
				delete(p.encoding, old)
			}
		}
	}
	p.encoding[k] = &sixelImage{}
	p.queue = append(p.queue, k)
	if !p.running {
		p.running = true
		p.wg.Add(1)
		go p.encodeQueue()
	}
	return ""
}

// encodeQueue encodes the queued sixels one at a time.
func (p *Painter) encodeQueue() {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		if len(p.queue) == 0 || p.ctx.Err() != nil {
			p.running = false
			p.mu.Unlock()
			return
		}
		k := p.queue[0]
		p.queue = p.queue[1:]
		p.mu.Unlock()
		f := p.src.Get(k.id)
		seq := ""
		if f.State == figures.Ready && len(f.PNG) > 0 && &f.PNG[0] == k.png {
			// In one of the decoding slots every workspace shares, when
			// the store has them: encodings stay within the cores allowed.
			release, ok := func() {}, true
			if slots, has := p.src.(interface {
				Slot(stop <-chan struct{}) (func(), bool)
			}); has {
				release, ok = slots.Slot(p.ctx.Done())
			}
			if ok {
				seq = SixelOf(f.PNG, k.cols*k.cellW, k.rows*k.cellH)
				release()
			}
		}
		p.mu.Lock()
		if s := p.encoding[k]; s != nil {
			s.done, s.seq = true, seq
		}
		p.mu.Unlock()
		if p.ctx.Err() == nil && p.wake != nil {
			p.wake()
		}
	}
}

// SixelOf decodes data (a PNG) and encodes it as a sixel image fitting
// maxW×maxH pixels, keeping its aspect, its height a multiple of 6 (a sixel
// band) so it never reaches the row below; "" if it cannot.
func SixelOf(data []byte, maxW, maxH int) string {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || maxW < 1 || maxH < 6 {
		return ""
	}
	pic := figures.Scale(img, maxW, maxH-maxH%6)
	if h := pic.Bounds().Dy() - pic.Bounds().Dy()%6; h > 0 && h < pic.Bounds().Dy() {
		pic = pic.SubImage(image.Rect(0, 0, pic.Bounds().Dx(), h)).(*image.RGBA)
	}
	var b bytes.Buffer
	if err := (&sixel.Encoder{}).Encode(&b, pic); err != nil {
		return ""
	}
	return ansi.SixelGraphics(0, 1, 0, b.Bytes())
}

// noteLine is a note in a figure's first row, w cells.
func noteLine(note string, w int) string {
	pic := Draw(figures.Figure{State: figures.Refused, Message: strings.Trim(note, "[]")}, w, 1)
	return pic[0]
}
