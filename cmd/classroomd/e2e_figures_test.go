package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const figPassword = "scatter plots all day 7"

// 9c. Figures (#15), over OpenSSH in a plain xterm-256color terminal that
// claims no image protocol: the student plots, plt.show() saves the PNG in
// ~/figures, and the Python pane draws it as a colour picture in half
// blocks, with the line naming the file under it. No image escape reaches
// the terminal, and a marker the student forges is refused with a line.
func (s *scenario) figures(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("Python runs in a sandbox, which this test expects as root")
	}
	h, o := s.h, sshOpts{knownHosts: s.knownHosts}
	h.cli(t, cliOpts{stdin: figPassword + "\n"}, append([]string{"user", "add", "fig", "--password-stdin"}, s.b.flags()...)...).mustSucceed(t)

	fig := h.vtLogin(t, s.srv, o, "fig's terminal", "fig", figPassword, 120, 50)
	fig.waitScreen("welcome.py", "Python: not started")
	fig.typ(keyF4 + "import matplotlib.pyplot as plt; plt.plot([1,2,3]); plt.show()\r")
	// The picture: rows of half blocks in more than one colour (the
	// line, the axes and the white around them), above the file's name.
	sc := fig.waitUntil("draw the figure in half blocks", func(sc vtScreen) bool {
		return sc.contains("plt.show()", "▀", "[figure saved: ~/figures/python-1.png]", ">>>") && halfBlockRows(sc) >= 8 && colours(sc) >= 3
	})
	t.Logf("the figure as drawn:\n%s", sc)

	png, err := os.ReadFile(filepath.Join(s.b.dataDir, "homes", "fig", "figures", "python-1.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("~/figures/python-1.png is not a PNG: %v", err)
	}

	// Student code can print the marker itself: naming a file outside
	// ~/figures gets a line, nothing is read.
	fig.typ(`print("\x1b]7708;figure=../../../etc/shadow\x07forged")` + "\r")
	fig.waitScreen("[classroomd: figure refused: a figure must be a .png file in ~/figures", "forged", ">>>")
	// A non-PNG under a figure's name is refused once it is read.
	fig.typ(`open("figures/notes.png", "w").write("hello"); print("\x1b]7708;figure=figures/notes.png\x07")` + "\r")
	fig.waitScreen("figure ~/figures/notes.png not drawn: it is not a PNG image")

	raw := fig.rawTail(1 << 30)
	for name, esc := range map[string]string{"the marker": "\x1b]7708", "kitty graphics": "\x1b_G", "iTerm2 images": "\x1b]1337", "sixel (DCS)": "\x1bP"} {
		if strings.Contains(raw, esc) {
			t.Errorf("a terminal that claimed no image protocol was sent %s", name)
		}
	}
}

// halfBlockRows counts the rows with at least 20 half blocks.
func halfBlockRows(sc vtScreen) int {
	n := 0
	for _, l := range sc.text {
		if strings.Count(l, "▀") >= 20 {
			n++
		}
	}
	return n
}

// colours counts the distinct foreground colours of half blocks.
func colours(sc vtScreen) int {
	seen := map[string]bool{}
	for _, row := range sc.cells {
		for _, c := range row {
			if c.Content == "▀" && c.Style.Fg != nil {
				r, g, b, _ := c.Style.Fg.RGBA()
				seen[string([]byte{byte(r >> 8), byte(g >> 8), byte(b >> 8)})] = true
			}
		}
	}
	return len(seen)
}
