package figure

import (
	"fmt"
	"strings"

	"github.com/classroomd/classroomd/internal/workspace/figures"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// The browser page's overlay (Protocol Page, #15).
//
// What we need: the page shows a figure at the PNG's own resolution, in
// the rows reserved for it, and the pane's scrolling (which moves the
// figure on the screen every line) does not send the picture again.
//
// What we weighed: the page's xterm.js image addon draws iTerm2's inline
// images, but an inline image is bytes at a place: each move of the figure
// is the whole PNG again (base64, 4/3 of the file), and the addon scales
// it into the cells' CSS pixels, not the screen's device pixels.
//
// What we do: for the page, the figure's rows are blank cells (Painter.Lines
// draws them as for iTerm2: blank under a figure whole on screen, its half
// blocks when partly scrolled off) and the overlay is a private OSC naming
// where each figure lies and which file it is:
//
//	ESC ] 7709 ; clear BEL
//	ESC ] 7709 ; place ; COL ; ROW ; COLS ; ROWS ; VERSION ; figures/NAME-N.png BEL
//
// COL and ROW are the terminal's 0-based cell of the figure's top left
// corner, COLS×ROWS its box; VERSION tells one file of that name from a
// later one. The page (web/static/term.js) lays an <img> of the PNG over the
// box, fetched once per VERSION from /files/download (the signed-in
// student's own, or students/NAME/ for the professor watching), and moves
// it when the place changes: a move costs tens of bytes. The overlay
// starts with clear, so it is the whole state (Bubble Tea's overlay is a
// state, third_party/bubbletea); its erase is clear alone. The page also
// clears on an erase of the whole screen (a resize's redraw, which writes
// no erase). Terminals ignore an OSC they do not know, but only the page
// claims this protocol. The name is checked by the figure store
// (figures.CheckName) and again by the page.

// pageOSC is the number of the page's private OSC (the REPL's marker from
// Python is 7708, consumed by the server's emulator).
const pageOSC = "7709"

// PageClear is the sequence that removes every figure the page shows.
const PageClear = "\x1b]" + pageOSC + ";clear\a"

// PagePlace is the sequence that lays figure f over the box of cols×rows
// cells whose top left cell is (col, row), 0-based.
func PagePlace(f figures.Figure, col, row, cols, rows int) string {
	return fmt.Sprintf("\x1b]%s;place;%d;%d;%d;%d;%d-%d;%s\a", pageOSC, col, row, cols, rows, f.ID, len(f.PNG), f.Path)
}

// pageOverlay is Overlay for Protocol Page: the places of the figures
// among rows shown whole (a screen whose line 0 is at the terminal's row
// top and column left, in a terminal height rows high), and the sequence
// that removes them.
func (p *Painter) pageOverlay(rows []repl.FigureRow, w, left, top, height int) (draw, erase string) {
	var b strings.Builder
	b.WriteString(PageClear)
	for _, r := range rows {
		if r.Row != 0 || !wholeOnScreen(rows, r) {
			continue
		}
		y := top + r.Line
		if y < 0 || y+r.Rows > height {
			continue
		}
		f, ok := p.ready(r.ID)
		if !ok || figures.CheckName(f.Path) != "" {
			continue
		}
		b.WriteString(PagePlace(f, left, y, w, r.Rows))
	}
	return b.String(), PageClear
}
