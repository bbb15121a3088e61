package buffer

import "strings"

// Edits act at a view's cursor, replace its selection where that makes
// sense, and report whether the text changed. Each is one undo step, except
// that consecutive typed characters (and consecutive Backspaces, and
// Deletes) of one view group into one until a space follows a non-space, a
// line break, an edit by another view or a cursor move.

// InsertText inserts text at the cursor, replacing the selection: typing and
// pasting. Line endings (CR LF, and the lone CR that terminals send in a
// bracketed paste) become line feeds. However long, it is one undo step.
func (b *Buffer) InsertText(id CursorID, text string) bool {
	text = normalizeNewlines(strings.ToValidUTF8(text, "\uFFFD"))
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil || text == "" && c.sel.Empty() {
		return false
	}
	k, space := kindOther, false
	if size, _ := Cluster(text, 0); size == len(text) && text != "\n" && c.sel.Empty() {
		k, space = kindTyping, text == " " || text == "\t"
	}
	b.begin(id, c, k, space)
	b.deleteSelection(c)
	b.setHead(c, b.insert(c.sel.Head, text))
	return b.commit(c, space)
}

// Newline breaks the line at the cursor (replacing the selection) and
// indents the new line like the one it came from, one level more after a
// line ending in ':' and one level less after pass, return, raise, break or
// continue. Pressing it on a line holding only spaces empties that line.
func (b *Buffer) Newline(id CursorID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil {
		return false
	}
	b.begin(id, c, kindOther, false)
	b.deleteSelection(c)
	h := c.sel.Head
	line := b.lines.At(h.Line)
	before, after := line[:h.Col], line[h.Col:]
	indent := indentOf(before)
	trimmed := strings.TrimSpace(before)
	switch {
	case strings.HasSuffix(trimmed, ":"):
		indent += strings.Repeat(" ", TabWidth)
	case strings.TrimSpace(after) == "" && endsBlock(trimmed):
		indent = dedented(indent)
	}
	if trimmed == "" && after == "" && h.Col > 0 {
		// No trailing spaces left behind on an empty line.
		b.remove(Pos{h.Line, 0}, h)
		h = Pos{h.Line, 0}
	}
	b.setHead(c, b.insert(h, "\n"+indent))
	return b.commit(c, false)
}

// endsBlock reports whether a statement ends its block: the next line
// belongs one level out.
func endsBlock(stmt string) bool {
	switch stmt {
	case "pass", "break", "continue", "return", "raise":
		return true
	}
	return strings.HasPrefix(stmt, "return ") || strings.HasPrefix(stmt, "raise ")
}

// dedented removes one indentation level from indent.
func dedented(indent string) string {
	if strings.HasSuffix(indent, "\t") {
		return indent[:len(indent)-1]
	}
	spaces := len(indent) - len(strings.TrimRight(indent, " "))
	if spaces == 0 {
		return indent
	}
	drop := spaces % TabWidth
	if drop == 0 {
		drop = TabWidth
	}
	return indent[:len(indent)-drop]
}

// Backspace deletes the selection, or the character before the cursor, or
// in the indentation (spaces only before the cursor) one level of it; at the
// start of a line it joins the line to the one above.
func (b *Buffer) Backspace(id CursorID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil {
		return false
	}
	if !c.sel.Empty() {
		b.begin(id, c, kindOther, false)
		b.deleteSelection(c)
		return b.commit(c, false)
	}
	h := c.sel.Head
	line := b.lines.At(h.Line)
	var from Pos
	switch {
	case h.Col == 0 && h.Line == 0:
		return false
	case h.Col == 0:
		from = Pos{h.Line - 1, len(b.lines.At(h.Line - 1))}
	case strings.Count(line[:h.Col], " ") == h.Col:
		from = Pos{h.Line, (h.Col - 1) / TabWidth * TabWidth}
	default:
		from = Pos{h.Line, prevBoundary(line, h.Col)}
	}
	k := kindBackspace
	if h.Col == 0 {
		k = kindOther
	}
	b.begin(id, c, k, false)
	b.remove(from, h)
	b.setHead(c, from)
	return b.commit(c, false)
}

// Delete deletes the selection, or the character after the cursor; at the
// end of a line it joins the next line to it.
func (b *Buffer) Delete(id CursorID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil {
		return false
	}
	if !c.sel.Empty() {
		b.begin(id, c, kindOther, false)
		b.deleteSelection(c)
		return b.commit(c, false)
	}
	h := c.sel.Head
	line := b.lines.At(h.Line)
	var to Pos
	switch {
	case h.Col < len(line):
		to = Pos{h.Line, nextBoundary(line, h.Col)}
	case h.Line < b.lines.Len()-1:
		to = Pos{h.Line + 1, 0}
	default:
		return false
	}
	k := kindDelete
	if to.Line != h.Line {
		k = kindOther
	}
	b.begin(id, c, k, false)
	b.remove(h, to)
	b.setHead(c, h)
	return b.commit(c, false)
}

// Indent is Tab: with nothing selected it inserts spaces up to the next
// multiple of TabWidth; with a selection it indents every selected line (but
// empty ones) by one level.
func (b *Buffer) Indent(id CursorID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil {
		return false
	}
	b.begin(id, c, kindOther, false)
	if c.sel.Empty() {
		h := c.sel.Head
		n := TabWidth - DisplayCol(b.lines.At(h.Line), h.Col)%TabWidth
		b.setHead(c, b.insert(h, strings.Repeat(" ", n)))
		return b.commit(c, true)
	}
	first, last := b.selectedLines(c)
	level := strings.Repeat(" ", TabWidth)
	for i := first; i <= last; i++ {
		if b.lines.At(i) != "" {
			b.insert(Pos{i, 0}, level)
		}
	}
	// The anchor or head at the start of a line stayed there: the selection
	// still covers whole lines.
	return b.commit(c, false)
}

// Dedent is shift+Tab: it removes one level of indentation from every
// selected line, or from the cursor's line.
func (b *Buffer) Dedent(id CursorID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil {
		return false
	}
	b.begin(id, c, kindOther, false)
	first, last := b.selectedLines(c)
	for i := first; i <= last; i++ {
		indent := indentOf(b.lines.At(i))
		n := 0
		switch {
		case strings.HasPrefix(indent, "\t"):
			n = 1
		default:
			spaces := len(indent) - len(strings.TrimLeft(indent, " "))
			n = min(spaces, TabWidth)
			if r := spaces % TabWidth; r != 0 {
				n = r
			}
		}
		if n > 0 {
			b.remove(Pos{i, 0}, Pos{i, n})
		}
	}
	return b.commit(c, false)
}

// selectedLines returns the lines a selection covers; a selection ending at
// the start of a line does not cover that line.
func (b *Buffer) selectedLines(c *cursor) (first, last int) {
	start, end := c.sel.Ordered()
	first, last = start.Line, end.Line
	if end.Col == 0 && last > first {
		last--
	}
	return first, last
}

// Cut deletes the selection and returns it ("" when nothing is selected).
func (b *Buffer) Cut(id CursorID) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil || c.sel.Empty() {
		return ""
	}
	start, end := c.sel.Ordered()
	text := b.textRange(start, end)
	b.begin(id, c, kindOther, false)
	b.deleteSelection(c)
	b.commit(c, false)
	return text
}

// Undo undoes the buffer's last step, whichever view made it, and puts this
// view's cursor (and selection) where it was before that step.
func (b *Buffer) Undo(id CursorID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil || len(b.undo) == 0 {
		return false
	}
	st := b.undo[len(b.undo)-1]
	b.undo = b.undo[:len(b.undo)-1]
	b.dirty = -1
	for i := len(st.edits) - 1; i >= 0; i-- {
		e := st.edits[i]
		if e.insert {
			b.remove(e.at, endOf(e.at, e.text))
		} else {
			b.insert(e.at, e.text)
		}
	}
	c.sel = Selection{Anchor: b.clamp(st.before.Anchor), Head: b.clamp(st.before.Head)}
	c.goal = -1
	b.redo = append(b.redo, st)
	b.changed(st.stateBefore)
	return true
}

// Redo does again the last step undone, unless an edit came since.
func (b *Buffer) Redo(id CursorID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil || len(b.redo) == 0 {
		return false
	}
	st := b.redo[len(b.redo)-1]
	b.redo = b.redo[:len(b.redo)-1]
	b.dirty = -1
	for _, e := range st.edits {
		if e.insert {
			b.insert(e.at, e.text)
		} else {
			b.remove(e.at, endOf(e.at, e.text))
		}
	}
	c.sel = Selection{Anchor: b.clamp(st.after.Anchor), Head: b.clamp(st.after.Head)}
	c.goal = -1
	b.undo = append(b.undo, st)
	b.changed(st.stateAfter)
	return true
}

// CanUndo and CanRedo report whether Undo and Redo would do something.
func (b *Buffer) CanUndo() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.undo) > 0
}

// CanRedo reports whether Redo would do something.
func (b *Buffer) CanRedo() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.redo) > 0
}

// maxGroup bounds the text one grouped step gathers (a key held down): its
// edit grows by copying.
const maxGroup = 1024

// begin starts an edit by cursor c. It continues the last undo step when
// the edit groups with it: same kind and view, nothing changed since, the
// cursor where that step left it, and (for typing) not a space after a
// non-space.
func (b *Buffer) begin(id CursorID, c *cursor, k kind, space bool) {
	b.dirty = -1
	if n := len(b.undo); n > 0 && k != kindOther {
		last := b.undo[n-1]
		if last.kind == k && last.cursor == id && last.version == b.version &&
			c.sel.Empty() && c.sel.Head == last.after.Head &&
			(k != kindTyping || !space || last.lastSpace) &&
			len(last.edits[len(last.edits)-1].text) < maxGroup {
			b.undo = b.undo[:n-1] // commit pushes it back
			b.cur = last
			b.opEdits = 0
			b.grouped = true
			return
		}
	}
	b.cur = &step{before: c.sel, stateBefore: b.state, cursor: id, kind: k}
	b.opEdits = 0
	b.grouped = false
}

// commit ends the edit begun by begin: a new version and state, an undo
// step, and a signal to the subscribers.
func (b *Buffer) commit(c *cursor, space bool) bool {
	st := b.cur
	b.cur = nil
	if b.opEdits == 0 {
		if b.grouped {
			b.undo = append(b.undo, st)
		}
		return false
	}
	b.changed(b.version + 1) // a new content, named by its version
	st.after = c.sel
	st.stateAfter = b.state
	st.version = b.version
	st.lastSpace = space
	b.undo = append(b.undo, st)
	if len(b.undo) > maxUndo {
		b.undo = append(b.undo[:0], b.undo[len(b.undo)-maxUndo:]...)
	}
	clear(b.redo)
	b.redo = b.redo[:0]
	return true
}

// changed records a new version whose content is state, and signals the
// subscribers.
func (b *Buffer) changed(state uint64) {
	b.version++
	b.state = state
	b.changes[(b.version-1)%changeLog] = change{state: b.state, line: max(b.dirty, 0)}
	b.notify()
}

func (b *Buffer) setHead(c *cursor, p Pos) {
	c.sel = Selection{Anchor: p, Head: p}
	c.goal = -1
}

func (b *Buffer) deleteSelection(c *cursor) {
	if c.sel.Empty() {
		return
	}
	start, end := c.sel.Ordered()
	b.remove(start, end)
	b.setHead(c, start)
}

// insert puts text at p, shifts the cursors after p, records the edit in
// the step being built, and returns where the text ends.
func (b *Buffer) insert(p Pos, text string) Pos {
	if text == "" {
		return p
	}
	line := b.lines.At(p.Line)
	var end Pos
	if nl := strings.Count(text, "\n"); nl == 0 {
		b.lines.Set(p.Line, line[:p.Col]+text+line[p.Col:])
		end = Pos{p.Line, p.Col + len(text)}
	} else {
		parts := strings.Split(text, "\n")
		last := parts[nl]
		b.lines.Set(p.Line, line[:p.Col]+parts[0])
		parts[nl] = last + line[p.Col:]
		b.lines.Insert(p.Line+1, parts[1:])
		end = Pos{p.Line + nl, len(last)}
	}
	for _, c := range b.cursors {
		c.sel.Anchor = shiftInsert(c.sel.Anchor, p, end)
		c.sel.Head = shiftInsert(c.sel.Head, p, end)
		if c.top > p.Line {
			c.top += end.Line - p.Line
		}
	}
	b.touch(p.Line)
	if st := b.cur; st != nil {
		b.opEdits++
		if n := len(st.edits); n > 0 {
			if e := &st.edits[n-1]; e.insert && p.Line == end.Line && e.at.Line == p.Line &&
				e.at.Col+len(e.text) == p.Col && strings.IndexByte(e.text, '\n') < 0 {
				e.text += text // typing: one edit per word, not per character
				return end
			}
		}
		st.edits = append(st.edits, edit{at: p, text: text, insert: true})
	}
	return end
}

// remove deletes the text from a to c (a before c), shifts the cursors and
// records the edit.
func (b *Buffer) remove(a, c Pos) {
	if a == c {
		return
	}
	var removed string
	if b.cur != nil { // undo and redo keep the text in their step already
		removed = b.textRange(a, c)
	}
	if a.Line == c.Line {
		line := b.lines.At(a.Line)
		b.lines.Set(a.Line, line[:a.Col]+line[c.Col:])
	} else {
		first, last := b.lines.At(a.Line), b.lines.At(c.Line)
		b.lines.Set(a.Line, first[:a.Col]+last[c.Col:])
		b.lines.Delete(a.Line+1, c.Line-a.Line)
	}
	for _, cur := range b.cursors {
		cur.sel.Anchor = shiftRemove(cur.sel.Anchor, a, c)
		cur.sel.Head = shiftRemove(cur.sel.Head, a, c)
		if cur.top > a.Line {
			cur.top = max(a.Line, cur.top-(c.Line-a.Line))
		}
	}
	b.touch(a.Line)
	if st := b.cur; st != nil {
		b.opEdits++
		if n := len(st.edits); n > 0 {
			e := &st.edits[n-1]
			switch {
			case e.insert || a.Line != c.Line || e.at.Line != a.Line || strings.IndexByte(e.text, '\n') >= 0:
			case c == e.at: // Backspace after Backspace
				e.at, e.text = a, removed+e.text
				return
			case a == e.at: // Delete after Delete
				e.text += removed
				return
			}
		}
		st.edits = append(st.edits, edit{at: a, text: removed})
	}
}

func (b *Buffer) touch(line int) {
	if b.dirty < 0 || line < b.dirty {
		b.dirty = line
	}
}

// shiftInsert moves q as text inserted from p to end moves the text at q.
// A position at p itself stays before the new text.
func shiftInsert(q, p, end Pos) Pos {
	switch {
	case q.Line == p.Line && q.Col > p.Col:
		return Pos{end.Line, end.Col + q.Col - p.Col}
	case q.Line > p.Line:
		q.Line += end.Line - p.Line
	}
	return q
}

// shiftRemove moves q as removing the text from a to c moves the text at q.
// A position inside the removed text goes to a.
func shiftRemove(q, a, c Pos) Pos {
	switch {
	case !a.Less(q):
		return q
	case q.Less(c):
		return a
	case q.Line == c.Line:
		return Pos{a.Line, a.Col + q.Col - c.Col}
	}
	q.Line -= c.Line - a.Line
	return q
}

// endOf returns where text ends when it starts at p.
func endOf(p Pos, text string) Pos {
	nl := strings.Count(text, "\n")
	if nl == 0 {
		return Pos{p.Line, p.Col + len(text)}
	}
	return Pos{p.Line + nl, len(text) - strings.LastIndexByte(text, '\n') - 1}
}

func normalizeNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}
