package sshd

import (
	"net"
	"sync"

	"charm.land/ssh"
)

// connLimiter caps concurrent connections in all and per remote IP, before any
// authentication work is done for them.
type connLimiter struct {
	max, perIP int

	mu    sync.Mutex
	total int
	byIP  map[string]int
}

func newConnLimiter(max, perIP int) *connLimiter {
	return &connLimiter{max: max, perIP: perIP, byIP: map[string]int{}}
}

// admit is the server's ConnCallback: it returns nil (the connection is closed)
// when a limit is reached, else a conn that releases its slot when closed.
func (l *connLimiter) admit(_ ssh.Context, c net.Conn) net.Conn {
	ip := remoteHost(c.RemoteAddr())
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.max || l.byIP[ip] >= l.perIP {
		return nil
	}
	l.total++
	l.byIP[ip]++
	return &countedConn{Conn: c, release: func() { l.release(ip) }}
}

func (l *connLimiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
}

// open reports the connections currently counted.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.release)
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
