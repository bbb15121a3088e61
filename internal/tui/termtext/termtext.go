// Package termtext makes text safe to show and fits it into terminal cells.
// File names and error messages come from students and the file system, so
// they are cleaned before they reach a terminal (ours, or a professor's
// watching the same view).
package termtext

import (
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
	clean := true
	for _, r := range s {
		if unsafe(r) {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
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

func unsafe(r rune) bool {
	return r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf)
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
