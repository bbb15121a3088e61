package buffer

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// refBuffer is the reference model of a buffer with one view: the text as
// one string, the cursor as byte offsets in it, and undo and redo as stacks
// of whole texts. It knows nothing of lines, the line store or primitive
// edits; only the rules a student sees are written again here (which keys
// group into one undo step, what Backspace and Delete take away).
type refBuffer struct {
	text         string
	anchor, head int
	undo, redo   []refStep
	groupable    bool // the last change of the text was an edit (not undo or redo)
}

type refStep struct {
	beforeText, afterText string
	beforeSel, afterSel   [2]int // anchor, head
	kind                  kind
	lastSpace             bool
	size                  int // bytes typed or removed by the group
}

func (r *refBuffer) sel() [2]int { return [2]int{r.anchor, r.head} }

func (r *refBuffer) ordered() (int, int) { return min(r.anchor, r.head), max(r.anchor, r.head) }

// lineAt returns the line holding offset off, where it starts, and off's column.
func (r *refBuffer) lineAt(off int) (line string, start, col int) {
	start = strings.LastIndexByte(r.text[:off], '\n') + 1
	end := strings.IndexByte(r.text[start:], '\n')
	if end < 0 {
		end = len(r.text) - start
	}
	return r.text[start : start+end], start, off - start
}

// clamp is a Pos as an offset: inside the text, on a rune's first byte.
func (r *refBuffer) clamp(p Pos) int {
	lines := strings.Split(r.text, "\n")
	l := max(min(p.Line, len(lines)-1), 0)
	line := lines[l]
	col := max(min(p.Col, len(line)), 0)
	for col > 0 && col < len(line) && !utf8.RuneStart(line[col]) {
		col--
	}
	start := 0
	for _, s := range lines[:l] {
		start += len(s) + 1
	}
	return start + col
}

func (r *refBuffer) pos(off int) Pos {
	return Pos{Line: strings.Count(r.text[:off], "\n"), Col: off - strings.LastIndexByte(r.text[:off], '\n') - 1}
}

// edit replaces text[from:to] with ins as one edit of kind k, leaving the
// cursor at head, and groups it into the last undo step as the buffer's
// rules say: same kind (typing, Backspace or Delete), nothing but edits
// since, the cursor where the step left it, no space typed after a
// non-space, the group under maxGroup bytes.
func (r *refBuffer) edit(from, to int, ins string, head int, k kind, space bool) {
	before, beforeSel := r.text, r.sel()
	empty := r.anchor == r.head
	r.text = r.text[:from] + ins + r.text[to:]
	r.anchor, r.head = head, head
	size := len(ins) + to - from
	if n := len(r.undo); n > 0 && k != kindOther && r.groupable && empty {
		if top := &r.undo[n-1]; top.kind == k && beforeSel[1] == top.afterSel[1] &&
			(k != kindTyping || !space || top.lastSpace) && top.size < maxGroup {
			top.afterText, top.afterSel, top.lastSpace = r.text, r.sel(), space
			top.size += size
			return
		}
	}
	r.undo = append(r.undo, refStep{beforeText: before, afterText: r.text, beforeSel: beforeSel, afterSel: r.sel(),
		kind: k, lastSpace: space, size: size})
	if len(r.undo) > maxUndo {
		r.undo = r.undo[len(r.undo)-maxUndo:]
	}
	r.redo = r.redo[:0]
	r.groupable = true
}

func (r *refBuffer) insertText(raw string) bool {
	t := strings.ToValidUTF8(raw, "\uFFFD")
	t = strings.ReplaceAll(strings.ReplaceAll(t, "\r\n", "\n"), "\r", "\n")
	from, to := r.ordered()
	if t == "" && from == to {
		return false
	}
	k, space := kindOther, false
	if size, _ := Cluster(t, 0); size == len(t) && t != "\n" && from == to {
		k, space = kindTyping, t == " " || t == "\t"
	}
	r.edit(from, to, t, from+len(t), k, space)
	return true
}

// prevCluster is where the character before col of line starts, walking
// the line's characters from its start.
func prevCluster(line string, col int) int {
	prev := 0
	for i := 0; i < col; {
		n, _ := Cluster(line[i:], 0)
		prev = i
		i += n
	}
	return prev
}

func (r *refBuffer) backspace() bool {
	if from, to := r.ordered(); from != to {
		r.edit(from, to, "", from, kindOther, false)
		return true
	}
	h := r.head
	line, start, col := r.lineAt(h)
	switch {
	case h == 0:
		return false
	case col == 0:
		r.edit(h-1, h, "", h-1, kindOther, false)
	case strings.Count(line[:col], " ") == col: // in the indentation: one level
		from := start + (col-1)/TabWidth*TabWidth
		r.edit(from, h, "", from, kindBackspace, false)
	default:
		from := start + prevCluster(line, col)
		r.edit(from, h, "", from, kindBackspace, false)
	}
	return true
}

func (r *refBuffer) delete() bool {
	if from, to := r.ordered(); from != to {
		r.edit(from, to, "", from, kindOther, false)
		return true
	}
	h := r.head
	line, _, col := r.lineAt(h)
	switch {
	case col < len(line):
		n, _ := Cluster(line[col:], 0)
		r.edit(h, h+n, "", h, kindDelete, false)
	case h < len(r.text): // joins the next line
		r.edit(h, h+1, "", h, kindOther, false)
	default:
		return false
	}
	return true
}

func (r *refBuffer) cut() string {
	from, to := r.ordered()
	if from == to {
		return ""
	}
	text := r.text[from:to]
	r.edit(from, to, "", from, kindOther, false)
	return text
}

func (r *refBuffer) undoStep() bool {
	if len(r.undo) == 0 {
		return false
	}
	st := r.undo[len(r.undo)-1]
	r.undo = r.undo[:len(r.undo)-1]
	r.text, r.anchor, r.head = st.beforeText, st.beforeSel[0], st.beforeSel[1]
	r.redo = append(r.redo, st)
	r.groupable = false
	return true
}

func (r *refBuffer) redoStep() bool {
	if len(r.redo) == 0 {
		return false
	}
	st := r.redo[len(r.redo)-1]
	r.redo = r.redo[:len(r.redo)-1]
	r.text, r.anchor, r.head = st.afterText, st.afterSel[0], st.afterSel[1]
	r.undo = append(r.undo, st)
	r.groupable = false
	return true
}

// #16 case 6: a sequence of edits decoded from the fuzzer's bytes (typing,
// pastes of any bytes, Backspace, Delete, cut, selections, cursor moves,
// undo, redo) applied to a Buffer and to refBuffer: after every step the
// texts, the cursors, what each edit reported and whether undo and redo
// are possible must agree.
func FuzzBufferEdits(f *testing.F) {
	f.Add([]byte("\x07a\x07b\x07 \x07c\x03\x03\x04\x04"))                     // typing groups, undo, redo
	f.Add([]byte("\x00\x04if x:\x07\n\x07 \x07 \x07 \x07 \x07 \x01\x01\x03")) // indentation, Backspace by levels
	f.Add([]byte("\x00\x02e\xcc\x81\x06\x00\x00\x00\x02\x03\x03"))            // a combining mark: Delete takes the whole character
	f.Add([]byte("\x00\x05a\r\nb\rc\x05\x00\x00\x00\x01\x07x\x03\x04"))       // CR LF and CR pasted, a selection typed over
	f.Add([]byte("\x00\x01\xff\xfe\x07x\x01\x01\x01\x01"))                    // invalid UTF-8
	f.Add([]byte("\x00\x04ab cd\x05\x00\x01\x00\x04\x06\x01\x03\x03"))        // a selection cut, undone
	f.Add([]byte("\x00\x02\xd8\x80a\x01\x03"))                                // a prepended mark before ASCII, Backspace
	f.Fuzz(func(t *testing.T, data []byte) {
		b := New("")
		id := b.AddCursor()
		r := &refBuffer{}
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			v := int(data[0])
			data = data[1:]
			return v
		}
		for step := 0; len(data) > 0 && step < 2000; step++ {
			op := next() % 8
			var what string
			var got, want any
			switch op {
			case 0: // paste (any bytes)
				n := 1 + next()%16
				text := string(data[:min(n, len(data))])
				data = data[min(n, len(data)):]
				what = "InsertText " + quote(text)
				got, want = b.InsertText(id, text), r.insertText(text)
			case 7: // type one byte
				text := string(rune(next()))
				what = "type " + quote(text)
				got, want = b.InsertText(id, text), r.insertText(text)
			case 1:
				what = "Backspace"
				got, want = b.Backspace(id), r.backspace()
			case 2:
				what = "Delete"
				got, want = b.Delete(id), r.delete()
			case 3:
				what = "Undo"
				got, want = b.Undo(id), r.undoStep()
			case 4:
				what = "Redo"
				got, want = b.Redo(id), r.redoStep()
			case 5:
				a := Pos{next() % 8, next() % 40}
				h := Pos{next() % 8, next() % 40}
				what = "SetSelection " + quote(a) + " " + quote(h)
				b.SetSelection(id, Selection{Anchor: a, Head: h})
				r.anchor, r.head = r.clamp(a), r.clamp(h)
			case 6:
				if next()%2 == 0 {
					p := Pos{next() % 8, next() % 40}
					what = "SetCursor " + quote(p)
					b.SetCursor(id, p, false)
					r.anchor = r.clamp(p)
					r.head = r.anchor
				} else {
					what = "Cut"
					got, want = b.Cut(id), r.cut()
				}
			}
			if got != want {
				t.Fatalf("step %d, %s: the buffer answered %v, the model %v", step, what, got, want)
			}
			if text := b.Text(); text != r.text {
				t.Fatalf("step %d, %s: the buffer holds %q, the model %q", step, what, text, r.text)
			}
			sel := b.Cursor(id)
			if wantSel := (Selection{Anchor: r.pos(r.anchor), Head: r.pos(r.head)}); sel != wantSel {
				t.Fatalf("step %d, %s: the buffer's selection is %v, the model's %v (text %q)", step, what, sel, wantSel, r.text)
			}
			if b.CanUndo() != (len(r.undo) > 0) || b.CanRedo() != (len(r.redo) > 0) {
				t.Fatalf("step %d, %s: the buffer can undo %v and redo %v, the model %d and %d steps",
					step, what, b.CanUndo(), b.CanRedo(), len(r.undo), len(r.redo))
			}
		}
	})
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", v)
}
