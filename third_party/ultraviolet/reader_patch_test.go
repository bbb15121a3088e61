package uv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// classroomd patch: these tests check that StreamEvents, whose reading
// goroutine now parses and sends the events itself, still delivers every
// key once and in order, waits for the rest of a sequence split across
// reads, flushes an incomplete one after EscTimeout, and ends on ctx and on
// errors.

const waitFor = 10 * time.Second // a deadline for conditions, never a delay

// streamFrom starts StreamEvents on r with the given escape timeout. The
// returned func cancels it and waits for it to end.
func streamFrom(t *testing.T, r io.Reader, esc time.Duration) (<-chan Event, <-chan error, context.CancelFunc) {
	t.Helper()
	d := NewTerminalReader(r, "xterm-256color")
	d.EscTimeout = esc
	ctx, cancel := context.WithCancel(context.Background())
	eventc := make(chan Event)
	done := make(chan error, 1)
	go func() { done <- d.StreamEvents(ctx, eventc) }()
	return eventc, done, cancel
}

// describe names an event for comparisons and failure messages.
func describe(ev Event) string {
	switch ev := ev.(type) {
	case KeyPressEvent:
		return "key:" + ev.String()
	case PasteStartEvent:
		return "paste-start"
	case PasteEndEvent:
		return "paste-end"
	case PasteEvent:
		return fmt.Sprintf("paste:%q", ev.Content)
	default:
		return fmt.Sprintf("%T:%v", ev, ev)
	}
}

// next receives one event or fails at the deadline.
func next(t *testing.T, eventc <-chan Event) Event {
	t.Helper()
	select {
	case ev := <-eventc:
		return ev
	case <-time.After(waitFor):
		t.Fatalf("no event within %v", waitFor)
		return nil
	}
}

// expect receives len(want) events and compares them in order.
func expect(t *testing.T, eventc <-chan Event, want ...string) {
	t.Helper()
	for i, w := range want {
		if got := describe(next(t, eventc)); got != w {
			t.Fatalf("event %d: got %s, want %s (all wanted: %q)", i, got, w, want)
		}
	}
}

// writeAll writes each chunk with its own Write: an io.Pipe hands each
// Write to its own Read(s), so every chunk is at least one read.
func writeAll(t *testing.T, w io.Writer, chunks ...string) {
	t.Helper()
	for _, c := range chunks {
		if _, err := io.WriteString(w, c); err != nil {
			t.Errorf("write %q: %v", c, err)
			return
		}
	}
}

func endStream(t *testing.T, done <-chan error, cancel context.CancelFunc, pw *io.PipeWriter) {
	t.Helper()
	cancel()
	_ = pw.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("StreamEvents: %v", err)
		}
	case <-time.After(waitFor):
		t.Errorf("StreamEvents did not end within %v of its ctx cancelled and its input closed", waitFor)
	}
}

func TestReaderPatchKeysArriveInOrder(t *testing.T) {
	pr, pw := io.Pipe()
	eventc, done, cancel := streamFrom(t, pr, time.Hour) // no timeout flush during the test
	defer endStream(t, done, cancel, pw)

	type typed struct{ bytes, name string }
	keys := []typed{
		{"a", "key:a"}, {"\x1b[A", "key:up"}, {"\r", "key:enter"}, {"\x1b[1;5C", "key:ctrl+right"},
		{"é", "key:é"}, {"\x7f", "key:backspace"}, {"\x1bOP", "key:f1"}, {"\x03", "key:ctrl+c"},
		{"\t", "key:tab"}, {"Z", "key:Z"}, {"\x1b[3~", "key:delete"}, {"7", "key:7"},
	}
	var chunks, want []string
	rnd := rand.New(rand.NewPCG(13, 3))
	for range 300 {
		// one to four keys a read, as a fast typist or a pasting client sends them
		var chunk strings.Builder
		for range 1 + rnd.IntN(4) {
			k := keys[rnd.IntN(len(keys))]
			chunk.WriteString(k.bytes)
			want = append(want, k.name)
		}
		chunks = append(chunks, chunk.String())
	}
	go writeAll(t, pw, chunks...)
	expect(t, eventc, want...)
}

func TestReaderPatchSequenceSplitAcrossReads(t *testing.T) {
	pr, pw := io.Pipe()
	eventc, done, cancel := streamFrom(t, pr, time.Hour)
	defer endStream(t, done, cancel, pw)

	go writeAll(t, pw,
		"\x1b", "[A", // ESC, then the rest of Up
		"x\x1b[1;", "5C", // a key, then ctrl+right in two halves
		"\x1b[3", "~y", // delete, then a key in the same read as its end
		"\x1bO", "P", // SS3 F1
		"\xc3", "\xa9", // é, its UTF-8 split
	)
	expect(t, eventc, "key:up", "key:x", "key:ctrl+right", "key:delete", "key:y", "key:f1", "key:é")
}

func TestReaderPatchLoneEscAfterTimeout(t *testing.T) {
	const esc = 30 * time.Millisecond
	pr, pw := io.Pipe()
	eventc, done, cancel := streamFrom(t, pr, esc)
	defer endStream(t, done, cancel, pw)

	for i := range 3 {
		start := time.Now()
		writeAll(t, pw, "\x1b")
		ev := next(t, eventc)
		if got := describe(ev); got != "key:esc" {
			t.Fatalf("lone ESC %d: got %s, want key:esc", i, got)
		}
		// Sooner, it could still have been the start of a sequence.
		if waited := time.Since(start); waited < esc {
			t.Fatalf("lone ESC %d arrived after %v, before the escape timeout of %v", i, waited, esc)
		}
		writeAll(t, pw, "q") // a key after it is a key of its own
		expect(t, eventc, "key:q")
	}
}

func TestReaderPatchPasteSplitAcrossReads(t *testing.T) {
	pr, pw := io.Pipe()
	eventc, done, cancel := streamFrom(t, pr, time.Hour)
	defer endStream(t, done, cancel, pw)

	go writeAll(t, pw,
		"a\x1b[20", "0~def f", "(x):\r\n  ", "return \x1b", "[A\x1b[2", "01~", "b",
	)
	expect(t, eventc, "key:a", "paste-start", `paste:"def f(x):\r\n  return \x1b[A"`, "paste-end", "key:b")
}

// The reading goroutine and the timeout's flush both send; whichever wins,
// every byte is one event, once, in order. EscTimeout is tiny so that both
// outcomes happen; run it with -race.
func TestReaderPatchReaderAndTimeoutShareTheBuffer(t *testing.T) {
	pr, pw := io.Pipe()
	eventc, done, cancel := streamFrom(t, pr, 50*time.Microsecond)
	defer endStream(t, done, cancel, pw)

	const rounds = 300
	go func() {
		rnd := rand.New(rand.NewPCG(1, 2))
		for range rounds {
			writeAll(t, pw, "\x1b")
			for range rnd.IntN(200) { // jitter, so the timer fires sometimes before and sometimes after
				runtime.Gosched()
			}
			writeAll(t, pw, "[A", "x")
		}
	}()
	var flushed, joined int
	for i := range rounds {
		switch got := describe(next(t, eventc)); got {
		case "key:up": // the rest arrived before the timeout
			joined++
		case "key:esc": // the timeout flushed the ESC first
			flushed++
			expect(t, eventc, "key:[", "key:A")
		default:
			t.Fatalf("round %d: got %s, want key:up or key:esc", i, got)
		}
		expect(t, eventc, "key:x")
	}
	t.Logf("%d rounds joined, %d flushed by the timeout", joined, flushed)
}

// countingReader returns its chunks one a Read, then blocks until closed.
type countingReader struct {
	chunks []string
	reads  atomic.Int32
	closed chan struct{}
}

func (r *countingReader) Read(p []byte) (int, error) {
	i := int(r.reads.Add(1)) - 1
	if i < len(r.chunks) {
		return copy(p, r.chunks[i]), nil
	}
	<-r.closed
	return 0, io.EOF
}

// The point of the patch: the goroutine that read a key sends its event,
// so while nobody takes the event that goroutine waits in the send, not in
// a second Read (upstream handed the bytes over and read again).
func TestReaderPatchReadingGoroutineSendsTheEvent(t *testing.T) {
	r := &countingReader{chunks: []string{"a", "b"}, closed: make(chan struct{})}
	eventc, done, cancel := streamFrom(t, r, time.Hour)
	defer func() {
		cancel()
		close(r.closed)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("StreamEvents: %v", err)
			}
		case <-time.After(waitFor):
			t.Errorf("StreamEvents did not end within %v of its ctx cancelled and its input closed", waitFor)
		}
	}()

	deadline := time.Now().Add(waitFor)
	for !readerWaitsInSend() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("after %d reads, no goroutine waits to send an event from inside sendBytes:\n%s",
				r.reads.Load(), buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
	if n := r.reads.Load(); n != 1 {
		t.Fatalf("%d reads before the first event was taken, want 1", n)
	}
	expect(t, eventc, "key:a", "key:b")
}

// readerWaitsInSend reports whether a goroutine is parked in a select
// (the send to eventc) called from sendBytes but not from a Read.
func readerWaitsInSend() bool {
	buf := make([]byte, 1<<16)
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "[select") && strings.Contains(g, "(*TerminalReader).sendBytes") &&
			!strings.Contains(g, ".Read(") {
			return true
		}
	}
	return false
}

// Cancelling ctx ends StreamEvents even while the reading goroutine waits
// to send an event that nobody will take (the program stopped reading).
func TestReaderPatchCancelEndsStreamEvents(t *testing.T) {
	r := &countingReader{chunks: []string{"abc"}, closed: make(chan struct{})}
	defer close(r.closed)
	_, done, cancel := streamFrom(t, r, time.Hour)
	deadline := time.Now().Add(waitFor)
	for !readerWaitsInSend() {
		if time.Now().After(deadline) {
			t.Fatal("the reading goroutine never waited to send its event")
		}
		runtime.Gosched()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("StreamEvents after cancel: %v, want nil", err)
		}
	case <-time.After(waitFor):
		t.Fatalf("StreamEvents did not end within %v of its ctx cancelled", waitFor)
	}
}

type failingReader struct {
	data string
	err  error
	done bool
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, r.err
	}
	r.done = true
	return copy(p, r.data), nil
}

// A read error ends StreamEvents with that error, after the events read
// before it and the incomplete sequence flushed; EOF ends it with nil.
func TestReaderPatchErrorsEndStreamEvents(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		err, want error
	}{{boom, boom}, {io.EOF, nil}} {
		eventc, done, cancel := streamFrom(t, &failingReader{data: "ab\x1b", err: tc.err}, time.Hour)
		expect(t, eventc, "key:a", "key:b", "key:esc")
		select {
		case err := <-done:
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("read error %v: StreamEvents returned %v, want %v", tc.err, err, tc.want)
			}
		case <-time.After(waitFor):
			t.Errorf("read error %v: StreamEvents did not end within %v", tc.err, waitFor)
		}
		cancel()
	}
}
