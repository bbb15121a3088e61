package main

// A terminal for the end-to-end tests: OpenSSH's client on a real pty whose
// output feeds a terminal emulator (x/vt), as a person's terminal window
// would show it. The emulator answers the program's queries through the pty,
// as a real terminal does, and the pty can be resized (ssh then gets SIGWINCH
// and sends a window-change).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
)

// quietFor is how long a screen must go without new output to count as
// settled (with its condition holding all along): longer than a few of
// Bubble Tea's 60 Hz frames.
const quietFor = 150 * time.Millisecond

// vtTerm is one `ssh -tt` session in a terminal window of a given size.
type vtTerm struct {
	t    *testing.T
	name string // for messages: "alice's first terminal"
	cmd  *exec.Cmd
	ptmx *os.File

	exited  chan struct{} // ssh ended; exitErr is then valid
	exitErr error

	readDone, replyDone chan struct{}

	mu       sync.Mutex
	emu      *vt.Emulator
	raw      bytes.Buffer // everything ssh wrote, for failure messages
	received time.Time    // when output last arrived
}

// vtLogin starts ssh in a cols x rows terminal, logging in as user.
func (h *harness) vtLogin(t *testing.T, srv *server, o sshOpts, name, user, password string, cols, rows int) *vtTerm {
	t.Helper()
	// -e none: no escape character, so no key sequence is ever ssh's own.
	cmd := exec.Command(sshClientPath, sshArgs(srv, o, user, "-tt", "-e", "none")...)
	// A terminal says what it is; a test's own TERM (unset, or dumb) must not decide.
	cmd.Env = append(h.sshEnv(password), "TERM=xterm-256color")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		t.Fatalf("start ssh on a pty: %v", err)
	}
	c := &vtTerm{
		t: t, name: name, cmd: cmd, ptmx: ptmx,
		exited: make(chan struct{}), readDone: make(chan struct{}), replyDone: make(chan struct{}),
		emu: vt.NewEmulator(cols, rows), received: time.Now(),
	}
	go func() {
		c.exitErr = cmd.Wait()
		close(c.exited)
	}()
	go c.readOutput()
	go c.copyReplies()
	t.Cleanup(c.close)
	return c
}

// readOutput feeds everything ssh writes into the emulator. It ends when the
// pty is closed (or ssh's side of it is, after ssh exits: EIO).
func (c *vtTerm) readOutput() {
	defer close(c.readDone)
	buf := make([]byte, 32<<10)
	for {
		n, err := c.ptmx.Read(buf)
		if n > 0 {
			c.mu.Lock()
			c.raw.Write(buf[:n])
			c.emu.Write(buf[:n])
			c.received = time.Now()
			c.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// copyReplies sends the emulator's answers (cursor position, colours,
// device attributes) back to the program, as a terminal does. It must
// always run: the emulator blocks on its first answer otherwise.
func (c *vtTerm) copyReplies() {
	defer close(c.replyDone)
	_, _ = io.Copy(c.ptmx, c.emu) // ends when close closes the emulator's input pipe
}

// close ends ssh (if it still runs) and both copiers.
func (c *vtTerm) close() {
	if !c.hasExited() {
		_ = c.cmd.Process.Kill()
	}
	<-c.exited
	c.ptmx.Close()
	<-c.readDone
	// Ends copyReplies' read without Emulator.Close, whose flag its Read
	// checks unsynchronised.
	c.emu.InputPipe().(*io.PipeWriter).CloseWithError(io.EOF)
	<-c.replyDone
}

func (c *vtTerm) hasExited() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

// typ types keys as a terminal sends them.
func (c *vtTerm) typ(keys string) {
	c.t.Helper()
	if _, err := io.WriteString(c.ptmx, keys); err != nil {
		c.t.Fatalf("%s: type %q: %v", c.name, keys, err)
	}
}

// resize changes the window's size: the emulator first, then the pty (the
// kernel tells ssh with SIGWINCH), in the order a terminal window does it.
// Output already on its way lands on the new grid, as it would.
func (c *vtTerm) resize(cols, rows int) {
	c.t.Helper()
	c.mu.Lock()
	c.emu.Resize(cols, rows)
	c.mu.Unlock()
	if err := pty.Setsize(c.ptmx, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}); err != nil {
		c.t.Fatalf("%s: resize the pty to %dx%d: %v", c.name, cols, rows, err)
	}
}

// kill ends ssh at once, as a dropped connection or a closed laptop does.
func (c *vtTerm) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// exit waits for ssh to end (after a key that quits) and returns its status.
func (c *vtTerm) exit() int {
	c.t.Helper()
	select {
	case <-c.exited:
	case <-time.After(exitDeadline):
		c.t.Fatalf("%s: ssh did not exit within %s\n%s", c.name, exitDeadline, c.screen())
	}
	var ee *exec.ExitError
	switch {
	case c.exitErr == nil:
		return 0
	case errors.As(c.exitErr, &ee):
		return ee.ExitCode()
	}
	return -1
}

// vtScreen is what a terminal window shows: its cells, row by row, and
// its cursor.
type vtScreen struct {
	cols, rows int
	cells      [][]uv.Cell
	text       []string // each row's characters, exactly cols cells wide
	cursor     uv.Position
	cursorOn   bool // shown, not hidden
}

func (s vtScreen) String() string {
	var b strings.Builder
	cursor := "hidden"
	if s.cursorOn {
		cursor = fmt.Sprintf("at column %d, row %d", s.cursor.X, s.cursor.Y)
	}
	fmt.Fprintf(&b, "%dx%d screen, cursor %s:\n", s.cols, s.rows, cursor)
	for i, l := range s.text {
		fmt.Fprintf(&b, "%3d|%s|\n", i, l)
	}
	return b.String()
}

// contains reports whether the screen shows each of parts, in order.
func (s vtScreen) contains(parts ...string) bool {
	all := strings.Join(s.text, "\n")
	for _, p := range parts {
		i := strings.Index(all, p)
		if i < 0 {
			return false
		}
		all = all[i+len(p):]
	}
	return true
}

// screen returns what the window shows now.
func (c *vtTerm) screen() vtScreen {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.screenLocked()
}

func (c *vtTerm) screenLocked() vtScreen {
	cols, rows := c.emu.Width(), c.emu.Height()
	s := vtScreen{
		cols: cols, rows: rows, cells: make([][]uv.Cell, rows), text: make([]string, rows),
		cursor: c.emu.CursorPosition(), cursorOn: !c.emu.CursorHidden(),
	}
	for y := range rows {
		var b strings.Builder
		s.cells[y] = make([]uv.Cell, cols)
		for x := range cols {
			cell := c.emu.CellAt(x, y)
			if cell == nil {
				cell = &uv.EmptyCell
			}
			s.cells[y][x] = *cell
			switch {
			case cell.Width == 0 && cell.Content == "":
				// The second column of a wide character, or a never-written cell.
				if x == 0 || s.cells[y][x-1].Width < 2 {
					b.WriteByte(' ')
				}
			case cell.Content == "":
				b.WriteByte(' ')
			default:
				b.WriteString(cell.Content)
			}
		}
		s.text[y] = b.String()
	}
	return s
}

// settled returns the screen and whether no output arrived for quietFor.
func (c *vtTerm) settled() (vtScreen, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.screenLocked(), time.Since(c.received) >= quietFor
}

// rawTail is the end of what ssh wrote, escapes and all.
func (c *vtTerm) rawTail(n int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return tail(c.raw.String(), n)
}

// waitScreen waits until the screen shows parts, in order.
func (c *vtTerm) waitScreen(parts ...string) vtScreen {
	c.t.Helper()
	return c.waitUntil(fmt.Sprintf("show %q", parts), func(s vtScreen) bool { return s.contains(parts...) })
}

// waitUntil waits until cond holds for the screen, and fails the test after
// screenDeadline.
func (c *vtTerm) waitUntil(what string, cond func(vtScreen) bool) vtScreen {
	c.t.Helper()
	var s vtScreen
	if !waitFor(screenDeadline, c.exited, func() bool { s = c.screen(); return cond(s) }) {
		if c.hasExited() {
			c.t.Fatalf("%s: ssh exited (%v) before the screen would %s\n%s\nraw output: %q", c.name, c.exitErr, what, s, c.rawTail(3000))
		}
		c.t.Fatalf("%s: the screen did not %s within %s\n%s\nraw output: %q", c.name, what, screenDeadline, s, c.rawTail(3000))
	}
	return s
}

// screenDiff lists the rows where two screens differ in what a person sees
// (characters, colours and attributes; see visible), apart from the rows in
// skip, and whether the cursor differs.
func screenDiff(a, b vtScreen, skip map[int]bool) []string {
	if a.cols != b.cols || a.rows != b.rows {
		return []string{fmt.Sprintf("sizes differ: %dx%d and %dx%d", a.cols, a.rows, b.cols, b.rows)}
	}
	var out []string
	if a.cursorOn != b.cursorOn || a.cursorOn && a.cursor != b.cursor {
		out = append(out, fmt.Sprintf("the cursor: shown %v at %v, and shown %v at %v", a.cursorOn, a.cursor, b.cursorOn, b.cursor))
	}
	for y := range a.rows {
		if skip[y] {
			continue
		}
		if a.text[y] != b.text[y] {
			out = append(out, fmt.Sprintf("row %d text:\n  %q\n  %q", y, a.text[y], b.text[y]))
			continue
		}
		for x := range a.cols {
			sa, sb := visible(a.cells[y][x]), visible(b.cells[y][x])
			if !sa.Equal(&sb) {
				out = append(out, fmt.Sprintf("row %d: the style differs from column %d (%q): %+v and %+v", y, x, a.cells[y][x].Content, sa, sb))
				break
			}
		}
	}
	return out
}

// visible is the part of a cell's style that shows. On a blank, the
// foreground colour, bold, faint, italic and blink draw nothing (unless it is
// reversed, underlined or struck through), and a renderer may rightly erase
// a run of such blanks rather than write them: the same screen then holds
// different styles in cells that look the same.
func visible(c uv.Cell) uv.Style {
	st := c.Style
	if c.Content != " " && c.Content != "" {
		return st
	}
	var shows uint8 = uv.AttrReverse | uv.AttrStrikethrough
	out := uv.Style{Bg: st.Bg, Underline: st.Underline, UnderlineColor: st.UnderlineColor, Attrs: st.Attrs & shows}
	if st.Attrs&shows != 0 || st.Underline != 0 && st.UnderlineColor == nil {
		out.Fg = st.Fg // the line, or the reversed background, takes its colour
	}
	if st.Attrs&uv.AttrReverse != 0 {
		out.Attrs |= st.Attrs & (uv.AttrBold | uv.AttrFaint) // they may change that colour
	}
	return out
}

// waitSame waits until two terminals show the same screen (apart from the
// rows in skip) and have both been quiet for quietFor, and returns their
// screens. It fails the test with the differences after screenDeadline.
func waitSame(t *testing.T, a, b *vtTerm, skip map[int]bool) (vtScreen, vtScreen) {
	t.Helper()
	var sa, sb vtScreen
	var diff []string
	ok := waitFor(screenDeadline, nil, func() bool {
		var qa, qb bool
		sa, qa = a.settled()
		sb, qb = b.settled()
		diff = screenDiff(sa, sb, skip)
		return len(diff) == 0 && qa && qb
	})
	if !ok {
		t.Fatalf("%s and %s did not settle on the same screen within %s; they differ in:\n%s\n%s: %s\n%s: %s",
			a.name, b.name, screenDeadline, strings.Join(diff, "\n"), a.name, sa, b.name, sb)
	}
	return sa, sb
}

const ritaPassword = "resize me gently 9"

const keyF2 = "\x1bOQ"

// 10. Resizing the terminal from 200x50 to 80x24 and back redraws cleanly:
// after each resize, once settled, the window shows exactly what a terminal
// freshly logged in at that size shows (the same workspace, the same focus),
// cell for cell, with nothing left of the previous size's frame.
func (s *scenario) resizeRedraw(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("Python runs in a sandbox, which this test expects as root")
	}
	h, o := s.h, sshOpts{knownHosts: s.knownHosts}
	h.cli(t, cliOpts{stdin: ritaPassword + "\n"}, append([]string{"user", "add", "rita", "--name", "Rita Resize", "--password-stdin"}, s.b.flags()...)...).mustSucceed(t)

	win := h.vtLogin(t, s.srv, o, "rita's resized terminal", "rita", ritaPassword, 200, 50)
	win.waitScreen("welcome.py", "Python")
	// Something in every pane: a file in the editor, Python's output.
	win.typ(keyCtrlP + "welcome\r")
	win.waitScreen("Your first Python program")
	win.typ(keyF4)
	win.waitScreen(">>>")
	// Wider than the small window: Python's screen must follow it too.
	win.typ(`print("W" * 7, "x" * 150)` + "\r")
	win.waitScreen("WWWWWWW", ">>>")

	// Small with the file list focused, then large with Python focused (and
	// the terminal's cursor on Python's).
	for i, size := range []struct {
		cols, rows int
		focus      string
		help       string // what the help bar shows with that focus
		status     string // what the status bar says
	}{{80, 24, keyF2, "enter open", " Python: ready "}, {200, 50, keyF4, "ctrl+c interrupt", " Python: type here"}} {
		// The focus first, shown, so that the window-change is the last
		// thing the view gets (a key after it would lay the view out again).
		win.typ(size.focus)
		win.waitUntil("show the help for the new focus", func(s vtScreen) bool { return strings.Contains(s.text[s.rows-1], size.help) })
		win.resize(size.cols, size.rows)
		ref := h.vtLogin(t, s.srv, o, fmt.Sprintf("rita's reference terminal %d (%dx%d)", i+1, size.cols, size.rows), "rita", ritaPassword, size.cols, size.rows)
		ref.waitScreen("welcome.py", "WWWWWWW")
		ref.typ(size.focus)
		// No row is exempt: neither view has a clock, and both have the
		// same focus, so even the highlighted pane title must match.
		got, _ := waitSame(t, win, ref, nil)
		checkFrame(t, got, "Rita Resize (rita)", "student", size.status)
		ref.typ(keyCtrlQ)
		if code := ref.exit(); code != 0 {
			t.Errorf("%s: ssh exited %d after ctrl+q", ref.name, code)
		}
	}
	win.typ(keyCtrlQ)
	if code := win.exit(); code != 0 {
		t.Errorf("ssh exited %d after ctrl+q", code)
	}
}

// checkFrame checks a workspace screen by itself. The header is the first
// row and its role reaches the right edge: a frame drawn for another width
// would put it past the edge (or short of it), and a row drawn past the edge
// would have wrapped onto the next. The status bar (which says status at
// one of its ends) and the help bar are the last two rows, and shown once: a
// frame drawn for a taller window would leave them higher up.
func checkFrame(t *testing.T, s vtScreen, who, role, status string) {
	t.Helper()
	if !strings.Contains(s.text[0], who) || !strings.HasSuffix(s.text[0], " "+role+" ") {
		t.Errorf("the first row is not the header with %q and, at the right edge, %q:\n%s", who, role, s)
	}
	if bar := s.text[s.rows-2]; !strings.HasPrefix(bar, status) && !strings.HasSuffix(bar, status) {
		t.Errorf("the row above the last is not the status bar saying %q at one end:\n%s", status, s)
	}
	if help := s.text[s.rows-1]; !strings.Contains(help, "quit") || !strings.Contains(help, "F1 help") {
		t.Errorf("the last row is not the help bar:\n%s", s)
	}
	for y, row := range s.text[:s.rows-1] {
		if strings.Contains(row, "F1 help") || y > 0 && strings.Contains(row, who) {
			t.Errorf("row %d repeats the header or the help bar (left from another size?):\n%s", y, s)
		}
	}
}
