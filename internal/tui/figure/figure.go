// Package figure draws a figure of the student's Python (#15) into the
// rows the REPL reserved for it.
//
// This is the drawing every terminal gets: a colour picture in half-block
// characters, each cell two pixels (▀ with the upper pixel as foreground and
// the lower as background). It is text, so it needs no protocol, goes stale
// with nothing, and the renderer's diff treats it like any other line. The
// colours are true colour; Bubble Tea's renderer brings them down to the
// terminal's profile (256 or 16 colours) as it does every style. Terminals
// that claim a pixel protocol (kitty, iTerm2, sixel; detect.go) get their
// own drawing instead (painter.go); no image escape is sent from here.
package figure

import (
	"fmt"
	"image"
	"strings"
	"sync"

	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/workspace/figures"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// Source is where figures come from: *figures.Store.
type Source interface {
	Get(id uint64) figures.Figure
}

// Drawer draws figures for one view and keeps the last pictures it drew,
// so that a redraw of the pane costs a map lookup per row. It is safe for
// concurrent use.
type Drawer struct {
	src Source

	mu    sync.Mutex
	cache map[drawKey][]string
}

type drawKey struct {
	id          uint64
	img         *image.RGBA // the figure's pixels (nil until ready)
	state       figures.State
	width, rows int
}

// maxCached bounds the pictures a Drawer keeps (a figure at a few widths).
const maxCached = 16

// NewDrawer draws the figures of src.
func NewDrawer(src Source) *Drawer {
	return &Drawer{src: src, cache: map[drawKey][]string{}}
}

// Overlay replaces, in lines (a Screen's lines, each w cells), the figure
// rows with their pictures.
func (d *Drawer) Overlay(lines []string, rows []repl.FigureRow, w int) {
	if d == nil || d.src == nil {
		return
	}
	for _, r := range rows {
		if r.Line < 0 || r.Line >= len(lines) {
			continue
		}
		pic := d.Lines(r.ID, w, r.Rows)
		if r.Row < len(pic) {
			lines[r.Line] = pic[r.Row]
		}
	}
}

// Lines returns figure id drawn in rows lines of w cells.
func (d *Drawer) Lines(id uint64, w, rows int) []string {
	f := d.src.Get(id)
	k := drawKey{id: id, img: f.Image, state: f.State, width: w, rows: rows}
	d.mu.Lock()
	pic, ok := d.cache[k]
	d.mu.Unlock()
	if ok {
		return pic
	}
	pic = Draw(f, w, rows)
	d.mu.Lock()
	if len(d.cache) >= maxCached {
		clear(d.cache)
	}
	d.cache[k] = pic
	d.mu.Unlock()
	return pic
}

// Draw draws f in rows lines, each exactly w cells wide: the picture when
// it is ready, else a line saying where it is.
func Draw(f figures.Figure, w, rows int) []string {
	lines := make([]string, rows)
	blank := strings.Repeat(" ", max(w, 0))
	for i := range lines {
		lines[i] = blank
	}
	if w <= 0 || rows <= 0 {
		return lines
	}
	var note string
	switch f.State {
	case figures.Ready:
		if f.Image != nil {
			return HalfBlocks(f.Image, w, rows)
		}
	case figures.Pending:
		note = fmt.Sprintf("[drawing the figure ~/%s…]", f.Path)
	case figures.Refused:
		note = "[" + f.Message + "]"
	}
	if note == "" {
		note = "[an earlier figure, no longer kept here; its PNG is in ~/figures]"
	}
	lines[0] = termtext.Pad(termtext.Fit(termtext.Safe(note), w), w)
	return lines
}

// HalfBlocks draws img in half blocks into rows lines of exactly w cells,
// scaled to fit w×2·rows pixels keeping its aspect (a half block is about
// square), on the left.
func HalfBlocks(img *image.RGBA, w, rows int) []string {
	pic := figures.Scale(img, w, rows*2)
	pw, ph := pic.Bounds().Dx(), pic.Bounds().Dy()
	lines := make([]string, rows)
	var b strings.Builder
	for r := range rows {
		b.Reset()
		var fg, bg [3]uint8
		pen := false
		for x := range pw {
			top, bottom := rgb(pic, x, 2*r, ph), rgb(pic, x, 2*r+1, ph)
			if 2*r >= ph { // below the picture
				break
			}
			if !pen || top != fg {
				fmt.Fprintf(&b, "\x1b[38;2;%d;%d;%dm", top[0], top[1], top[2])
				fg = top
			}
			if !pen || bottom != bg {
				fmt.Fprintf(&b, "\x1b[48;2;%d;%d;%dm", bottom[0], bottom[1], bottom[2])
				bg = bottom
			}
			pen = true
			b.WriteString("▀")
		}
		drawn := 0
		if pen {
			b.WriteString("\x1b[m")
			drawn = pw
		}
		b.WriteString(strings.Repeat(" ", w-drawn))
		lines[r] = b.String()
	}
	return lines
}

// rgb is pixel (x, y), or white below the picture (an odd last row).
func rgb(img *image.RGBA, x, y, h int) [3]uint8 {
	if y >= h {
		return [3]uint8{255, 255, 255}
	}
	c := img.RGBAAt(x, y)
	return [3]uint8{c.R, c.G, c.B}
}
