package classroom

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

func TestValidateRefusesWhatATerminalWouldInterpret(t *testing.T) {
	for name, in := range map[string]string{
		"SGR colour":              "\x1b[31mred alert",
		"clear screen":            "hi\x1b[2J",
		"OSC title with BEL":      "\x1b]0;pwned\x07hello",
		"OSC 52 clipboard":        "\x1b]52;c;cm0gLXJmIH4=\x1b\\",
		"C1 CSI as a rune":        "a\u009b31mb",
		"C1 CSI as a lone byte":   "a\x9b31mb",
		"DCS":                     "\x1bP+q\x1b\\",
		"line break":              "line one\nline two",
		"carriage return":         "looks fine\roverwritten",
		"tab":                     "a\tb",
		"NUL":                     "a\x00b",
		"backspace":               "abc\b\b\bxyz",
		"DEL":                     "a\x7fb",
		"bell":                    "ding\a",
		"right-to-left override":  "resolved \u202edlrow",
		"isolate":                 "a\u2066b\u2069",
		"line separator":          "a\u2028b",
		"paragraph separator":     "a\u2029b",
		"invalid UTF-8":           "caf\xc3",
		"overlong encoding of /":  "\xc0\xaf",
		"escape after whitespace": "   \x1b[H",
	} {
		for _, validate := range []func(string) (string, error){ValidateAnnouncement, ValidateQuestion} {
			got, err := validate(in)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: validate(%q) = %q, %v; want ErrInvalid", name, in, got, err)
				continue
			}
			checkSentence(t, name, err)
		}
	}
}

// checkSentence: an error text is a sentence, safe to draw in a terminal.
func checkSentence(t *testing.T, what string, err error) {
	t.Helper()
	msg := err.Error()
	if msg == "" || !unicode.IsUpper([]rune(msg)[0]) || !strings.HasSuffix(msg, ".") {
		t.Errorf("%s: error %q is not a sentence", what, msg)
	}
	for _, r := range msg {
		if unicode.IsControl(r) {
			t.Errorf("%s: error %q contains control character %U", what, msg, r)
		}
	}
}

func TestValidateLengthsAndTrimming(t *testing.T) {
	ok := []struct {
		validate func(string) (string, error)
		in, want string
	}{
		{ValidateAnnouncement, "  Lab ends at 12:00 \n", "Lab ends at 12:00"},
		{ValidateAnnouncement, "Café 🙂 λ 漢字 👩‍💻", "Café 🙂 λ 漢字 👩‍💻"},
		{ValidateAnnouncement, strings.Repeat("é", MaxAnnouncementLen), strings.Repeat("é", MaxAnnouncementLen)},
		{ValidateQuestion, "", ""},
		{ValidateQuestion, " \t \n", ""}, // only whitespace: trimmed to no question
		{ValidateQuestion, strings.Repeat("漢", MaxQuestionLen), strings.Repeat("漢", MaxQuestionLen)},
	}
	for _, c := range ok {
		if got, err := c.validate(c.in); err != nil || got != c.want {
			t.Errorf("validate(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	bad := map[string]struct {
		validate func(string) (string, error)
		in       string
		mention  string
	}{
		"empty announcement":       {ValidateAnnouncement, "", "empty"},
		"blank announcement":       {ValidateAnnouncement, "   ", "empty"},
		"501 characters":           {ValidateAnnouncement, strings.Repeat("é", MaxAnnouncementLen+1), "501 characters"},
		"201-character question":   {ValidateQuestion, strings.Repeat("a", MaxQuestionLen+1), "limit is 200"},
		"ten megabytes":            {ValidateAnnouncement, strings.Repeat("A", 10<<20), "far too long"},
		"ten megabytes of escapes": {ValidateQuestion, strings.Repeat("\x1b[2J", 3<<20), "far too long"},
	}
	for name, c := range bad {
		_, err := c.validate(c.in)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: err = %v, want ErrInvalid mentioning %q", name, err, c.mention)
			continue
		}
		checkSentence(t, name, err)
		if len(err.Error()) > 200 {
			t.Errorf("%s: error is %d bytes long; it must not quote the input", name, len(err.Error()))
		}
	}
}

func FuzzValidateQuestion(f *testing.F) {
	for _, s := range []string{"", "hello", "\x1b[31m", "a\u202eb", "\xff", strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ValidateQuestion(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ValidateQuestion(%q): %v, want ErrInvalid", in, err)
			}
			return
		}
		if n := len([]rune(got)); n > MaxQuestionLen {
			t.Fatalf("ValidateQuestion(%q) accepted %d characters", in, n)
		}
		for _, r := range got {
			if refusedRune(r) != "" || r == '\x1b' || unicode.IsControl(r) {
				t.Fatalf("ValidateQuestion(%q) accepted %U", in, r)
			}
		}
	})
}
