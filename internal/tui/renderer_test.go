package tui_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/vt"
)

// The patched renderer (third_party/bubbletea: frames drawn line by line)
// keeps a real terminal showing exactly each view: random frames of the
// shapes the workspace draws (a line edited, a pane's output scrolling, the
// whole screen changed, styles left open across lines) go through a
// Program into a terminal emulator, whose every cell must then be the
// frame's.
func TestRendererKeepsTheTerminalShowingTheView(t *testing.T) {
	const w, h = 60, 16
	term := &lockedTerm{emu: vt.NewEmulator(w, h)}
	go io.Copy(io.Discard, term.emu) // the emulator's answers to the program's queries
	// The renderer writes "\n" for a terminal whose tty adds the "\r" (as
	// a pty's ONLCR does): newline mode does the same here.
	term.emu.Write([]byte("\x1b[20h"))

	frames := make(chan []string)
	p := tea.NewProgram(scripted{frames: frames}, tea.WithInput(nil), tea.WithOutput(term),
		tea.WithWindowSize(w, h), tea.WithColorProfile(colorprofile.TrueColor), tea.WithoutSignals())
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	defer func() {
		p.Quit()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	r := rand.New(rand.NewPCG(3, 4))
	lines := make([]string, h)
	for i := range lines {
		lines[i] = frameLine(r, w)
	}
	for step := range 400 {
		switch k := r.IntN(10); {
		case k < 5: // a key: a line or two change
			for range 1 + r.IntN(2) {
				lines[r.IntN(h)] = frameLine(r, w)
			}
		case k < 8: // output scrolls a region (the Python pane) up by one or two
			top := r.IntN(h - 2)
			n := 1 + r.IntN(2)
			bottom := top + 2 + r.IntN(h-top-2)
			for range n {
				copy(lines[top:bottom], lines[top+1:bottom+1])
				lines[bottom] = frameLine(r, w)
			}
		case k < 9: // down: the editor scrolls back
			top := r.IntN(h - 2)
			copy(lines[top+1:], lines[top:h-1])
			lines[top] = frameLine(r, w)
		default: // another screen altogether
			for i := range lines {
				lines[i] = frameLine(r, w)
			}
		}
		frame := append([]string(nil), lines...)
		frames <- frame
		want := uv.NewScreenBuffer(w, h)
		uv.NewStyledString(strings.Join(frame, "\n")).Draw(want, want.Bounds())
		deadline := time.Now().Add(5 * time.Second)
		for {
			diff := term.differs(&want)
			if diff == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("step %d: the terminal does not show the frame: %s\nframe:\n%s", step, diff, strings.Join(frame, "\n"))
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// frameLine is a line as the panes draw them: text, styled runs (most
// closed, some left open), a wide character, padding.
func frameLine(r *rand.Rand, w int) string {
	parts := []string{"def f(x):", " ", "\x1b[1;34mkeyword\x1b[m", "\x1b[32mstring, left open", "\x1b[0m",
		"中文", "│", "\x1b[7m selected \x1b[m", ">>> ", "\x1b[38;2;200;100;50mtrue\x1b[m", strings.Repeat("=", 12)}
	var b strings.Builder
	for range r.IntN(6) {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

type scripted struct{ frames chan []string }

type frameMsg []string

func (s scripted) Init() tea.Cmd { return s.next }

func (s scripted) next() tea.Msg {
	f, ok := <-s.frames
	if !ok {
		return tea.Quit()
	}
	return frameMsg(f)
}

type scriptedView struct {
	scripted
	lines []string
}

func (s scripted) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if f, ok := msg.(frameMsg); ok {
		return scriptedView{s, f}, s.next
	}
	return s, nil
}

func (s scripted) View() tea.View { v := tea.NewView(""); v.AltScreen = true; return v }

func (s scriptedView) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if f, ok := msg.(frameMsg); ok {
		return scriptedView{s.scripted, f}, s.next
	}
	return s, nil
}

func (s scriptedView) View() tea.View {
	v := tea.NewView(strings.Join(s.lines, "\n"))
	v.AltScreen = true
	return v
}

// lockedTerm is an emulator the program writes to while the test reads it.
type lockedTerm struct {
	mu  sync.Mutex
	emu *vt.Emulator
}

func (l *lockedTerm) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.emu.Write(p)
}

// differs describes the first cell where the terminal is not want, or "".
func (l *lockedTerm) differs(want *uv.ScreenBuffer) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := want.Bounds()
	for y := range b.Dy() {
		for x := range b.Dx() {
			g, e := l.emu.CellAt(x, y), want.CellAt(x, y)
			gc, ec := " ", " "
			if g != nil && g.Content != "" {
				gc = g.Content
			}
			if e != nil && e.Content != "" {
				ec = e.Content
			}
			var gs, es uv.Style
			if g != nil {
				gs = g.Style
			}
			if e != nil {
				es = e.Style
			}
			if gc != ec || gs.Attrs != es.Attrs || !sameColor(gs.Fg, es.Fg) || !sameColor(gs.Bg, es.Bg) {
				return fmt.Sprintf("cell %d,%d is %q %+v, the frame has %q %+v", x, y, gc, gs, ec, es)
			}
		}
	}
	return ""
}

func sameColor(a, b interface{ RGBA() (r, g, b, a uint32) }) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}
