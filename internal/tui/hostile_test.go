package tui_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// A name a student's program made, with an escape, an invalid byte and 255
// bytes in all: the list shows it escaped and cut, the rename dialog shows it
// whole, backspace takes off one character without touching the bytes
// before it, ctrl+u clears the field, and the rename works on the real name.
func TestRenameAHostileLongName(t *testing.T) {
	name := "\x1b]0;T\x07\xff" + strings.Repeat("L", 245) + ".py"
	if len(name) != 255 {
		t.Fatalf("the name is %d bytes", len(name))
	}
	shown := `\x1b]0;T\a\xff` + strings.Repeat("L", 245) + ".py"
	sp := newSpace(t, map[string]string{name: "x = 1\n", "a.py": ""})
	d := drive(t, sp, 80, 24)
	d.shows(shown[:16])     // cut to the list's width
	d.press(keyF2, keyHome) // it sorts first
	if !strings.HasPrefix(d.status(), shown[:60]) {
		t.Fatalf("the status line does not name the selected file escaped: %q", d.status())
	}
	if raw := d.raw(); strings.Contains(raw, "\x1b]0;T") || strings.Contains(raw, "\xff") {
		t.Fatalf("the name reached the view unescaped: %q", raw)
	}

	d.press(letter('m'))
	d.shows("Rename or move")
	if n := strings.Count(d.screen(), "L"); n < 2*245 {
		t.Fatalf("the rename dialog shows %d of the name's Ls (in its sentence and its field), not all %d twice:\n%s", n, 245, d.screen())
	}
	// Backspace four times: "py" and "." and one L go.
	d.erase(4)
	d.typeText("2.txt")
	d.press(keyEnter)
	renamed := "\x1b]0;T\x07\xff" + strings.Repeat("L", 244) + "2.txt"
	// Refused (its bytes are not UTF-8), with a sentence; the file keeps
	// its name.
	d.shows("is not valid text (UTF-8)")
	if _, err := os.Lstat(filepath.Join(sp.dir, name)); err != nil {
		t.Fatalf("the refused rename lost the file: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(sp.dir, renamed)); err == nil {
		t.Fatal("a name with a control character was made")
	}
	// ctrl+u clears the field; a clean name is taken.
	d.press(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	d.typeText("clean.py")
	d.press(keyEnter)
	d.exists(sp, "clean.py", true)
	d.exists(sp, name, false)
}

// Backspace in a name field removes one byte that is not UTF-8, not the
// name's other bytes: before, the field went through []rune and every
// invalid byte became U+FFFD.
func TestBackspaceKeepsTheRealBytes(t *testing.T) {
	name := "a\xff\xfeb.py"
	sp := newSpace(t, map[string]string{name: ""})
	d := drive(t, sp, 80, 24)
	d.selectPath(`a\xff\xfeb.py`)
	d.press(letter('m'))
	d.shows("Rename or move")
	d.erase(5) // "b.py" and \xfe
	d.typeText("c.py")
	d.press(keyEnter)
	// "a\xffc.py" is not UTF-8: refused, and the sentence says so; it would
	// have been "a\ufffdc.py" (valid, and accepted) before.
	d.shows("not valid text")
	d.press(keyEsc)
	if _, err := os.Lstat(filepath.Join(sp.dir, "a\ufffdc.py")); err == nil {
		t.Fatal("backspace turned the name's invalid bytes into U+FFFD")
	}
}

// A paste larger than the pane takes is refused whole, with a sentence:
// 2 MiB into the editor (which opens files of at most 1 MiB) and into
// Python (whose input queue holds 256 KiB; it dropped the rest silently
// before). A paste within the limit still lands.
func TestLargePastesAreRefusedWithASentence(t *testing.T) {
	needSandbox(t)
	sp := newSpace(t, map[string]string{"big.py": "# start\n"})
	d := drive(t, sp, 100, 30)
	d.press(keyCtrlP)
	d.typeText("big")
	d.press(keyEnter)
	d.shows("# start")
	huge := strings.Repeat("x = 'paste paste paste paste'\n", 2<<20/30+1)
	d.send(tea.PasteMsg{Content: huge})
	d.shows("That paste is 2 MiB; the editor takes at most 1 MiB at once")
	if f := sp.ws.Files(); len(f) != 1 || f[0].Buf.Modified() {
		t.Fatalf("the refused paste changed the buffer")
	}
	d.send(tea.PasteMsg{Content: "y = 2\n"})
	d.shows("y = 2")

	d.press(keyF4)
	d.inPython(">>>")
	d.send(tea.PasteMsg{Content: huge})
	d.shows("That paste is 2 MiB; Python takes at most 256 KiB at once")
	d.send(tea.PasteMsg{Content: "print('small' + ' paste')\r"})
	d.inPython("small paste")
}
