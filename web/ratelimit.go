package web

import (
	"net/netip"
	"sync"
	"time"
)

// Rate is a token bucket: Burst requests at once, then one per Every.
type Rate struct {
	Burst int
	Every time.Duration
}

func (r Rate) orDefault(d Rate) Rate {
	if r.Burst <= 0 || r.Every <= 0 {
		return d
	}
	return r
}

// The defaults let a whole class behind one NAT address sign in (or reconnect
// after a restart) at once, and then hold a flood to a trickle. Guessing is
// slowed further per username by the accounts service's throttling.
var (
	defaultLoginRate   = Rate{Burst: 60, Every: time.Second}
	defaultConnectRate = Rate{Burst: 120, Every: 250 * time.Millisecond}
)

// maxTrackedClients bounds the limiter's memory: past it, idle entries are
// swept, and if every entry is busy new addresses are refused until some are.
const maxTrackedClients = 100_000

// limiter applies one Rate per client network: an IPv4 address, or an IPv6 /64
// (what one household or one attacker usually holds).
type limiter struct {
	rate Rate

	mu        sync.Mutex
	buckets   map[netip.Prefix]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(r Rate) *limiter {
	return &limiter{rate: r, buckets: map[netip.Prefix]*bucket{}}
}

func clientKey(a netip.Addr) netip.Prefix {
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// allow takes one token for a's network at now, and reports whether there was one.
func (l *limiter) allow(a netip.Addr, now time.Time) bool {
	key := clientKey(a)
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute || len(l.buckets) >= maxTrackedClients {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxTrackedClients {
			return false
		}
		b = &bucket{tokens: float64(l.rate.Burst), at: now}
		l.buckets[key] = b
	}
	b.tokens = min(float64(l.rate.Burst), b.tokens+float64(now.Sub(b.at))/float64(l.rate.Every))
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep forgets the buckets that have refilled: they hold nothing a new one would not.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	full := time.Duration(l.rate.Burst) * l.rate.Every
	for k, b := range l.buckets {
		if now.Sub(b.at) >= full {
			delete(l.buckets, k)
		}
	}
}
