package replpane

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"sync"
	"testing"

	"github.com/classroomd/classroomd/internal/tui/figure"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace/figures"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// figureREPL is a running fakeREPL whose screen holds figure 7, 5 rows from
// line at (the test moves it), and which has a figure store.
type figureREPL struct {
	*fakeREPL
	mu  sync.Mutex
	at  int
	fig figures.Figure
}

func newFigureREPL(t *testing.T) *figureREPL {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := range 64 {
		img.SetRGBA(x, 24, color.RGBA{31, 119, 180, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	f := newFake()
	f.state.Status = repl.Running
	return &figureREPL{fakeREPL: f, at: 3, fig: figures.Figure{ID: 7, Path: "figures/a.png", State: figures.Ready,
		Image: figures.Scale(img, figures.MaxWidth, figures.MaxHeight), Width: 64, Height: 48, PNG: b.Bytes()}}
}

func (f *figureREPL) Render(w, h int) repl.Screen {
	s := f.fakeREPL.Render(w, h)
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range 5 {
		if l := f.at + i; l >= 0 && l < h {
			s.Figures = append(s.Figures, repl.FigureRow{Line: l, ID: 7, Row: i, Rows: 5})
		}
	}
	return s
}

func (f *figureREPL) moveTo(at int) { f.mu.Lock(); f.at = at; f.mu.Unlock() }

// The figure store: the REPL's (Show) and the painter's (Get).
func (f *figureREPL) FigureStore() repl.Figures { return figureStore{f} }

type figureStore struct{ f *figureREPL }

func (s figureStore) Show(string) (uint64, string) { return 7, "" }
func (s figureStore) Get(id uint64) figures.Figure {
	if id == 7 {
		return s.f.fig
	}
	return figures.Figure{ID: id, State: figures.Gone}
}

// A pixel figure that just came or moved is not drawn and shows its half
// blocks; Pace returns one wake-up (and no second while it is on its way),
// and after it the figure, still, is drawn over blank rows.
func TestPaceWakesTheViewWhenAFigureRests(t *testing.T) {
	f := newFigureREPL(t)
	m := New(t.Context(), f, keys.Default(), theme.New(true))
	defer m.Close()
	m.SetSize(40, 20)
	m.SetGraphics(figure.ITerm2, 0, 0)

	cmd := m.Pace(0, 1, 30)
	if cmd == nil {
		t.Fatal("no wake-up for a figure that just came")
	}
	if d, _ := m.Overlay(0, 1, 30); d != "" {
		t.Errorf("drawn at once")
	}
	if !strings.Contains(m.View(), "▀") {
		t.Errorf("no half blocks while it waits:\n%s", m.View())
	}
	f.moveTo(2) // it moves meanwhile
	if again := m.Pace(0, 1, 30); again != nil {
		t.Errorf("a second wake-up while one is on its way")
	}

	// The wake-up (its timer runs here: figure.Settle).
	msg, ok := cmd().(SettledMsg)
	if !ok {
		t.Fatalf("the wake-up brought %T", msg)
	}
	m, _ = m.Update(msg)
	for range 2 { // moved 150 ms before the wake-up at the latest: once more at most
		if next := m.Pace(0, 1, 30); next != nil {
			msg, ok := next().(SettledMsg)
			if !ok {
				t.Fatalf("the wake-up brought %T", msg)
			}
			m, _ = m.Update(msg)
		}
	}
	d, _ := m.Overlay(0, 1, 30)
	if !strings.Contains(d, "\x1b[4;1H\x1b]1337;File=inline=1;") {
		t.Errorf("not drawn at rest (line 2 of the pane, row 4 of the terminal): %q", d[:min(len(d), 40)])
	}
	if v := m.View(); strings.Contains(v, "▀") {
		t.Errorf("half blocks under the image:\n%s", v)
	}
	if m.Pace(0, 1, 30) != nil {
		t.Errorf("a wake-up for a figure at rest")
	}
}

// Blocks and kitty are cells: nothing to pace.
func TestPaceOnlyForPixelImages(t *testing.T) {
	f := newFigureREPL(t)
	m := New(t.Context(), f, keys.Default(), theme.New(true))
	defer m.Close()
	m.SetSize(40, 20)
	for _, p := range []figure.Protocol{figure.Blocks, figure.Kitty, figure.Off, figure.Page} {
		m.SetGraphics(p, 0, 0)
		if m.Pace(0, 1, 30) != nil {
			t.Errorf("%s: a wake-up", p)
		}
	}
}

// Inside tmux a transmission is wrappers whose ESCs are doubled: its
// pieces end only where a wrapper does, never at the ST inside one.
func TestTransmissionPiecesThroughTmux(t *testing.T) {
	var seq string
	for range 10 {
		seq += figure.TmuxPassthrough("\x1b_Gm=1;" + strings.Repeat("A", 4096) + "\x1b\\")
	}
	ps := pieces(seq, 16<<10)
	if len(ps) < 3 || strings.Join(ps, "") != seq {
		t.Fatalf("%d pieces, joined equal: %v", len(ps), strings.Join(ps, "") == seq)
	}
	for i, p := range ps {
		if len(p) > 16<<10 || !strings.HasPrefix(p, "\x1bPtmux;\x1b\x1b_G") || !strings.HasSuffix(p, "\x1b\x1b\\\x1b\\") {
			t.Errorf("piece %d: %d bytes, %q…%q", i, len(p), p[:min(len(p), 12)], p[max(len(p)-6, 0):])
		}
	}
	// One wrapper longer than a piece is a piece of its own.
	long := figure.TmuxPassthrough("\x1b_Gm=0;" + strings.Repeat("B", 20<<10) + "\x1b\\")
	if ps := pieces(long+long, 16<<10); len(ps) != 2 || ps[0] != long {
		t.Errorf("%d pieces of two long wrappers", len(ps))
	}
}
