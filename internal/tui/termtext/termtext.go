// Package termtext makes text safe to show and fits it into terminal cells.
// File names and error messages come from students and the file system, so
// they are cleaned before they reach a terminal (ours, or a professor's
// watching the same view).
package termtext

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Ellipsis marks text cut to fit.
const Ellipsis = "…"

// Safe replaces what a terminal would interpret rather than print: control
// characters (ESC, newline, ...), format characters such as the right-to-left
// override that can disguise a name, and invalid UTF-8.
func Safe(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s { // invalid bytes arrive as utf8.RuneError
		if unsafe(r) {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Name is Safe for a name a person must be able to tell apart from others
// and act on (a file's name, a path): what Safe would replace with '?' is
// written as a visible escape instead, as Go writes it in a string literal
// (ESC as \x1b, the right-to-left override as \u202e, an invalid byte as
// \xff): two names that differ only in such characters look different, and
// a name that hides an override shows it. Only the display is escaped:
// callers keep the real bytes to rename or delete by.
func Name(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i]) // a byte that is not UTF-8
		case unsafe(r):
			b.WriteString(strings.Trim(strconv.QuoteRune(r), "'"))
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func clean(s string) bool {
	for _, r := range s {
		if unsafe(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// unsafe: what a terminal may act on or not draw: control characters (C0,
// DEL, C1), format characters (bidirectional overrides and isolates, zero
// width spaces and joiners), the line and paragraph separators, and
// utf8.RuneError (how an invalid byte decodes).
func unsafe(r rune) bool {
	return r == utf8.RuneError || r == '\u2028' || r == '\u2029' || unicode.In(r, unicode.Cc, unicode.Cf)
}

// Fit cuts s (which may hold ANSI styles) to at most width cells, ending
// with an ellipsis when something was cut. Wide characters are counted by
// their cell width.
func Fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	return ansi.Truncate(s, width, Ellipsis)
}

// Pad fills s with spaces up to width cells (it never cuts).
func Pad(s string, width int) string {
	if gap := width - ansi.StringWidth(s); gap > 0 {
		return s + strings.Repeat(" ", gap)
	}
	return s
}

// Width is the number of cells s occupies, ignoring ANSI styles.
func Width(s string) int {
	return ansi.StringWidth(s)
}
