package buffer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// setup makes a buffer from text in which '|' marks the cursor and '^' the
// selection's anchor (when there is one).
func setup(t testing.TB, marked string) (*Buffer, CursorID) {
	t.Helper()
	var head, anchor Pos
	hasAnchor := false
	var text strings.Builder
	p := Pos{}
	for _, r := range marked {
		switch r {
		case '|':
			head = p
			continue
		case '^':
			anchor, hasAnchor = p, true
			continue
		case '\n':
			p = Pos{p.Line + 1, 0}
		default:
			p.Col += len(string(r))
		}
		text.WriteRune(r)
	}
	b := New(text.String())
	id := b.AddCursor()
	if !hasAnchor {
		anchor = head
	}
	b.SetSelection(id, Selection{Anchor: anchor, Head: head})
	return b, id
}

// show returns the text with the cursor's markers.
func show(b *Buffer, id CursorID) string {
	sel := b.Cursor(id)
	lines := strings.Split(b.Text(), "\n")
	type mark struct {
		p Pos
		s string
	}
	marks := []mark{{sel.Head, "|"}}
	if !sel.Empty() {
		marks = append(marks, mark{sel.Anchor, "^"})
	}
	// Insert the later mark first so offsets stay right.
	slices.SortFunc(marks, func(a, b mark) int {
		if b.p.Less(a.p) {
			return -1
		}
		return 1
	})
	for _, m := range marks {
		l := lines[m.p.Line]
		lines[m.p.Line] = l[:m.p.Col] + m.s + l[m.p.Col:]
	}
	return strings.Join(lines, "\n")
}

func TestEdits(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		op      func(*Buffer, CursorID) bool
		want    string
		changed bool
	}{
		{"type", "ab|c", ins("X"), "abX|c", true},
		{"type replaces selection", "a^bc|d", ins("X"), "aX|d", true},
		{"type over backward selection", "a|bc^d", ins("X"), "aX|d", true},
		{"paste lines", "a|b", ins("1\n2\n3"), "a1\n2\n3|b", true},
		{"paste CR LF and CR", "|", ins("1\r\n2\r3"), "1\n2\n3|", true},
		{"paste invalid UTF-8", "|", ins("a\xffb"), "a\uFFFDb|", true},
		{"empty insert", "a|b", ins(""), "a|b", false},
		{"empty insert deletes selection", "^ab|", ins(""), "|", true},

		{"enter keeps indent", "    x = 1|", (*Buffer).Newline, "    x = 1\n    |", true},
		{"enter after colon", "def f():|", (*Buffer).Newline, "def f():\n    |", true},
		{"enter after colon and spaces", "    if a:  |", (*Buffer).Newline, "    if a:  \n        |", true},
		{"enter after return", "    return x|", (*Buffer).Newline, "    return x\n|", true},
		{"enter after pass", "        pass|", (*Buffer).Newline, "        pass\n    |", true},
		{"enter mid-line", "    ab|cd", (*Buffer).Newline, "    ab\n    |cd", true},
		{"enter on blank line empties it", "    |", (*Buffer).Newline, "\n    |", true},
		{"enter in indentation", "  |  x", (*Buffer).Newline, "  \n  |  x", true},
		{"enter replaces selection", "if ^x|:", (*Buffer).Newline, "if \n|:", true},
		{"enter with tab indent", "\tx:|", (*Buffer).Newline, "\tx:\n\t    |", true},

		{"backspace char", "ab|c", (*Buffer).Backspace, "a|c", true},
		{"backspace one indent level", "        |x", (*Buffer).Backspace, "    |x", true},
		{"backspace to indent stop", "      |x", (*Buffer).Backspace, "    |x", true},
		{"backspace short indent", "   |", (*Buffer).Backspace, "|", true},
		{"backspace space after text", "x  |", (*Buffer).Backspace, "x |", true},
		{"backspace joins lines", "ab\n|cd", (*Buffer).Backspace, "ab|cd", true},
		{"backspace at start", "|ab", (*Buffer).Backspace, "|ab", false},
		{"backspace selection", "a^b\nc|d", (*Buffer).Backspace, "a|d", true},
		{"backspace combining accent", "xe\u0301|y", (*Buffer).Backspace, "x|y", true},
		{"backspace emoji", "x👍🏽|", (*Buffer).Backspace, "x|", true},
		{"backspace tab", "\t|x", (*Buffer).Backspace, "|x", true},

		{"delete char", "a|bc", (*Buffer).Delete, "a|c", true},
		{"delete joins lines", "ab|\ncd", (*Buffer).Delete, "ab|cd", true},
		{"delete at end", "ab|", (*Buffer).Delete, "ab|", false},
		{"delete selection", "^ab|c", (*Buffer).Delete, "|c", true},
		{"delete wide char", "|界x", (*Buffer).Delete, "|x", true},

		{"tab at start", "|x", (*Buffer).Indent, "    |x", true},
		{"tab to next stop", "ab|", (*Buffer).Indent, "ab  |", true},
		{"tab at stop", "abcd|", (*Buffer).Indent, "abcd    |", true},
		{"tab after wide char", "界|", (*Buffer).Indent, "界  |", true},
		{"tab indents selected lines", "^a\n\nb|", (*Buffer).Indent, "^    a\n\n    b|", true},
		{"tab skips line selection ends at", "^a\n|b", (*Buffer).Indent, "^    a\n|b", true},
		{"shift+tab line", "        x|", (*Buffer).Dedent, "    x|", true},
		{"shift+tab odd indent", "      x|", (*Buffer).Dedent, "    x|", true},
		{"shift+tab cursor in indent", "  |  x", (*Buffer).Dedent, "|x", true},
		{"shift+tab tab", "\t\tx|", (*Buffer).Dedent, "\tx|", true},
		{"shift+tab nothing", "x|", (*Buffer).Dedent, "x|", false},
		{"shift+tab selection", "    ^a\n  b\nc|", (*Buffer).Dedent, "^a\nb\nc|", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, id := setup(t, tt.in)
			v := b.Version()
			if got := tt.op(b, id); got != tt.changed {
				t.Errorf("reported change %v, want %v", got, tt.changed)
			}
			if got := show(b, id); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if changed := b.Version() != v; changed != tt.changed {
				t.Errorf("version changed %v, want %v", changed, tt.changed)
			}
			if tt.changed {
				// Every edit undoes to where it started, cursor included.
				if !b.Undo(id) {
					t.Fatal("nothing to undo")
				}
				if got := show(b, id); got != tt.in {
					t.Errorf("after undo %q, want %q", got, tt.in)
				}
				if b.Modified() {
					t.Error("modified after undoing to the original text")
				}
				b.Redo(id)
				if got := show(b, id); got != tt.want {
					t.Errorf("after redo %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func ins(s string) func(*Buffer, CursorID) bool {
	return func(b *Buffer, id CursorID) bool { return b.InsertText(id, s) }
}

func TestMotions(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		op     func(*Buffer, CursorID)
		want   string
		extend bool
	}{
		{"left", "ab|c", mv(Left, false), "a|bc", false},
		{"left over line start", "a\n|b", mv(Left, false), "a|\nb", false},
		{"left at start", "|a", mv(Left, false), "|a", false},
		{"left collapses selection", "a^bc|d", mv(Left, false), "a|bcd", false},
		{"left over accent", "xe\u0301|", mv(Left, false), "x|e\u0301", false},
		{"right", "a|bc", mv(Right, false), "ab|c", false},
		{"right over line end", "a|\nb", mv(Right, false), "a\n|b", false},
		{"right at end", "a|", mv(Right, false), "a|", false},
		{"right collapses selection", "a|bc^d", mv(Right, false), "abc|d", false},
		{"right over emoji", "|👍🏽x", mv(Right, false), "👍🏽|x", false},
		{"shift+right selects", "a|bc", mv(Right, true), "a^b|c", true},
		{"shift+left selects", "ab|c", mv(Left, true), "a|b^c", true},
		{"word right", "|foo_bar(x)", mv(WordRight, false), "foo_bar|(x)", false},
		{"word right over spaces", "foo|  bar baz", mv(WordRight, false), "foo  bar| baz", false},
		{"word right at line end", "foo|\nbar", mv(WordRight, false), "foo\n|bar", false},
		{"word left", "x = foo_bar|", mv(WordLeft, false), "x = |foo_bar", false},
		{"word left punct", "f(x)|", mv(WordLeft, false), "f(x|)", false},
		{"word left at line start", "a\n|b", mv(WordLeft, false), "a|\nb", false},
		{"home to first non-blank", "    ab|c", mv(LineStart, false), "    |abc", false},
		{"home again to column 0", "    |abc", mv(LineStart, false), "|    abc", false},
		{"end", "a|bc\nd", mv(LineEnd, false), "abc|\nd", false},
		{"shift+end", "a|bc", mv(LineEnd, true), "a^bc|", true},
		{"doc start", "ab\nc|d", mv(DocStart, false), "|ab\ncd", false},
		{"doc end", "a|b\ncd", mv(DocEnd, false), "ab\ncd|", false},
		{"down keeps column", "ab|cd\nefgh", lines(1, false), "abcd\nef|gh", false},
		{"down to short line", "abc|d\ne", lines(1, false), "abcd\ne|", false},
		{"down past end", "a|b\ncd", lines(5, false), "ab\ncd|", false},
		{"up past start", "ab\nc|d", lines(-5, false), "|ab\ncd", false},
		{"down through tab", "\tx|\n        y", lines(1, false), "\tx\n     |   y", false},
		{"down through wide", "ab|\n界界", lines(1, false), "ab\n界|界", false},
		{"shift+down", "a|b\ncd", lines(1, true), "a^b\nc|d", true},
		{"goal column survives short line", "abcd|\nx\nabcd", func(b *Buffer, id CursorID) {
			b.MoveLines(id, 1, false)
			b.MoveLines(id, 1, false)
		}, "abcd\nx\nabcd|", false},
		{"go to line", "a|\nb\nc", func(b *Buffer, id CursorID) { b.GoToLine(id, 3) }, "a\nb\n|c", false},
		{"go to line clamps", "a|\nb", func(b *Buffer, id CursorID) { b.GoToLine(id, 99) }, "a\n|b", false},
		{"go to line 0", "a\nb|", func(b *Buffer, id CursorID) { b.GoToLine(id, 0) }, "|a\nb", false},
		{"select all", "a|b\ncd", func(b *Buffer, id CursorID) { b.SelectAll(id) }, "^ab\ncd|", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, id := setup(t, tt.in)
			v := b.Version()
			tt.op(b, id)
			if got := show(b, id); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if b.Version() != v {
				t.Error("a motion changed the version")
			}
		})
	}
}

func mv(m Motion, extend bool) func(*Buffer, CursorID) {
	return func(b *Buffer, id CursorID) { b.Move(id, m, extend) }
}

func lines(n int, extend bool) func(*Buffer, CursorID) {
	return func(b *Buffer, id CursorID) { b.MoveLines(id, n, extend) }
}

func typeText(b *Buffer, id CursorID, s string) {
	for _, r := range s {
		if r == '\n' {
			b.Newline(id)
			continue
		}
		b.InsertText(id, string(r))
	}
}

func TestUndoGrouping(t *testing.T) {
	b, id := setup(t, "|")
	typeText(b, id, "hello world")
	steps := []string{"hello|", "|"}
	for _, want := range steps {
		b.Undo(id)
		if got := show(b, id); got != want {
			t.Fatalf("undo: %q, want %q", got, want)
		}
	}
	if b.Undo(id) {
		t.Error("undo beyond the first step")
	}
	b.Redo(id)
	b.Redo(id)
	if got := show(b, id); got != "hello world|" {
		t.Errorf("redo: %q", got)
	}
	if b.Redo(id) {
		t.Error("redo beyond the last step")
	}

	// A newline is a step of its own, and breaks the group.
	b, id = setup(t, "|")
	typeText(b, id, "ab\ncd")
	for _, want := range []string{"ab\n|", "ab|", "|"} {
		b.Undo(id)
		if got := show(b, id); got != want {
			t.Fatalf("undo: %q, want %q", got, want)
		}
	}

	// A cursor move breaks the group.
	b, id = setup(t, "|")
	typeText(b, id, "ab")
	b.Move(id, Left, false)
	typeText(b, id, "X")
	b.Undo(id)
	if got := show(b, id); got != "a|b" {
		t.Errorf("after move and undo: %q", got)
	}

	// Consecutive backspaces are one step; so are deletes.
	b, id = setup(t, "abc|def")
	b.Backspace(id)
	b.Backspace(id)
	b.Delete(id)
	b.Delete(id)
	if got := show(b, id); got != "a|f" {
		t.Fatalf("after deletes: %q", got)
	}
	b.Undo(id)
	if got := show(b, id); got != "a|def" {
		t.Errorf("undo deletes: %q", got)
	}
	b.Undo(id)
	if got := show(b, id); got != "abc|def" {
		t.Errorf("undo backspaces: %q", got)
	}

	// A new edit clears redo.
	b, id = setup(t, "|")
	typeText(b, id, "a")
	b.Undo(id)
	typeText(b, id, "b")
	if b.Redo(id) || b.CanRedo() {
		t.Error("redo after a new edit")
	}

	// An edit by another view breaks the group.
	b, id = setup(t, "|")
	other := b.AddCursor()
	typeText(b, id, "ab")
	b.SetCursor(other, Pos{0, 0}, false)
	typeText(b, other, "X")
	typeText(b, id, "cd")
	b.Undo(id)
	if got := b.Text(); got != "Xab" {
		t.Errorf("undo after another view's edit: %q", got)
	}
}

func TestPasteIsOneStep(t *testing.T) {
	b, id := setup(t, "x = 1\n|y = 2")
	paste := bigText(1000)
	b.InsertText(id, paste)
	if n := b.LineCount(); n != 1001+1 {
		t.Errorf("%d lines after paste, want 1002", n)
	}
	b.Undo(id)
	if got := show(b, id); got != "x = 1\n|y = 2" {
		t.Errorf("after undo: %q", got)
	}
	if b.CanUndo() {
		t.Error("the paste took more than one step")
	}
	b.Redo(id)
	if got := b.Text(); got != "x = 1\n"+paste+"y = 2" {
		t.Error("redo did not restore the paste")
	}
}

func TestOtherCursorsShift(t *testing.T) {
	tests := []struct {
		name  string
		in    string // the acting cursor
		other Selection
		op    func(*Buffer, CursorID) bool
		want  Selection
	}{
		{"insert before on line", "|abc", sel(0, 2), ins("XY"), sel(0, 4)},
		{"insert after", "abc|", sel(0, 1), ins("XY"), sel(0, 1)},
		{"insert at same place stays", "a|bc", sel(0, 1), ins("X"), sel(0, 1)},
		{"insert lines before on line", "a|bc", sel(0, 2), ins("1\n22\n3"), sel(2, 2)},
		{"insert lines above", "|a\nbc", sel(1, 1), ins("1\n2\n"), sel(3, 1)},
		{"newline above", "a|\nb", sel(1, 1), (*Buffer).Newline, sel(2, 1)},
		{"delete before", "ab|c", sel(0, 3), (*Buffer).Backspace, sel(0, 2)},
		{"join lines above", "a\n|b\nc", sel(2, 1), (*Buffer).Backspace, sel(1, 1)},
		{"join moves onto line", "ab\n|cd", sel(1, 1), (*Buffer).Backspace, sel(0, 3)},
		{"inside deleted selection", "a^bcd|e", sel(0, 2), (*Buffer).Backspace, sel(0, 1)},
		{"multi-line deletion", "a^b\ncd\ne|f", sel(2, 2), (*Buffer).Backspace, sel(0, 2)},
		{"selection anchor too", "|ab", Selection{Anchor: Pos{0, 1}, Head: Pos{0, 2}}, ins("X"),
			Selection{Anchor: Pos{0, 2}, Head: Pos{0, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, id := setup(t, tt.in)
			other := b.AddCursor()
			b.SetSelection(other, tt.other)
			tt.op(b, id)
			if got := b.Cursor(other); got != tt.want {
				t.Errorf("other cursor %+v, want %+v (text %q)", got, tt.want, b.Text())
			}
		})
	}
}

func sel(line, col int) Selection {
	return Selection{Anchor: Pos{line, col}, Head: Pos{line, col}}
}

func TestTopShifts(t *testing.T) {
	b, id := setup(t, "|"+bigText(100))
	other := b.AddCursor()
	b.SetTop(other, 50)
	b.InsertText(id, "a\nb\nc\n")
	if f := b.Read(other, 0, 0, 0, nil); f.Top != 53 {
		t.Errorf("top %d after 3 lines inserted above, want 53", f.Top)
	}
	b.SetSelection(id, Selection{Anchor: Pos{10, 0}, Head: Pos{60, 0}})
	b.Backspace(id)
	if f := b.Read(other, 0, 0, 0, nil); f.Top != 10 {
		t.Errorf("top %d after its lines were deleted, want 10", f.Top)
	}
	b.SetTop(other, 1000)
	if f := b.Read(other, 0, 0, 0, nil); f.Top != b.LineCount()-1 {
		t.Errorf("top %d past the end", f.Top)
	}
}

func TestFind(t *testing.T) {
	text := "Foo foo\nbar FOO\nbaz"
	tests := []struct {
		name  string
		at    Selection
		query string
		opts  FindOptions
		want  Selection
		found bool
	}{
		{"next", sel(0, 0), "foo", FindOptions{}, span(0, 4, 7), true},
		{"next after selection", span(0, 4, 7), "foo", FindOptions{IgnoreCase: true}, span(1, 4, 7), true},
		{"wraps", span(1, 4, 7), "foo", FindOptions{IgnoreCase: true}, span(0, 0, 3), true},
		{"only one finds itself", span(0, 4, 7), "foo", FindOptions{}, span(0, 4, 7), true},
		{"case", sel(0, 1), "FOO", FindOptions{}, span(1, 4, 7), true},
		{"ignore case", sel(0, 1), "FOO", FindOptions{IgnoreCase: true}, span(0, 4, 7), true},
		{"backward", sel(2, 0), "foo", FindOptions{Backward: true, IgnoreCase: true}, rspan(1, 4, 7), true},
		{"backward wraps", sel(0, 0), "ba", FindOptions{Backward: true}, rspan(2, 0, 2), true},
		{"backward before selection", span(0, 4, 7), "foo", FindOptions{Backward: true, IgnoreCase: true}, rspan(0, 0, 3), true},
		{"missing", sel(0, 0), "qux", FindOptions{}, sel(0, 0), false},
		{"multi-line query", sel(0, 0), "foo\nbar", FindOptions{}, sel(0, 0), false},
		{"empty query", sel(0, 0), "", FindOptions{}, sel(0, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(text)
			id := b.AddCursor()
			b.SetSelection(id, tt.at)
			if got := b.Find(id, tt.query, tt.opts); got != tt.found {
				t.Errorf("found %v, want %v", got, tt.found)
			}
			if got := b.Cursor(id); got != tt.want {
				t.Errorf("selection %+v, want %+v", got, tt.want)
			}
		})
	}

	// Case folding beyond ASCII, with different byte lengths.
	b := New("x STRASSE ſtraße")
	id := b.AddCursor()
	if !b.Find(id, "straSSE", FindOptions{IgnoreCase: true}) || b.Selected(id) != "STRASSE" {
		t.Errorf("fold: selected %q", b.Selected(id))
	}
	if !b.Find(id, "stra", FindOptions{IgnoreCase: true}) || b.Selected(id) != "ſtra" {
		t.Errorf("fold of long s: selected %q", b.Selected(id))
	}
}

func span(line, from, to int) Selection {
	return Selection{Anchor: Pos{line, from}, Head: Pos{line, to}}
}

func rspan(line, from, to int) Selection {
	return Selection{Anchor: Pos{line, to}, Head: Pos{line, from}}
}

func TestCutCopySelection(t *testing.T) {
	b, id := setup(t, "a^b\ncd|e")
	if got := b.Selected(id); got != "b\ncd" {
		t.Errorf("selected %q", got)
	}
	if got := b.Cut(id); got != "b\ncd" {
		t.Errorf("cut %q", got)
	}
	if got := show(b, id); got != "a|e" {
		t.Errorf("after cut %q", got)
	}
	if got := b.Cut(id); got != "" {
		t.Errorf("cut with no selection: %q", got)
	}
	b.Undo(id)
	if got := show(b, id); got != "a^b\ncd|e" {
		t.Errorf("undo cut %q", got)
	}
}

func TestModified(t *testing.T) {
	b, id := setup(t, "|")
	if b.Modified() {
		t.Fatal("a new buffer is modified")
	}
	typeText(b, id, "a")
	if !b.Modified() {
		t.Fatal("not modified after typing")
	}
	text, v := b.Snapshot()
	typeText(b, id, " b") // while the save runs
	b.MarkSaved(v)
	if text != "a" || !b.Modified() {
		t.Errorf("saved %q at %d; modified %v, want true (typed after)", text, v, b.Modified())
	}
	b.Undo(id)
	if b.Modified() {
		t.Error("modified after undoing back to the saved text")
	}
	b.Undo(id)
	if !b.Modified() {
		t.Error("not modified after undoing past the saved text")
	}
	b.Redo(id)
	if b.Modified() {
		t.Error("modified after redoing to the saved text")
	}
	b.MarkSaved(b.Version() + 5) // a version that never was
	if !b.Modified() {
		t.Error("not modified after MarkSaved of an unknown version")
	}
	for range changeLog + 1 {
		typeText(b, id, "\n")
	}
	b.MarkSaved(v) // forgotten by now
	if !b.Modified() {
		t.Error("not modified after MarkSaved of a forgotten version")
	}
}

func TestLoad(t *testing.T) {
	for _, tt := range []struct {
		name string
		data string
		err  error
	}{
		{"plain", "print('hi')\n", nil},
		{"empty", "", nil},
		{"not utf-8", "ok\nbad \xff\n", ErrNotUTF8},
		{"latin-1", "caf\xe9", ErrNotUTF8},
		{"binary", "ELF\x00\x01", ErrBinary},
		{"crlf", "a\r\nb\r\n", nil},
		{"mixed endings", "a\r\nb\n", nil},
		{"bom", "\uFEFFx = 1\n", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Load([]byte(tt.data))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			want := tt.data
			if tt.name == "mixed endings" {
				want = "a\nb\n"
			}
			if got := b.Text(); got != want {
				t.Errorf("text %q, want %q", got, want)
			}
			if b.Modified() {
				t.Error("modified after load")
			}
		})
	}
	_, err := Load([]byte("a\nb\nc\xff"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("error %v does not name line 3", err)
	}
	b, _ := Load([]byte("a\r\nb"))
	if got := b.Line(0); got != "a" {
		t.Errorf("line 0 is %q: CR kept", got)
	}
}

func TestSubscribe(t *testing.T) {
	b, id := setup(t, "|")
	ch := b.Subscribe()
	other := b.Subscribe()
	for range 100 { // nobody reads: edits must not block
		b.InsertText(id, "x")
	}
	select {
	case <-ch:
	default:
		t.Fatal("no signal after edits")
	}
	select {
	case <-ch:
		t.Fatal("signals did not coalesce")
	default:
	}
	b.Move(id, Left, false)
	select {
	case <-ch:
		t.Fatal("a cursor move signalled")
	default:
	}
	b.Unsubscribe(ch)
	<-other
	b.InsertText(id, "y")
	select {
	case <-ch:
		t.Fatal("signal after Unsubscribe")
	default:
	}
	select {
	case <-other:
	default:
		t.Fatal("the other subscriber missed a signal")
	}
}

func TestChangedSince(t *testing.T) {
	b, id := setup(t, bigText(50)+"|")
	v0 := b.Version()
	if got := b.ChangedSince(v0); got != -1 {
		t.Errorf("nothing changed: %d", got)
	}
	b.SetCursor(id, Pos{30, 0}, false)
	b.InsertText(id, "x")
	b.SetCursor(id, Pos{20, 3}, false)
	b.Newline(id)
	v2 := b.Version()
	b.SetCursor(id, Pos{40, 0}, false)
	b.Backspace(id)
	if got := b.ChangedSince(v0); got != 20 {
		t.Errorf("ChangedSince(v0) = %d, want 20", got)
	}
	if got := b.ChangedSince(v2); got != 39 {
		t.Errorf("ChangedSince(v2) = %d, want 39", got)
	}
	b.Undo(id)
	if got := b.ChangedSince(v2 + 1); got != 39 {
		t.Errorf("after undo: %d, want 39", got)
	}
	for range changeLog + 1 {
		b.SetCursor(id, Pos{45, 0}, false)
		b.InsertText(id, " ")
		b.SetCursor(id, Pos{45, 0}, false)
	}
	if got := b.ChangedSince(v0); got != 0 {
		t.Errorf("too old a version: %d, want 0", got)
	}
}

func TestRemovedCursorAndUnknownIDs(t *testing.T) {
	b, id := setup(t, "ab|")
	b.RemoveCursor(id)
	if b.InsertText(id, "x") || b.Backspace(id) || b.Newline(id) || b.Undo(id) || b.Find(id, "a", FindOptions{}) {
		t.Error("an edit through a removed cursor")
	}
	b.Move(id, Left, false)
	if b.Text() != "ab" || b.Cursor(id) != (Selection{}) {
		t.Error("removed cursor acted")
	}
}

// The gap buffer behaves like a plain slice under random edits.
func TestLineStoreRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var model []string
	s := newLineStore(nil)
	for step := range 20000 {
		switch op := r.IntN(4); {
		case op <= 1 || len(model) == 0:
			i := r.IntN(len(model) + 1)
			ins := make([]string, r.IntN(5)+1)
			for k := range ins {
				ins[k] = fmt.Sprint(step, ".", k)
			}
			model = slices.Insert(model, i, ins...)
			s.Insert(i, ins)
		case op == 2:
			i := r.IntN(len(model))
			n := r.IntN(min(4, len(model)-i)) + 1
			model = slices.Delete(model, i, i+n)
			s.Delete(i, n)
		default:
			i := r.IntN(len(model))
			model[i] = fmt.Sprint("set", step)
			s.Set(i, model[i])
		}
		if s.Len() != len(model) {
			t.Fatalf("step %d: len %d, want %d", step, s.Len(), len(model))
		}
		if step%97 == 0 {
			if got := s.Slice(nil, 0, s.Len()); !slices.Equal(got, model) {
				t.Fatalf("step %d: lines differ", step)
			}
			for _, v := range s.buf[s.gapStart:s.gapEnd] {
				if v != "" {
					t.Fatalf("step %d: the gap holds %q", step, v)
				}
			}
		}
	}
}

// Random edits by several views, then undo of everything, give back the
// original text; under -race this also checks the locking.
func TestConcurrentViews(t *testing.T) {
	orig := bigText(200)
	b := New(orig)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			id := b.AddCursor()
			ch := b.Subscribe()
			defer b.Unsubscribe(ch)
			for range 500 {
				b.SetCursor(id, Pos{r.IntN(b.LineCount()), r.IntN(20)}, false)
				switch r.IntN(6) {
				case 0:
					b.InsertText(id, "ab")
				case 1:
					b.Newline(id)
				case 2:
					b.Backspace(id)
				case 3:
					b.MoveLines(id, 1, true)
					b.Delete(id)
				case 4:
					b.InsertText(id, "x\ny\n")
				default:
					b.Read(id, 0, 40, b.Version()-1, nil)
					b.Find(id, "line", FindOptions{IgnoreCase: true})
				}
			}
		})
	}
	wg.Wait()
	id := b.AddCursor()
	for b.Undo(id) {
	}
	if b.Text() != orig {
		t.Error("undoing every edit did not give back the original text")
	}
	if b.Modified() {
		t.Error("modified after undoing everything")
	}
}

func TestDisplayColumns(t *testing.T) {
	for _, tt := range []struct {
		line  string
		col   int
		cells int
	}{
		{"abc", 2, 2},
		{"\tx", 1, 4},
		{"ab\tx", 3, 4},
		{"界x", 3, 2},
		{"e\u0301x", 3, 1},
		{"\x1bx", 1, 1}, // shown replaced, one cell
		{"abc", 99, 3},
	} {
		if got := DisplayCol(tt.line, tt.col); got != tt.cells {
			t.Errorf("DisplayCol(%q, %d) = %d, want %d", tt.line, tt.col, got, tt.cells)
		}
	}
	for _, tt := range []struct {
		line  string
		cells int
		col   int
	}{
		{"abc", 1, 1},
		{"\tx", 2, 0},
		{"\tx", 4, 1},
		{"界x", 1, 0},
		{"界x", 2, 3},
		{"abc", 10, 3},
	} {
		if got := ColumnAt(tt.line, tt.cells); got != tt.col {
			t.Errorf("ColumnAt(%q, %d) = %d, want %d", tt.line, tt.cells, got, tt.col)
		}
	}
	for s, want := range map[string]bool{"a": true, "界": true, "\x1b": false, "\u202e": false, "\u0301": false, "\t": false, "e\u0301": true} {
		if got := Printable(s); got != want {
			t.Errorf("Printable(%q) = %v", s, got)
		}
	}
}

// bigText returns n lines of Python, each ending in a newline.
func bigText(n int) string {
	var sb strings.Builder
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&sb, "def line_%d(x):\n", i)
		case 1:
			fmt.Fprintf(&sb, "    \"\"\"Docstring of line %d.\"\"\"\n", i)
		case 2:
			fmt.Fprintf(&sb, "    total = compute(x, %d)  # note\n", i)
		default:
			sb.WriteString("    return total\n")
		}
	}
	return sb.String()
}

// Typing one character in the middle of a 10,000-line file. Every 100
// characters the timer stops and the line is put back (by undo), so the line
// stays of a usual length.
func BenchmarkInsertCharMiddle(b *testing.B) {
	buf := New(bigText(10000))
	id := buf.AddCursor()
	buf.SetCursor(id, Pos{5000, 8}, false)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		buf.InsertText(id, "a")
		if n++; n%100 == 0 {
			b.StopTimer()
			buf.Undo(id)
			b.StartTimer()
		}
	}
}

func BenchmarkNewlineMiddle(b *testing.B) {
	buf := New(bigText(10000))
	id := buf.AddCursor()
	buf.SetCursor(id, Pos{5000, 8}, false)
	b.ReportAllocs()
	for b.Loop() {
		buf.Newline(id)
	}
}

func BenchmarkPaste1000Lines(b *testing.B) {
	paste := bigText(1000)
	buf := New(bigText(10000))
	id := buf.AddCursor()
	buf.SetCursor(id, Pos{5000, 0}, false)
	b.ReportAllocs()
	for b.Loop() {
		buf.InsertText(id, paste)
		b.StopTimer()
		buf.Undo(id) // back to 10,000 lines
		b.StartTimer()
	}
}

func BenchmarkUndoPaste1000Lines(b *testing.B) {
	paste := bigText(1000)
	buf := New(bigText(10000))
	id := buf.AddCursor()
	buf.SetCursor(id, Pos{5000, 0}, false)
	buf.InsertText(id, paste)
	b.ReportAllocs()
	for b.Loop() {
		buf.Undo(id)
		b.StopTimer()
		buf.Redo(id)
		b.StartTimer()
	}
}

// A view that comes back (a reconnection) lands where the view that left
// was, shifted by the edits made meanwhile; a view that only looked does
// not take the place from one that moved.
func TestPlaceIsKeptForTheNextView(t *testing.T) {
	b := New("one\ntwo\nthree\nfour")
	if got := b.Cursor(b.AddCursor()); got.Head != (Pos{}) {
		t.Fatalf("a first view starts at %v, want the start", got.Head)
	}

	moved := b.AddCursor()
	looked := b.AddCursor()
	b.SetCursor(moved, Pos{Line: 2, Col: 3}, false)
	b.SetTop(moved, 1)
	b.RemoveCursor(moved) // the Wi-Fi drops
	b.RemoveCursor(looked)

	other := b.AddCursor() // another view, still there, inserts a line above
	b.SetCursor(other, Pos{}, false)
	b.InsertText(other, "zero\n")

	back := b.AddCursor()
	if got := b.Cursor(back).Head; got != (Pos{Line: 3, Col: 3}) {
		t.Errorf("the view came back at %v, want 3:3 (2:3 shifted by the inserted line)", got)
	}
	if f := b.Read(back, 0, 1, 0, nil); f.Top != 2 {
		t.Errorf("the view came back showing line %d first, want 2", f.Top)
	}
}
