package sandbox

import (
	"sync"
	"time"
)

// Output throttling. A sandbox's output is read through a token bucket: a
// reader that has used up its tokens sleeps instead of reading. Nothing is
// buffered on our side, so the daemon's memory does not depend on how much a
// program prints; the kernel's pty (or pipe) buffer, a few KiB, fills up
// and the program blocks in write(2) until the bucket refills. That is the
// whole mechanism: backpressure, not dropping. Signals are unaffected, so
// Interrupt (TIOCSIG) still reaches a program that is blocked writing, and
// so does a typed ctrl+c, which travels the other direction of the pty.

// readChunk is the most a throttled reader waits for before it reads: small
// enough that output keeps flowing smoothly, large enough that a reader at
// 1 MiB/s wakes only a few hundred times a second.
const readChunk = 4096

type tokenBucket struct {
	rate  float64 // bytes per second
	burst float64 // bucket size; it starts full

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// newTokenBucket returns nil (no throttling) when rate is not positive.
// A burst of 0 means one second's worth of output.
func newTokenBucket(rate, burst int64) *tokenBucket {
	if rate <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = rate
	}
	return &tokenBucket{rate: float64(rate), burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

func (b *tokenBucket) refill(now time.Time) {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
}

// reserve waits until at least min(want, readChunk, burst) bytes may be read
// and takes up to want of them from the bucket, returning how many. It
// returns 0 if stop is closed first. The caller gives back what it did not
// use with refund.
func (b *tokenBucket) reserve(want int, stop <-chan struct{}) int {
	if want <= 0 {
		return 0
	}
	need := float64(min(want, readChunk))
	need = min(need, b.burst)
	for {
		b.mu.Lock()
		b.refill(time.Now())
		if b.tokens >= need {
			n := min(want, int(b.tokens))
			b.tokens -= float64(n)
			b.mu.Unlock()
			return n
		}
		wait := time.Duration((need - b.tokens) / b.rate * float64(time.Second))
		b.mu.Unlock()
		t := time.NewTimer(max(wait, time.Millisecond))
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			return 0
		}
	}
}

func (b *tokenBucket) refund(n int) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.tokens = min(b.burst, b.tokens+float64(n))
	b.mu.Unlock()
}
