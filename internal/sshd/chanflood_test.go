package sshd

import (
	"errors"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// #16 case 4: a client opening channel after channel on one connection
// is refused past maxChannelsPerConn (each costs the server goroutines
// and buffers before any session limit sees it: 2,000 idle channels were
// 2,000 goroutines and 7 MB), and a closed one frees its slot.
func TestChannelsPerConnectionAreBounded(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", "rabbit hole 42")
	c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var chans []gossh.Channel
	for i := range maxChannelsPerConn {
		ch, reqs, err := c.OpenChannel("session", nil)
		if err != nil {
			t.Fatalf("channel %d of %d refused: %v", i+1, maxChannelsPerConn, err)
		}
		go gossh.DiscardRequests(reqs)
		chans = append(chans, ch)
	}
	for range 100 {
		_, _, err := c.OpenChannel("session", nil)
		var oc *gossh.OpenChannelError
		if !errors.As(err, &oc) || oc.Reason != gossh.ResourceShortage {
			t.Fatalf("a channel past the limit: %v, want refused for resource shortage", err)
		}
	}
	chans[0].Close()
	var err2 error
	deadline := time.Now().Add(5 * time.Second)
	for { // the server notices the close a moment later
		var ch gossh.Channel
		var reqs <-chan *gossh.Request
		if ch, reqs, err2 = c.OpenChannel("session", nil); err2 == nil {
			go gossh.DiscardRequests(reqs)
			ch.Close()
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err2 != nil {
		t.Errorf("after a channel closed, a new one is still refused: %v", err2)
	}
}
