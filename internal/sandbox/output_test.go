package sandbox

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTokenBucket(t *testing.T) {
	if newTokenBucket(0, 10) != nil {
		t.Fatal("rate 0 must mean no throttle")
	}
	b := newTokenBucket(1, 100) // 1 byte/s: no refill to speak of during the test
	if n := b.reserve(1000, nil); n != 100 {
		t.Fatalf("first reserve = %d, want the burst (100)", n)
	}
	b.refund(40)
	if n := b.reserve(40, nil); n != 40 {
		t.Fatalf("after a refund of 40: %d", n)
	}
	stop := make(chan struct{})
	close(stop)
	if n := b.reserve(1000, stop); n != 0 {
		t.Fatalf("reserve on an empty bucket with stop closed = %d", n)
	}
}

// flood reads everything p prints, counting bytes, and samples the Go heap
// while it does (the reader itself keeps nothing).
type flood struct {
	n        atomic.Int64
	tail     tail
	maxHeap  atomic.Uint64
	done     chan struct{}
	stopHeap chan struct{}
}

// tail keeps the last few KiB of the output, for prompts and messages.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) add(b []byte) {
	t.mu.Lock()
	t.b = append(t.b, b...)
	if len(t.b) > 16<<10 {
		t.b = append(t.b[:0], t.b[len(t.b)-8<<10:]...)
	}
	t.mu.Unlock()
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func readFlood(r io.Reader) *flood {
	f := &flood{done: make(chan struct{}), stopHeap: make(chan struct{})}
	go func() {
		defer close(f.done)
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Read(buf)
			f.n.Add(int64(n))
			f.tail.add(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if h := heapAlloc(); h > f.maxHeap.Load() {
				f.maxHeap.Store(h)
			}
			select {
			case <-tick.C:
			case <-f.stopHeap:
				return
			}
		}
	}()
	return f
}

// TestOutputFloodThrottled: a REPL printing without end (it would print
// 100 MB) is throttled to the configured rate, the daemon's heap stays flat,
// and both Interrupt and a typed ctrl+c bring the prompt back while the
// program is blocked on a full pty.
func TestOutputFloodThrottled(t *testing.T) {
	needSandbox(t)
	s := testSpec(t, "alice", aliceUID, DefaultPython, "-i")
	const rate, burst = 1 << 20, 256 << 10
	s.Limits.OutputBytesPerSec, s.Limits.OutputBurstBytes = rate, burst
	runtime.GC()
	heapBefore := heapAlloc()
	start := time.Now()
	p, err := Start(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := readFlood(p)
	defer close(f.stopHeap)
	waitFor(t, "the prompt", 10*time.Second, func() bool { return strings.Contains(f.tail.String(), ">>> ") })

	prog := "import sys\nfor i in range(100_000):\n    sys.stdout.write('x' * 1023 + '\\n')\n"
	for i, interrupt := range []func() error{
		p.Interrupt,
		func() error { _, err := p.Write([]byte{3}); return err }, // ctrl+c typed
	} {
		from := f.n.Load()
		if _, err := p.Write([]byte("exec(" + strconv.Quote(prog) + ")\n")); err != nil {
			t.Fatal(err)
		}
		// Two bursts' worth: the bucket is empty now, the program blocked.
		waitFor(t, "the flood", 20*time.Second, func() bool { return f.n.Load()-from > 2*burst })
		elapsed := time.Since(start).Seconds()
		if got, limit := float64(f.n.Load()), rate*elapsed+burst+readChunk; got > limit {
			t.Fatalf("read %.0f bytes in %.2fs: more than rate*elapsed+burst = %.0f", got, elapsed, limit)
		}
		if err := interrupt(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "KeyboardInterrupt and the prompt", 20*time.Second, func() bool {
			tl := f.tail.String()
			i := strings.LastIndex(tl, "KeyboardInterrupt")
			return i >= 0 && strings.Contains(tl[i:], ">>> ")
		})
		if _, err := p.Write([]byte(fmt.Sprintf("print(6*7+%d)\n", i))); err != nil {
			t.Fatal(err)
		}
		want := strconv.Itoa(42 + i)
		waitFor(t, want, 10*time.Second, func() bool { return strings.Contains(f.tail.String(), want+"\r\n>>> ") })
	}
	elapsed := time.Since(start).Seconds()
	got := float64(f.n.Load())
	t.Logf("read %.0f bytes in %.2fs (%.0f KiB/s, limit %d KiB/s + %d KiB burst)", got, elapsed, got/elapsed/1024, rate>>10, burst>>10)
	if limit := rate*elapsed + burst + readChunk; got > limit {
		t.Fatalf("read %.0f bytes in %.2fs: more than rate*elapsed+burst = %.0f", got, elapsed, limit)
	}
	if grew := int64(f.maxHeap.Load()) - int64(heapBefore); grew > 16<<20 {
		t.Fatalf("the Go heap grew by %d MiB during the flood", grew>>20)
	}
}

// TestOutput100MB: 100 MB printed to the terminal all arrive (at a high rate
// limit, to keep the test short), and the daemon's heap does not grow with
// them.
func TestOutput100MB(t *testing.T) {
	needSandbox(t)
	const total = 100_000_000
	s := testSpec(t, "alice", aliceUID, DefaultPython, "-c",
		"import os\nb = b'y' * 999 + b'\\n'\nfor i in range(100_000):\n    os.write(1, b)\n")
	const rate, burst = 256 << 20, 1 << 20
	s.Limits.OutputBytesPerSec, s.Limits.OutputBurstBytes = rate, burst
	runtime.GC()
	heapBefore := heapAlloc()
	start := time.Now()
	p, err := Start(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := readFlood(p)
	defer close(f.stopHeap)
	select {
	case <-f.done:
	case <-time.After(40 * time.Second):
		t.Fatalf("100 MB not read within 40s (got %d bytes)", f.n.Load())
	}
	elapsed := time.Since(start).Seconds()
	if code, err := p.Wait(); code != 0 || err != nil {
		t.Fatalf("Wait = %d, %v; tail %q", code, err, f.tail.String())
	}
	got := f.n.Load()
	// The pty turns each \n into \r\n.
	if got != total+total/1000 {
		t.Fatalf("read %d bytes, want %d", got, total+total/1000)
	}
	if limit := rate*elapsed + burst + readChunk; float64(got) > limit {
		t.Fatalf("read %d bytes in %.2fs: more than rate*elapsed+burst = %.0f", got, elapsed, limit)
	}
	grew := int64(f.maxHeap.Load()) - int64(heapBefore)
	t.Logf("100 MB through the pty in %.2fs (%.0f MiB/s); Go heap grew by at most %d KiB", elapsed, float64(got)/elapsed/(1<<20), grew>>10)
	if grew > 16<<20 {
		t.Fatalf("the Go heap grew by %d MiB while 100 MB went through", grew>>20)
	}
}
