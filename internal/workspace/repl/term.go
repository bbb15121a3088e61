package repl

import (
	"bytes"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// Size bounds. A view's size comes from a client (an SSH window-change, a
// browser): it is clamped so that no client can make the emulator allocate
// an absurd screen.
const (
	defaultCols, defaultRows = 80, 24
	maxCols, maxRows         = 500, 200

	// DefaultScrollback is the number of lines kept above the screen when
	// Config.Scrollback is 0. A cell costs about 112 bytes, so a full
	// 80-column line costs ~9 KB; Python output is mostly short lines.
	DefaultScrollback = 1000
	// maxScrollback bounds Config.Scrollback.
	maxScrollback = 10000

	// maxGraphemeRun is the longest run of non-ASCII bytes handed to the
	// emulator in one Write. The emulator holds a grapheme cluster back
	// until the next ASCII character or the end of a Write, and stores a
	// whole cluster in one cell: without a bound, a program printing "e"
	// and a million combining accents would put megabytes in one cell, and
	// then in every cell. No real cluster is this long.
	maxGraphemeRun = 128

	// maxLinkURL is the longest hyperlink (OSC 8) kept; longer ones are
	// dropped, since every cell printed with a link references its URL.
	maxLinkURL = 2048
)

// term is the terminal emulator of a REPL: the screen and scrollback that
// outlive the Python processes that write to them. It is not safe for
// concurrent use: the REPL's mutex guards it. Its input (answers to the
// program's queries, and keys) goes to the REPL's input queue (inputQueue).
type term struct {
	emu *vt.Emulator
	log *slog.Logger

	run    int    // length of the current run of non-ASCII bytes fed
	panics uint64 // emulator panics recovered

	// For the scrolling fast path (see fastLines): where the emulator's
	// parser is, and the modes that change how text is laid out.
	esc                         escState
	autowrap, origin, lrMargins bool
	insert, newline             bool
	fullRegion                  bool
	fastOff                     bool   // a prediction failed: never again
	fastRuns                    uint64 // times the fast path was taken
}

func newTerm(cols, rows, scrollback int, log *slog.Logger) *term {
	emu := vt.NewEmulator(cols, rows)
	emu.SetScrollbackSize(scrollback)
	t := &term{emu: emu, log: log}
	t.resetModes()
	t.guard()
	return t
}

// knownDECModes and knownANSIModes are the terminal modes a program may set or reset. The
// emulator records every mode number it is sent in a map, so a program
// cycling through mode numbers would grow it without end: sequences naming
// any other mode are ignored. The alternate screen (47, 1047, 1049) is
// deliberately absent: its scrollback cannot be bounded from outside the
// emulator, so full-screen programs draw on the main screen instead.
var knownDECModes = map[int]bool{
	1: true, 3: true, 5: true, 6: true, 7: true, 8: true, 9: true, 12: true, 20: true, 25: true,
	66: true, 67: true, 69: true,
	1000: true, 1001: true, 1002: true, 1003: true, 1004: true, 1005: true, 1006: true, 1015: true, 1016: true,
	1048: true, 2004: true, 2026: true, 2027: true, 2031: true, 2048: true,
}

var knownANSIModes = map[int]bool{2: true, 4: true, 12: true, 20: true}

// guard registers handlers in front of the emulator's own (the emulator
// tries the most recently registered first) that keep a program from
// making it store unbounded state: window titles and the working directory
// (not shown anywhere, up to 4 MB each), huge hyperlinks, unknown modes and
// the alternate screen.
func (t *term) guard() {
	// 7708: the figure markers (figures.go), read before the emulator sees them.
	for _, cmd := range []int{0, 1, 2, 7, 7708} {
		t.emu.RegisterOscHandler(cmd, func([]byte) bool { return true })
	}
	t.emu.RegisterOscHandler(8, func(data []byte) bool { return len(data) > maxLinkURL })
	modes := func(dec, set bool) vt.CsiHandler {
		known := knownANSIModes
		if dec {
			known = knownDECModes
		}
		return func(params ansi.Params) bool {
			for _, p := range params {
				if n := p.Param(-1); n != -1 && !known[n] {
					return true // swallow the whole sequence
				}
			}
			for _, p := range params {
				t.trackMode(dec, p.Param(-1), set)
			}
			return false // let the emulator apply it
		}
	}
	for _, final := range []byte{'h', 'l'} {
		t.emu.RegisterCsiHandler(ansi.Command('?', 0, final), modes(true, final == 'h'))
		t.emu.RegisterCsiHandler(ansi.Command(0, 0, final), modes(false, final == 'h'))
	}
	t.emu.RegisterEscHandler('c', func() bool { // RIS
		t.resetModes()
		return false
	})
	// Margins beyond the screen make the emulator index past its lines
	// (a panic on the next scroll, and on every one after it). xterm
	// clamps them; the emulator cannot be told to, so they are ignored.
	margins := func(limit func() int) vt.CsiHandler {
		return func(params ansi.Params) bool {
			for _, p := range params {
				if p.Param(0) > limit() {
					return true
				}
			}
			return false
		}
	}
	vertical := margins(t.emu.Height)
	t.emu.RegisterCsiHandler('r', func(params ansi.Params) bool {
		if vertical(params) {
			return true
		}
		height := t.emu.Height()
		top, _, _ := params.Param(0, 1)
		bottom, _, _ := params.Param(1, height)
		if bottom < 1 {
			bottom = height
		}
		if max(top, 1) < bottom { // what the emulator accepts
			t.fullRegion = top <= 1 && bottom >= height
		}
		return false
	})
	t.emu.RegisterCsiHandler('s', margins(t.emu.Width))
}

// resetModes sets the tracked modes to the emulator's defaults.
func (t *term) resetModes() {
	t.autowrap, t.origin, t.lrMargins, t.insert, t.newline = true, false, false, false, false
	t.fullRegion = true
}

func (t *term) trackMode(dec bool, mode int, set bool) {
	switch {
	case dec && mode == 7:
		t.autowrap = set
	case dec && mode == 6:
		t.origin = set
	case dec && mode == 69:
		t.lrMargins = set
	case !dec && mode == 4:
		t.insert = set
	case !dec && mode == 20:
		t.newline = set
	}
}

// write feeds program output to the emulator. It never panics: a panic in
// the emulator is logged and the rest of the chunk is dropped.
func (t *term) write(p []byte) {
	for len(p) > 0 {
		if n := t.fastLines(p); n > 0 {
			p = p[n:]
			continue
		}
		// Up to the end of the line, then try the fast path again.
		n := len(p)
		if i := bytes.Index(p, crlf); i >= 0 {
			n = i + 2
		}
		t.writeSlow(p[:n])
		p = p[n:]
	}
}

var crlf = []byte("\r\n")

// fastLines feeds the complete lines of plain text at the start of p with
// their scrolling done in one step, and returns how many bytes it fed (0
// when it cannot help).
//
// The emulator scrolls by moving every cell of the screen (and pushing the
// top line into the scrollback): at each line feed at the bottom of the
// screen, so a program printing short lines in a loop costs a few
// microseconds per line. When the text ahead is only printable ASCII and
// CR LF, and the cursor is at the start of a line, its layout is known in
// advance: n rows of scrolling can be done first with one SU (scroll up n,
// which pushes the same lines into the scrollback in the same order), the
// cursor moved up n rows, and the lines then written without scrolling.
// The cursor is checked afterwards against the prediction; should it ever
// differ (a parser state this does not model), the fast path is off for
// good and only speed is lost.
func (t *term) fastLines(p []byte) int {
	if t.fastOff || t.esc != escGround || !t.autowrap || t.origin || t.lrMargins || t.insert || t.newline || !t.fullRegion {
		return 0
	}
	width, height := t.emu.Width(), t.emu.Height()
	pos := t.emu.CursorPosition()
	if width < 2 || height < 2 || pos.X != 0 {
		return 0
	}
	// Whole lines, as long as they fit in the rows above the cursor's.
	rows, n, start := 0, 0, 0
	for i := 0; i < len(p); {
		b := p[i]
		if b >= 0x20 && b < 0x7f {
			i++
			continue
		}
		if b != '\r' || i+1 >= len(p) || p[i+1] != '\n' {
			break
		}
		adv := max(1, (i-start+width-1)/width) // wrapped rows, then the line feed
		if rows+adv > height-1 {
			break
		}
		rows += adv
		i += 2
		n, start = i, i
	}
	scroll := pos.Y + rows - (height - 1)
	if scroll < 2 {
		return 0 // nothing to gain
	}
	t.feed(fmt.Appendf(nil, "\x1b[%dS\x1b[%dA", scroll, scroll))
	t.feed(p[:n])
	t.run = 0
	t.fastRuns++
	if got := t.emu.CursorPosition(); got.X != 0 || got.Y != height-1 {
		t.fastOff = true
		t.log.Warn("repl: terminal fast path mispredicted the cursor; turned off", "want", fmt.Sprintf("0,%d", height-1), "got", got)
	}
	return n
}

// writeSlow feeds p byte by byte, as it comes.
func (t *term) writeSlow(p []byte) {
	for _, b := range p {
		t.esc = t.esc.next(b)
	}
	start := 0
	for i, b := range p {
		if b < 0x80 {
			t.run = 0
			continue
		}
		// Split only before the first byte of a UTF-8 sequence, so that
		// the emulator's own decoder never sees a torn character.
		if t.run >= maxGraphemeRun && b >= 0xC0 {
			t.feed(p[start:i])
			start = i
			t.run = 0
		}
		t.run++
	}
	t.feed(p[start:])
}

func (t *term) feed(p []byte) {
	if len(p) == 0 {
		return
	}
	defer t.recover("write")
	t.emu.Write(p)
}

// resize resizes the screen. When it shrinks below the cursor, the lines
// above are first scrolled into the scrollback, as a real terminal does,
// so that the line being typed stays on screen.
func (t *term) resize(cols, rows int) {
	defer t.recover("resize")
	if pos := t.emu.CursorPosition(); pos.Y >= rows {
		k := pos.Y - rows + 1
		t.emu.Write(fmt.Appendf(nil, "\x1b[%dS\x1b[%dA", k, k))
	}
	t.emu.Resize(cols, rows)
	t.fullRegion = true // the emulator resets the margins
}

// restartBanner resets what a killed program may have left set (colours,
// application keys, bracketed paste, mouse reporting, a hidden cursor, a
// scroll region) and prints a separator line for a new run, as IDLE does.
func (t *term) restartBanner(what string) {
	var b []byte
	if t.emu.CursorPosition().X != 0 {
		b = append(b, "\r\n"...)
	}
	b = append(b, "\x1b[0m\x1b[?1l\x1b>\x1b[?2004l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b7\x1b[r\x1b8"...)
	b = fmt.Appendf(b, "=== RESTART: %s ===\r\n", what)
	t.write(b)
}

// repair is written after a panic: cancel any sequence in progress (CAN),
// and reset the margins, keeping the cursor where it is.
const repair = "\x18\x1b7\x1b[r\x1b[?69h\x1b[s\x1b[?69l\x1b8"

func (t *term) recover(op string) {
	v := recover()
	if v == nil {
		return
	}
	t.panics++
	if t.panics <= 10 || t.panics%1000 == 0 {
		t.log.Error("repl: terminal emulator panicked; output dropped", "op", op, "panics", t.panics, "panic", v, "stack", string(debug.Stack()))
	}
	func() {
		defer func() { recover() }()
		t.emu.Write([]byte(repair))
	}()
	t.esc = escGround
	t.resetModes()
	t.fullRegion = true
}

// escState follows, coarsely, where a VT parser is in an escape sequence:
// enough to know whether the next printable byte is printed.
type escState uint8

const (
	escGround    escState = iota
	escEscape             // after ESC
	escCSI                // in a control sequence
	escString             // in an OSC, DCS, SOS, PM or APC string
	escStringEsc          // ESC inside a string: ST (ESC \) or a new sequence
)

func (s escState) next(b byte) escState {
	switch {
	case b == 0x18 || b == 0x1a: // CAN, SUB
		return escGround
	case b == 0x1b:
		if s == escString {
			return escStringEsc
		}
		return escEscape
	}
	switch s {
	case escEscape, escStringEsc:
		switch {
		case s == escStringEsc && b == '\\':
			return escGround
		case b == '[':
			return escCSI
		case b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_':
			return escString
		case b >= 0x30 && b <= 0x7e:
			return escGround
		}
		return escEscape // intermediates, and C0 controls (executed)
	case escCSI:
		if b >= 0x40 && b <= 0x7e {
			return escGround
		}
	case escString:
		if b == 0x07 {
			return escGround
		}
	}
	return s
}
