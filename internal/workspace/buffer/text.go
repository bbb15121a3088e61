package buffer

import (
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// TabWidth is the width of one indentation level, in spaces: Tab inserts
// spaces up to the next multiple of it, and a tab character in a file is
// shown reaching the next multiple of it.
const TabWidth = 4

// Cluster returns the size in bytes of the first character of s (a grapheme
// cluster: a letter with its accents, an emoji with its modifiers) and the
// cells it takes when it starts at display column col. A tab reaches the next
// multiple of TabWidth. A character that would take no cell on its own (a
// control or format character, a lone combining mark) takes one: views show
// it as a replacement character so that it can be seen, selected and
// deleted. Cluster of "" is (0, 0).
func Cluster(s string, col int) (size, width int) {
	if s == "" {
		return 0, 0
	}
	c := s[0]
	if c < utf8.RuneSelf && (len(s) == 1 || s[1] < utf8.RuneSelf) {
		// ASCII followed by ASCII (or the end) is a cluster of its own: the
		// fast path for source code.
		switch {
		case c == '\t':
			return 1, TabWidth - col%TabWidth
		default:
			return 1, 1 // controls, shown replaced, take one cell too
		}
	}
	cluster, w := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
	if len(cluster) == 0 {
		_, n := utf8.DecodeRuneInString(s)
		return n, 1
	}
	if cluster == "\t" {
		return 1, TabWidth - col%TabWidth
	}
	return len(cluster), max(w, 1)
}

// Printable reports whether a cluster returned by Cluster can be written to a
// terminal as it is. Views replace the others (controls, format characters,
// lone combining marks) with one visible character.
func Printable(cluster string) bool {
	if cluster == "" {
		return false
	}
	if c := cluster[0]; c < utf8.RuneSelf && (len(cluster) == 1) {
		return c >= 0x20 && c != 0x7f
	}
	r, _ := utf8.DecodeRuneInString(cluster)
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Mn, unicode.Me) || r == utf8.RuneError {
		return false
	}
	_, w := ansi.FirstGraphemeCluster(cluster, ansi.GraphemeWidth)
	return w > 0
}

// DisplayCol returns the display column (in cells, tabs expanded) at which
// byte offset col of line starts.
func DisplayCol(line string, col int) int {
	col = min(col, len(line))
	cells := 0
	for i := 0; i < col; {
		n, w := Cluster(line[i:], cells)
		i += n
		cells += w
	}
	return cells
}

// ColumnAt returns the byte offset of the character that covers display
// column cells of line, or len(line) past its end. A click on the right half
// of a wide character lands before it.
func ColumnAt(line string, cells int) int {
	at := 0
	for i := 0; i < len(line); {
		n, w := Cluster(line[i:], at)
		if cells < at+w {
			return i
		}
		i += n
		at += w
	}
	return len(line)
}

// prevBoundary returns the start of the character before byte offset col.
func prevBoundary(line string, col int) int {
	if col <= 0 {
		return 0
	}
	// An ASCII character after an ASCII one (or at the start) starts a
	// cluster of its own (lines hold no CR LF pair, the one exception).
	// After anything else it may not: a prepended mark (U+0600...) joins
	// the letter that follows it into one character.
	if line[col-1] < utf8.RuneSelf && (col == 1 || line[col-2] < utf8.RuneSelf) {
		return col - 1
	}
	prev := 0
	for i := 0; i < col; {
		n, _ := Cluster(line[i:], 0)
		prev = i
		i += n
	}
	return prev
}

// nextBoundary returns the end of the character at byte offset col.
func nextBoundary(line string, col int) int {
	if col >= len(line) {
		return len(line)
	}
	n, _ := Cluster(line[col:], 0)
	return col + n
}

// Word motions treat runs of letters, digits and underscores as words, and
// runs of other non-space characters as words of their own kind.
type class int

const (
	classSpace class = iota
	classWord
	classPunct
)

func classOf(r rune) class {
	switch {
	case r == ' ' || r == '\t' || unicode.IsSpace(r):
		return classSpace
	case r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
		return classWord
	}
	return classPunct
}

// wordRight returns the offset after the next word that starts at or after col.
func wordRight(line string, col int) int {
	i := col
	for i < len(line) {
		r, n := utf8.DecodeRuneInString(line[i:])
		if classOf(r) != classSpace {
			break
		}
		i += n
	}
	if i >= len(line) {
		return len(line)
	}
	r, _ := utf8.DecodeRuneInString(line[i:])
	k := classOf(r)
	for i < len(line) {
		r, n := utf8.DecodeRuneInString(line[i:])
		if classOf(r) != k {
			break
		}
		i += n
	}
	return i
}

// wordLeft returns the start of the word that ends at or before col.
func wordLeft(line string, col int) int {
	i := col
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(line[:i])
		if classOf(r) != classSpace {
			break
		}
		i -= n
	}
	if i == 0 {
		return 0
	}
	r, _ := utf8.DecodeLastRuneInString(line[:i])
	k := classOf(r)
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(line[:i])
		if classOf(r) != k {
			break
		}
		i -= n
	}
	return i
}

// indentOf returns the leading spaces and tabs of line.
func indentOf(line string) string {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return line[:i]
}
