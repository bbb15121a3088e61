package editor

import (
	"bytes"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace/buffer"
)

func newEditor(t testing.TB, b *buffer.Buffer, opts Options, w, h int) Model {
	t.Helper()
	m := New(b, opts, keys.Default().Editor, theme.New(true))
	m.SetSize(w, h)
	t.Cleanup(m.Close)
	return m
}

// Keys as Bubble Tea reports them.
var (
	enter     = tea.KeyPressMsg{Code: tea.KeyEnter}
	tab       = tea.KeyPressMsg{Code: tea.KeyTab}
	shiftTab  = tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	backspace = tea.KeyPressMsg{Code: tea.KeyBackspace}
	del       = tea.KeyPressMsg{Code: tea.KeyDelete}
	esc       = tea.KeyPressMsg{Code: tea.KeyEscape}
	up        = tea.KeyPressMsg{Code: tea.KeyUp}
	down      = tea.KeyPressMsg{Code: tea.KeyDown}
	left      = tea.KeyPressMsg{Code: tea.KeyLeft}
	right     = tea.KeyPressMsg{Code: tea.KeyRight}
	endKey    = tea.KeyPressMsg{Code: tea.KeyEnd}
	pgdn      = tea.KeyPressMsg{Code: tea.KeyPgDown}
	pgup      = tea.KeyPressMsg{Code: tea.KeyPgUp}
	ctrlEnd   = tea.KeyPressMsg{Code: tea.KeyEnd, Mod: tea.ModCtrl}
	ctrlHome  = tea.KeyPressMsg{Code: tea.KeyHome, Mod: tea.ModCtrl}
	shiftRt   = tea.KeyPressMsg{Code: tea.KeyRight, Mod: tea.ModShift}
	shiftDn   = tea.KeyPressMsg{Code: tea.KeyDown, Mod: tea.ModShift}
	f5        = tea.KeyPressMsg{Code: tea.KeyF5}
)

func ctrl(r rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: r, Mod: tea.ModCtrl} }

// typing returns the key presses that type s (newlines as enter).
func typing(s string) []tea.KeyPressMsg {
	var ks []tea.KeyPressMsg
	for _, r := range s {
		switch r {
		case '\n':
			ks = append(ks, enter)
		case ' ':
			ks = append(ks, tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
		default:
			ks = append(ks, tea.KeyPressMsg{Code: r, Text: string(r)})
		}
	}
	return ks
}

// send gives msgs to m in order and returns the messages its commands
// produced (run synchronously; the buffer-waiting command is not run).
func send(t testing.TB, m Model, msgs ...tea.Msg) (Model, []tea.Msg) {
	t.Helper()
	var out []tea.Msg
	for _, msg := range msgs {
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		if cmd != nil {
			if _, ok := msg.(BufferChangedMsg); ok {
				continue
			}
			out = append(out, cmd())
		}
	}
	return m, out
}

func keysOf(ks ...[]tea.KeyPressMsg) []tea.Msg {
	var out []tea.Msg
	for _, k := range ks {
		for _, x := range k {
			out = append(out, x)
		}
	}
	return out
}

func one(k ...tea.KeyPressMsg) []tea.KeyPressMsg { return k }

func screen(m Model) string { return ansi.Strip(m.View()) }

func TestAutoIndent(t *testing.T) {
	b := buffer.New("")
	m := newEditor(t, b, Options{}, 40, 10)
	m, _ = send(t, m, keysOf(typing("def f():\nreturn 1\n"))...)
	if got, want := b.Text(), "def f():\n    return 1\n"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	// Enter after a colon indents by four spaces; Backspace in the
	// indentation removes one level.
	m, _ = send(t, m, keysOf(typing("if x:\n"))...)
	if got, want := b.Line(3), "    "; got != want {
		t.Errorf("line after 'if x:' is %q, want %q", got, want)
	}
	m, _ = send(t, m, keysOf(one(tab), one(backspace))...)
	if got := b.Line(3); got != "    " {
		t.Errorf("after tab and backspace: %q", got)
	}
	m, _ = send(t, m, backspace)
	if got := b.Line(3); got != "" {
		t.Errorf("after backspace at one level: %q", got)
	}
	// shift+tab dedents the line.
	m, _ = send(t, m, keysOf(typing("        y"), one(shiftTab))...)
	if got := b.Line(3); got != "    y" {
		t.Errorf("after shift+tab: %q", got)
	}
	if l, c := m.Position(); l != 4 || c != 6 {
		t.Errorf("position %d:%d, want 4:6", l, c)
	}
}

func TestPasteIsOneUndoStep(t *testing.T) {
	b := buffer.New("before\nafter")
	m := newEditor(t, b, Options{}, 80, 24)
	m, _ = send(t, m, down)
	var paste strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&paste, "print(%d)\r", i) // terminals send CR in a paste
	}
	start := time.Now()
	m, _ = send(t, m, tea.PasteMsg{Content: paste.String()})
	if d := time.Since(start); d > time.Second {
		t.Errorf("paste took %v", d)
	}
	if n := b.LineCount(); n != 1002 {
		t.Fatalf("%d lines after the paste, want 1002", n)
	}
	if !strings.Contains(screen(m), "1002 after") {
		t.Errorf("the view does not follow the cursor to the paste's end:\n%s", screen(m))
	}
	m, _ = send(t, m, ctrl('z'))
	if got := b.Text(); got != "before\nafter" {
		t.Errorf("one undo left %d lines", b.LineCount())
	}
	m, _ = send(t, m, ctrl('y'))
	if n := b.LineCount(); n != 1002 {
		t.Errorf("redo: %d lines", n)
	}
}

func TestTwoViewsOfOneBuffer(t *testing.T) {
	b := buffer.New("x = 1\ny = 2")
	a := newEditor(t, b, Options{}, 30, 5)
	c := newEditor(t, b, Options{}, 20, 3) // another terminal, another size
	c, _ = send(t, c, down, endKey)        // at the end of "y = 2"

	wait := c.Init()
	a, _ = send(t, a, keysOf(typing("# hello\n"))...)
	msg := wait() // the other view learns of the change
	if _, ok := msg.(BufferChangedMsg); !ok {
		t.Fatalf("waiting command returned %T", msg)
	}
	c, next := c.Update(msg)
	if next == nil {
		t.Error("BufferChangedMsg did not re-arm the waiting command")
	}
	if !strings.Contains(screen(c), "# hello") {
		t.Errorf("the other view does not show the edit:\n%s", screen(c))
	}
	if l, col := c.Position(); l != 3 || col != 6 {
		t.Errorf("the other view's cursor at %d:%d, want 3:6 (shifted down a line)", l, col)
	}
	// And back: the second view types, the first sees it and keeps its place.
	c, _ = send(t, c, keysOf(typing("!"))...)
	if !strings.Contains(screen(a), "y = 2!") {
		t.Errorf("the first view does not show the other's edit:\n%s", screen(a))
	}
	if l, col := a.Position(); l != 2 || col != 1 {
		t.Errorf("first view's cursor at %d:%d, want 2:1", l, col)
	}
	// A message for the other editor is not ours.
	if _, cmd := a.Update(msg); cmd != nil {
		t.Error("an editor answered another editor's BufferChangedMsg")
	}
}

func TestViewFits(t *testing.T) {
	long := strings.Repeat("界x\t", 40)
	text := "def f():\n    \"\"\"doc\n    string\"\"\"\n" + long + "\n\x1b[31mred\n" + strings.Repeat("line\n", 50)
	states := map[string][]tea.Msg{
		"start":      nil,
		"selection":  {shiftDn, shiftDn, shiftRt},
		"long line":  {down, down, down, endKey},
		"scrolled":   {ctrlEnd},
		"find":       {ctrl('f'), tea.KeyPressMsg{Code: 'x', Text: "x"}},
		"goto":       {ctrl('g'), tea.KeyPressMsg{Code: '9', Text: "9"}, tea.KeyPressMsg{Code: 'z', Text: "z"}, enter},
		"wide cut":   {down, down, down, endKey, left, left, left, left, left},
		"mid select": {down, down, down, right, shiftDn, shiftDn},
	}
	// The texts are all alike and stay unchanged: the editors share one
	// highlighter, so that the lexer runs once per line (it is slow under
	// the race detector).
	hl := newHighlighter()
	for _, w := range []int{1, 5, 10, 11, 20, 41, 80, 120} {
		for _, h := range []int{1, 2, 3, 10, 24} {
			for name, msgs := range states {
				b := buffer.New(text)
				m := newEditor(t, b, Options{}, w, h)
				m.s.hl = hl
				m, _ = send(t, m, msgs...)
				view := m.View()
				lines := strings.Split(view, "\n")
				if len(lines) != h {
					t.Errorf("%dx%d %s: %d lines", w, h, name, len(lines))
				}
				for i, l := range lines {
					if lw := ansi.StringWidth(l); lw != w {
						t.Errorf("%dx%d %s: line %d is %d cells: %q", w, h, name, i, lw, ansi.Strip(l))
					}
					if strings.Contains(ansi.Strip(l), "\x1b") || strings.Contains(l, "\t") {
						t.Errorf("%dx%d %s: line %d holds a raw escape or tab: %q", w, h, name, i, l)
					}
				}
			}
		}
	}
	// Zero sizes draw nothing.
	m := newEditor(t, buffer.New("x"), Options{}, 0, 0)
	if m.View() != "" {
		t.Error("a 0x0 editor drew something")
	}
}

func TestReadOnly(t *testing.T) {
	b := buffer.New("x = 1\n")
	m := newEditor(t, b, Options{ReadOnly: true}, 40, 5)
	v := b.Version()
	for _, msg := range []tea.Msg{
		tea.KeyPressMsg{Code: 'a', Text: "a"}, enter, backspace, del, tab, shiftTab,
		tea.PasteMsg{Content: "y"}, ctrl('z'), ctrl('x'),
	} {
		var out []tea.Msg
		m, out = send(t, m, msg)
		if len(out) != 1 || out[0] != (NoticeMsg{Text: ReadOnlyNotice}) {
			t.Errorf("%v: messages %v, want the read-only notice", msg, out)
		}
	}
	if b.Version() != v || b.Text() != "x = 1\n" {
		t.Errorf("a read-only editor changed the text: %q", b.Text())
	}
	// Moving, selecting and copying still work.
	m, out := send(t, m, shiftRt, shiftRt, ctrl('c'))
	if len(out) != 1 || out[0] != (CopyMsg{Text: "x "}) {
		t.Errorf("copy in a read-only file: %v", out)
	}
}

func TestCutCopyPaste(t *testing.T) {
	clip := &MemoryClipboard{}
	b := buffer.New("hello world")
	m := newEditor(t, b, Options{Clipboard: clip}, 40, 5)

	// ctrl+c without a selection is the parent's: it quits there.
	if m.Handles(ctrl('c')) {
		t.Error("ctrl+c claimed with nothing selected")
	}
	m, out := send(t, m, ctrl('c'))
	if len(out) != 0 {
		t.Errorf("ctrl+c with nothing selected sent %v", out)
	}

	m, _ = send(t, m, keysOf(one(tea.KeyPressMsg{Code: tea.KeyRight, Mod: tea.ModShift | tea.ModCtrl}))...)
	if !m.Handles(ctrl('c')) {
		t.Error("ctrl+c not claimed with a selection")
	}
	m, out = send(t, m, ctrl('x'))
	if len(out) != 1 || out[0] != (CopyMsg{Text: "hello"}) {
		t.Fatalf("cut sent %v", out)
	}
	if got := b.Text(); got != " world" {
		t.Errorf("after cut: %q", got)
	}
	if clip.Get() != "hello" {
		t.Errorf("clipboard holds %q after cut", clip.Get())
	}
	m, _ = send(t, m, endKey, ctrl('v'))
	if got := b.Text(); got != " worldhello" {
		t.Errorf("after paste: %q", got)
	}
	m, _ = send(t, m, ctrl('a'))
	m, out = send(t, m, ctrl('c'))
	if len(out) != 1 || out[0] != (CopyMsg{Text: " worldhello"}) {
		t.Errorf("copy of all sent %v", out)
	}
	if b.Text() != " worldhello" {
		t.Error("copy changed the text")
	}

	// Keys that are not the editor's are left alone.
	for _, k := range []tea.KeyPressMsg{f5, ctrl('s'), ctrl('q'), ctrl('p')} {
		if m.Handles(k) {
			t.Errorf("editor claims %s", k)
		}
	}
	if !m.Handles(tea.KeyPressMsg{Code: 'q', Text: "q"}) {
		t.Error("editor does not claim a typed letter")
	}
}

func TestSelectionIsDrawn(t *testing.T) {
	b := buffer.New("abcdef")
	m := newEditor(t, b, Options{}, 20, 2)
	m, _ = send(t, m, right, shiftRt, shiftRt)
	view := m.View()
	sel := openOf(theme.New(true).Selection)
	if !strings.Contains(view, sel+"bc") {
		t.Errorf("selection not drawn reversed: %q", view)
	}
	m.Blur()
	if strings.Contains(m.View(), openOf(theme.New(true).Cursor)+"d") {
		t.Error("a blurred editor draws its cursor")
	}
}

func openOf(s interface{ Render(...string) string }) string {
	r := s.Render("X")
	return r[:strings.Index(r, "X")]
}

func TestHighlighting(t *testing.T) {
	src := "import os\n\ndef greet(name):\n    \"\"\"Say hello.\n\n    return is a word here\n    \"\"\"\n    return f\"hi {name}\"  # done\n"
	b := buffer.New(src)
	th := theme.New(true)
	m := newEditor(t, b, Options{}, 60, 10)
	m.Blur() // no cursor cell in the way
	view := m.View()

	kw := openOf(th.Code.Keyword)
	if kw == "" {
		t.Fatal("the keyword style has no escape sequence")
	}
	for _, want := range []string{kw + "import", kw + "def", openOf(th.Code.Function) + "greet",
		openOf(th.Code.Comment) + "# done"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%q", want, view)
		}
	}
	// Inside the docstring "return" is string, not keyword.
	lines := strings.Split(view, "\n")
	if strings.Contains(lines[5], kw) || !strings.Contains(lines[5], openOf(th.Code.String)) {
		t.Errorf("docstring line highlighted as code: %q", lines[5])
	}
	if !strings.Contains(lines[7], kw+"return") {
		t.Errorf("return after the docstring not a keyword: %q", lines[7])
	}

	// Opening a docstring above changes what is below.
	m.Focus()
	m, _ = send(t, m, keysOf(typing(`"""`))...)
	m.Blur()
	lines = strings.Split(m.View(), "\n")
	if strings.Contains(lines[2], kw+"def") {
		t.Errorf("after opening a string on line 1, line 3 still a def: %q", lines[2])
	}

	// The colours go under NO_COLOR (Ascii) but the attributes stay; a dumb
	// terminal gets plain text.
	through := func(p colorprofile.Profile) string {
		var buf bytes.Buffer
		w := &colorprofile.Writer{Forward: &buf, Profile: p}
		if _, err := w.WriteString(view); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	ascii := through(colorprofile.Ascii)
	for _, sgr := range regexp.MustCompile(`\x1b\[([0-9;:]*)m`).FindAllStringSubmatch(ascii, -1) {
		for p := range strings.SplitSeq(sgr[1], ";") {
			if n, _ := strconv.Atoi(p); n >= 30 && n <= 49 || n >= 90 && n <= 107 {
				t.Fatalf("colour parameter %d survives NO_COLOR in %q", n, sgr[0])
			}
		}
	}
	if !strings.Contains(ascii, "\x1b[1mimport") {
		t.Errorf("keywords not bold under NO_COLOR: %q", ascii)
	}
	if plain := through(colorprofile.NoTTY); strings.Contains(plain, "\x1b") || plain != ansi.Strip(view) {
		t.Errorf("NoTTY output is not plain: %q", plain)
	}
}

func TestScrolling(t *testing.T) {
	var src strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&src, "line_%d = %d\n", i+1, i)
	}
	b := buffer.New(src.String())
	m := newEditor(t, b, Options{}, 40, 10)
	shows := func(s string) bool { return strings.Contains(screen(m), s) }

	m, _ = send(t, m, ctrlEnd)
	if !shows("1001 ") || !shows("1000 line_1000") {
		t.Errorf("ctrl+end does not show the end:\n%s", screen(m))
	}
	m, _ = send(t, m, ctrlHome, pgdn)
	if l, _ := m.Position(); l != 10 || !shows("10 line_10 ") || !shows("18 line_18") {
		t.Errorf("page down: line %d\n%s", l, screen(m))
	}
	m, _ = send(t, m, pgup)
	if l, _ := m.Position(); l != 1 || !shows("  1 line_1 ") {
		t.Errorf("page up: line %d\n%s", l, screen(m))
	}
	m, _ = send(t, m, ctrl('g'))
	m, _ = send(t, m, keysOf(typing("500"), one(enter))...)
	if l, _ := m.Position(); l != 500 || !shows("500 line_500") {
		t.Errorf("go to line 500: at %d\n%s", l, screen(m))
	}
	if open, _ := m.PromptOpen(); open {
		t.Error("the go-to prompt stayed open")
	}

	// Horizontal: the end of a long line comes into view, and goes again.
	b2 := buffer.New("short\n" + strings.Repeat("a", 100) + "END")
	m2 := newEditor(t, b2, Options{}, 30, 3)
	m2, _ = send(t, m2, down, endKey)
	if s := screen(m2); !strings.Contains(s, "aaaEND") || strings.Contains(s, "short") {
		t.Errorf("end of a long line not in view:\n%s", s)
	}
	m2, _ = send(t, m2, up, tea.KeyPressMsg{Code: tea.KeyHome})
	if s := screen(m2); !strings.Contains(s, "short") {
		t.Errorf("start of line not in view after home:\n%s", s)
	}

	// The wheel scrolls without moving the cursor.
	m, _ = send(t, m, ctrlHome, tea.MouseWheelMsg{Button: tea.MouseWheelDown}, tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if l, _ := m.Position(); l != 1 || !strings.HasPrefix(strings.TrimSpace(screen(m)), "7 line_7") {
		t.Errorf("wheel: cursor line %d, view:\n%s", l, screen(m))
	}
	// A key brings the cursor back into view.
	m, _ = send(t, m, right)
	if !shows("  1 line_1 ") {
		t.Errorf("the cursor did not come back into view:\n%s", screen(m))
	}
}

func TestMouse(t *testing.T) {
	b := buffer.New("alpha\nbeta\ngamma")
	m := newEditor(t, b, Options{}, 30, 5)
	g := 4 // gutter: three digits and a space
	m, _ = send(t, m, tea.MouseClickMsg{X: g + 2, Y: 1, Button: tea.MouseLeft})
	if l, c := m.Position(); l != 2 || c != 3 {
		t.Errorf("click: %d:%d, want 2:3", l, c)
	}
	m, _ = send(t, m, tea.MouseMotionMsg{X: g + 3, Y: 2, Button: tea.MouseLeft}, tea.MouseReleaseMsg{X: g + 3, Y: 2, Button: tea.MouseLeft})
	if got := b.Selected(m.CursorID()); got != "ta\ngam" {
		t.Errorf("drag selected %q", got)
	}
	// Past the end of a line, and below the last line.
	m, _ = send(t, m, tea.MouseClickMsg{X: 25, Y: 0, Button: tea.MouseLeft})
	if l, c := m.Position(); l != 1 || c != 6 {
		t.Errorf("click past the end: %d:%d", l, c)
	}
	m, _ = send(t, m, tea.MouseClickMsg{X: g, Y: 4, Button: tea.MouseLeft})
	if l, c := m.Position(); l != 3 || c != 6 {
		t.Errorf("click below the text: %d:%d", l, c)
	}
	// Motion without a press in the text does nothing.
	m, _ = send(t, m, tea.MouseReleaseMsg{}, tea.MouseMotionMsg{X: g, Y: 0, Button: tea.MouseLeft})
	if b.Selected(m.CursorID()) != "" {
		t.Error("motion after release selected")
	}
}

func TestFindPrompt(t *testing.T) {
	b := buffer.New("Spam = 1\nspam = 2\neggs = spam")
	m := newEditor(t, b, Options{}, 40, 5)
	m, _ = send(t, m, ctrl('f'))
	if m.Handles(ctrl('c')) || !m.Handles(esc) || !m.Handles(tea.KeyPressMsg{Code: 'x', Text: "x"}) {
		t.Error("in the prompt: ctrl+c must stay the parent's, esc and text the prompt's")
	}
	m, _ = send(t, m, keysOf(typing("spam"))...)
	if !strings.Contains(screen(m), "Find: spam") {
		t.Errorf("no prompt:\n%s", screen(m))
	}
	sel := func() buffer.Selection { return b.Cursor(m.CursorID()) }
	if s := sel(); s.Anchor != (buffer.Pos{Line: 0, Col: 0}) {
		t.Errorf("incremental find selected %+v, want the first (ignoring case)", s)
	}
	m, _ = send(t, m, enter)
	if s := sel(); s.Anchor.Line != 1 {
		t.Errorf("next: %+v", s)
	}
	m, _ = send(t, m, tab) // match case
	if s := sel(); s.Anchor.Line != 1 || !strings.Contains(screen(m), "match case") {
		t.Errorf("match case: %+v\n%s", s, screen(m))
	}
	m, _ = send(t, m, enter, enter)
	if s := sel(); s.Anchor.Line != 1 {
		t.Errorf("wrap with case: %+v", s)
	}
	m, _ = send(t, m, up)
	if s := sel(); s.Anchor.Line != 2 {
		t.Errorf("previous: %+v", s)
	}
	m, _ = send(t, m, keysOf(typing("zzz"))...)
	if !strings.Contains(screen(m), "No match") {
		t.Errorf("no 'No match':\n%s", screen(m))
	}
	m, _ = send(t, m, backspace, backspace, backspace, esc)
	if open, _ := m.PromptOpen(); open || strings.Contains(screen(m), "Find:") {
		t.Error("esc did not close the prompt")
	}
	if b.Text() != "Spam = 1\nspam = 2\neggs = spam" {
		t.Error("finding changed the text")
	}
	// The query comes back next time.
	m, _ = send(t, m, ctrl('f'))
	if !strings.Contains(screen(m), "Find: spam") {
		t.Errorf("query not remembered:\n%s", screen(m))
	}
}

func TestNoGoroutineLeftAfterClose(t *testing.T) {
	before := runtime.NumGoroutine()
	b := buffer.New("x")
	var done []chan tea.Msg
	var models []Model
	for range 20 {
		m := New(b, Options{}, keys.Default().Editor, theme.New(true))
		ch := make(chan tea.Msg, 1)
		cmd := m.Init()
		go func() { ch <- cmd() }() // as Bubble Tea runs a command
		done = append(done, ch)
		models = append(models, m)
	}
	for _, m := range models {
		m.Close()
		m.Close() // twice is fine
	}
	for _, ch := range done {
		select {
		case msg := <-ch:
			if msg != nil {
				t.Errorf("a closed editor's command returned %T", msg)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a waiting command did not end after Close")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
	// Their cursors are gone: an edit shifts nobody.
	if b.InsertText(models[0].CursorID(), "y") {
		t.Error("a closed editor's cursor still edits")
	}
}

func TestKeepsCursorGivenByParent(t *testing.T) {
	b := buffer.New("a\nb\nc")
	id := b.AddCursor()
	b.GoToLine(id, 3)
	m := New(b, Options{Cursor: id}, keys.Default().Editor, theme.New(true))
	m.SetSize(20, 3)
	if l, _ := m.Position(); l != 3 {
		t.Errorf("reattached at line %d, want 3", l)
	}
	m.Close()
	if b.Cursor(id).Head.Line != 2 {
		t.Error("Close removed a cursor the parent gave")
	}
}

// bigPython returns n lines of Python.
func bigPython(n int) string {
	var sb strings.Builder
	for i := range n {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&sb, "def function_%d(values, label=None):\n", i)
		case 1:
			fmt.Fprintf(&sb, "    \"\"\"Compute the total of line %d.\"\"\"\n", i)
		case 2:
			fmt.Fprintf(&sb, "    total = sum(v * %d for v in values)  # note\n", i)
		case 3:
			sb.WriteString("    print(f\"{label}: {total}\")\n")
		default:
			sb.WriteString("    return total\n")
		}
	}
	return sb.String()
}

// The keystroke path: a typed character in the middle of a 10,000-line file,
// then the frame, at 120x40. Each character changes the line, so its
// highlighting is computed again (the other 39 lines come from the cache).
func BenchmarkKeystroke(b *testing.B) {
	buf := buffer.New(bigPython(10000))
	m := New(buf, Options{}, keys.Default().Editor, theme.New(true))
	defer m.Close()
	m.SetSize(120, 40)
	m, _ = m.Update(ctrl('g'))
	for _, k := range typing("5000") {
		m, _ = m.Update(k)
	}
	m, _ = m.Update(enter)
	m, _ = m.Update(endKey)
	_ = m.View()
	a := tea.KeyPressMsg{Code: 'a', Text: "a"}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		m, _ = m.Update(a)
		_ = m.View()
		if n++; n%50 == 0 {
			// Keep the line of a usual length, and forget its highlighting
			// so that every character typed is lexed again.
			b.StopTimer()
			m, _ = m.Update(ctrl('z'))
			clear(m.s.hl.cache)
			_ = m.View()
			b.StartTimer()
		}
	}
}

// A frame with nothing changed (another pane's message): the cached frame.
func BenchmarkViewUnchanged(b *testing.B) {
	buf := buffer.New(bigPython(10000))
	m := New(buf, Options{}, keys.Default().Editor, theme.New(true))
	defer m.Close()
	m.SetSize(120, 40)
	_ = m.View()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}
