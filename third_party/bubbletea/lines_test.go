package tea

// classroomd patch: drawing only the changed lines gives the same cells as
// drawing the whole frame, whatever styles the lines leave open.

import (
	"math/rand/v2"
	"strings"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"
)

// pieces a line is made of: plain text, closed and unclosed styles, wide
// characters, combining marks, a hyperlink, a tab.
var pieces = []string{
	"plain", " ", "\x1b[1;31mred bold\x1b[m", "\x1b[32mgreen, left open", "\x1b[0m",
	"界界", "e\u0301", "\x1b]8;;https://example.org\x07link\x1b]8;;\x07", "\x1b[7m", "\t",
	"\x1b[38;2;10;20;30mtrue colour\x1b[0m", strings.Repeat("x", 30),
}

func randomLine(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(5) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func fullDraw(w, h int, lines []string) *uv.ScreenBuffer {
	buf := uv.NewScreenBuffer(w, h)
	buf.Clear()
	uv.NewStyledString(strings.Join(lines, "\n")).Draw(buf, buf.Bounds())
	return &buf
}

func TestChangedLinesDrawTheSameCellsAsTheWholeFrame(t *testing.T) {
	const w, h = 40, 12
	r := rand.New(rand.NewPCG(1, 2))
	frame := make([]string, h)
	for i := range frame {
		frame[i] = randomLine(r)
	}
	inc := fullDraw(w, h, frame)
	for step := range 3000 {
		next := append([]string(nil), frame...)
		for range 1 + r.IntN(3) {
			next[r.IntN(h)] = randomLine(r)
		}
		if !drawChangedLines(inc, frame, next) {
			t.Fatal("lines of the same count were not drawn")
		}
		want := fullDraw(w, h, next)
		for y := range h {
			for x := range w {
				got, exp := inc.CellAt(x, y), want.CellAt(x, y)
				if !cellEqual(got, exp) {
					t.Fatalf("step %d: cell %d,%d is %#v, the whole frame draws %#v\nbefore %q\nafter  %q",
						step, x, y, got, exp, frame, next)
				}
			}
		}
		frame = next
	}
}

func cellEqual(a, b *uv.Cell) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b)
}

func TestFramesOfAnotherLengthAreDrawnWhole(t *testing.T) {
	buf := fullDraw(10, 3, []string{"a", "b"})
	if drawChangedLines(buf, []string{"a", "b"}, []string{"a", "b", "c"}) {
		t.Error("a frame with a line more was drawn line by line")
	}
	if drawChangedLines(buf, []string{"a", "b", "c", "d"}, []string{"a", "b", "c", "e"}) {
		t.Error("a frame taller than the screen was drawn line by line")
	}
}
