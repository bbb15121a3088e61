package figure

import (
	"bytes"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/classroomd/classroomd/internal/workspace/figures"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// The frames of the tests: Bubble Tea's at most (internal/sshd, maxFPS).
const frame = time.Second / 120

// pixelPainter is a Painter drawing in proto with the test's clock, its
// sixel for figures of w×rows cells encoded (waited for) before it returns.
func pixelPainter(t *testing.T, src Source, proto Protocol, w, rows int) (*Painter, *clock) {
	t.Helper()
	woke := make(chan struct{}, 16)
	p := NewPainter(NewDrawer(src), func() {
		select {
		case woke <- struct{}{}:
		default:
		}
	}, 3)
	t.Cleanup(p.Close)
	p.SetProtocol(proto, 9, 18)
	c := withClock(p)
	if proto == Sixel { // encoded once for its size, wherever it is
		p.Pace(rowsOf(7, 0, rows), w, 0, 0, rows+1)
		select {
		case <-woke:
		case <-time.After(10 * time.Second):
			t.Fatal("the sixel was never encoded")
		}
	}
	p.Pace(nil, 40, 0, 0, 30) // forgotten: it comes back as moving
	return p, c
}

// A figure that moves at every frame (the pane scrolling under output)
// gets no image, and its rows show its half blocks; once it stays put for
// Settle, its image is drawn, once: the same overlay after that.
func TestMovingPixelFigureIsNotDrawnUntilItRests(t *testing.T) {
	for _, proto := range []Protocol{ITerm2, Sixel} {
		t.Run(string(proto), func(t *testing.T) {
			p, c := pixelPainter(t, readyFigure(t, 320, 240), proto, 40, 5)
			const w, left, top, height = 40, 10, 1, 40
			var rows []repl.FigureRow
			for i := range 20 { // up a line a frame, from line 24 to 5
				rows = rowsOf(7, 24-i, 5)
				wait, _ := p.Pace(rows, w, left, top, height)
				if wait != Settle {
					t.Fatalf("frame %d: the next look in %v, want %v (it just moved)", i, wait, Settle)
				}
				if d, e := p.Overlay(rows, w, left, top, height); d != "" || e != "" {
					t.Fatalf("frame %d: a moving figure's image was sent (%d bytes)", i, len(d)+len(e))
				}
				lines := blank(30, w)
				p.Lines(lines, rows, w)
				if !strings.Contains(lines[24-i], "▀") {
					t.Fatalf("frame %d: a moving figure's rows are not its half blocks: %q", i, lines[24-i])
				}
				c.t = c.t.Add(frame)
			}

			// It stops: not yet drawn just before Settle…
			c.t = c.t.Add(Settle - 2*frame)
			if wait, changed := p.Pace(rows, w, left, top, height); wait != frame || changed {
				t.Errorf("before Settle: next look in %v (want %v), changed %v", wait, frame, changed)
			}
			if d, _ := p.Overlay(rows, w, left, top, height); d != "" {
				t.Errorf("drawn before it rested for Settle")
			}
			// …drawn once it is over.
			c.t = c.t.Add(frame)
			if wait, changed := p.Pace(rows, w, left, top, height); wait != 0 || !changed {
				t.Errorf("at Settle: next look in %v (want none), changed %v (want true: the rows go blank)", wait, changed)
			}
			d1, e1 := p.Overlay(rows, w, left, top, height)
			want := map[Protocol]string{ITerm2: "\x1b]1337;File=", Sixel: "\x1bP0;1q"}[proto]
			if !strings.HasPrefix(d1, "\x1b7\x1b[7;11H"+want) || e1 == "" {
				t.Fatalf("at rest: draw %q, erase %d bytes", d1[:min(len(d1), 40)], len(e1))
			}
			lines := blank(30, w)
			p.Lines(lines, rows, w)
			if strings.Contains(strings.Join(lines, ""), "▀") {
				t.Errorf("half blocks under the image")
			}
			// Still there, frames later: the same overlay (the renderer
			// writes nothing), nothing to wait for.
			c.t = c.t.Add(time.Second)
			if wait, changed := p.Pace(rows, w, left, top, height); wait != 0 || changed {
				t.Errorf("at rest: next look in %v, changed %v", wait, changed)
			}
			if d2, _ := p.Overlay(rows, w, left, top, height); unsafe.StringData(d2) != unsafe.StringData(d1) {
				t.Errorf("the image was made again while it rested")
			}
			// It moves again: erased (no overlay), half blocks, and Pace
			// says its rows change.
			rows = rowsOf(7, 4, 5)
			if wait, changed := p.Pace(rows, w, left, top, height); wait != Settle || !changed {
				t.Errorf("moved after resting: next look in %v, changed %v", wait, changed)
			}
			if d, _ := p.Overlay(rows, w, left, top, height); d != "" {
				t.Errorf("drawn at once after a move")
			}
		})
	}
}

// A change of the pane's place on the terminal (a layout change) is a
// move too; a figure that Pace never saw is not drawn.
func TestPixelFigureWaitsAfterThePaneMoves(t *testing.T) {
	p, c := pixelPainter(t, readyFigure(t, 320, 240), ITerm2, 40, 5)
	rows := rowsOf(7, 3, 5)
	if d, _ := p.Overlay(rows, 40, 0, 1, 30); d != "" {
		t.Errorf("drawn before Pace saw it")
	}
	rest(p, c, rows, 40, 0, 1, 30)
	if d, _ := p.Overlay(rows, 40, 0, 1, 30); d == "" {
		t.Fatalf("not drawn at rest")
	}
	if _, changed := p.Pace(rows, 40, 20, 1, 30); !changed {
		t.Errorf("the pane moved right: not a change")
	}
	if d, _ := p.Overlay(rows, 40, 20, 1, 30); d != "" {
		t.Errorf("drawn at once where the pane moved")
	}
	lines := blank(10, 40)
	p.Lines(lines, rows, 40)
	if !strings.Contains(lines[3], "▀") {
		t.Errorf("rows under a figure not yet drawn are blank: %q", lines[3])
	}
}

// plotFigure is testdata/plot.png as a ready figure (id 7): what
// matplotlib 3.6 saved for plt.plot([1, 3, 2]) with a title, at the DPI of
// python/classroomd_figures.py (640×480, 24 KB).
func plotFigure(t *testing.T) oneFigure {
	t.Helper()
	data, err := os.ReadFile("testdata/plot.png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return oneFigure{figures.Figure{ID: 7, Path: "figures/plot.png", State: figures.Ready,
		Image: figures.Scale(img, figures.MaxWidth, figures.MaxHeight), Width: 640, Height: 480, PNG: data}}
}

// The figures the issue measures: bytes a view's terminal receives for the
// overlay while output scrolls a figure through the Python pane, with the
// renderer's overlay (third_party/bubbletea patch 3: the last overlay's
// erase and the new overlay, whenever the overlay changes), before this
// pacing (Settle 0: drawn wherever it is at each frame) and with it. The
// pane is 40 rows, the figure 20, one line of output a frame at 120 frames
// a second. "shown, then 60 lines": the figure at rest at the bottom, then
// 60 lines scroll it off; "shown within the output": plt.show() in a loop
// that prints 60 lines after it, so it never rests.
func TestPacedOverlayBytesWhileScrolling(t *testing.T) {
	plot := plotFigure(t)
	for _, proto := range []Protocol{Sixel, ITerm2} {
		for _, settle := range []time.Duration{0, Settle} {
			const w, left, top, height, paneRows, figRows = 80, 0, 1, 42, 40, 20
			p, c := pixelPainter(t, plot, proto, w, figRows)
			p.settle = settle
			var sent, images int
			var lastDraw, lastErase string
			look := func(rows []repl.FigureRow) {
				p.Pace(rows, w, left, top, height)
				d, e := p.Overlay(rows, w, left, top, height)
				if d != lastDraw {
					sent += len(lastErase) + len(d)
					if d != "" {
						images++
					}
					lastDraw, lastErase = d, e
				}
			}
			// The figure's rows on a screen of paneRows lines, its first at at.
			on := func(at int) []repl.FigureRow {
				var rows []repl.FigureRow
				for _, r := range rowsOf(7, at, figRows) {
					if r.Line >= 0 && r.Line < paneRows {
						rows = append(rows, r)
					}
				}
				return rows
			}
			at := paneRows - figRows - 1 // above the prompt
			look(on(at))
			c.t = c.t.Add(time.Second) // at rest: drawn
			look(on(at))
			restBytes := sent
			for range 60 {
				at--
				c.t = c.t.Add(frame)
				look(on(at))
			}
			c.t = c.t.Add(time.Second)
			look(on(at))
			scrolled, scrolledImages := sent-restBytes, images

			// Shown within the output: it never rests.
			p.Pace(nil, w, left, top, height)
			sent, images, lastDraw, lastErase = 0, 0, "", ""
			at = paneRows - figRows - 1
			for range 61 {
				look(on(at))
				at--
				c.t = c.t.Add(frame)
			}
			c.t = c.t.Add(time.Second)
			look(on(at + 1))
			t.Logf("%s, settle %v: shown (%d bytes, drawn at rest), then 60 lines: %d bytes more, %d images in all; shown within the output: %d bytes, %d images",
				proto, settle, restBytes, scrolled, scrolledImages, sent, images)
			if settle > 0 && (scrolledImages != 1 || images != 0) {
				t.Errorf("%s paced: %d images with the figure at rest then scrolled (want the one at rest), %d within the output (want none)", proto, scrolledImages, images)
			}
		}
	}
}
