package classroom

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what a person types, in characters (runes). The database checks
// the same limits.
const (
	MaxAnnouncementLen = 500
	MaxQuestionLen     = 200
)

// ValidateAnnouncement returns text trimmed, or an error (wrapping ErrInvalid)
// that says what to change. An announcement is drawn in every student's
// terminal, so it must be one line of plain text: see cleanLine.
func ValidateAnnouncement(text string) (string, error) {
	return cleanLine(text, "The announcement", MaxAnnouncementLen, false)
}

// ValidateQuestion is ValidateAnnouncement for a help question, which may be empty.
func ValidateQuestion(question string) (string, error) {
	return cleanLine(question, "The question", MaxQuestionLen, true)
}

// cleanLine trims s and accepts it only as one line of printable text of at
// most max characters. Everything that could make a terminal do something
// other than draw characters is refused rather than stripped, so that what is
// stored is exactly what its author saw:
//   - invalid UTF-8 (a lone 0x9b byte is a CSI on some terminals);
//   - every control character: C0 (ESC starts every escape sequence; tab and
//     line breaks would break the banner's layout), DEL and C1 (U+009B is CSI);
//   - Unicode line and paragraph separators, which some terminals break on;
//   - bidirectional overrides and isolates, which make the text display in
//     another order than it was typed (a student could make a question read
//     differently in the professor's console).
//
// Errors never quote the input: it may be huge or hostile.
func cleanLine(s, what string, max int, optional bool) (string, error) {
	// A few megabytes pasted by mistake (or on purpose) are refused unread.
	if len(s) > 16*utf8.UTFMax*max {
		return "", invalid(fmt.Sprintf("%s is far too long; the limit is %d characters, so shorten it and try again.", what, max))
	}
	if !utf8.ValidString(s) {
		return "", invalid(what + " is not valid text (UTF-8); type it again.")
	}
	s = strings.TrimSpace(s)
	n := 0
	for _, r := range s {
		n++
		if reason := refusedRune(r); reason != "" {
			return "", invalid(fmt.Sprintf("%s contains %s (character %d); remove it and try again.", what, reason, n))
		}
	}
	switch {
	case n == 0 && !optional:
		return "", invalid(what + " is empty; type some text first.")
	case n > max:
		return "", invalid(fmt.Sprintf("%s is %d characters long; the limit is %d, so shorten it and try again.", what, n, max))
	}
	return s, nil
}

// refusedRune says what r is when cleanLine refuses it, and "" when r is fine.
func refusedRune(r rune) string {
	switch {
	case r == '\x1b':
		return "an escape character (a terminal escape sequence)"
	case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
		return "a line break (it must be one line)"
	case r == '\t':
		return "a tab"
	case unicode.IsControl(r):
		return fmt.Sprintf("a control character (U+%04X)", r)
	case r == '\u061c' || r == '\u200e' || r == '\u200f' || ('\u202a' <= r && r <= '\u202e') || ('\u2066' <= r && r <= '\u2069'):
		return fmt.Sprintf("a text direction control (U+%04X)", r)
	}
	return ""
}
