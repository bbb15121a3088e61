package sshd

import (
	"context"
	"errors"
	"testing"
)

// The banner asks the store at most once a second however many clients
// connect, says nothing while it answers, and asks again at once after a
// login failed on it.
func TestStoreBannerAsksOnceASecond(t *testing.T) {
	var pings int
	var down error
	c := &storeCheck{ping: func(context.Context) error { pings++; return down }}
	for range 100 {
		if b := c.banner(nil); b != "" {
			t.Fatalf("banner %q while the store answers", b)
		}
	}
	if pings != 1 {
		t.Errorf("100 connections pinged the store %d times", pings)
	}
	down = errors.New("connection refused")
	c.stale()
	if b := c.banner(nil); b != storeDownBanner {
		t.Errorf("banner %q with the store gone", b)
	}
	if pings != 2 {
		t.Errorf("pinged %d times, want 2", pings)
	}
	if b := (*storeCheck)(nil).banner(nil); b != "" {
		t.Errorf("no store check: banner %q", b)
	}
}
