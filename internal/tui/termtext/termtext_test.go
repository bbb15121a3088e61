package termtext

import "testing"

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
