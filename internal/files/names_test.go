package files

import (
	"errors"
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	for _, ok := range []string{"a.py", "lab 1", ".hidden", "ünïcödé.txt", "x", strings.Repeat("é", 127), "-rf", `back\slash`} {
		if err := ValidName(ok); err != nil {
			t.Errorf("ValidName(%q) = %v", ok, err)
		}
	}
	for name, want := range map[string]string{
		"":                       "empty",
		".":                      "cannot be used",
		"..":                     "cannot be used",
		"a/b":                    "cannot contain /",
		"/":                      "cannot contain /",
		"a\x00b":                 "control character",
		"tab\there":              "control character",
		"line\nbreak":            "control character",
		"esc\x1b[31m":            "control character",
		"del\x7f":                "control character",
		"\xff\xfe":               "not valid text",
		" lead":                  "space",
		"trail ":                 "space",
		strings.Repeat("a", 256): "at most 255 bytes",
		strings.Repeat("é", 128): "this one is 256",
	} {
		err := ValidName(name)
		if !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidName(%q) = %v, want ErrInvalidName", name, err)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ValidName(%q) = %q, want it to say %q", name, err, want)
		}
		// The sentence never prints raw control characters.
		if strings.ContainsAny(err.Error(), "\x00\x1b\n\t\x7f") {
			t.Errorf("ValidName(%q) message holds control characters: %q", name, err)
		}
	}
}

func TestCopyName(t *testing.T) {
	for _, c := range []struct {
		base string
		dir  bool
		n    int
		want string
	}{
		{"name.py", false, 1, "name copy.py"},
		{"name.py", false, 2, "name copy 2.py"},
		{"name.py", false, 3, "name copy 3.py"},
		{"lab1", true, 1, "lab1 copy"},
		{"lab1", true, 2, "lab1 copy 2"},
		{"v1.2", true, 1, "v1.2 copy"},
		{"Makefile", false, 1, "Makefile copy"},
		{".bashrc", false, 1, ".bashrc copy"},
		{"a copy.py", false, 1, "a copy.py"},
		{"a copy.py", false, 2, "a copy 2.py"},
		{"a copy 2.py", false, 3, "a copy 3.py"},
		{"copy.py", false, 1, "copy copy.py"},
		{"a copy 0.py", false, 1, "a copy 0 copy.py"},
		{"data.tar.gz", false, 1, "data.tar copy.gz"},
	} {
		if got := copyName(c.base, c.dir, c.n); got != c.want {
			t.Errorf("copyName(%q, %v, %d) = %q, want %q", c.base, c.dir, c.n, got, c.want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0:         "0 bytes",
		1:         "1 byte",
		512:       "512 bytes",
		1024:      "1 KiB",
		48 * 1024: "48 KiB",
		1 << 20:   "1 MiB",
		3355443:   "3.2 MiB",
		100 << 20: "100 MiB",
		5 << 30:   "5 GiB",
		1536:      "1.5 KiB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
