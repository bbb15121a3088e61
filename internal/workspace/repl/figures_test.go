package repl

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFigureScannerAcrossReads(t *testing.T) {
	out := "text\x1b]7708;figure=figures/a-1.png\x07more\x1b]7708;figure=figures/b-2.png\x1b\\end\x1b]133;A\x07"
	// Every split into two reads finds both markers, ending where they end.
	for cut := 0; cut <= len(out); cut++ {
		var s figureScanner
		var got []string
		for i, part := range []string{out[:cut], out[cut:]} {
			for _, ev := range s.scan([]byte(part)) {
				end := ev.end
				if i == 1 {
					end += cut
				}
				got = append(got, fmt.Sprintf("%s@%d", ev.rel, end))
			}
		}
		want := []string{
			"figures/a-1.png@" + fmt.Sprint(strings.Index(out, "more")),
			"figures/b-2.png@" + fmt.Sprint(strings.Index(out, "end")),
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("cut at %d: got %v, want %v", cut, got, want)
		}
	}
	// Byte by byte too.
	var s figureScanner
	n := 0
	for i := range len(out) {
		n += len(s.scan([]byte{out[i]}))
	}
	if n != 2 {
		t.Fatalf("byte by byte: %d markers, want 2", n)
	}
}

func TestFigureScannerIgnores(t *testing.T) {
	for _, out := range []string{
		"\x1b]7708;other=x\x07",                                 // not a figure
		"\x1b]7708;figure=" + strings.Repeat("a", 600) + "\x07", // too long
		"\x1b]7708;figure=x\x18\x07",                            // cancelled
		"\x1b]7708;figure=x\x1b[0m\x07",                         // broken off by another sequence
		"\x1b]770;figure=x\x07\x1b]77088;figure=x\x07",          // other OSC numbers
		"\x1b]8;;figure=x\x07",                                  // a link
	} {
		var s figureScanner
		if evs := s.scan([]byte(out)); len(evs) != 0 {
			t.Errorf("%q: found %v", out, evs)
		}
	}
	// A broken-off marker does not swallow the next one.
	var s figureScanner
	if evs := s.scan([]byte("\x1b]7708;figure=x\x1b]7708;figure=y\x07")); len(evs) != 1 || evs[0].rel != "y" {
		t.Errorf("got %v, want y", evs)
	}
}

// fakeFigures accepts names starting with "figures/", numbering them.
type fakeFigures struct {
	mu    sync.Mutex
	names []string
}

func (f *fakeFigures) Show(rel string) (uint64, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.HasPrefix(rel, "figures/") {
		return 0, "refused " + rel + "\x1b[2J"
	}
	f.names = append(f.names, rel)
	return uint64(len(f.names)), ""
}

// feed writes output to r's emulator as Python's output reader does.
func feed(r *REPL, s *figureScanner, out string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ensureTermLocked(r.cols, r.rows)
	r.feedLocked(s, []byte(out))
	r.changedLocked()
}

func TestFigureRowsReservedInOutputOrder(t *testing.T) {
	r := New(testConfig(t, nil).withSize(40, 24))
	defer r.Close()
	figs := &fakeFigures{}
	r.SetFigures(figs)
	var s figureScanner
	feed(r, &s, "before\r\n\x1b]7708;figure=figures/a-1.")
	feed(r, &s, "png\x07[figure saved]\r\nafter\r\n")
	scr := r.RenderPlain(40, 24)
	rows := figureRows(24)
	if len(scr.Figures) != rows {
		t.Fatalf("%d figure rows, want %d:\n%s", len(scr.Figures), rows, scr)
	}
	if scr.Lines[0] != pad("before", 40) || scr.Lines[1+rows] != pad("[figure saved]", 40) || scr.Lines[2+rows] != pad("after", 40) {
		t.Fatalf("text is not around the figure:\n%s", scr)
	}
	for k, f := range scr.Figures {
		if f.Line != 1+k || f.ID != 1 || f.Row != k || f.Rows != rows || strings.TrimSpace(scr.Lines[f.Line]) != "" {
			t.Fatalf("row %d: %+v %q", k, f, scr.Lines[f.Line])
		}
	}
	// Scrolled: the figure moves up with the text, and into the scrollback.
	feed(r, &s, strings.Repeat("x\r\n", 10))
	scr = r.RenderPlain(40, 24)
	if len(scr.Figures) == 0 || scr.Figures[0].Row == 0 || scr.Figures[0].Line != 0 {
		t.Fatalf("after scrolling: %+v\n%s", scr.Figures, scr)
	}
	back := r.RenderBack(40, 24, 24, true)
	if len(back.Figures) != rows || back.Figures[0].Row != 0 {
		t.Fatalf("scrolled back: %+v\n%s", back.Figures, back)
	}
	// A clear removes it.
	feed(r, &s, "\x1b[2J\x1b[3J\x1b[H")
	if scr := r.RenderPlain(40, 24); len(scr.Figures) != 0 {
		t.Fatalf("after a clear: %+v", scr.Figures)
	}
}

func TestFigureRefusedWithALine(t *testing.T) {
	r := New(testConfig(t, nil).withSize(60, 10))
	defer r.Close()
	r.SetFigures(&fakeFigures{})
	var s figureScanner
	feed(r, &s, "a\x1b]7708;figure=../etc/passwd\x07b\r\n")
	scr := r.RenderPlain(60, 10)
	if len(scr.Figures) != 0 {
		t.Fatalf("refused figure has rows: %+v", scr.Figures)
	}
	want := []string{pad("a", 60), pad("[classroomd: refused ../etc/passwd?[2J]", 60), pad("b", 60)}
	if got := scr.Lines[:3]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got\n%s", strings.Join(got, "\n"))
	}
	// Without a store, markers are dropped and nothing shows.
	r.SetFigures(nil)
	feed(r, &s, "\x1b]7708;figure=figures/x.png\x07c\r\n")
	if scr := r.RenderPlain(60, 10); scr.Lines[3] != pad("c", 60) {
		t.Fatalf("got\n%s", scr)
	}
}

// The incremental redraw (drawnRows) keeps figure rows right: a row that
// becomes a figure row, or stops being one, is drawn again.
func TestFigureRowsIncremental(t *testing.T) {
	r := New(testConfig(t, nil).withSize(30, 12))
	defer r.Close()
	r.SetFigures(&fakeFigures{})
	var s figureScanner
	feed(r, &s, "one\r\ntwo\r\n")
	r.Render(30, 12)
	feed(r, &s, "\x1b[H\x1b]7708;figure=figures/a.png\x07")
	scr := r.Render(30, 12)
	if len(scr.Figures) != figureRows(12) || strings.TrimSpace(scr.Lines[0]) != "" || strings.TrimSpace(scr.Lines[1]) != "" {
		t.Fatalf("figure over text: %+v\n%s", scr.Figures, scr)
	}
	feed(r, &s, "\x1b[H\x1b[2Kthree")
	scr = r.Render(30, 12)
	if strings.TrimSpace(scr.Lines[0]) != "three" || scr.Figures[0].Line != 1 {
		t.Fatalf("text over a figure row: %+v\n%s", scr.Figures, scr)
	}
}

func pad(s string, w int) string { return s + strings.Repeat(" ", w-len(s)) }

func (c Config) withSize(cols, rows int) Config {
	c.Spec.Cols, c.Spec.Rows = uint16(cols), uint16(rows)
	return c
}

// TestFigureFromMatplotlib runs the real backend in a sandbox: plt.show()
// saves the PNG in ~/figures and the pane reserves its rows, with the
// line saying the path under them.
func TestFigureFromMatplotlib(t *testing.T) {
	needSandbox(t)
	cfg := testConfig(t, nil).withSize(80, 24)
	r := New(cfg)
	t.Cleanup(func() { r.Close() })
	figs := &fakeFigures{}
	r.SetFigures(figs)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, r, ">>>")
	typeIn(t, r, "import matplotlib.pyplot as plt; plt.plot([1,2,3]); plt.show()\r")
	waitPrompt(t, r, "[figure saved: ~/figures/python-1.png]")
	b, err := os.ReadFile(filepath.Join(cfg.Spec.Home, "figures", "python-1.png"))
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("no PNG in ~/figures: %v", err)
	}
	scr := r.RenderPlain(80, 24)
	if len(scr.Figures) == 0 || fmt.Sprint(figs.names) != "[figures/python-1.png]" {
		t.Fatalf("figure rows %+v, shown %v:\n%s", scr.Figures, figs.names, scr)
	}
	last := scr.Figures[len(scr.Figures)-1]
	if !strings.HasPrefix(scr.Lines[last.Line+1], "[figure saved: ~/figures/python-1.png]") {
		t.Fatalf("the path is not under the figure:\n%s", scr)
	}
}

// TestFigureFromPrograms: a program run with F5 (python3 -i FILE), and a
// program that Python starts itself (python3 demo.py in a subprocess, as a
// student's script or os.system does), both find the backend (MPLBACKEND
// and the read-only module on PYTHONPATH) and draw in the pane: their
// markers come through the same pty. The figures take the program's name.
func TestFigureFromPrograms(t *testing.T) {
	needSandbox(t)
	plot := "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()\nprint('done', __file__.rsplit('/', 1)[-1])\n"
	cfg := testConfig(t, map[string]string{"demo.py": plot, "sub.py": plot}).withSize(80, 24)
	r := New(cfg)
	t.Cleanup(func() { r.Close() })
	figs := &fakeFigures{}
	r.SetFigures(figs)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.Run(ctx, "demo.py"); err != nil { // F5
		t.Fatal(err)
	}
	waitPrompt(t, r, "done demo.py")
	typeIn(t, r, "import subprocess, sys; subprocess.run([sys.executable, 'sub.py']).returncode\r")
	waitPrompt(t, r, "done sub.py")
	typeIn(t, r, "import os; os.system('python3 sub.py')\r")
	waitPrompt(t, r, "[figure saved: ~/figures/sub-2.png]")
	if got := fmt.Sprint(figs.names); got != "[figures/demo-1.png figures/sub-1.png figures/sub-2.png]" {
		t.Fatalf("figures shown %s, want demo-1, sub-1 and sub-2:\n%s", got, text(r))
	}
	for _, name := range []string{"demo-1.png", "sub-1.png", "sub-2.png"} {
		b, err := os.ReadFile(filepath.Join(cfg.Spec.Home, "figures", name))
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("~/figures/%s is not a PNG: %v", name, err)
		}
	}
	if s := text(r); strings.Contains(s, "Error") || strings.Contains(s, "Traceback") {
		t.Errorf("an error on the screen:\n%s", s)
	}
	if scr := r.RenderPlain(80, 24); len(scr.Figures) == 0 {
		t.Errorf("no figure rows on the screen:\n%s", scr)
	}
}
