package tui_test

import (
	"errors"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/tui"
)

// fakeHome is a Lister over a map of folders; fail makes every listing fail.
type fakeHome struct {
	mu      sync.Mutex
	folders map[string][]files.Entry
	fail    error
}

func (f *fakeHome) List(rel string) ([]files.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, fmt.Errorf("list %s: %w", rel, f.fail)
	}
	es, ok := f.folders[rel]
	if !ok {
		return nil, fmt.Errorf("list %s: %w", rel, os.ErrNotExist)
	}
	return es, nil
}

func (f *fakeHome) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

func dir(name string) files.Entry { return files.Entry{Name: name, IsDir: true} }
func file(name string) files.Entry {
	return files.Entry{Name: name, Size: 42, ModTime: time.Date(2026, 11, 2, 10, 31, 0, 0, time.UTC)}
}

func sampleHome() *fakeHome {
	return &fakeHome{folders: map[string][]files.Entry{
		".":             {dir("lessons"), dir("projects"), file("notes.txt"), file("welcome.py")},
		"lessons":       {dir("week1"), file("intro.py")},
		"lessons/week1": {file("loops.py")},
		"projects":      {},
	}}
}

// harness drives a model as a Program would: it runs commands and feeds
// their messages back, synchronously.
type harness struct {
	t     *testing.T
	model tea.Model
}

func start(t *testing.T, opts tui.Options, w, h int) *harness {
	t.Helper()
	hs := &harness{t: t, model: tui.New(opts)}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(hs.model.Init())
	return hs
}

func (hs *harness) send(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	hs.model, cmd = hs.model.Update(msg)
	return cmd
}

// run executes cmd and everything it leads to, except quitting.
func (hs *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil, tea.QuitMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			hs.run(c)
		}
	default:
		hs.run(hs.send(msg))
	}
}

func (hs *harness) press(keys ...tea.KeyPressMsg) {
	for _, k := range keys {
		hs.run(hs.send(k))
	}
}

func (hs *harness) raw() string { return hs.model.View().Content }

func (hs *harness) screen() string { return ansi.Strip(hs.raw()) }

func (hs *harness) lines() []string { return strings.Split(hs.screen(), "\n") }

// lastButOne is the status bar.
func (hs *harness) status() string {
	ls := hs.lines()
	return strings.TrimSpace(ls[len(ls)-2])
}

var (
	keyDown  = tea.KeyPressMsg{Code: tea.KeyDown}
	keyUp    = tea.KeyPressMsg{Code: tea.KeyUp}
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	keyEnd   = tea.KeyPressMsg{Code: tea.KeyEnd}
	keyHome  = tea.KeyPressMsg{Code: tea.KeyHome}
	keyJ     = tea.KeyPressMsg{Code: 'j', Text: "j"}
	keyK     = tea.KeyPressMsg{Code: 'k', Text: "k"}
	keyQ     = tea.KeyPressMsg{Code: 'q', Text: "q"}
	keyR     = tea.KeyPressMsg{Code: 'r', Text: "r"}
	keyCtrlC = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
)

func TestShowsUserAndHome(t *testing.T) {
	dir, err := files.EnsureHome(filepath.Join(t.TempDir(), "homes"), "alice", files.NoOwner)
	if err != nil {
		t.Fatal(err)
	}
	home, err := files.OpenHome(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer home.Close()

	hs := start(t, tui.Options{Username: "alice", FullName: "Alice Liddell", Role: "student", Home: home}, 80, 24)
	ls := hs.lines()
	if len(ls) != 24 {
		t.Fatalf("view has %d lines, want 24:\n%s", len(ls), hs.screen())
	}
	for _, want := range []string{"classroomd", "Alice Liddell", "alice", "student"} {
		if !strings.Contains(ls[0], want) {
			t.Errorf("header %q lacks %q", ls[0], want)
		}
	}
	if !strings.Contains(hs.screen(), "welcome.py") {
		t.Errorf("welcome.py not shown:\n%s", hs.screen())
	}
	if !strings.Contains(ls[23], "quit") {
		t.Errorf("last line %q is not the help bar", ls[23])
	}
	if v := hs.model.View(); !v.AltScreen {
		t.Error("view does not use the alternate screen")
	}
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []tea.KeyPressMsg{keyQ, keyCtrlC} {
		t.Run(k.String(), func(t *testing.T) {
			hs := start(t, tui.Options{Username: "alice", Home: sampleHome()}, 80, 24)
			cmd := hs.send(k)
			if cmd == nil {
				t.Fatal("no command")
			}
			if _, ok := cmd().(tea.QuitMsg); !ok {
				t.Fatalf("command returned %T, want tea.QuitMsg", cmd())
			}
		})
	}
}

func TestNavigation(t *testing.T) {
	hs := start(t, tui.Options{Username: "alice", Home: sampleHome()}, 80, 24)
	steps := []struct {
		key  tea.KeyPressMsg
		want string // start of the status bar: the selected entry
	}{
		{keyDown, "projects/"},
		{keyJ, "notes.txt"},
		{keyJ, "welcome.py"},
		{keyDown, "welcome.py"}, // stays on the last row
		{keyK, "notes.txt"},
		{keyHome, "lessons/"},
		{keyUp, "lessons/"}, // stays on the first row
		{keyEnd, "welcome.py"},
	}
	if got := hs.status(); !strings.HasPrefix(got, "lessons/") {
		t.Fatalf("initial status %q, want the first entry selected", got)
	}
	for i, s := range steps {
		hs.press(s.key)
		if got := hs.status(); !strings.HasPrefix(got, s.want) {
			t.Errorf("step %d (%s): status %q, want %q", i, s.key, got, s.want)
		}
	}
	if got := hs.status(); !strings.Contains(got, "42 B") {
		t.Errorf("file status %q lacks its size", got)
	}
}

func TestExpandFolder(t *testing.T) {
	hs := start(t, tui.Options{Username: "alice", Home: sampleHome()}, 80, 24)
	if strings.Contains(hs.screen(), "intro.py") {
		t.Fatal("folder contents shown before it was opened")
	}
	hs.press(keyEnter) // open lessons/
	scr := hs.screen()
	for _, want := range []string{"▾ lessons/", "week1/", "intro.py"} {
		if !strings.Contains(scr, want) {
			t.Errorf("after opening lessons/, %q missing:\n%s", want, scr)
		}
	}
	hs.press(keyDown, keyEnter) // open week1/
	if !strings.Contains(hs.screen(), "loops.py") {
		t.Errorf("week1/ not opened:\n%s", hs.screen())
	}
	if got := hs.status(); !strings.HasPrefix(got, "lessons/week1/") {
		t.Errorf("status %q, want the nested folder's path", got)
	}
	hs.press(keyHome, keyEnter) // close lessons/
	scr = hs.screen()
	if strings.Contains(scr, "intro.py") || strings.Contains(scr, "loops.py") {
		t.Errorf("lessons/ still open:\n%s", scr)
	}
}

func TestListErrorAndRefresh(t *testing.T) {
	home := sampleHome()
	home.setFail(os.ErrPermission)
	hs := start(t, tui.Options{Username: "alice", Home: home}, 100, 24)
	want := "Could not list your files: permission denied. Try again with r."
	if got := hs.status(); got != want {
		t.Errorf("status %q, want %q", got, want)
	}

	home.setFail(nil)
	hs.press(keyR)
	if got := hs.status(); !strings.HasPrefix(got, "lessons/") {
		t.Errorf("after refresh, status %q", got)
	}
	if !strings.Contains(hs.screen(), "welcome.py") {
		t.Errorf("after refresh, files missing:\n%s", hs.screen())
	}

	// A failing subfolder names itself.
	home.mu.Lock()
	delete(home.folders, "projects")
	home.mu.Unlock()
	hs.press(keyDown, keyEnter)
	if got := hs.status(); !strings.Contains(got, "projects/: the folder no longer exists") {
		t.Errorf("status %q does not name the failing folder", got)
	}
}

func TestNoHome(t *testing.T) {
	hs := start(t, tui.Options{Username: "alice"}, 80, 24)
	if got := hs.status(); !strings.HasPrefix(got, "Could not list your files") {
		t.Errorf("status %q", got)
	}
}

func TestFitsTerminal(t *testing.T) {
	long := strings.Repeat("a_very_long_file_name_", 8) + ".py"
	home := sampleHome()
	home.folders["."] = append(home.folders["."], file(long), file("宽字符的文件名字很长很长很长很长很长很长很长.py"), file("evil\x1b[2J\nname.py"))
	for i := range 40 {
		home.folders["projects"] = append(home.folders["projects"], file(fmt.Sprintf("p%02d.py", i)))
	}
	opts := tui.Options{
		Username: "a_rather_long_username_x",
		FullName: "Maria Anna Sofia Cecilia Kowalska-Wiśniewska de la Vega",
		Role:     "student",
		Home:     home,
		// A long error, as a sentence that must wrap or be cut.
		ChangePassword: func(string, string) error {
			return errors.New("the new password is too short: use at least 10 characters, and \x1b[2Jnot your username")
		},
	}
	sizes := [][2]int{{80, 24}, {20, 5}, {21, 6}, {30, 8}, {40, 10}, {120, 40}, {200, 60}, {20, 4}, {20, 3}, {20, 2}, {10, 1}, {1, 1}}
	for _, sz := range sizes {
		w, h := sz[0], sz[1]
		t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
			hs := start(t, opts, w, h)
			check := func(when string) {
				t.Helper()
				raw := hs.raw()
				if strings.Contains(raw, "\x1b[2J") {
					t.Errorf("%s: an escape sequence from a file name reached the screen", when)
				}
				lines := strings.Split(raw, "\n")
				if len(lines) > h {
					t.Errorf("%s: %d lines, terminal has %d", when, len(lines), h)
				}
				for i, l := range lines {
					if lw := ansi.StringWidth(l); lw > w {
						t.Errorf("%s: line %d is %d cells wide, terminal has %d: %q", when, i, lw, w, ansi.Strip(l))
					}
				}
			}
			check("start")
			hs.press(keyEnter, keyDown, keyEnter) // open lessons/ and week1/
			hs.press(keyEnd)
			check("lessons open")
			hs.press(keyHome, keyEnter, keyDown, keyEnter, keyEnd) // projects/ open, at its end
			check("projects open")
			if h >= 5 {
				if got := hs.lines(); !strings.Contains(got[0], "a_rather") && w >= 20 {
					t.Errorf("header %q lost the username", got[0])
				}
			}
			// Resizing afterwards keeps the cursor in view and everything inside.
			hs.send(tea.WindowSizeMsg{Width: w, Height: h})
			check("resized")

			hs.press(tea.KeyPressMsg{Code: tea.KeyF1})
			check("help")
			hs.press(keyEnd)
			check("help scrolled to its end")
			hs.press(tea.KeyPressMsg{Code: tea.KeyEscape}, tea.KeyPressMsg{Code: tea.KeyF8})
			check("password form")
			hs.fill(strings.Repeat("x", 100), "a", "b")
			check("passwords do not match")
			// The mismatch left the cursor on the new password, both new fields empty.
			hs.typeText("long enough")
			hs.press(keyTab)
			hs.typeText("long enough")
			hs.press(keyEnter)
			check("callback error")
			if h >= 8 && w >= 20 && !strings.Contains(hs.screen(), "The new password is") {
				t.Errorf("the callback's error is not on screen:\n%s", hs.screen())
			}

			forced := opts
			forced.MustChangePassword = true
			hs = start(t, forced, w, h)
			check("forced form")
			hs.fill("x", "y", "y")
			check("forced form, callback error")
		})
	}
}

func TestResizeKeepsSelectionVisible(t *testing.T) {
	home := sampleHome()
	for i := range 40 {
		home.folders["."] = append(home.folders["."], file(fmt.Sprintf("f%02d.py", i)))
	}
	hs := start(t, tui.Options{Username: "alice", Home: home}, 80, 40)
	hs.press(keyEnd)
	hs.send(tea.WindowSizeMsg{Width: 80, Height: 8})
	sel := strings.Fields(hs.status())[0]
	body := strings.Join(hs.lines()[1:len(hs.lines())-2], "\n")
	if !strings.Contains(body, sel) {
		t.Errorf("selected %q not on screen after shrinking:\n%s", sel, hs.screen())
	}
}

func TestErrorsAreSentences(t *testing.T) {
	home := sampleHome()
	home.setFail(errors.New("disk on fire"))
	hs := start(t, tui.Options{Username: "alice", Home: home}, 120, 10)
	if got := hs.status(); !strings.HasSuffix(got, "Try again with r.") || !strings.Contains(got, "disk on fire") {
		t.Errorf("status %q", got)
	}
}

func TestLightBackground(t *testing.T) {
	hs := start(t, tui.Options{Username: "alice", Home: sampleHome()}, 80, 24)
	dark := hs.raw()
	hs.send(tea.BackgroundColorMsg{Color: color.White})
	if hs.raw() == dark {
		t.Error("the theme did not change for a light background")
	}
	// The header and the status bar, drawn once and kept, are drawn again
	// in the new styles.
	before, after := strings.Split(dark, "\n"), strings.Split(hs.raw(), "\n")
	for _, i := range []int{0, len(before) - 2} {
		if before[i] == after[i] {
			t.Errorf("line %d kept its dark styles: %q", i, before[i])
		}
	}
	if ansi.Strip(hs.raw()) != ansi.Strip(dark) {
		t.Error("the text changed with the theme")
	}
}
