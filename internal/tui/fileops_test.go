package tui_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func teaSize(w, h int) tea.Msg { return tea.WindowSizeMsg{Width: w, Height: h} }

// selectPath puts the file list's cursor on rel (its status line names it).
func (d *driver) selectPath(rel string) {
	d.t.Helper()
	// The list may still be on its way after an operation.
	d.until(rel+" listed", func(scr string) bool {
		for _, l := range strings.Split(scr, "\n")[2:] {
			if list, _, ok := strings.Cut(l, "│"); ok && strings.Contains(list, " "+filepath.Base(rel)) {
				return true
			}
		}
		return false
	})
	d.press(keyF2, keyHome)
	for range 40 {
		if s := d.status(); strings.HasPrefix(s, rel+" ") || strings.HasPrefix(s, rel+"/ ") {
			return
		}
		d.press(keyDown)
	}
	d.t.Fatalf("%s not found in the file list; screen:\n%s", rel, d.screen())
}

// exists waits for rel to exist (or not) in the home.
func (d *driver) exists(sp *space, rel string, want bool) {
	d.t.Helper()
	d.until(rel+" exists="+map[bool]string{true: "yes", false: "no"}[want], func(string) bool {
		_, err := os.Lstat(filepath.Join(sp.dir, rel))
		return (err == nil) == want
	})
}

func (d *driver) erase(n int) {
	for range n {
		d.press(keyBack)
	}
}

func TestFileOperations(t *testing.T) {
	sp := newSpace(t, map[string]string{"lab1/a.py": "x = 1\n", "lab1/sub/b.py": "y = 2\n", "notes.txt": "n\n"})
	d := drive(t, sp, 80, 24)

	// New folder in the selected folder.
	d.selectPath("lab1")
	d.press(letter('A'))
	d.shows("New folder")
	d.typeText("made")
	d.press(keyEnter)
	d.exists(sp, "lab1/made", true)
	d.shows("Created the folder lab1/made/.")

	// A refused name: a sentence, and nothing changes.
	d.selectPath("notes.txt")
	d.press(letter('A'))
	d.typeText("a/b")
	d.press(keyEnter)
	d.shows("cannot contain /")
	d.press(keyEsc)
	if _, err := os.Lstat(filepath.Join(sp.dir, "a")); err == nil {
		t.Error("a refused name created something")
	}

	// New file beside the selected file (it opens in the editor).
	d.selectPath("notes.txt")
	d.press(letter('a'))
	d.shows("New file")
	d.typeText("lab2.py")
	d.press(keyEnter)
	d.exists(sp, "lab2.py", true)
	d.until("lab2.py open", func(string) bool { return strings.HasPrefix(d.status(), "lab2.py · Ln") })

	// Rename: the path is offered, the name edited.
	d.selectPath("notes.txt")
	d.press(letter('m'))
	d.shows("Rename or move")
	d.erase(len("notes.txt"))
	d.typeText("todo.txt")
	d.press(keyEnter)
	d.exists(sp, "todo.txt", true)
	d.exists(sp, "notes.txt", false)
	d.shows("Renamed notes.txt to todo.txt.")

	// Move: a folder typed, ending with / keeps the name.
	d.selectPath("todo.txt")
	d.press(letter('m'))
	d.erase(len("todo.txt"))
	d.typeText("lab1/")
	d.press(keyEnter)
	d.exists(sp, "lab1/todo.txt", true)
	d.exists(sp, "todo.txt", false)
	d.shows("Moved todo.txt to lab1/todo.txt.")

	// Moving onto a name that is taken is refused with a sentence.
	d.selectPath("welcome.py")
	d.press(letter('m'))
	d.erase(len("welcome.py"))
	d.typeText("lab2.py")
	d.press(keyEnter)
	d.shows("already exists")
	d.press(keyEsc)
	d.exists(sp, "welcome.py", true)

	// Duplicate.
	d.selectPath("welcome.py")
	d.press(letter('c'))
	d.exists(sp, "welcome copy.py", true)
	d.shows("Duplicated welcome.py as welcome copy.py.")

	// Delete asks first, saying what the folder holds; n cancels.
	d.selectPath("lab1")
	d.press(letter('d'))
	d.shows("Delete folder lab1 with 3 files")
	d.press(letter('n'))
	d.until("the question gone", func(s string) bool { return !strings.Contains(s, "Delete folder") })
	d.exists(sp, "lab1/a.py", true)
	d.selectPath("lab1")
	d.press(letter('d'))
	d.shows("Delete folder lab1")
	d.press(letter('y'))
	d.exists(sp, "lab1", false)
	d.until("lab1 gone from the list", func(s string) bool { return !strings.Contains(s, "lab1") || strings.Contains(s, "Deleted lab1.") })
}

func TestHiddenFilesToggle(t *testing.T) {
	sp := newSpace(t, map[string]string{".secret": "s", ".config/x": "x"})
	d := drive(t, sp, 80, 24)
	if strings.Contains(d.screen(), ".secret") {
		t.Fatalf("a hidden file is shown:\n%s", d.screen())
	}
	d.press(keyF2, letter('.'))
	d.shows(".secret")
	d.shows(".config/")
	d.press(letter('.'))
	d.until("hidden again", func(s string) bool { return !strings.Contains(s, ".secret") })
}

// Renaming an open file retitles its tab; deleting it closes the tab.
func TestOperationsFollowTabs(t *testing.T) {
	sp := newSpace(t, nil)
	d := drive(t, sp, 80, 24)
	d.openWelcome()
	d.selectPath("welcome.py")
	d.press(letter('m'))
	d.erase(len("welcome.py"))
	d.typeText("hello.py")
	d.press(keyEnter)
	d.exists(sp, "hello.py", true)
	d.until("the tab retitled", func(string) bool {
		fs := sp.ws.Files()
		return len(fs) == 1 && fs[0].Path() == "hello.py"
	})
	// The rename's notice comes after the tab follows; a notice stays until
	// a key, so F3 pressed before it would leave it over the editor's status.
	d.shows("Renamed welcome.py to hello.py.")
	d.press(keyF3)
	d.until("the editor on hello.py", func(string) bool { return strings.HasPrefix(d.status(), "hello.py") })

	// Unsaved changes block a rename: they would be saved under the old name.
	d.typeText("#")
	d.selectPath("hello.py")
	d.press(letter('m'))
	d.typeText("x")
	d.press(keyEnter)
	d.shows("has unsaved changes")
	d.press(keyEsc)

	d.selectPath("hello.py")
	d.press(letter('d'))
	d.shows("will be lost too")
	d.press(letter('y'))
	d.exists(sp, "hello.py", false)
	d.until("the tab closed", func(string) bool { return len(sp.ws.Files()) == 0 })
}

func TestFileDialogsFit(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {20, 5}} {
		sp := newSpace(t, map[string]string{"lab1/a.py": "x = 1\n"})
		d := drive(t, sp, 80, 24)
		d.selectPath("lab1")
		d.send(teaSize(size[0], size[1]))
		d.w, d.h = size[0], size[1]
		d.press(letter('d'))
		d.until("the question", func(string) bool { return strings.Contains(d.raw(), "Delete") })
		d.fits("delete question")
		d.press(letter('n'))
		d.press(letter('m'))
		d.typeText(strings.Repeat("long", 30))
		d.fits("rename prompt")
		d.press(keyEsc, letter('A'))
		d.fits("new folder prompt")
		d.press(keyEnter) // empty name: an error sentence
		d.fits("new folder error")
		d.press(keyEsc, letter('.'))
		d.fits("hidden notice")
	}
}
