package sshd

import (
	"context"
	"sync"
	"time"

	"charm.land/ssh"
)

// storeDownBanner is what an SSH client shows, before it asks for the
// password, while the server cannot reach its database or write to it
// (the store's Ping writes: SQLite's file may read but take no writes): a
// login is refused then (it could be neither checked nor recorded, nor a
// wrong password counted), and the student should know why rather than take
// it for a wrong password.
const storeDownBanner = "classroomd cannot reach its database right now, or cannot write to it, so logins fail until it is back.\r\n" +
	"Students already logged in can keep working. Try again in a minute; if it lasts, tell your teacher.\r\n"

// storeCheck asks the store whether it answers, at most once a second
// whatever the number of connections (a flood of them must not become a
// flood of queries), each ask bounded by a second.
type storeCheck struct {
	ping func(context.Context) error

	mu   sync.Mutex
	at   time.Time
	down bool
}

const storeCheckEvery, storeCheckTimeout = time.Second, time.Second

func (c *storeCheck) isDown() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) < storeCheckEvery {
		return c.down
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeCheckTimeout)
	defer cancel()
	c.down = c.ping(ctx) != nil
	c.at = time.Now()
	return c.down
}

// stale makes the next banner ask the store again (a login just failed on
// it).
func (c *storeCheck) stale() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
}

// refuses reports whether logins are refused now: the store is down.
func (c *storeCheck) refuses() bool {
	return c != nil && c.ping != nil && c.isDown()
}

// banner is the SSH banner: empty unless the store is down.
func (c *storeCheck) banner(ssh.Context) string {
	if !c.refuses() {
		return ""
	}
	return storeDownBanner
}
