// Package accounts holds the rules for users: valid names, passwords and hashes,
// creating and changing accounts, and logging in with throttling and auditing.
// The command line, the SSH server and the web login all go through it.
package accounts

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxUsernameLen keeps names usable as folder names and in a terminal.
const MaxUsernameLen = 32

// NormalizeUsername lower-cases and trims name and checks that it is a valid
// username: a letter first, then letters, digits, '.', '_' or '-'.
func NormalizeUsername(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch {
	case n == "":
		return "", fmt.Errorf("username is empty")
	case len(n) > MaxUsernameLen:
		return "", fmt.Errorf("username %q is longer than %d characters", clip(n), MaxUsernameLen)
	case n[0] < 'a' || n[0] > 'z':
		return "", fmt.Errorf("username %q must start with a letter a-z", clip(n))
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "", fmt.Errorf("username %q may hold only letters a-z, digits, '.', '_' and '-'", clip(n))
		}
	}
	return n, nil
}

// ValidateFullName refuses what would do anything but draw characters in
// other people's terminals: control characters, text that is not UTF-8,
// line separators and text direction controls (an override makes a name
// display in another order than it is stored). The console checks the
// same; the command line and roster imports come here.
func ValidateFullName(name string) error {
	if len(name) > 200 {
		return fmt.Errorf("name is longer than 200 characters")
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("name is not valid text (UTF-8)")
	}
	for _, r := range name {
		switch {
		case unicode.IsControl(r):
			return fmt.Errorf("name contains a control character")
		case r == '\u2028' || r == '\u2029':
			return fmt.Errorf("name contains a line separator (U+%04X)", r)
		case IsBidiControl(r):
			return fmt.Errorf("name contains a text direction control (U+%04X)", r)
		}
	}
	return nil
}

// IsBidiControl reports whether r is one of Unicode's explicit text
// direction controls: marks, embeddings, overrides and isolates.
func IsBidiControl(r rune) bool {
	return r == '\u061c' || r == '\u200e' || r == '\u200f' || ('\u202a' <= r && r <= '\u202e') || ('\u2066' <= r && r <= '\u2069')
}

// ValidateEmail accepts an empty address or a plain one (no display name).
func ValidateEmail(email string) error {
	if email == "" {
		return nil
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return fmt.Errorf("email %q is not a plain address like name@example.edu", clip(email))
	}
	return nil
}

// Printable makes a hostile string safe for a log line or a terminal:
// control characters, format characters (text direction overrides among
// them), line separators and bytes that are not UTF-8 become '?', and it is
// cut to 64 characters.
func Printable(s string) string {
	s = clip(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r == unicode.ReplacementChar {
			return '?'
		}
		return r
	}, s)
}

func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	// Cut on a rune boundary.
	for i := range s {
		if i > max {
			return s[:i] + "…"
		}
	}
	return s
}
