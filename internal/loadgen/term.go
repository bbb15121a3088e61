package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/vt"
)

// ErrClosed means the session's output ended (the server closed it, or it
// was closed here) while a condition was awaited.
var ErrClosed = errors.New("the session ended")

// Term is one student's terminal window: everything the server writes goes
// through a terminal emulator (x/vt), as in a person's terminal, and a
// condition on what the window shows is checked each time output arrives.
// The renderer writes only the cells that change, so only the emulated
// screen, not the byte stream, says what a person sees.
//
// One goroutine (Run's caller) feeds output; one other (the script) types
// and waits. Replies the emulator makes (cursor position, colours) go back
// to the server as a terminal's do.
type Term struct {
	in   io.Writer  // to the server
	inMu sync.Mutex // typed keys and the emulator's replies, never interleaved

	mu       sync.Mutex
	emu      *vt.Emulator
	waiter   *waiter
	received time.Time // when output last arrived
	ended    bool
	endErr   error

	replyDone chan struct{}
}

// waiter is one condition awaited on the screen.
type waiter struct {
	cond func(*Screen) bool
	done chan time.Time // when the output that made cond true arrived
}

// NewTerm makes a cols x rows window whose keys and replies go to in.
// Start its reply pump with Replies and feed it with Feed; Close ends both.
func NewTerm(cols, rows int, in io.Writer) *Term {
	return &Term{in: in, emu: vt.NewEmulator(cols, rows), replyDone: make(chan struct{})}
}

// Replies copies the emulator's answers back to the server until Close.
// Without it the emulator blocks on the first query it answers
// (charmbracelet/x#939).
func (t *Term) Replies() {
	defer close(t.replyDone)
	buf := make([]byte, 256)
	for {
		n, err := t.emu.Read(buf)
		if n > 0 {
			t.inMu.Lock()
			_, werr := t.in.Write(buf[:n])
			t.inMu.Unlock()
			if werr != nil {
				// The session is gone; keep draining so the emulator never blocks.
				t.in = io.Discard
			}
		}
		if err != nil {
			return
		}
	}
}

// Feed reads the server's output into the emulator until out ends, checking
// the awaited condition after each read. It returns when out does.
func (t *Term) Feed(out io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := out.Read(buf)
		if n > 0 {
			t.write(buf[:n], time.Now())
		}
		if err != nil {
			t.end(err)
			return
		}
	}
}

func (t *Term) write(p []byte, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = t.emu.Write(p)
	t.received = at
	if t.waiter != nil && t.waiter.cond(t.screenLocked()) {
		t.waiter.done <- at
		t.waiter = nil
	}
}

func (t *Term) end(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended = true
	if errors.Is(err, io.EOF) {
		err = nil
	}
	t.endErr = err
	if t.waiter != nil {
		close(t.waiter.done)
		t.waiter = nil
	}
}

// Close stops the reply pump. Call it after Feed has returned.
func (t *Term) Close() {
	// Ends Replies' read without Emulator.Close, whose flag its Read checks
	// unsynchronised.
	t.emu.InputPipe().(*io.PipeWriter).CloseWithError(io.EOF)
	<-t.replyDone
}

// Type writes keys as a terminal sends them and returns when they were
// sent. It fails (with ErrClosed) only when the session is gone.
func (t *Term) Type(keys string) (time.Time, error) {
	t.inMu.Lock()
	defer t.inMu.Unlock()
	at := time.Now()
	if _, err := io.WriteString(t.in, keys); err != nil {
		return at, fmt.Errorf("%w: type %q: %v", ErrClosed, keys, err)
	}
	return at, nil
}

// Expect arms cond before keys are typed; Wait then waits for it. Only one
// condition is armed at a time. It reports whether cond already holds,
// which for a condition that a key must cause is a fault of the script.
func (t *Term) Expect(cond func(*Screen) bool) (*Expectation, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := &waiter{cond: cond, done: make(chan time.Time, 1)}
	if t.ended {
		close(w.done)
		return &Expectation{t: t, w: w}, false
	}
	if cond(t.screenLocked()) {
		w.done <- t.received
		return &Expectation{t: t, w: w}, true
	}
	t.waiter = w
	return &Expectation{t: t, w: w}, false
}

// Expectation is an armed condition.
type Expectation struct {
	t *Term
	w *waiter
}

// Wait returns when the output that made the condition true arrived. It
// fails after timeout, when ctx ends, or when the session does.
func (e *Expectation) Wait(ctx context.Context, timeout time.Duration) (time.Time, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case at, ok := <-e.w.done:
		if !ok {
			return time.Time{}, e.t.closedErr()
		}
		return at, nil
	case <-timer.C:
		e.disarm()
		return time.Time{}, fmt.Errorf("not shown within %s", timeout)
	case <-ctx.Done():
		e.disarm()
		return time.Time{}, ctx.Err()
	}
}

func (e *Expectation) disarm() {
	e.t.mu.Lock()
	defer e.t.mu.Unlock()
	if e.t.waiter == e.w {
		e.t.waiter = nil
	}
}

func (t *Term) closedErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.endErr != nil {
		return fmt.Errorf("%w: %v", ErrClosed, t.endErr)
	}
	return ErrClosed
}

// WaitFor waits until the screen satisfies cond (which may hold already).
func (t *Term) WaitFor(ctx context.Context, timeout time.Duration, cond func(*Screen) bool) (time.Time, error) {
	e, _ := t.Expect(cond)
	return e.Wait(ctx, timeout)
}

// Snapshot returns what the window shows now, for error messages.
func (t *Term) Snapshot() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.screenLocked().String()
}

// Shows reports whether the window shows s now.
func (t *Term) Shows(s string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.screenLocked().Contains(s)
}

func (t *Term) screenLocked() *Screen {
	return &Screen{emu: t.emu, rows: make([]*string, t.emu.Height())}
}

// Screen is a read-only view of the window at one moment. Rows are read
// from the emulator only when asked for.
type Screen struct {
	emu  cellSource
	rows []*string
}

// cellSource is the part of the emulator a Screen reads; tests give their own.
type cellSource interface {
	Width() int
	Height() int
	CellAt(x, y int) *uv.Cell
	CursorPosition() uv.Position
	CursorHidden() bool
}

// Rows is the window's height.
func (s *Screen) Rows() int { return len(s.rows) }

// Row returns row y's characters, one per cell (a wide character's second
// cell adds nothing), with trailing blanks kept.
func (s *Screen) Row(y int) string {
	if y < 0 || y >= len(s.rows) {
		return ""
	}
	if r := s.rows[y]; r != nil {
		return *r
	}
	var b strings.Builder
	w := s.emu.Width()
	for x := 0; x < w; x++ {
		c := s.emu.CellAt(x, y)
		switch {
		case c == nil:
			b.WriteByte(' ')
		case c.Content == "" && c.Width == 0:
			// The second column of a wide character, or a cell never written.
			if x == 0 || prevWidth(s.emu, x-1, y) < 2 {
				b.WriteByte(' ')
			}
		case c.Content == "":
			b.WriteByte(' ')
		default:
			b.WriteString(c.Content)
		}
	}
	r := b.String()
	s.rows[y] = &r
	return r
}

func prevWidth(e cellSource, x, y int) int {
	if c := e.CellAt(x, y); c != nil {
		return c.Width
	}
	return 1
}

// Cursor returns the terminal cursor's cell and whether it is shown.
func (s *Screen) Cursor() (x, y int, shown bool) {
	p := s.emu.CursorPosition()
	return p.X, p.Y, !s.emu.CursorHidden()
}

// Contains reports whether any row shows text (text does not span rows).
func (s *Screen) Contains(text string) bool {
	for y := range s.rows {
		if strings.Contains(s.Row(y), text) {
			return true
		}
	}
	return false
}

// String is the whole window, row by row, for messages.
func (s *Screen) String() string {
	var b strings.Builder
	x, y, shown := s.Cursor()
	fmt.Fprintf(&b, "cursor at column %d, row %d (shown: %v)\n", x, y, shown)
	for i := range s.rows {
		fmt.Fprintf(&b, "%2d|%s|\n", i, strings.TrimRight(s.Row(i), " "))
	}
	return b.String()
}
