package sshd

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"

	"github.com/classroomd/classroomd/internal/config"
)

// Connection limits.
//
// What we need: a flood of connections that never log in (idle TCP
// connections, clients that stall mid-handshake, from a few addresses)
// must not keep a real student from logging in, nor grow the server's
// memory without bound; and a class behind one NAT address must still be
// able to log in all at once.
//
// What we do, as OpenSSH's MaxStartups and LoginGraceTime do: connections
// are counted in all and per address (logged in or not), and those not yet
// logged in are also counted apart, under much lower limits. When those
// are full, a new connection is not refused: the oldest unauthenticated
// connection of the address with the most of them is dropped to make room,
// so a flood pushes out its own connections, not the one of a student
// arriving from another address. A connection that sends nothing at all
// within firstBytesWithin is closed; the rest of the handshake has the
// handshake timeout. A connection counts as logged in once its password
// was accepted or it opens a channel (which only a logged-in client can).
type connLimiter struct {
	max, perIP            int
	maxPreAuth, preAuthIP int
	firstBytes            time.Duration

	mu      sync.Mutex
	total   int
	byIP    map[string]int
	preAuth map[string][]*countedConn // per address, oldest first
	nPre    int
	dropped atomic.Int64 // unauthenticated connections dropped for room
}

// firstBytesWithin is how long a new connection may stay silent: an SSH
// client sends its version line at once.
const firstBytesWithin = 10 * time.Second

// newConnLimiter returns the limits; maxPreAuth and preAuthIP 0 take
// config's defaults.
func newConnLimiter(total, perIP, maxPreAuth, preAuthIP int) *connLimiter {
	if maxPreAuth <= 0 {
		maxPreAuth = config.DefaultMaxUnauthenticated
	}
	if preAuthIP <= 0 {
		preAuthIP = config.DefaultMaxUnauthenticatedPerIP
	}
	return &connLimiter{max: total, perIP: perIP, maxPreAuth: maxPreAuth, preAuthIP: preAuthIP,
		firstBytes: firstBytesWithin, byIP: map[string]int{}, preAuth: map[string][]*countedConn{}}
}

type preAuthKey struct{}

// admit is the server's ConnCallback: it returns nil (the connection is closed)
// when a limit is reached, else a conn that releases its slot when closed.
func (l *connLimiter) admit(ctx ssh.Context, c net.Conn) net.Conn {
	ip := remoteHost(c.RemoteAddr())
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.preAuth[ip]) >= l.preAuthIP {
		l.dropOldestLocked(ip)
	} else if l.nPre >= l.maxPreAuth {
		l.dropOldestLocked(l.busiestLocked())
	}
	if l.total >= l.max || l.byIP[ip] >= l.perIP {
		return nil
	}
	l.total++
	l.byIP[ip]++
	cc := &countedConn{Conn: c, ip: ip, l: l, pre: true}
	l.preAuth[ip] = append(l.preAuth[ip], cc)
	l.nPre++
	cc.silent = time.AfterFunc(l.firstBytes, func() {
		if !cc.spoke.Load() {
			cc.Conn.Close() // its handshake fails, and the conn is released
		}
	})
	if ctx != nil {
		ctx.SetValue(preAuthKey{}, cc)
	}
	return cc
}

// authenticated moves ctx's connection out of the unauthenticated ones.
func (l *connLimiter) authenticated(ctx ssh.Context) {
	cc, _ := ctx.Value(preAuthKey{}).(*countedConn)
	if cc == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unPreLocked(cc)
}

// maxChannelsPerConn bounds the channels open at once on one connection
// (each costs goroutines and buffers, before any session limit sees it:
// those count only sessions that start a program). OpenSSH's client opens
// one per session, terminal or sftp, and ControlMaster's default is 10.
const maxChannelsPerConn = 10

// openChannel counts a channel opened on ctx's connection; ok is false
// when it has too many, and release gives the slot back.
func (l *connLimiter) openChannel(ctx ssh.Context) (release func(), ok bool) {
	cc, _ := ctx.Value(preAuthKey{}).(*countedConn)
	if cc == nil {
		return func() {}, true
	}
	if cc.channels.Add(1) > maxChannelsPerConn {
		cc.channels.Add(-1)
		return nil, false
	}
	return func() { cc.channels.Add(-1) }, true
}

// busiestLocked is the address with the most unauthenticated connections.
func (l *connLimiter) busiestLocked() string {
	best, n := "", 0
	for ip, cs := range l.preAuth {
		if len(cs) > n {
			best, n = ip, len(cs)
		}
	}
	return best
}

// dropOldestLocked closes ip's oldest unauthenticated connection.
func (l *connLimiter) dropOldestLocked(ip string) {
	cs := l.preAuth[ip]
	if len(cs) == 0 {
		return
	}
	victim := cs[0]
	l.releaseLocked(victim) // its slots are free at once, not when its handshake notices
	l.dropped.Add(1)
	go victim.Conn.Close() // outside the lock
}

func (l *connLimiter) unPreLocked(cc *countedConn) {
	if !cc.pre {
		return
	}
	cc.pre = false
	cs := l.preAuth[cc.ip]
	for i, x := range cs {
		if x == cc {
			cs = append(cs[:i], cs[i+1:]...)
			break
		}
	}
	if len(cs) == 0 {
		delete(l.preAuth, cc.ip)
	} else {
		l.preAuth[cc.ip] = cs
	}
	l.nPre--
}

func (l *connLimiter) release(cc *countedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.releaseLocked(cc)
}

func (l *connLimiter) releaseLocked(cc *countedConn) {
	if cc.released {
		return
	}
	cc.released = true
	l.unPreLocked(cc)
	l.total--
	if l.byIP[cc.ip]--; l.byIP[cc.ip] <= 0 {
		delete(l.byIP, cc.ip)
	}
}

// open reports the connections currently counted.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// unauthenticated reports the connections not logged in yet.
func (l *connLimiter) unauthenticated() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nPre
}

type countedConn struct {
	net.Conn
	ip       string
	l        *connLimiter
	pre      bool // counted as not logged in yet; guarded by l.mu
	released bool // its slots are given back; guarded by l.mu
	once     sync.Once
	spoke    atomic.Bool
	channels atomic.Int32 // open now (openChannel)
	silent   *time.Timer
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.spoke.Load() {
		c.spoke.Store(true)
		c.silent.Stop()
	}
	return n, err
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.silent.Stop()
		c.l.release(c)
	})
	return c.Conn.Close()
}

func remoteHost(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
