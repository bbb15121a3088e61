// Package buffer holds the text of one open file, shared by every view of it:
// two terminals of the same student, later a browser, a professor watching.
// It lives in the workspace, so it outlives a dropped connection with its
// unsaved changes, its undo history and each view's cursor.
//
// A Buffer is safe for concurrent use. Every method takes its mutex for a
// short, bounded time and never does I/O or rendering under it: views copy
// the few lines they draw (see Read) and render outside.
//
// Each view registers a cursor (AddCursor) and passes its CursorID to every
// edit and motion. An edit by one view shifts the other views' cursors so
// that they keep pointing at the same text. Views learn of changes through
// Subscribe.
//
// Positions are a line (from 0) and a byte offset in that line, always on a
// character boundary; display columns (cells on a screen, tabs expanded) are
// computed with DisplayCol and ColumnAt.
package buffer

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// ErrNotUTF8 is returned by Load for text that is not valid UTF-8.
var ErrNotUTF8 = errors.New("the file is not UTF-8 text")

// ErrBinary is returned by Load for data holding NUL bytes.
var ErrBinary = errors.New("the file looks binary (it holds NUL bytes)")

// Pos is a place in the text: a line, from 0, and a byte offset in the line.
type Pos struct {
	Line int
	Col  int
}

// Less reports whether p comes before q.
func (p Pos) Less(q Pos) bool {
	return p.Line < q.Line || p.Line == q.Line && p.Col < q.Col
}

// Selection is a view's cursor: Head is where the cursor is, Anchor where the
// selection started. They are equal when nothing is selected.
type Selection struct {
	Anchor Pos
	Head   Pos
}

// Empty reports whether nothing is selected.
func (s Selection) Empty() bool { return s.Anchor == s.Head }

// Ordered returns the selection's start and end, in text order.
func (s Selection) Ordered() (start, end Pos) {
	if s.Head.Less(s.Anchor) {
		return s.Head, s.Anchor
	}
	return s.Anchor, s.Head
}

// CursorID names a view's cursor in a buffer. The zero value names none.
type CursorID uint64

type cursor struct {
	sel  Selection
	goal int    // display column kept by vertical moves; -1 when not set
	top  int    // the first line the view shows, shifted like the text
	used uint64 // when its view last moved or edited with it (Buffer.uses)
}

// Motion is a way to move a cursor.
type Motion int

// The motions of Move.
const (
	Left      Motion = iota // one character back, or to the selection's start
	Right                   // one character on, or to the selection's end
	WordLeft                // to the start of the word before
	WordRight               // to the end of the word after
	LineStart               // to the first non-blank character, or the line's start when already there
	LineEnd                 // to the line's end
	DocStart                // to the start of the text
	DocEnd                  // to the end of the text
)

// FindOptions change how Find searches.
type FindOptions struct {
	Backward   bool // search towards the start of the text
	IgnoreCase bool // "a" finds "A" too (Unicode simple case folding)
}

// kinds of undo steps: steps of the same kind by the same cursor, one right
// after the other, group into one.
type kind int

const (
	kindOther kind = iota
	kindTyping
	kindBackspace
	kindDelete
)

// edit is one primitive change: text inserted at at, or removed from at.
type edit struct {
	at     Pos
	text   string
	insert bool
}

type step struct {
	edits       []edit
	before      Selection // the acting cursor before the step
	after       Selection // and after it
	stateBefore uint64
	stateAfter  uint64
	cursor      CursorID
	kind        kind
	version     uint64 // the buffer's version after the step's last edit
	lastSpace   bool   // the last character typed was a space
}

// change records, for a version, its content state (for MarkSaved) and the
// first line it changed (for ChangedSince).
type change struct {
	state uint64
	line  int
}

const (
	changeLog = 1024 // versions remembered by ChangedSince and MarkSaved
	maxUndo   = 5000 // undo steps kept per buffer
	noState   = ^uint64(0)
)

// Buffer is the text of one open file. The zero value is not usable: call New
// or Load.
type Buffer struct {
	mu    sync.Mutex
	lines lineStore

	version uint64 // bumped by every change
	state   uint64 // names the content: undo returns to an earlier state
	saved   uint64 // the state last saved
	crlf    bool   // the file used CR LF line endings
	bom     bool   // the file started with a UTF-8 byte order mark

	cursors map[CursorID]*cursor
	nextID  CursorID
	uses    uint64 // counts the cursor moves and edits, to tell the latest

	undo    []*step
	redo    []*step
	cur     *step // the step being built by the edit in progress
	opEdits int   // primitive edits made by the edit in progress
	grouped bool  // the edit in progress continues the last undo step

	changes [changeLog]change // version v is changes[(v-1)%changeLog]
	dirty   int               // first line changed by the edit in progress; -1 if none

	subs map[<-chan struct{}]chan struct{}
}

// New returns a buffer holding text, not modified. Invalid UTF-8 is replaced
// with U+FFFD; use Load for data read from a file.
func New(text string) *Buffer {
	text = strings.ToValidUTF8(text, "\uFFFD")
	b := &Buffer{
		cursors: map[CursorID]*cursor{},
		subs:    map[<-chan struct{}]chan struct{}{},
		dirty:   -1,
	}
	if strings.HasPrefix(text, "\uFEFF") {
		b.bom, text = true, text[len("\uFEFF"):]
	}
	if n := strings.Count(text, "\r\n"); n > 0 {
		b.crlf = n == strings.Count(text, "\n")
		text = strings.ReplaceAll(text, "\r\n", "\n")
	}
	b.lines = newLineStore(strings.Split(text, "\n"))
	return b
}

// Load returns a buffer holding data read from a file. It refuses data that
// is not UTF-8 or holds NUL bytes (a binary file): the file layer checks
// this too, but a buffer never shows bytes it cannot edit back. Line endings
// are kept: a file with CR LF endings is saved with them.
func Load(data []byte) (*Buffer, error) {
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, ErrBinary
	}
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:invalidAt(data)], []byte("\n"))
		return nil, fmt.Errorf("%w: invalid bytes on line %d", ErrNotUTF8, line)
	}
	return New(string(data)), nil
}

func invalidAt(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// Text returns the whole text, as it would be saved.
func (b *Buffer) Text() string {
	text, _ := b.Snapshot()
	return text
}

// Snapshot returns the whole text and the version it is: after writing the
// text to disk, pass the version to MarkSaved.
func (b *Buffer) Snapshot() (text string, version uint64) {
	b.mu.Lock()
	lines := b.lines.Slice(make([]string, 0, b.lines.Len()), 0, b.lines.Len())
	version = b.version
	crlf, bom := b.crlf, b.bom
	b.mu.Unlock()

	// Joined outside the lock: copying the lines' headers is enough inside.
	sep := "\n"
	if crlf {
		sep = "\r\n"
	}
	size := len(sep) * (len(lines) - 1)
	if bom {
		size += len("\uFEFF")
	}
	for _, l := range lines {
		size += len(l)
	}
	var sb strings.Builder
	sb.Grow(size)
	if bom {
		sb.WriteString("\uFEFF")
	}
	for i, l := range lines {
		if i > 0 {
			sb.WriteString(sep)
		}
		sb.WriteString(l)
	}
	return sb.String(), version
}

// Version returns a number that changes with every change of the text.
func (b *Buffer) Version() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.version
}

// MarkSaved records that the text at version was saved. Modified then
// reports whether the text differs from it (undoing back to it counts as
// unmodified). A version older than the last 1024 changes is forgotten:
// the buffer stays modified until the next save.
func (b *Buffer) MarkSaved(version uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.saved = b.stateAt(version)
}

// Modified reports whether the text differs from the last saved one (or,
// before any save, from the text the buffer was made with).
func (b *Buffer) Modified() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state != b.saved
}

func (b *Buffer) stateAt(version uint64) uint64 {
	// Every version records one change: version v is changes[(v-1)%changeLog].
	switch {
	case version == b.version:
		return b.state
	case version == 0:
		return 0 // the text the buffer was made with
	case version > b.version || b.version-version >= changeLog:
		return noState
	}
	return b.changes[(version-1)%changeLog].state
}

// ChangedSince returns the first line that changed after version, or -1 if
// nothing changed. It returns 0 for a version too old to know. Views use it
// to keep what they computed for the lines above.
func (b *Buffer) ChangedSince(version uint64) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.changedSince(version)
}

func (b *Buffer) changedSince(version uint64) int {
	if version >= b.version {
		return -1
	}
	if b.version-version > changeLog {
		return 0
	}
	first := -1
	for v := b.version; v > version; v-- {
		if c := b.changes[(v-1)%changeLog]; first < 0 || c.line < first {
			first = c.line
		}
	}
	return first
}

// LineCount returns the number of lines (an empty text has one).
func (b *Buffer) LineCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lines.Len()
}

// Line returns line i, or "" when there is no such line.
func (b *Buffer) Line(i int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i < 0 || i >= b.lines.Len() {
		return ""
	}
	return b.lines.At(i)
}

// Lines appends lines [from, to) to dst, clamped to the text, and returns it.
func (b *Buffer) Lines(dst []string, from, to int) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	from, to = max(from, 0), min(to, b.lines.Len())
	return b.lines.Slice(dst, from, to)
}

// Frame is what a view needs to draw itself, read at one instant.
type Frame struct {
	Version   uint64
	LineCount int
	Cursor    Selection
	Top       int      // the view's first line (see SetTop)
	First     int      // the line Lines[0] is
	Lines     []string // the lines asked for, clamped to the text
	Changed   int      // ChangedSince(the version asked about)
}

// Read returns the view's cursor and top line and lines [from, to) (appended
// to dst[:0]), all of one version, and which line first changed since the
// version since.
func (b *Buffer) Read(id CursorID, from, to int, since uint64, dst []string) Frame {
	b.mu.Lock()
	defer b.mu.Unlock()
	from, to = max(from, 0), min(to, b.lines.Len())
	f := Frame{
		Version:   b.version,
		LineCount: b.lines.Len(),
		First:     from,
		Lines:     b.lines.Slice(dst[:0], from, to),
		Changed:   b.changedSince(since),
	}
	if c := b.cursors[id]; c != nil {
		f.Cursor, f.Top = c.sel, c.top
	}
	return f
}

// Subscribe returns a channel that receives a signal after changes of the
// text. Signals coalesce: one signal may stand for many changes, and a slow
// reader never delays an edit. Call Unsubscribe when done.
func (b *Buffer) Subscribe() <-chan struct{} {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs[ch] = ch
	return ch
}

// Unsubscribe stops signals on ch. The channel is not closed: a reader
// should stop waiting on it by other means (a context, a done channel).
func (b *Buffer) Unsubscribe(ch <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, ch)
}

func (b *Buffer) notify() {
	for _, ch := range b.subs {
		select {
		case ch <- struct{}{}:
		default: // a signal is pending already
		}
	}
}

// parked holds the place of the last view that left (its cursor, selection
// and top line), shifted by later edits like any cursor, so that a view that
// comes back (a reconnection) lands exactly where the student was.
const parked CursorID = 0

// AddCursor registers a view's cursor: where the last view that left was, or
// at the start of the text.
func (b *Buffer) AddCursor() CursorID {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	c := &cursor{goal: -1}
	if p := b.cursors[parked]; p != nil {
		*c = *p
	}
	b.cursors[b.nextID] = c
	return b.nextID
}

// RemoveCursor forgets a view's cursor; its place is kept for the next view.
func (b *Buffer) RemoveCursor(id CursorID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.cursors[id]
	if c == nil || id == parked {
		return
	}
	delete(b.cursors, id)
	// The view that moved last keeps the place, not one that only looked.
	if p := b.cursors[parked]; p == nil || c.used >= p.used {
		b.cursors[parked] = c
	}
}

// use returns a view's cursor, noting that the view acts with it now.
func (b *Buffer) use(id CursorID) *cursor {
	c := b.cursors[id]
	if c != nil {
		b.uses++
		c.used = b.uses
	}
	return c
}

// Cursor returns a view's cursor and selection.
func (b *Buffer) Cursor(id CursorID) Selection {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.cursors[id]; c != nil {
		return c.sel
	}
	return Selection{}
}

// SetCursor moves a view's cursor to p (clamped to the text). With extend
// the selection's anchor stays where it is; without, the selection goes.
func (b *Buffer) SetCursor(id CursorID, p Pos, extend bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.use(id); c != nil {
		b.moveTo(c, b.clamp(p), extend)
	}
}

// SetSelection selects from anchor to head (both clamped to the text).
func (b *Buffer) SetSelection(id CursorID, sel Selection) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.use(id); c != nil {
		c.sel = Selection{Anchor: b.clamp(sel.Anchor), Head: b.clamp(sel.Head)}
		c.goal = -1
	}
}

// SetTop records the first line a view shows. The buffer shifts it with the
// text like a cursor, so lines inserted above by another view do not scroll
// what this view shows, and a reconnecting view finds where it was.
func (b *Buffer) SetTop(id CursorID, line int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.cursors[id]; c != nil {
		c.top = max(min(line, b.lines.Len()-1), 0)
	}
}

// SelectAll selects the whole text, with the cursor at its end.
func (b *Buffer) SelectAll(id CursorID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.use(id); c != nil {
		c.sel = Selection{Head: b.end()}
		c.goal = -1
	}
}

// Selected returns the selected text ("" when nothing is selected).
func (b *Buffer) Selected(id CursorID) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.cursors[id]
	if c == nil || c.sel.Empty() {
		return ""
	}
	start, end := c.sel.Ordered()
	return b.textRange(start, end)
}

// Move moves a view's cursor. With extend the selection grows or shrinks;
// without, it goes (Left and Right then stop at its edge).
func (b *Buffer) Move(id CursorID, m Motion, extend bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil {
		return
	}
	h := c.sel.Head
	line := b.lines.At(h.Line)
	var p Pos
	switch m {
	case Left:
		if !extend && !c.sel.Empty() {
			p, _ = c.sel.Ordered()
			break
		}
		switch {
		case h.Col > 0:
			p = Pos{h.Line, prevBoundary(line, h.Col)}
		case h.Line > 0:
			p = Pos{h.Line - 1, len(b.lines.At(h.Line - 1))}
		default:
			p = h
		}
	case Right:
		if !extend && !c.sel.Empty() {
			_, p = c.sel.Ordered()
			break
		}
		switch {
		case h.Col < len(line):
			p = Pos{h.Line, nextBoundary(line, h.Col)}
		case h.Line < b.lines.Len()-1:
			p = Pos{h.Line + 1, 0}
		default:
			p = h
		}
	case WordLeft:
		switch {
		case h.Col > 0:
			p = Pos{h.Line, wordLeft(line, h.Col)}
		case h.Line > 0:
			p = Pos{h.Line - 1, len(b.lines.At(h.Line - 1))}
		default:
			p = h
		}
	case WordRight:
		switch {
		case h.Col < len(line):
			p = Pos{h.Line, wordRight(line, h.Col)}
		case h.Line < b.lines.Len()-1:
			p = Pos{h.Line + 1, 0}
		default:
			p = h
		}
	case LineStart:
		p = Pos{h.Line, len(indentOf(line))}
		if h.Col == p.Col {
			p.Col = 0
		}
	case LineEnd:
		p = Pos{h.Line, len(line)}
	case DocStart:
		p = Pos{}
	case DocEnd:
		p = b.end()
	default:
		return
	}
	b.moveTo(c, p, extend)
}

// MoveLines moves a view's cursor delta lines down (up when negative),
// keeping its display column across short lines. A move past the first or
// last line goes to the start or end of the text.
func (b *Buffer) MoveLines(id CursorID, delta int, extend bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil || delta == 0 {
		return
	}
	h := c.sel.Head
	goal := c.goal
	if goal < 0 {
		goal = DisplayCol(b.lines.At(h.Line), h.Col)
	}
	target := h.Line + delta
	var p Pos
	switch {
	case target < 0:
		p = Pos{}
	case target >= b.lines.Len():
		p = b.end()
	default:
		p = Pos{target, ColumnAt(b.lines.At(target), goal)}
	}
	b.moveTo(c, p, extend)
	c.goal = goal
	if target < 0 || target >= b.lines.Len() {
		c.goal = -1
	}
}

// GoToLine puts a view's cursor at the start of line n, counted from 1
// (clamped to the text).
func (b *Buffer) GoToLine(id CursorID, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.use(id); c != nil {
		b.moveTo(c, b.clamp(Pos{Line: n - 1}), false)
	}
}

// Find selects the next occurrence of query after the view's selection (or,
// backward, the previous one before it), wrapping around the text, and
// reports whether there is one. Queries of more than one line find nothing.
func (b *Buffer) Find(id CursorID, query string, opts FindOptions) bool {
	if query == "" || strings.ContainsAny(query, "\r\n") {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.use(id)
	if c == nil {
		return false
	}
	start, end := c.sel.Ordered()
	n := b.lines.Len()
	if !opts.Backward {
		// From the selection's end to the end of the text, then from the
		// start of the text up to it.
		for i := 0; i <= n; i++ {
			li := (end.Line + i) % n
			line := b.lines.At(li)
			from := 0
			if i == 0 {
				from = end.Col
			}
			if at, size := index(line, query, from, opts.IgnoreCase); at >= 0 {
				c.sel = Selection{Anchor: Pos{li, at}, Head: Pos{li, at + size}}
				c.goal = -1
				return true
			}
		}
		return false
	}
	for i := 0; i <= n; i++ {
		li := ((start.Line-i)%n + n) % n
		line := b.lines.At(li)
		limit := len(line)
		if i == 0 {
			limit = start.Col
		}
		if at, size := lastIndex(line, query, limit, opts.IgnoreCase); at >= 0 {
			c.sel = Selection{Anchor: Pos{li, at + size}, Head: Pos{li, at}}
			c.goal = -1
			return true
		}
	}
	return false
}

// index returns the first match of q in s at or after from, and its size in s.
func index(s, q string, from int, fold bool) (at, size int) {
	if !fold {
		if i := strings.Index(s[from:], q); i >= 0 {
			return from + i, len(q)
		}
		return -1, 0
	}
	for i := from; i < len(s); {
		if n := prefixFold(s[i:], q); n > 0 {
			return i, n
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return -1, 0
}

// lastIndex returns the last match of q in s that ends at or before limit.
func lastIndex(s, q string, limit int, fold bool) (at, size int) {
	if !fold {
		if i := strings.LastIndex(s[:limit], q); i >= 0 {
			return i, len(q)
		}
		return -1, 0
	}
	at = -1
	for i := 0; i < limit; {
		if n := prefixFold(s[i:limit], q); n > 0 {
			at, size = i, n
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return at, size
}

// prefixFold returns the length of the prefix of s equal to q under simple
// case folding, or 0.
func prefixFold(s, q string) int {
	i := 0
	for _, qr := range q {
		if i >= len(s) {
			return 0
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if !equalFold(r, qr) {
			return 0
		}
		i += w
	}
	return i
}

func equalFold(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

func (b *Buffer) end() Pos {
	last := b.lines.Len() - 1
	return Pos{last, len(b.lines.At(last))}
}

// clamp puts p inside the text and on a character boundary.
func (b *Buffer) clamp(p Pos) Pos {
	p.Line = max(min(p.Line, b.lines.Len()-1), 0)
	line := b.lines.At(p.Line)
	p.Col = max(min(p.Col, len(line)), 0)
	for p.Col > 0 && p.Col < len(line) && !utf8.RuneStart(line[p.Col]) {
		p.Col--
	}
	return p
}

func (b *Buffer) moveTo(c *cursor, p Pos, extend bool) {
	c.sel.Head = p
	if !extend {
		c.sel.Anchor = p
	}
	c.goal = -1
}

// textRange returns the text between a and c (a before c).
func (b *Buffer) textRange(a, c Pos) string {
	if a.Line == c.Line {
		return b.lines.At(a.Line)[a.Col:c.Col]
	}
	var sb strings.Builder
	sb.WriteString(b.lines.At(a.Line)[a.Col:])
	for i := a.Line + 1; i < c.Line; i++ {
		sb.WriteByte('\n')
		sb.WriteString(b.lines.At(i))
	}
	sb.WriteByte('\n')
	sb.WriteString(b.lines.At(c.Line)[:c.Col])
	return sb.String()
}
