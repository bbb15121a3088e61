package tea

// classroomd patch: a frame redraws only the lines that changed.
//
// Upstream, every flush clears the whole cell buffer and parses the whole
// view's styled text back into cells; the clear marks every line touched,
// so the terminal renderer then compares every cell of every line too. For
// a key that changes one line of a 40-line screen, that is most of the
// frame's CPU (about a third of a keystroke's, profiled in classroomd).
//
// Here the last frame's lines are kept; a line whose text is the same as
// in the last frame keeps its cells and is neither parsed nor touched.
// The one thing that makes a line's cells depend on more than its own text
// is the pen (SGR style, hyperlink) carried over from the line before: a
// line whose text ends with its styles reset (the way lipgloss writes every
// line) hands the next one a plain pen; otherwise a changed line is drawn
// from the nearest line above that surely starts plain, and the lines after
// it are drawn again until both frames surely hand on a plain pen.
// Anything else (a new size, the inline mode, a changed width method, a
// different number of lines) takes the upstream path.

import (
	"strings"

	uv "github.com/charmbracelet/ultraviolet"
)

// frameLines splits a view's content into its lines, as the renderer
// counts them.
func frameLines(content string) []string {
	return strings.Split(strings.ReplaceAll(content, "\r\n", "\n"), "\n")
}

// drawChangedLines draws into buf the lines of next that differ from last,
// the frame buf holds. It reports false, drawing nothing, when the frames
// cannot be compared line by line.
func drawChangedLines(buf uv.Screen, last, next []string) bool {
	h := buf.Bounds().Dy()
	if len(last) != len(next) || len(next) > h {
		return false
	}
	w := buf.Bounds().Dx()
	n := len(next)
	first := 0
	for first < n && last[first] == next[first] {
		first++
	}
	if first == n {
		return true
	}
	plainLast, plainNext := plainStarts(last), plainStarts(next)
	// A line is drawn again when its text changed, or when it follows a
	// change and either frame may have handed it a pen that is not plain.
	need := func(i int) bool {
		return last[i] != next[i] || (i > first && !(plainLast[i] && plainNext[i]))
	}
	for i := first; i < n; i++ {
		if !need(i) {
			continue
		}
		start := i // drawn from a line that starts with a plain pen
		for !plainNext[start] {
			start--
		}
		end := i
		for end+1 < n && need(end+1) {
			end++
		}
		uv.NewStyledString(strings.Join(next[start:end+1], "\n")).Draw(buf, uv.Rect(0, start, w, end-start+1))
		i = end
	}
	return true
}

// plainStarts says, for each line, whether it surely starts with a plain
// pen: the first line does; a line with no escape passes on the pen it got;
// a line whose last escape resets every style, with no OSC in it (an
// hyperlink may stay open), hands on a plain one.
func plainStarts(lines []string) []bool {
	plain := make([]bool, len(lines))
	p := true
	for i, l := range lines {
		plain[i] = p
		switch last := strings.LastIndexByte(l, '\x1b'); {
		case last < 0:
		case strings.Contains(l, "\x1b]"):
			p = false
		default:
			rest := l[last:]
			p = strings.HasPrefix(rest, "\x1b[m") || strings.HasPrefix(rest, "\x1b[0m")
		}
	}
	return plain
}

// The terminal renderer hashes every line whose touched record is not nil,
// to find lines that moved (its scroll optimisation), and after each frame
// it resets the records rather than dropping them: every line of every
// frame was hashed, twice (its old and new cells: a tenth of a keystroke's
// CPU). touchedRows and untouch drop, after a frame, the records of the
// lines it did not touch, so the next frame hashes only the lines touched
// in it or in this one (whose hashes the renderer brings up to date then).
// The hashes only guide which scrolls to try: the cells of every line a
// scroll moves are compared and repainted whatever they say.

// touchedRows reports, into buf, which lines the frame about to be
// rendered touched.
func touchedRows(touched []*uv.LineData, buf []bool) []bool {
	for _, t := range touched {
		buf = append(buf, t != nil && (t.FirstCell != -1 || t.LastCell != -1))
	}
	return buf
}

// untouch drops the records of the lines the frame did not touch.
func untouch(touched []*uv.LineData, was []bool) {
	for y := range touched {
		if y >= len(was) || !was[y] {
			touched[y] = nil
		}
	}
}
