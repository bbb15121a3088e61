package loadgen

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/vt"
)

// screenOf feeds output into a fresh 100x30 emulator and returns a view of it.
func screenOf(t *testing.T, emu *vt.Emulator, output string) *Screen {
	t.Helper()
	if _, err := emu.WriteString(output); err != nil {
		t.Fatal(err)
	}
	return &Screen{emu: emu, rows: make([]*string, emu.Height())}
}

func at(row, col int) string { return fmt.Sprintf("\x1b[%d;%dH", row+1, col+1) }

// The editor's echo: the renderer writes only the cells that change, so a
// key's frame is the new character and the status bar's new column, nothing
// else. The condition holds only once both are there, and for a space (which
// changes no character) once the column is.
func TestEditorEchoOnChangedCellsOnly(t *testing.T) {
	emu := vt.NewEmulator(100, 30)
	// The first frame: line 3 reads "x =" and the status bar says column 4.
	s := screenOf(t, emu, "\x1b[?25l"+at(0, 0)+" classroomd  Load (load001)"+
		at(2, 0)+"  welcome.py             │  1 a = 1"+at(3, 25)+"│  2 b = 2"+at(4, 25)+"│  3 x ="+
		at(28, 0)+" f.py ● unsaved · Ln 3, Col 4"+at(29, 0)+"ctrl+q quit • F1 help")
	if !EditorEcho(3, "x =")(s) {
		t.Fatalf("line 3 with \"x =\" at column 4 is not recognised:\n%s", s)
	}
	space := EditorEcho(3, "x = ")
	if space(s) {
		t.Fatalf("the space after \"x =\" counts before it was typed")
	}
	// The space's frame: only the status bar's column changes.
	s = screenOf(t, emu, at(28, 28)+"5")
	if !space(s) {
		t.Fatalf("the space's frame (the column only) is not recognised:\n%s", s)
	}
	// Then "5": the character alone first (a frame split in two writes)...
	five := EditorEcho(3, "x = 5")
	s = screenOf(t, emu, at(4, 34)+"5")
	if five(s) {
		t.Errorf("the character without the status bar's column counts as the frame")
	}
	// ...then the column: now it shows.
	s = screenOf(t, emu, at(28, 28)+"6")
	if !five(s) {
		t.Errorf("\"x = 5\" with column 6 is not recognised:\n%s", s)
	}
	// A line that only starts with the text is not it.
	if EditorEcho(3, "x = ")(s) || EditorEcho(2, "b = 2")(s) {
		t.Errorf("a prefix of the line, or another line, matched with this status bar")
	}
	// Line 13 is not line 3 of a longer file.
	s = screenOf(t, emu, at(4, 25)+"│ 13 x = 5"+at(28, 0)+" f.py ● unsaved · Ln 3, Col 6 ")
	if EditorEcho(3, "x = 5")(s) {
		t.Errorf("line 13 counted as line 3:\n%s", s)
	}
}

// Python's echo follows the terminal's cursor: a space shows as the cursor's
// move, and a hidden cursor (a frame being drawn) shows nothing yet.
func TestPythonEchoFollowsTheCursor(t *testing.T) {
	emu := vt.NewEmulator(100, 30)
	s := screenOf(t, emu, at(20, 0)+">>> 1 +"+at(20, 7)+"\x1b[?25h")
	if !PythonEcho("1 +")(s) {
		t.Fatalf("\">>> 1 +\" with the cursor after it is not recognised:\n%s", s)
	}
	if PythonEcho("1 + ")(s) {
		t.Fatalf("the space counts before the cursor moved")
	}
	s = screenOf(t, emu, at(20, 8))
	if !PythonEcho("1 + ")(s) {
		t.Errorf("the space (the cursor's move) is not recognised:\n%s", s)
	}
	s = screenOf(t, emu, "\x1b[?25l"+at(20, 8)+"2"+at(20, 9))
	if PythonEcho("1 + 2")(s) {
		t.Errorf("counted while the cursor is hidden")
	}
	s = screenOf(t, emu, "\x1b[?25h")
	if !PythonEcho("1 + 2")(s) || !PythonPrompt(screenOf(t, emu, at(21, 0)+">>> "+at(21, 4))) {
		t.Errorf("\">>> 1 + 2\" with the cursor shown, or a fresh prompt, is not recognised:\n%s", s)
	}
	// The prompt at the left edge: a cursor too far left to have it before.
	if PythonEcho("1 + 2")(screenOf(t, emu, at(22, 2))) {
		t.Errorf("counted with the cursor at column 2")
	}
}

func TestInterruptedAndContinuation(t *testing.T) {
	emu := vt.NewEmulator(100, 30)
	s := screenOf(t, emu, at(20, 0)+">>> while True: pass"+at(21, 0)+"... "+"\x1b[?25h")
	if !PythonContinuation(s) || Interrupted(s) {
		t.Fatalf("the continuation prompt:\n%s", s)
	}
	s = screenOf(t, emu, at(22, 0)+"Traceback (most recent call last):"+at(23, 0)+"KeyboardInterrupt"+at(24, 0)+">>> ")
	if !Interrupted(s) {
		t.Errorf("KeyboardInterrupt and a prompt below it are not recognised:\n%s", s)
	}
	// A KeyboardInterrupt not right above the prompt is an older one.
	s = screenOf(t, emu, at(25, 0)+"KeyboardInterrupt"+at(26, 0)+"'Q1'"+at(27, 0)+">>> ")
	if Interrupted(s) || !PythonPrompt(s) {
		t.Errorf("recognised a KeyboardInterrupt two rows above the prompt:\n%s", s)
	}
}

func TestWorkspaceAndDialogs(t *testing.T) {
	emu := vt.NewEmulator(100, 30)
	s := screenOf(t, emu, at(0, 0)+" classroomd  Load Student 1 (load001)"+at(29, 0)+"q quit • F1 help • enter open • a new file")
	if !WorkspaceShown("load001")(s) || WorkspaceShown("load00")(s) || !FilesFocused(s) || !LoggedIn("load001")(s) {
		t.Errorf("the workspace of load001 with the file list focused:\n%s", s)
	}
	s = screenOf(t, emu, "\x1b[2J"+at(0, 0)+" classroomd  Load Student 1 (load001)"+at(1, 0)+" Recover unsaved changes"+at(29, 0)+"r recover • d discard • esc cancel")
	if !RecoverDialog(s) || WorkspaceShown("load001")(s) || !LoggedIn("load001")(s) {
		t.Errorf("the question about unsaved changes:\n%s", s)
	}
	s = screenOf(t, emu, at(28, 0)+" Saved load_a.py.")
	if !Saved("load_a.py")(s) || Saved("load_b.py")(s) {
		t.Errorf("the notice for load_a.py:\n%s", s)
	}
}

// A wide character takes two cells and is one character in a row.
func TestRowWithWideCharacters(t *testing.T) {
	emu := vt.NewEmulator(20, 3)
	s := screenOf(t, emu, at(0, 0)+"a漢b")
	if got := s.Row(0); got != "a漢b"+spaces(16) {
		t.Errorf("row 0 = %q", got)
	}
	if got := s.Span(0, 0, 4); got != "a漢b" {
		t.Errorf("cells 0-3 = %q", got)
	}
}

func spaces(n int) string { return fmt.Sprintf("%*s", n, "") }
