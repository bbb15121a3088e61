package tui_test

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/tui"
)

// The program downsamples to the terminal's profile; this checks that our
// view survives it: no colour under NO_COLOR (Ascii) but the selection still
// shows, and plain text with no escapes at all for a dumb terminal (NoTTY).
func TestViewDegradesWithoutColour(t *testing.T) {
	t.Run("workspace", func(t *testing.T) {
		degrades(t, start(t, tui.Options{Username: "alice", FullName: "Alice", Role: "student", Home: sampleHome()}, 80, 24))
	})
	// In the form, the reversed cell is the cursor of the focused field.
	t.Run("password form", func(t *testing.T) {
		degrades(t, start(t, tui.Options{Username: "alice", Home: sampleHome(), MustChangePassword: true}, 80, 24))
	})
}

func degrades(t *testing.T, hs *harness) {
	t.Helper()
	raw := hs.raw()
	through := func(p colorprofile.Profile) string {
		var buf bytes.Buffer
		w := &colorprofile.Writer{Forward: &buf, Profile: p}
		if _, err := w.WriteString(raw); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}

	ascii := through(colorprofile.Ascii)
	for _, sgr := range regexp.MustCompile(`\x1b\[([0-9;:]*)m`).FindAllStringSubmatch(ascii, -1) {
		for p := range strings.SplitSeq(sgr[1], ";") {
			if n, _ := strconv.Atoi(p); n >= 30 && n <= 49 || n >= 90 && n <= 107 {
				t.Fatalf("colour parameter %d survives NO_COLOR in %q", n, sgr[0])
			}
		}
	}
	if !strings.Contains(ascii, "\x1b[7m") {
		t.Error("nothing is reversed under NO_COLOR: the selected row or the cursor would not show")
	}
	if plain := through(colorprofile.NoTTY); plain != ansi.Strip(raw) || strings.Contains(plain, "\x1b") {
		t.Errorf("NoTTY output is not plain text: %q", plain)
	}
}
