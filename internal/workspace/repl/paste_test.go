package repl

import "testing"

// What a paste may type into Python's pty: text, tabs and line breaks; not
// the controls the line discipline acts on, nor an escape that would end
// the bracketed paste early.
func TestPasteText(t *testing.T) {
	for in, want := range map[string]string{
		"for i in range(3):\n\tprint(i)\r\n": "for i in range(3):\n\tprint(i)\r\n",
		"a\x1ab\x1cc\x03d\x04e":              "abcde",             // ^Z ^\ ^C ^D
		"x\x1b[201~import os\n":              "x[201~import os\n", // the end marker
		"é\u0085\u009b2J\x7f✓\x00":           "é2J✓",
	} {
		if got := pasteText(in); got != want {
			t.Errorf("pasteText(%q) = %q, want %q", in, got, want)
		}
	}
}
