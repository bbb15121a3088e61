// Package accounts holds the rules for users: valid names, passwords and hashes,
// creating and changing accounts, and logging in with throttling and auditing.
// The command line, the SSH server and the web login all go through it.
package accounts

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
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

// ValidateFullName refuses control characters (they would reach other people's terminals).
func ValidateFullName(name string) error {
	if len(name) > 200 {
		return fmt.Errorf("name is longer than 200 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("name contains a control character")
		}
	}
	return nil
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

// Printable makes a hostile string safe for a log line or a terminal: control
// characters become '?', and it is cut to 64 characters.
func Printable(s string) string {
	s = clip(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
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
