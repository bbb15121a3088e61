package tui_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"

	"github.com/classroomd/classroomd/internal/tui"
)

// decodeInput turns terminal input bytes into the messages a Program
// gives its model: the same reader Bubble Tea runs on a terminal (escape
// sequences, bracketed pastes gathered into one message, an unfinished
// sequence at the end taken as it stands), and Bubble Tea's own mapping of
// its events (tea's translateInputEvent, which is not exported).
func decodeInput(input []byte) []tea.Msg {
	events := make(chan uv.Event, 64)
	go func() {
		// A bytes.Reader ends with io.EOF, which ends the stream.
		_ = uv.NewTerminalReader(bytes.NewReader(input), "xterm-256color").StreamEvents(context.Background(), events)
		close(events)
	}()
	var msgs []tea.Msg
	for e := range events {
		if msg := inputMsg(e); msg != nil {
			msgs = append(msgs, msg)
		}
	}
	return msgs
}

func inputMsg(e uv.Event) tea.Msg {
	switch e := e.(type) {
	case uv.WindowSizeEvent:
		// Sizes reach the model from the SSH window-change request, not
		// from the input stream; a forged one is not input.
		return nil
	case uv.KeyPressEvent:
		return tea.KeyPressMsg(e)
	case uv.KeyReleaseEvent:
		return tea.KeyReleaseMsg(e)
	case uv.PasteEvent:
		return tea.PasteMsg(e)
	case uv.PasteStartEvent:
		return tea.PasteStartMsg(e)
	case uv.PasteEndEvent:
		return tea.PasteEndMsg(e)
	case uv.MouseClickEvent:
		return tea.MouseClickMsg(e)
	case uv.MouseReleaseEvent:
		return tea.MouseReleaseMsg(e)
	case uv.MouseWheelEvent:
		return tea.MouseWheelMsg(e)
	case uv.MouseMotionEvent:
		return tea.MouseMotionMsg(e)
	case uv.FocusEvent:
		return tea.FocusMsg(e)
	case uv.BlurEvent:
		return tea.BlurMsg(e)
	case uv.BackgroundColorEvent:
		return tea.BackgroundColorMsg(e)
	case uv.ForegroundColorEvent:
		return tea.ForegroundColorMsg(e)
	case uv.CursorPositionEvent:
		return tea.CursorPositionMsg(e)
	}
	return e
}

// #16 case 6: whatever bytes a terminal (or a hostile client) sends as
// keys, pastes and mouse reports, the student's TUI does not panic, and its
// screen stays within the terminal's size after every message. Python is
// not started (its pane says so); file operations act on a home in a
// temporary folder.
func FuzzTUIInput(f *testing.F) {
	for _, seed := range []string{
		"print('hi')",
		"\x1bOQ\x1bOR\x1bOS\x1b[15~\x1b[17~\x1b[20~\x1b[23~\x1b[24~",            // F2-F12
		"\x1bOQ\x1b[B\r\x1b[1;5F\x1b[200~x = 1\r\nif x:\r\n\tpass\x1b[201~\x13", // open, paste, ctrl+s
		"\x10welcome\r\x1b[1;2B\x1b[1;2C\x18\x16\x1a\x19",                       // quick open, select, cut, paste, undo, redo
		"\x1b[<0;10;5M\x1b[<0;10;5m\x1b[<64;3;3M\x1b[<35;40;12M",                // click, release, wheel, motion
		"\x1bOQ\x0enew\xcc\x81file.py\r\x1bOQdy",                                // new file with a combining mark, delete it
		"\x1b[20~\x1b]0;title\x07\u202eevil\r",                                  // help question with an OSC and a bidi override
		"\x1b[200~" + string(bytes.Repeat([]byte("\xff\x00\x1b[31m"), 300)) + "\x1b[201~",
		"\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[?1;2c\x1b[>1;2;3c\x1b[12;40R",
		"\x1b[27;5;13~\x1b[13;5u\x1b[97;7u\x1b",
		"\x1b[9999;9999H\x1b[8;9999;9999t",
	} {
		f.Add(uint8(80), uint8(24), []byte(seed))
	}
	f.Add(uint8(19), uint8(4), []byte("\x1bOQ\x1b[B\r"+"abc\r"))
	f.Fuzz(func(t *testing.T, cols, rows uint8, input []byte) {
		if len(input) > 4<<10 {
			return // longer inputs are more of the same, slower
		}
		w, h := 1+int(cols)%160, 1+int(rows)%50
		sp := newSpace(t, nil)
		sp.repl.Close() // no Python: a fuzzer must not start sandboxes
		d := &driver{t: t, msgs: make(chan tea.Msg, 64), w: w, h: h}
		d.m = tui.New(tui.Options{Username: "alice", Role: "student", Home: sp.home, Workspace: sp.ws,
			ChangePassword: func(string, string) error { return nil }})
		defer d.m.Close()
		d.send(tea.WindowSizeMsg{Width: w, Height: h})
		d.exec(d.m.Init())
		d.drain()
		for i, msg := range decodeInput(input) {
			d.send(msg)
			d.drain()
			d.fits(fmt.Sprintf("after message %d (%T %v) at %dx%d", i, msg, msg, w, h))
			if t.Failed() {
				return
			}
		}
	})
}

// The fuzz target's decoding is Bubble Tea's: a function key is a key, a
// bracketed paste is one message with its line endings as sent, and a
// lone ESC at the end is the Escape key.
func TestDecodeInput(t *testing.T) {
	msgs := decodeInput([]byte("\x1bOQa\x1b[200~x\r\ny\x1b[201~\x1b"))
	want := []string{"f2", "a", "tea.PasteStartMsg", "paste", "tea.PasteEndMsg", "esc"}
	var got []string
	for _, m := range msgs {
		switch m := m.(type) {
		case tea.KeyPressMsg:
			got = append(got, m.String())
		case tea.PasteMsg:
			got = append(got, "paste")
			if m.Content != "x\r\ny" && m.Content != "x\ny" {
				t.Errorf("paste content %q", m.Content)
			}
		default:
			got = append(got, fmt.Sprintf("%T", m))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("decoded %v, want %v", got, want)
	}
}
