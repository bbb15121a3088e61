package figure

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/classroomd/classroomd/internal/workspace/figures"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// oneFigure is a Source with one ready figure (id 7), w×h pixels.
type oneFigure struct{ f figures.Figure }

func (o oneFigure) Get(id uint64) figures.Figure {
	if id == o.f.ID {
		return o.f
	}
	return figures.Figure{ID: id, State: figures.Gone}
}

func readyFigure(t *testing.T, w, h int) oneFigure {
	t.Helper()
	img := twoTone(w, h)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return oneFigure{figures.Figure{ID: 7, Path: "figures/a.png", State: figures.Ready,
		Image: figures.Scale(img, figures.MaxWidth, figures.MaxHeight), Width: w, Height: h, PNG: b.Bytes()}}
}

// rowsOf is a figure of n rows whose first row is screen line at.
func rowsOf(id uint64, at, n int) []repl.FigureRow {
	var rows []repl.FigureRow
	for i := range n {
		rows = append(rows, repl.FigureRow{Line: at + i, ID: id, Row: i, Rows: n})
	}
	return rows
}

// clock is a Painter's time in a test: it moves only when told.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// withClock gives p a clock of the test's.
func withClock(p *Painter) *clock {
	c := &clock{t: time.Unix(1_000_000_000, 0)}
	p.now = c.now
	return c
}

// rest has p see the figures among rows still for Settle (Pace, as the
// view's Update calls it, before and after), with Overlay's arguments.
func rest(p *Painter, c *clock, rows []repl.FigureRow, w, left, top, height int) {
	p.Pace(rows, w, left, top, height)
	c.t = c.t.Add(Settle)
	p.Pace(rows, w, left, top, height)
}

func blank(n, w int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = strings.Repeat(" ", w)
	}
	return lines
}

func TestKittyPlaceholdersAfterTheTransmission(t *testing.T) {
	src := readyFigure(t, 64, 48)
	p := NewPainter(NewDrawer(src), nil, 3)
	defer p.Close()
	p.SetProtocol(Kitty, 0, 0)
	rows := rowsOf(7, 2, 5)

	seq, sent := p.Transmit(rows, 40)
	if !strings.HasPrefix(seq, "\x1b_Ga=T,U=1,f=100,t=d,i=") || !strings.Contains(seq, ",c=40,r=5,q=2,") {
		t.Fatalf("transmission %q", seq[:min(len(seq), 80)])
	}
	if again, _ := p.Transmit(rows, 40); again != "" {
		t.Errorf("sent twice: %q", again)
	}
	// The chunks' payloads, joined, are the PNG; the last says m=0.
	var b64 strings.Builder
	chunks := strings.Split(strings.TrimSuffix(seq, "\x1b\\"), "\x1b\\")
	for i, c := range chunks {
		ctl, payload, _ := strings.Cut(strings.TrimPrefix(c, "\x1b_G"), ";")
		if last := i == len(chunks)-1; strings.HasSuffix(ctl, "m=0") != last || len(payload) > 4096 {
			t.Errorf("chunk %d of %d: %q, %d bytes", i, len(chunks), ctl, len(payload))
		}
		b64.WriteString(payload)
	}
	if got, err := base64.StdEncoding.DecodeString(b64.String()); err != nil || !bytes.Equal(got, src.f.PNG) {
		t.Errorf("the transmission is not the PNG (%v)", err)
	}
	lines := blank(10, 40)
	p.Lines(lines, rows, 40)
	if strings.Contains(lines[2], "\U0010EEEE") {
		t.Errorf("placeholders before the transmission was written")
	}
	p.Confirm(sent)
	lines = blank(10, 40)
	p.Lines(lines, rows, 40)
	kid := p.kittyID(7)
	for i := 2; i < 7; i++ {
		if n := strings.Count(lines[i], "\U0010EEEE"); n != 40 {
			t.Errorf("row %d: %d placeholders, want 40", i, n)
		}
		if !strings.HasPrefix(lines[i], "\x1b[38;2;") {
			t.Errorf("row %d does not set the image id as a true colour: %q", i, lines[i][:20])
		}
	}
	if kid>>16 == 0 || kid&0xFFFF != 7 {
		t.Errorf("image id %#x", kid)
	}
	// Narrower: only a new placement, not the PNG again.
	seq, _ = p.Transmit(rows, 30)
	if !strings.HasPrefix(seq, "\x1b_Ga=p,U=1,") || strings.Contains(seq, "f=100") {
		t.Errorf("a new size sends %q", seq)
	}
}

func TestITerm2OverlayOnlyWhenWhollyOnScreen(t *testing.T) {
	src := readyFigure(t, 64, 48)
	p := NewPainter(NewDrawer(src), nil, 3)
	defer p.Close()
	p.SetProtocol(ITerm2, 0, 0)
	rest(p, withClock(p), rowsOf(7, 2, 5), 40, 10, 3, 30)

	draw, erase := p.Overlay(rowsOf(7, 2, 5), 40, 10, 3, 30)
	if !strings.HasPrefix(draw, "\x1b7\x1b[6;11H\x1b]1337;File=inline=1;") || !strings.HasSuffix(draw, "\a\x1b8") {
		t.Errorf("draw %q", draw[:min(len(draw), 60)])
	}
	if !strings.Contains(draw, "width=40;height=5") {
		t.Errorf("not sized in cells: %q", draw[:80])
	}
	if strings.Count(erase, "\x1b[40X") != 5 || !strings.HasPrefix(erase, "\x1b7") || !strings.HasSuffix(erase, "\x1b8") {
		t.Errorf("erase %q", erase)
	}
	// Its last rows scrolled off the pane: not drawn.
	if d, _ := p.Overlay(rowsOf(7, 2, 5)[:3], 40, 10, 3, 30); d != "" {
		t.Errorf("a partly shown figure was drawn")
	}
	// Reaching the terminal's last row: not drawn.
	if d, _ := p.Overlay(rowsOf(7, 2, 5), 40, 10, 3, 10); d != "" {
		t.Errorf("drawn on the last row")
	}
	p.SetProtocol(Blocks, 0, 0)
	if d, e := p.Overlay(rowsOf(7, 2, 5), 40, 10, 3, 30); d != "" || e != "" {
		t.Errorf("blocks draw an overlay")
	}
}

func TestSixelEncodedOffTheRenderPath(t *testing.T) {
	src := slotted{readyFigure(t, 64, 48), make(chan struct{}, 1)}
	src.slots <- struct{}{} // held: the encoding waits until the test lets it go
	woke := make(chan struct{}, 4)
	p := NewPainter(NewDrawer(src), func() { woke <- struct{}{} }, 3)
	defer p.Close()
	p.SetProtocol(Sixel, 9, 18)
	rows := rowsOf(7, 0, 4)
	rest(p, withClock(p), rows, 20, 0, 1, 30) // Pace starts the encoding
	if d, _ := p.Overlay(rows, 20, 0, 1, 30); d != "" {
		t.Fatalf("a sixel drawn before it was encoded")
	}
	lines := blank(4, 20)
	p.Lines(lines, rows, 20)
	if !strings.Contains(lines[0], "drawing the figure") {
		t.Errorf("while encoding the row says %q", lines[0])
	}
	<-src.slots
	select {
	case <-woke:
	case <-time.After(10 * time.Second):
		t.Fatal("the encoding never finished")
	}
	d, _ := p.Overlay(rows, 20, 0, 1, 30)
	if !strings.Contains(d, "\x1bP0;1q\"1;1;") || !strings.HasSuffix(d, "\x1b\\\x1b8") {
		t.Fatalf("sixel %q", d[:min(len(d), 60)])
	}
	// 20×4 cells of 9×18 pixels: 180×72 at most, the 64×48 image scaled up? no:
	// never up, so 64×48.
	if !strings.Contains(d, "\"1;1;64;48") {
		t.Errorf("raster %q", d[:min(len(d), 40)])
	}
}

// goneLater is a source whose figure can be dropped.
type goneLater struct {
	oneFigure
	gone bool
}

func (g *goneLater) Get(id uint64) figures.Figure {
	if g.gone {
		return figures.Figure{ID: id, State: figures.Gone}
	}
	return g.oneFigure.Get(id)
}

func TestKittyFreesFiguresNoLongerKept(t *testing.T) {
	src := &goneLater{oneFigure: readyFigure(t, 64, 48)}
	p := NewPainter(NewDrawer(src), nil, 3)
	defer p.Close()
	p.SetProtocol(Kitty, 0, 0)
	if seq, _ := p.Transmit(rowsOf(7, 0, 5), 40); !strings.Contains(seq, "a=T,") {
		t.Fatalf("not transmitted: %q", seq)
	}
	src.gone = true
	other := rowsOf(8, 6, 5) // a newer figure on screen (not ready here)
	seq, _ := p.Transmit(other, 40)
	if want := fmt.Sprintf("\x1b_Ga=d,d=I,i=%d,q=2\x1b\\", p.kittyID(7)); seq != want {
		t.Errorf("got %q, want the image freed: %q", seq, want)
	}
	if seq, _ := p.Transmit(other, 40); seq != "" {
		t.Errorf("freed twice: %q", seq)
	}
}

// Drawing the same overlay again makes no new copy of the image; a move
// makes a new one.
func TestOverlayReusedWhileUnchanged(t *testing.T) {
	p := NewPainter(NewDrawer(readyFigure(t, 64, 48)), nil, 3)
	defer p.Close()
	p.SetProtocol(ITerm2, 0, 0)
	c := withClock(p)
	rest(p, c, rowsOf(7, 2, 5), 40, 10, 3, 30)
	d1, _ := p.Overlay(rowsOf(7, 2, 5), 40, 10, 3, 30)
	d2, _ := p.Overlay(rowsOf(7, 2, 5), 40, 10, 3, 30)
	if d1 == "" || unsafe.StringData(d1) != unsafe.StringData(d2) {
		t.Errorf("the same overlay was built again")
	}
	rest(p, c, rowsOf(7, 1, 5), 40, 10, 3, 30)
	d3, _ := p.Overlay(rowsOf(7, 1, 5), 40, 10, 3, 30)
	if d3 == d1 || !strings.Contains(d3, "\x1b[5;11H") {
		t.Errorf("moved a row up, the overlay %q", d3[:20])
	}
}

// slotted is a source whose encodings wait for a shared slot.
type slotted struct {
	oneFigure
	slots chan struct{}
}

func (s slotted) Slot(stop <-chan struct{}) (func(), bool) {
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, true
	case <-stop:
		return nil, false
	}
}

func TestSixelWaitsForASharedSlot(t *testing.T) {
	src := slotted{readyFigure(t, 64, 48), make(chan struct{}, 1)}
	src.slots <- struct{}{} // another workspace's decoding holds the only slot
	woke := make(chan struct{}, 4)
	p := NewPainter(NewDrawer(src), func() { woke <- struct{}{} }, 3)
	defer p.Close()
	p.SetProtocol(Sixel, 9, 18)
	rows := rowsOf(7, 0, 4)
	rest(p, withClock(p), rows, 20, 0, 1, 30) // starts the encoding
	select {
	case <-woke:
		t.Fatal("encoded without a slot")
	case <-time.After(100 * time.Millisecond):
	}
	<-src.slots // the slot is free
	select {
	case <-woke:
	case <-time.After(10 * time.Second):
		t.Fatal("never encoded once the slot was free")
	}
	if d, _ := p.Overlay(rows, 20, 0, 1, 30); !strings.Contains(d, "\x1bP0;1q") {
		t.Errorf("no sixel after the encoding: %q", d)
	}
}

func TestKittyTransmitInChunks(t *testing.T) {
	data := make([]byte, 20000)
	for i := range data {
		data[i] = byte(i * 7919 >> 3)
	}
	seq := KittyTransmit(0x2a0007, data, 40, 5)
	chunks := strings.Split(strings.TrimSuffix(seq, "\x1b\\"), "\x1b\\")
	if len(chunks) != 7 { // 26,668 base64 bytes in chunks of 4,096
		t.Fatalf("%d chunks", len(chunks))
	}
	var b64 strings.Builder
	for i, c := range chunks {
		ctl, payload, _ := strings.Cut(strings.TrimPrefix(c, "\x1b_G"), ";")
		switch {
		case i == 0 && ctl != "a=T,U=1,f=100,t=d,i=2752519,p=1,c=40,r=5,q=2,m=1":
			t.Errorf("first chunk's keys %q", ctl)
		case i > 0 && i < len(chunks)-1 && ctl != "m=1", i == len(chunks)-1 && ctl != "m=0":
			t.Errorf("chunk %d's keys %q", i, ctl)
		}
		if len(payload) > 4096 {
			t.Errorf("chunk %d: %d bytes", i, len(payload))
		}
		b64.WriteString(payload)
	}
	if got, err := base64.StdEncoding.DecodeString(b64.String()); err != nil || !bytes.Equal(got, data) {
		t.Errorf("the chunks are not the data (%v)", err)
	}
}

// A figure partly scrolled off gets no image: its rows on screen show the
// half-block picture instead of blanks.
func TestPartlyShownPixelFigureInHalfBlocks(t *testing.T) {
	p := NewPainter(NewDrawer(readyFigure(t, 64, 48)), nil, 3)
	defer p.Close()
	p.SetProtocol(ITerm2, 0, 0)
	rest(p, withClock(p), rowsOf(7, 2, 5), 40, 0, 0, 30)
	whole, part := blank(10, 40), blank(10, 40)
	p.Lines(whole, rowsOf(7, 2, 5), 40)
	p.Lines(part, rowsOf(7, -2, 5)[2:], 40) // its first two rows above the screen
	if strings.Contains(strings.Join(whole, ""), "▀") {
		t.Errorf("half blocks under a whole iTerm2 image")
	}
	if !strings.Contains(part[0], "▀") || !strings.Contains(part[2], "▀") {
		t.Errorf("a partly shown figure's rows: %q", part[:3])
	}
}
