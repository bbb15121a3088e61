package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
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

// imageTerminal is a test terminal that claims an image protocol: its
// environment, and the answers it gives to the queries it sees.
type imageTerminal struct {
	name    string
	env     []string // TERM=… and more (sent with SendEnv)
	sendEnv string   // ssh's -o SendEnv=…, or ""
	answers map[string]string
}

// The test clients of #15: each answers as its kind of terminal does.
var imageTerminals = []imageTerminal{
	{name: "kitty", env: []string{"TERM=xterm-kitty"}, answers: map[string]string{
		"\x1b_Gi=31,": "\x1b_Gi=31;OK\x1b\\",
		"\x1b[>0q":    "\x1bP>|kitty(0.39.1)\x1b\\",
		"\x1b[16t":    "\x1b[6;20;10t",
	}},
	{name: "iTerm2", env: []string{"TERM=xterm-256color", "LC_TERMINAL=iTerm2", "LC_TERMINAL_VERSION=3.5.11"}, sendEnv: "LC_TERMINAL*"},
	{name: "sixel", env: []string{"TERM=xterm-256color"}, answers: map[string]string{
		"\x1b[c":   "\x1b[?62;4;22c", // DA1 with 4: sixel (x/vt answers too, without it)
		"\x1b[16t": "\x1b[6;18;9t",
	}},
}

// vtLoginAs is vtLogin for a terminal of kind k: its environment, and its
// answers written back as each query appears in the output.
func (h *harness) vtLoginAs(t *testing.T, srv *server, o sshOpts, k imageTerminal, user, password string, cols, rows int) *vtTerm {
	t.Helper()
	extra := []string{"-tt", "-e", "none"}
	if k.sendEnv != "" {
		extra = append(extra, "-o", "SendEnv="+k.sendEnv)
	}
	cmd := exec.Command(sshClientPath, sshArgs(srv, o, user, extra...)...)
	cmd.Env = append(h.sshEnv(password), k.env...)
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		t.Fatalf("start ssh on a pty: %v", err)
	}
	c := &vtTerm{
		t: t, name: k.name + " terminal", cmd: cmd, ptmx: ptmx,
		exited: make(chan struct{}), readDone: make(chan struct{}), replyDone: make(chan struct{}),
		emu: vt.NewEmulator(cols, rows), received: time.Now(),
	}
	go func() {
		c.exitErr = cmd.Wait()
		close(c.exited)
	}()
	go c.readOutputAnswering(k.answers)
	go c.copyReplies()
	t.Cleanup(c.close)
	return c
}

// readOutputAnswering is readOutput, answering each query in answers as
// it appears (a query split across reads is found too).
func (c *vtTerm) readOutputAnswering(answers map[string]string) {
	defer close(c.readDone)
	buf := make([]byte, 32<<10)
	var tail []byte // the last bytes read, for queries split across reads
	for {
		n, err := c.ptmx.Read(buf)
		if n > 0 {
			c.mu.Lock()
			c.raw.Write(buf[:n])
			c.emu.Write(buf[:n])
			c.received = time.Now()
			c.mu.Unlock()
			seen := append(tail, buf[:n]...)
			for q, a := range answers {
				// A query counts once: where it ends within this read.
				for i := 0; ; {
					j := bytes.Index(seen[i:], []byte(q))
					if j < 0 {
						break
					}
					if i+j+len(q) > len(tail) {
						_, _ = io.WriteString(c.ptmx, a)
					}
					i += j + len(q)
				}
			}
			tail = append(tail[:0], seen[max(0, len(seen)-16):]...)
		}
		if err != nil {
			return
		}
	}
}

// 9d. Figures (#15) in terminals that claim a protocol, over OpenSSH: a
// kitty terminal (its TERM, XTVERSION and an OK to the graphics query)
// gets the PNG once with a virtual placement and the figure's rows as
// U+10EEEE placeholder cells in true colour; an iTerm2 terminal (its
// LC_TERMINAL, sent by SendEnv LC_*) gets an OSC 1337 inline image; a sixel
// terminal (a 4 in DA1) gets a DCS sixel image, each drawn with the
// cursor saved and restored. Each plots in a wide terminal, where the
// Python pane has the whole height.
func (s *scenario) figuresInPixels(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("Python runs in a sandbox, which this test expects as root")
	}
	h, o := s.h, sshOpts{knownHosts: s.knownHosts}
	h.cli(t, cliOpts{stdin: figPassword + "\n"}, append([]string{"user", "add", "pix", "--password-stdin"}, s.b.flags()...)...).mustSucceed(t)
	for i, k := range imageTerminals {
		t.Run(k.name, func(t *testing.T) {
			term := h.vtLoginAs(t, s.srv, o, k, "pix", figPassword, 200, 60)
			term.waitScreen("welcome.py")
			name := fmt.Sprintf("figures/python-%d.png", i+1)
			term.typ(keyF4)
			term.waitScreen(">>>")
			term.typ(fmt.Sprintf("import matplotlib.pyplot as plt; plt.figure(); plt.plot([1,3,2]); plt.show()  # %s\r", k.name))
			term.waitScreen("[figure saved: ~/" + name + "]")
			png, err := os.ReadFile(filepath.Join(s.b.dataDir, "homes", "pix", name))
			if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
				t.Fatalf("~/%s is not a PNG: %v", name, err)
			}
			switch k.name {
			case "kitty":
				term.waitUntil("show the figure as kitty placeholders in true colour", func(sc vtScreen) bool {
					return placeholderCells(sc) >= 100
				})
				raw := term.rawTail(1 << 30)
				if !strings.Contains(raw, "\x1b_Ga=T,U=1,f=100,t=d,") {
					t.Errorf("no kitty transmission with a virtual placement (a=T,U=1,f=100)")
				}
				if n := strings.Count(raw, "\x1b_Ga=T,"); n != 1 {
					t.Errorf("the PNG was transmitted %d times, want once", n)
				}
				if !strings.Contains(raw, "\x1b[38;2;") {
					t.Errorf("placeholders without a true-colour foreground (the image id)")
				}
			case "iTerm2":
				// Placed with the cursor saved, restored after it.
				img := term.waitRaw("an OSC 1337 inline image", regexp.MustCompile("\x1b7\x1b\\[[0-9]+;[0-9]+H\x1b\\]1337;File=inline=1;[^\a]*\a\x1b8"))
				if !strings.Contains(img, ";width=") || !strings.Contains(img, ";height=20;preserveAspectRatio=1") {
					t.Errorf("the inline image is not sized in cells: %q", img[:min(len(img), 120)])
				}
			case "sixel":
				img := term.waitRaw("a sixel image", regexp.MustCompile("\x1b7\x1b\\[[0-9]+;[0-9]+H\x1bP0;1q[^\x1b]*\x1b\\\\\x1b8"))
				if !strings.Contains(img, "#0;2;") { // a palette
					t.Errorf("the sixel has no palette: %q", img[:min(len(img), 120)])
				}
			}
			if k.name != "kitty" {
				// More output scrolls the figure partly off the pane: the
				// image is erased, its rows blanked with the cursor saved.
				term.typ("print('\\n'.join('scrolling %d' % i for i in range(30)))\r")
				term.waitScreen("scrolling 29", ">>>")
				term.waitRaw("the image erased as its figure scrolls away",
					regexp.MustCompile("\x1b7\x1b\\[m(\x1b\\[[0-9]+;[0-9]+H\x1b\\[[0-9]+X){20}\x1b8"))
			}
			raw := term.rawTail(1 << 30)
			if strings.Contains(raw, "\x1b]7708") {
				t.Errorf("the terminal was sent the figure marker")
			}
			if k.name != "kitty" && strings.Contains(raw, "\x1b_G") {
				t.Errorf("a %s terminal was sent kitty graphics", k.name)
			}
			if k.name != "sixel" && strings.Contains(raw, "\x1bP0;1q") {
				t.Errorf("a %s terminal was sent a sixel", k.name)
			}
			if k.name != "iTerm2" && strings.Contains(raw, "\x1b]1337") {
				t.Errorf("a %s terminal was sent an iTerm2 image", k.name)
			}
			// The answers were read as answers: none shows as typed text.
			sc := term.screen()
			for _, leak := range []string{"62;4", "kitty(", "OK", "6;20"} {
				if sc.contains(leak) {
					t.Errorf("an answer leaked into the screen as text: %q\n%s", leak, sc)
				}
			}
			term.typ(keyF2)
			term.typ("q")
		})
	}

	// The professor's live view draws the student's figures as the
	// professor's own terminal does: here kitty, while pix's terminal is
	// a plain one that gets half blocks.
	t.Run("live_view_in_kitty", func(t *testing.T) {
		s.ensureConsoleCast(t)
		pix := h.vtLogin(t, s.srv, o, "pix's plain terminal", "pix", figPassword, 200, 60)
		pix.waitScreen("welcome.py")
		pix.typ(keyF4)
		pix.waitScreen(">>>")
		pix.typ("plt.figure(); plt.plot([2,1,3]); plt.show()  # watched\r")
		pix.waitUntil("draw the figure in half blocks", func(sc vtScreen) bool { return halfBlockRows(sc) >= 8 })
		prof := h.vtLoginAs(t, s.srv, o, imageTerminals[0], profUser, profPassword, 200, 60)
		prof.waitUntil("show the console", func(sc vtScreen) bool { return strings.Contains(sc.text[0], "1 Students") })
		prof.typ("2")
		prof.waitUntil("show the Live page with pix", func(sc vtScreen) bool { return rowWith(sc, "pix") })
		openLiveView(prof, "pix")
		prof.waitScreen("Watching pix (they see it)", "pix's Python")
		prof.waitUntil("show pix's figure as kitty placeholders", func(sc vtScreen) bool { return placeholderCells(sc) >= 100 })
		if raw := pix.rawTail(1 << 30); strings.Contains(raw, "\x1b_G") || strings.Contains(raw, "\x1b]1337") || strings.Contains(raw, "\x1bP0;1q") {
			t.Errorf("pix's plain terminal was sent an image escape")
		}
		quitTerm(t, prof)
		quitTerm(t, pix)
	})
}

// waitRaw waits until the output matches re, and returns the match.
func (c *vtTerm) waitRaw(what string, re *regexp.Regexp) string {
	c.t.Helper()
	var found string
	if !waitFor(screenDeadline, c.exited, func() bool { found = re.FindString(c.rawTail(1 << 30)); return found != "" }) {
		c.t.Fatalf("%s: no %s in the output\n%s\nraw tail: %q", c.name, what, c.screen(), c.rawTail(2000))
	}
	return found
}

// placeholderCells counts the cells holding kitty's image placeholder
// with a true-colour foreground.
func placeholderCells(sc vtScreen) int {
	n := 0
	for _, row := range sc.cells {
		for _, c := range row {
			if strings.HasPrefix(c.Content, "\U0010EEEE") && c.Style.Fg != nil {
				n++
			}
		}
	}
	return n
}
