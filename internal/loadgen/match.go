package loadgen

import (
	"fmt"
	"strings"
)

// Screen conditions. Each must be false before the key it follows and true
// once the frame that shows the key's effect has arrived, whatever else the
// renderer redrew: it writes only the cells that change, so a condition
// reads the emulated screen, never the byte stream.

// Span returns the characters of cells [x0, x1) of row y ("" where a cell
// is the second half of a wide character).
func (s *Screen) Span(y, x0, x1 int) string {
	if y < 0 || y >= s.Rows() {
		return ""
	}
	x0, x1 = max(x0, 0), min(x1, s.emu.Width())
	var b strings.Builder
	for x := x0; x < x1; x++ {
		c := s.emu.CellAt(x, y)
		switch {
		case c == nil || c.Content == "" && c.Width != 0:
			b.WriteByte(' ')
		case c.Content == "":
			if x == 0 || prevWidth(s.emu, x-1, y) < 2 {
				b.WriteByte(' ')
			}
		default:
			b.WriteString(c.Content)
		}
	}
	return b.String()
}

// beforeCursor reports whether the cells just left of the shown cursor
// read text.
func (s *Screen) beforeCursor(text string) bool {
	x, y, shown := s.Cursor()
	if !shown || x < len(text) {
		return false
	}
	return s.Span(y, x-len(text), x) == text
}

// WorkspaceShown is the first full frame of user's workspace: the header
// naming them on the first row ("Full Name (user)", or the username alone
// for an account without a name) and the help bar on the last.
func WorkspaceShown(user string) func(*Screen) bool {
	who, alone := "("+user+")", " "+user+" "
	return func(s *Screen) bool {
		top := s.Row(0) + " "
		return (strings.Contains(top, who) || strings.Contains(top, alone)) && strings.Contains(s.Row(s.Rows()-1), "F1 help")
	}
}

// RecoverDialog is the question a workspace asks first when a student's
// last session ended with unsaved changes (a hold ends mid-typing).
func RecoverDialog(s *Screen) bool {
	return strings.Contains(s.Row(1), "Recover unsaved changes") && strings.Contains(s.Row(s.Rows()-1), "d discard")
}

// LoggedIn is the first frame after login: the workspace, or the question
// about unsaved changes it asks first.
func LoggedIn(user string) func(*Screen) bool {
	ws := WorkspaceShown(user)
	return func(s *Screen) bool { return ws(s) || RecoverDialog(s) }
}

// PythonPrompt is Python's primary prompt with the (shown) cursor right
// after it: Python waits for a line. The classroom's Python pane puts the
// terminal's cursor on Python's, as OpenSSH's own session does.
func PythonPrompt(s *Screen) bool { return s.beforeCursor(">>> ") }

// PythonFocused is the Python pane's help bar.
func PythonFocused(s *Screen) bool { return strings.Contains(s.Row(s.Rows()-1), "ctrl+c interrupt") }

// PythonContinuation is the prompt for the next line of a block.
func PythonContinuation(s *Screen) bool { return s.beforeCursor("... ") }

// PythonEcho is typed (the line so far) echoed at Python's prompt, with the
// cursor after it: true only once the last key's character (or, for a
// space, the cursor's move past it) is on the screen.
func PythonEcho(typed string) func(*Screen) bool {
	want := ">>> " + typed
	return func(s *Screen) bool { return s.beforeCursor(want) }
}

// Interrupted is a fresh prompt right below "KeyboardInterrupt".
func Interrupted(s *Screen) bool {
	_, y, _ := s.Cursor()
	return PythonPrompt(s) && strings.Contains(s.Row(y-1), "KeyboardInterrupt")
}

// EditorEcho is line (1-based) of the editor reading typed so far: its row
// (after the line-number gutter) starts with typed followed by a blank (the
// editor's own cursor cell), and the status bar says the cursor is right
// after it. The editor draws its cursor itself (the terminal's is hidden),
// so a typed space shows as the status bar's column; the text and the
// column are in the same frame. Lines must start unindented.
func EditorEcho(line int, typed string) func(*Screen) bool {
	where := fmt.Sprintf("Ln %d, Col %d", line, len(typed)+1)
	text := fmt.Sprintf("%d %s", line, typed)
	return func(s *Screen) bool {
		if !strings.Contains(s.Row(s.Rows()-2), where) {
			return false
		}
		for y := 1; y < s.Rows()-2; y++ {
			_, pane, ok := strings.Cut(s.Row(y), "│")
			if !ok {
				continue
			}
			pane = strings.TrimLeft(pane, " ")
			if rest, ok := strings.CutPrefix(pane, text); ok && (rest == "" || rest[0] == ' ') {
				return true
			}
		}
		return false
	}
}

// EditorAt is the status bar saying the editor's cursor is at line, col 1
// of file (a new line begun, or a new file opened).
func EditorAt(file string, line int) func(*Screen) bool {
	where := fmt.Sprintf("Ln %d, Col 1", line)
	return func(s *Screen) bool {
		bar := s.Row(s.Rows() - 2)
		return strings.Contains(bar, " "+file+" ") && strings.Contains(bar, where)
	}
}

// FilesFocused is the file list's help bar.
func FilesFocused(s *Screen) bool { return strings.Contains(s.Row(s.Rows()-1), "a new file") }

// NameDialog is the dialog asking a new file's name.
func NameDialog(s *Screen) bool { return s.Contains("Name of the new file") }

// Shows is any row containing text.
func Shows(text string) func(*Screen) bool {
	return func(s *Screen) bool { return s.Contains(text) }
}

// Saved is the status bar's notice that file was saved.
func Saved(file string) func(*Screen) bool {
	return Shows("Saved " + file + ".")
}
