package termtext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"welcome.py":       "welcome.py",
		"évier 文件.py":      "évier 文件.py",
		"a\x1b[2Jb":        "a?[2Jb",
		"line\nbreak\ttab": "line?break?tab",
		"gpj.\u202eexe":    "gpj.?exe", // right-to-left override
		"bad\xffutf8":      "bad?utf8",
		"":                 "",
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFitAndPad(t *testing.T) {
	cases := []struct {
		in    string
		width int
		want  string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello world", 5, "hell…"},
		{"文件文件", 5, "文件…"},
		{"hello", 1, "…"},
		{"hello", 0, ""},
		{"hello", -3, ""},
	}
	for _, c := range cases {
		if got := Fit(c.in, c.width); got != c.want {
			t.Errorf("Fit(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
		if Width(Fit(c.in, c.width)) > max(c.width, 0) {
			t.Errorf("Fit(%q, %d) overflows", c.in, c.width)
		}
	}
	if got := Pad("ab", 4); got != "ab  " {
		t.Errorf("Pad = %q", got)
	}
	if got := Pad("abcdef", 4); got != "abcdef" {
		t.Errorf("Pad cut its input: %q", got)
	}
}

// hostile are names a student's program (or an SFTP client) can give a file:
// each must reach a terminal as characters only.
var hostile = map[string]string{
	"welcome.py":                    "welcome.py",
	"évier 文件.py":                   "évier 文件.py",
	"\x1b]0;PWNED\x07title.py":      `\x1b]0;PWNED\atitle.py`,      // a window title (OSC 0)
	"\x1b]52;c;UFdORUQ=\x07clip.py": `\x1b]52;c;UFdORUQ=\aclip.py`, // a clipboard write (OSC 52)
	"\x1b[2J\x1b[Hclear.py":         `\x1b[2J\x1b[Hclear.py`,       // erase the screen
	"\u009b2Jc1.py":                 `\u009b2Jc1.py`,               // the C1 CSI, UTF-8 encoded
	"bad\xff\xfeutf8.py":            `bad\xff\xfeutf8.py`,          // not UTF-8
	"\x9b2Jlone.py":                 `\x9b2Jlone.py`,               // a lone C1 byte
	"gpj.\u202eexe.py":              `gpj.\u202eexe.py`,            // right-to-left override
	"\u2066iso\u2069.py":            `\u2066iso\u2069.py`,          // isolates
	"zero\u200bwidth\u200d.py":      `zero\u200bwidth\u200d.py`,    // invisible
	"line\nbreak\ttab\rcr.py":       `line\nbreak\ttab\rcr.py`,
	"para\u2029sep\u2028.py":        `para\u2029sep\u2028.py`,
	"tag\U000e0041.py":              `tag\U000e0041.py`,
	"nul\x00del\x7f.py":             `nul\x00del\x7f.py`,
	"real\ufffdreplacement.py":      "real\ufffdreplacement.py",
	"":                              "",
}

func TestName(t *testing.T) {
	for in, want := range hostile {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
	// Names that Safe makes the same stay apart.
	if a, b := Name("a\x1b.py"), Name("a\x07.py"); a == b {
		t.Errorf("Name shows a\\x1b.py and a\\x07.py alike: %q", a)
	}
}

// shown checks what a terminal receives of s: valid UTF-8 with no rune it
// could act on or hide.
func shown(t *testing.T, fn, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%s(%q) = %q: not UTF-8", fn, in, out)
	}
	for _, r := range out {
		if unicode.In(r, unicode.Cc, unicode.Cf) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError && !strings.Contains(in, "\ufffd") {
			t.Fatalf("%s(%q) = %q holds %U", fn, in, out, r)
		}
	}
}

func TestSafeAndNameOfHostileNames(t *testing.T) {
	for in := range hostile {
		shown(t, "Safe", in, Safe(in))
		shown(t, "Name", in, Name(in))
	}
}

// FuzzSafeAndName: whatever the bytes, what Safe and Name return can go to a
// terminal, is returned as it is when given again, and a clean string is
// left alone.
func FuzzSafeAndName(f *testing.F) {
	for in := range hostile {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, n := Safe(in), Name(in)
		shown(t, "Safe", in, s)
		shown(t, "Name", in, n)
		if Safe(s) != s || Name(n) != n {
			t.Fatalf("Safe or Name of %q changes when given again: %q %q", in, s, n)
		}
		if clean(in) && (s != in || n != in) {
			t.Fatalf("a clean %q was changed: %q %q", in, s, n)
		}
	})
}
