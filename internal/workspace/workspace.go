// Package workspace holds one live workspace per student: their open files, their
// REPL and the views attached to them. It outlives any one connection: when the
// last view detaches it waits out a grace period, so a student whose Wi-Fi dropped
// comes back to the same REPL and the same unsaved edits. Bubble Tea models are
// only views of it.
package workspace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/workspace/buffer"
	"github.com/classroomd/classroomd/internal/workspace/figures"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// OpenFile is a file open in the editor, shared by every view of the workspace.
type OpenFile struct {
	Buf      *buffer.Buffer
	ReadOnly bool

	path      atomic.Pointer[string] // changes when the file is renamed or moved
	journaled uint64                 // buffer version last written to the journal
}

func newOpenFile(path string, buf *buffer.Buffer, readOnly bool) *OpenFile {
	f := &OpenFile{Buf: buf, ReadOnly: readOnly}
	f.path.Store(&path)
	return f
}

// Path is the file's path relative to the home (or under CoursePrefix).
func (f *OpenFile) Path() string { return *f.path.Load() }

// ViewID names one attached view (one terminal or browser tab).
type ViewID int

type view struct {
	ViewOptions
	cols, rows int
	since      time.Time
	active     time.Time
	control    bool // a watcher who took control: their keys go to the student's panes
}

// Workspace is one student's live state.
type Workspace struct {
	Username string
	home     *files.Home
	course   *files.Home // nil: the course has no folder
	repl     *repl.REPL
	figures  *figures.Store // nil without a REPL
	journal  *journal
	clip     Clipboard
	log      *slog.Logger
	now      func() time.Time
	idle     time.Duration // 0: never

	mu        sync.Mutex
	files     []*OpenFile // in tab order
	views     map[ViewID]*view
	nextView  ViewID
	latest    ViewID // the view whose size the REPL follows
	recovered []Recovered
	place     Place
	ended     *string // End's message; views attached before endedAt quit
	endedAt   time.Time
	subs      map[chan struct{}]struct{} // views told when the open files change
	closed    bool
	stop      context.CancelFunc
	done      chan struct{}
}

// Options builds a Workspace.
type Options struct {
	Username     string
	Home         *files.Home
	Course       *files.Home   // the course folder, read-only; nil if none (closed with the workspace)
	REPL         *repl.REPL    // not started: the REPL starts when first needed
	JournalDir   string        // this student's journal folder
	JournalEvery time.Duration // 0 means 3 seconds
	// IdleREPL is how long a running REPL may go with no key typed and no
	// output before it is stopped, to free its share of the machine; the
	// student finds why in the Python pane and starts it again with a key.
	// 0 means DefaultIdleREPL; negative means never.
	IdleREPL time.Duration
	// FigureSlots bound the figures decoded at once, shared by every
	// workspace (nil: one of this workspace's own).
	FigureSlots *figures.Slots
	Log         *slog.Logger

	now func() time.Time // tests: a fake clock (nil = time.Now)
}

// DefaultIdleREPL is Options.IdleREPL's default.
const DefaultIdleREPL = 30 * time.Minute

// ErrClosed means the workspace ended (its grace period ran out, or the server stops).
var ErrClosed = errors.New("the workspace has ended")

// New opens the journal, collects what it holds from before (offered to the
// student by Recovered) and starts journaling unsaved edits.
func New(o Options) (*Workspace, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.JournalEvery <= 0 {
		o.JournalEvery = 3 * time.Second
	}
	j, err := openJournal(o.JournalDir)
	if err != nil {
		return nil, err
	}
	rec, err := j.list()
	if err != nil {
		j.close()
		return nil, fmt.Errorf("read the journal: %w", err)
	}
	switch {
	case o.IdleREPL == 0:
		o.IdleREPL = DefaultIdleREPL
	case o.IdleREPL < 0:
		o.IdleREPL = 0
	}
	if o.now == nil {
		o.now = time.Now
	}
	ctx, stop := context.WithCancel(context.Background())
	w := &Workspace{
		Username: o.Username, home: o.Home, course: o.Course, repl: o.REPL, journal: j, log: o.Log, now: o.now,
		idle:  o.IdleREPL,
		views: map[ViewID]*view{}, recovered: rec, subs: map[chan struct{}]struct{}{},
		stop: stop, done: make(chan struct{}),
	}
	if o.REPL != nil && o.Home != nil {
		// plt.show() in the student's Python: see internal/workspace/figures.
		w.figures = figures.New(figures.Options{Home: o.Home, Slots: o.FigureSlots, OnChange: o.REPL.Invalidate})
		o.REPL.SetFigures(w.figures)
	}
	w.recovered = w.dropSaved(rec)
	go w.journalLoop(ctx, o.JournalEvery)
	return w, nil
}

// dropSaved removes from rec, and from the journal, every entry whose text
// is what its file holds: a kill after a save's rename but before the
// journal was cleared leaves such an entry, and asking the student to
// recover changes they already saved would only confuse them.
func (w *Workspace) dropSaved(rec []Recovered) []Recovered {
	out := rec[:0]
	for _, r := range rec {
		if h, rel, err := w.homeFor(r.Path); err == nil {
			if data, err := h.ReadFile(rel); err == nil && string(data) == r.Text {
				if err := w.journal.remove(r.Path); err != nil {
					w.log.Warn("journal: could not drop an entry that matches the saved file", "user", w.Username, "path", r.Path, "err", err)
				}
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// Home is the student's home, through which every file operation goes.
func (w *Workspace) Home() *files.Home { return w.home }

// REPL is the student's REPL (started lazily by whoever first needs it).
func (w *Workspace) REPL() *repl.REPL { return w.repl }

// Figures are the figures the student's Python showed (nil without a REPL);
// the REPL's Screen.Figures name them.
func (w *Workspace) Figures() *figures.Store { return w.figures }

// Clipboard is the student's own clipboard, shared by all their views: copy in
// one terminal, paste in another.
func (w *Workspace) Clipboard() *Clipboard { return &w.clip }

// Clipboard holds copied text (it satisfies the editor's Clipboard).
type Clipboard struct {
	mu   sync.Mutex
	text string
}

// Get returns the copied text.
func (c *Clipboard) Get() string { c.mu.Lock(); defer c.mu.Unlock(); return c.text }

// Set replaces the copied text.
func (c *Clipboard) Set(text string) { c.mu.Lock(); defer c.mu.Unlock(); c.text = text }

// Recovered lists unsaved work found in the journal when the workspace opened.
func (w *Workspace) Recovered() []Recovered {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.recovered)
}

// Files lists the open files in tab order.
func (w *Workspace) Files() []*OpenFile {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.files)
}

// Open returns the open file at path, reading it from the home the first time.
// Recovered text from the journal, if any, replaces what is on disk (as unsaved
// changes the student can save or discard).
func (w *Workspace) Open(path string) (*OpenFile, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, ErrClosed
	}
	for _, f := range w.files {
		if f.Path() == path {
			w.mu.Unlock()
			return f, nil
		}
	}
	w.mu.Unlock()

	// Read outside the lock: it is disk I/O.
	h, rel, err := w.homeFor(path)
	if err != nil {
		return nil, err
	}
	data, err := h.ReadFile(rel)
	if err != nil {
		return nil, err
	}
	buf, err := buffer.Load(data)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	buf.MarkSaved(buf.Version())
	f := newOpenFile(path, buf, h.ReadOnly())

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	for _, g := range w.files { // another view opened it meanwhile
		if g.Path() == path {
			return g, nil
		}
	}
	for i, r := range w.recovered {
		if r.Path == path {
			if r.Text != buf.Text() {
				// An ordinary edit on top of the disk text: the file shows as
				// unsaved, and undo goes back to what is on disk.
				c := buf.AddCursor()
				buf.SelectAll(c)
				buf.InsertText(c, r.Text)
				buf.SetCursor(c, buffer.Pos{}, false) // views open at the top
				buf.RemoveCursor(c)
			}
			w.recovered = slices.Delete(w.recovered, i, i+1)
			break
		}
	}
	w.files = append(w.files, f)
	w.notifyLocked()
	return f, nil
}

// Save writes an open file to the home, atomically, and drops its journal entry.
func (w *Workspace) Save(f *OpenFile) error {
	if f.ReadOnly {
		return fmt.Errorf("%s is read-only", f.Path())
	}
	text, version := f.Buf.Snapshot()
	if err := w.home.WriteFile(f.Path(), []byte(text)); err != nil {
		return err
	}
	f.Buf.MarkSaved(version)
	if !f.Buf.Modified() {
		if err := w.journal.remove(f.Path()); err != nil {
			w.log.Warn("journal entry not removed", "user", w.Username, "err", err)
		}
	}
	return nil
}

// CloseFile closes an open file, discarding unsaved changes (the caller asks first).
func (w *Workspace) CloseFile(f *OpenFile) {
	w.mu.Lock()
	w.files = slices.DeleteFunc(w.files, func(g *OpenFile) bool { return g == f })
	w.notifyLocked()
	w.mu.Unlock()
	if err := w.journal.remove(f.Path()); err != nil {
		w.log.Warn("journal entry not removed", "user", w.Username, "err", err)
	}
}

// DiscardRecovered forgets a journal entry the student chose not to recover.
func (w *Workspace) DiscardRecovered(path string) error {
	w.mu.Lock()
	w.recovered = slices.DeleteFunc(w.recovered, func(r Recovered) bool { return r.Path == path })
	w.mu.Unlock()
	return w.journal.remove(path)
}

// AttachView registers a view of cols x rows; it becomes the active one.
func (w *Workspace) AttachView(o ViewOptions, cols, rows int) ViewID {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextView++
	id := w.nextView
	w.views[id] = &view{ViewOptions: o, cols: cols, rows: rows, since: w.now()}
	if o.Watcher == "" {
		w.activateLocked(id, cols, rows)
	} else {
		w.notifyLocked() // the student sees who watches
	}
	return id
}

// DetachView removes a view; the REPL then follows the most recently active one left.
func (w *Workspace) DetachView(id ViewID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if v := w.views[id]; v != nil && v.Watcher != "" {
		w.notifyLocked()
	}
	delete(w.views, id)
	if w.latest != id {
		return
	}
	w.latest = 0
	var best ViewID
	for vid, v := range w.views {
		if v.Watcher != "" && !v.control {
			continue // a professor only looking does not size the student's Python
		}
		if best == 0 || v.active.After(w.views[best].active) {
			best = vid
		}
	}
	if best != 0 {
		v := w.views[best]
		w.activateLocked(best, v.cols, v.rows)
	}
}

// Activate records that a view was just used (a key, a resize): like tmux's
// window-size latest, the REPL's pty takes that view's size.
func (w *Workspace) Activate(id ViewID, cols, rows int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if v, ok := w.views[id]; ok && (v.Watcher == "" || v.control) {
		w.activateLocked(id, cols, rows)
	}
}

func (w *Workspace) activateLocked(id ViewID, cols, rows int) {
	v := w.views[id]
	v.active = w.now()
	changed := w.latest != id || v.cols != cols || v.rows != rows
	v.cols, v.rows, w.latest = cols, rows, id
	if changed && w.repl != nil && cols > 0 && rows > 0 {
		w.repl.Resize(cols, rows)
	}
}

// Views is the number of attached views.
func (w *Workspace) Views() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.views)
}

// journalLoop writes each modified open file's text to the journal when it
// changed since the last write, and stops the REPL once it has been idle
// too long.
func (w *Workspace) journalLoop(ctx context.Context, every time.Duration) {
	defer close(w.done)
	t := time.NewTicker(every)
	defer t.Stop()
	var idleC <-chan time.Time
	if w.idle > 0 && w.repl != nil {
		// A REPL is stopped at most a tenth (or a minute) late.
		it := time.NewTicker(max(min(w.idle/10, time.Minute), time.Millisecond))
		defer it.Stop()
		idleC = it.C
	}
	for {
		select {
		case <-ctx.Done():
			w.flushJournal()
			return
		case <-t.C:
			w.flushJournal()
		case <-idleC:
			w.stopIdleREPL()
		}
	}
}

// stopIdleREPL stops the REPL when it runs and nothing was typed into it
// or printed by it for the idle time.
func (w *Workspace) stopIdleREPL() {
	if w.repl.State().Status != repl.Running {
		return
	}
	idle := w.now().Sub(w.repl.LastActive())
	if idle < w.idle {
		return
	}
	if err := w.repl.Stop(IdleReason(w.idle)); err != nil && !errors.Is(err, repl.ErrClosed) {
		w.log.Warn("idle REPL not stopped", "user", w.Username, "err", err)
		return
	}
	w.log.Info("idle REPL stopped", "user", w.Username, "idle", idle.Round(time.Second))
}

// IdleReason is the reason an idle REPL's state gives (repl.State.Reason),
// for the Python pane to show.
func IdleReason(idle time.Duration) string {
	return "Python was stopped after " + durationWords(idle) + " without use."
}

// durationWords writes a duration as a person would: "30 minutes", "1 hour",
// "90 seconds".
func durationWords(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	case d >= time.Second:
		return unit(int64(d.Round(time.Second)/time.Second), "second")
	}
	return d.String()
}

// flushJournal journals every open file with unsaved changes not yet journaled.
func (w *Workspace) flushJournal() {
	for _, f := range w.Files() {
		text, version := f.Buf.Snapshot()
		if !f.Buf.Modified() || version == f.journaled {
			continue
		}
		if err := w.journal.write(f.Path(), text, w.now()); err != nil {
			w.log.Error("unsaved edits not journaled", "user", w.Username, "file", f.Path(), "err", err)
			continue
		}
		f.journaled = version
	}
}

// Close journals what is unsaved, ends the REPL and releases everything. It is
// safe to call more than once.
func (w *Workspace) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	w.stop()
	<-w.done // the loop flushed the journal a last time
	var errs []error
	if w.repl != nil {
		errs = append(errs, w.repl.Close())
	}
	if w.figures != nil {
		w.figures.Close() // after the REPL: no figure is shown any more
	}
	errs = append(errs, w.journal.close(), w.home.Close())
	if w.course != nil {
		errs = append(errs, w.course.Close())
	}
	return errors.Join(errs...)
}
