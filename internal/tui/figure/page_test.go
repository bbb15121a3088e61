package figure

import (
	"fmt"
	"strings"
	"testing"

	"github.com/classroomd/classroomd/internal/workspace/figures"
)

// The page's overlay names where each figure whole on screen lies, and
// nothing else: no image bytes, no figure partly off screen.
func TestPageOverlayPlacesFiguresWholeOnScreen(t *testing.T) {
	src := readyFigure(t, 64, 48)
	p := NewPainter(NewDrawer(src), nil, 3)
	defer p.Close()
	p.SetProtocol(Page, 8, 16)
	version := fmt.Sprintf("%d-%d", src.f.ID, len(src.f.PNG))

	draw, erase := p.Overlay(rowsOf(7, 2, 5), 40, 3, 10, 30)
	want := PageClear + "\x1b]7709;place;3;12;40;5;" + version + ";figures/a.png\a"
	if draw != want || erase != PageClear {
		t.Fatalf("overlay of a figure at line 2 of a pane at (3, 10):\n got %q, %q\nwant %q, %q", draw, erase, want, PageClear)
	}
	if strings.Contains(draw, "1337") || strings.Contains(draw, "\x1bP") {
		t.Errorf("the page's overlay carries image bytes: %q", draw)
	}

	// Its first row scrolled off: no place, only the clear.
	if draw, _ := p.Overlay(rowsOf(7, 0, 5)[1:], 40, 3, 10, 30); draw != PageClear {
		t.Errorf("a figure partly off screen is placed: %q", draw)
	}
	// Below the terminal's last row: no place.
	if draw, _ := p.Overlay(rowsOf(7, 27, 5), 40, 0, 0, 30); draw != PageClear {
		t.Errorf("a figure past the terminal's last row is placed: %q", draw)
	}
	// Under the page's rows it draws blanks, not half blocks.
	lines := make([]string, 8)
	for i := range lines {
		lines[i] = strings.Repeat("x", 40)
	}
	p.Lines(lines, rowsOf(7, 2, 5), 40)
	for i := 2; i < 7; i++ {
		if strings.TrimSpace(lines[i]) != "" {
			t.Errorf("line %d under the page's figure: %q, want blank", i, lines[i])
		}
	}
}

// A figure store's path that is not a figure's never reaches the page
// (the store checks names; the overlay checks them again).
func TestPageOverlayRefusesAForeignPath(t *testing.T) {
	src := readyFigure(t, 64, 48)
	src.f.Path = "../../etc/passwd"
	p := NewPainter(NewDrawer(src), nil, 3)
	defer p.Close()
	p.SetProtocol(Page, 8, 16)
	if msg := figures.CheckName(src.f.Path); msg == "" {
		t.Fatalf("figures.CheckName accepts %q", src.f.Path)
	}
	if draw, _ := p.Overlay(rowsOf(7, 2, 5), 40, 0, 0, 30); draw != PageClear {
		t.Errorf("a figure named %q is placed: %q", src.f.Path, draw)
	}
}
