package figure

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/workspace/figures"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// twoTone is red above, blue below, w×h.
func twoTone(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{255, 0, 0, 255}
			if y >= h/2 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func TestBlocks(t *testing.T) {
	lines := HalfBlocks(twoTone(40, 40), 30, 10) // fits 20×20 pixels: 20 cells by 10 rows
	if len(lines) != 10 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		if ansi.StringWidth(l) != 30 {
			t.Fatalf("line %d is %d cells: %q", i, ansi.StringWidth(l), l)
		}
		if n := strings.Count(l, "▀"); n != 20 {
			t.Fatalf("line %d has %d half blocks", i, n)
		}
		if strings.ContainsAny(ansi.Strip(l), "\x1b\x07") {
			t.Fatalf("line %d: %q", i, l)
		}
	}
	if !strings.Contains(lines[0], "38;2;255;0;0m") || !strings.Contains(lines[0], "48;2;255;0;0m") {
		t.Fatalf("top row is not red: %q", lines[0])
	}
	if !strings.Contains(lines[9], "38;2;0;0;255m") {
		t.Fatalf("bottom row is not blue: %q", lines[9])
	}
	// The style of a run is written once, not per cell.
	if n := strings.Count(lines[0], "\x1b["); n > 3 {
		t.Fatalf("%d sequences in a uniform row", n)
	}
}

type src map[uint64]figures.Figure

func (s src) Get(id uint64) figures.Figure {
	if f, ok := s[id]; ok {
		return f
	}
	return figures.Figure{ID: id, State: figures.Gone}
}

func TestOverlayAndStates(t *testing.T) {
	s := src{
		1: {ID: 1, State: figures.Ready, Image: twoTone(8, 8)},
		2: {ID: 2, State: figures.Pending, Path: "figures/b.png"},
		3: {ID: 3, State: figures.Refused, Message: "figure ~/figures/c.png not drawn: it is not a PNG image\x1b[2J"},
	}
	d := NewDrawer(s)
	for id, want := range map[uint64]string{2: "drawing the figure ~/figures/b.png", 3: "it is not a PNG image?[2J", 9: "no longer kept"} {
		lines := d.Lines(id, 70, 4)
		if !strings.Contains(lines[0], want) || ansi.StringWidth(lines[0]) != 70 || strings.TrimSpace(lines[1]) != "" {
			t.Errorf("figure %d: %q", id, lines)
		}
	}
	lines := []string{"a", "", "", "b"}
	d.Overlay(lines, []repl.FigureRow{{Line: 1, ID: 1, Row: 2, Rows: 4}, {Line: 2, ID: 1, Row: 3, Rows: 4}, {Line: 7, ID: 1}}, 10)
	if lines[0] != "a" || lines[3] != "b" || !strings.Contains(lines[1], "▀") || !strings.Contains(lines[2], "▀") {
		t.Fatalf("got %q", lines)
	}
	// Cached: the same strings come back until the figure changes.
	if a, b := d.Lines(1, 10, 4), d.Lines(1, 10, 4); &a[0] != &b[0] {
		t.Fatal("drawn again")
	}
	var nilDrawer *Drawer
	nilDrawer.Overlay(lines, []repl.FigureRow{{Line: 0}}, 10) // no store: nothing happens
}
