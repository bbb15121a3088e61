package repl

import (
	"bytes"
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"
)

// Input travels one way: a view's keys, as bytes, through the emulator
// (SendKey encodes them, honouring the modes the program set, such as
// application cursor keys) into the input queue, with the emulator's own
// answers, in order, for the writer goroutine (inputQueue). The
// keys reach Python exactly as typed: ctrl+c is \x03, which the pty's line
// discipline turns into SIGINT for Python's process group (KeyboardInterrupt),
// and ctrl+d is \x04 (end of input: Python exits at an empty prompt).

// SendKey types a key into Python, encoded as a terminal would.
func (r *REPL) SendKey(k tea.KeyPressMsg) error {
	key := uv.KeyPressEvent(k)
	if key.Text == "" && key.Code > unicode.MaxRune && !encodable[key.Code] {
		// A key no terminal sends (a media key, F13): the emulator would
		// type U+FFFD for it.
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.takesKeysLocked() {
		return r.notRunningLocked()
	}
	if key.Code == uv.KeyEnter || key.Code == uv.KeyKpEnter {
		r.workingLocked()
	}
	r.term.emu.SendKey(key)
	r.touch()
	return nil
}

// takesKeysLocked reports whether keys typed now reach a Python: the
// running one, or, while one starts, the next one (they wait for it; see
// holdInput).
func (r *REPL) takesKeysLocked() bool {
	switch r.state.Status {
	case Running:
		return r.cur != nil
	case Starting, Restarting:
		return r.term != nil
	}
	return false
}

// workingLocked records that a line went to Python: it runs until its next
// prompt mark.
func (r *REPL) workingLocked() {
	if r.state.Status == Running && r.state.Activity != Working {
		r.state.Activity = Working
		r.changedLocked()
	}
}

// encodable are the special keys the emulator has an encoding for.
var encodable = func() map[rune]bool {
	m := map[rune]bool{}
	for _, k := range []rune{
		uv.KeyUp, uv.KeyDown, uv.KeyRight, uv.KeyLeft, uv.KeyInsert, uv.KeyDelete,
		uv.KeyHome, uv.KeyEnd, uv.KeyPgUp, uv.KeyPgDown,
		uv.KeyF1, uv.KeyF2, uv.KeyF3, uv.KeyF4, uv.KeyF5, uv.KeyF6,
		uv.KeyF7, uv.KeyF8, uv.KeyF9, uv.KeyF10, uv.KeyF11, uv.KeyF12,
		uv.KeyKp0, uv.KeyKp1, uv.KeyKp2, uv.KeyKp3, uv.KeyKp4, uv.KeyKp5, uv.KeyKp6,
		uv.KeyKp7, uv.KeyKp8, uv.KeyKp9, uv.KeyKpEnter, uv.KeyKpEqual, uv.KeyKpMultiply,
		uv.KeyKpPlus, uv.KeyKpComma, uv.KeyKpMinus, uv.KeyKpDecimal,
	} {
		m[k] = true
	}
	return m
}()

// Write types raw bytes into Python (a paste, or keys already encoded).
// Input Python does not read is queued, up to 256 KiB; beyond that it is
// dropped.
func (r *REPL) Write(p []byte) (int, error) {
	r.mu.Lock()
	if !r.takesKeysLocked() {
		err := r.notRunningLocked()
		r.mu.Unlock()
		return 0, err
	}
	if bytes.ContainsAny(p, "\r\n") {
		r.workingLocked()
	}
	// Into the same queue as SendKey's keys and the emulator's replies, in
	// order.
	r.queueInput(p)
	r.mu.Unlock()
	r.touch()
	return len(p), nil
}

// MaxPaste is the largest paste Python is given: what its input queue
// holds (maxInput) before input is dropped. Larger pastes are the view's
// to refuse.
const MaxPaste = maxInput

// Paste types text as a paste: bracketed (so that Python's readline takes
// it as one piece) when the program asked for bracketed paste. Control
// characters other than tab and line breaks are left out, as careful
// terminals do with what they paste: in a pty they are commands, not text
// (^Z stops Python, ^\ kills it with a core dump, ^C interrupts it, and an
// ESC [ 201 ~ in the text would end the bracketed paste early, typing the
// rest as keys).
func (r *REPL) Paste(text string) error {
	text = pasteText(text)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.takesKeysLocked() {
		return r.notRunningLocked()
	}
	if strings.ContainsAny(text, "\r\n") {
		r.workingLocked()
	}
	r.term.emu.Paste(text)
	r.touch()
	return nil
}

// Interrupt sends SIGINT to Python's foreground process group, as ctrl+c
// does but whatever the terminal's settings: KeyboardInterrupt, and the
// prompt returns.
func (r *REPL) Interrupt() error {
	r.mu.Lock()
	inc := r.cur
	running := inc != nil && r.state.Status == Running
	r.mu.Unlock()
	if !running {
		return ErrNotRunning
	}
	r.touch()
	return inc.proc.Interrupt()
}

func (r *REPL) notRunningLocked() error {
	if r.closed {
		return ErrClosed
	}
	return ErrNotRunning
}

// pasteText is text without the control characters a paste must not type
// into a pty: every C0 control but tab, CR and LF, DEL, and C1.
func pasteText(text string) string {
	keep := func(r rune) bool {
		return r >= 0x20 && r != 0x7f && (r < 0x80 || r >= 0xa0) || r == '\t' || r == '\r' || r == '\n'
	}
	for _, r := range text {
		if !keep(r) {
			return strings.Map(func(r rune) rune {
				if keep(r) {
					return r
				}
				return -1
			}, text)
		}
	}
	return text
}
