package classroom

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after 10s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A subscriber that never reads neither blocks the publisher nor delays the
// others, and holds one merged event: everything it missed, once.
func TestHubStuckSubscriberNeverBlocks(t *testing.T) {
	h := NewHub()
	stuck, cancelStuck := h.Subscribe()
	defer cancelStuck()
	// A live subscriber reads all along and sees the last event arrive.
	live, cancelLive := h.Subscribe()
	sawLast := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for e := range live {
			if e.Announcements {
				close(sawLast)
				for range live { // drain until cancelled
				}
			}
		}
	}()
	defer func() { cancelLive(); <-readerDone }()

	const n = 10000
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := range n {
			switch i % 4 {
			case 0:
				h.Publish(Event{Queue: true})
			case 1:
				h.Publish(Event{Dismissed: []string{fmt.Sprint("u", i/4%10)}})
			case 2:
				h.Publish(Event{Resolved: []Resolution{{ID: int64(i), Student: fmt.Sprint("s", i%7), By: "prof"}}})
			case 3:
				h.Publish(Event{Announcements: i == n-1})
			}
		}
	}()
	select {
	case <-published:
	case <-time.After(30 * time.Second):
		t.Fatal("publishing to a stuck subscriber did not finish within 30s: it blocks")
	}
	select {
	case <-sawLast:
	case <-time.After(10 * time.Second):
		t.Fatal("the live subscriber did not see the last event within 10s")
	}

	e := recv(t, stuck)
	if !e.Queue || !e.Announcements {
		t.Errorf("stuck subscriber got %+v, want Queue and Announcements merged", e)
	}
	if len(e.Dismissed) != 10 || len(e.Resolved) != 7 {
		t.Errorf("merged event lists %d dismissals and %d resolutions, want 10 and 7 (one per user)", len(e.Dismissed), len(e.Resolved))
	}
	if r, ok := e.ResolvedFor("s3"); !ok || r.ID%7 != 3 || r.ID < n-28 {
		t.Errorf("ResolvedFor(s3) = %+v, %v; want s3's latest resolution", r, ok)
	}
	select {
	case extra := <-stuck:
		t.Errorf("stuck subscriber holds a second event %+v, want one slot only", extra)
	default:
	}
}

// Merging never changes an event already handed to a subscriber.
func TestEventMergeCopies(t *testing.T) {
	sent := Event{Dismissed: make([]string, 1, 8), Resolved: make([]Resolution, 1, 8)}
	sent.Dismissed[0], sent.Resolved[0] = "alice", Resolution{ID: 1, Student: "alice"}
	merged := sent.merge(Event{Dismissed: []string{"bob"}, Resolved: []Resolution{{ID: 2, Student: "alice"}, {ID: 3, Student: "bob"}}})
	if !slices.Equal(sent.Dismissed, []string{"alice"}) || sent.Resolved[0].ID != 1 || len(sent.Resolved) != 1 {
		t.Errorf("merge changed the sent event: %+v", sent)
	}
	if !slices.Equal(merged.Dismissed, []string{"alice", "bob"}) || len(merged.Resolved) != 2 {
		t.Errorf("merged = %+v, want alice and bob once each", merged)
	}
	if r, _ := merged.ResolvedFor("alice"); r.ID != 2 {
		t.Errorf("ResolvedFor(alice) = %+v, want the later resolution 2", r)
	}
}

// cancel frees the subscription: its channel closes (so a reader's range
// ends), the hub forgets it, and no goroutine is left.
func TestHubCancelFreesEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	h := NewHub()
	const n = 100
	var (
		readers sync.WaitGroup
		cancels []func()
		got     = make([]int, n)
	)
	for i := range n {
		events, cancel := h.Subscribe()
		cancels = append(cancels, cancel)
		readers.Go(func() {
			for range events {
				got[i]++
			}
		})
	}
	h.Publish(Event{Queue: true})
	for _, cancel := range cancels {
		cancel()
		cancel() // twice is harmless
	}
	done := make(chan struct{})
	go func() { readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("readers still running 10s after cancel: the channels were not closed")
	}
	if n := h.subscribers(); n != 0 {
		t.Errorf("hub still holds %d subscribers after every cancel", n)
	}
	h.Publish(Event{Announcements: true}) // after cancel: no panic, nobody to tell
	for i, c := range got {
		if c > 1 {
			t.Errorf("reader %d got %d events from one publish", i, c)
		}
	}
	waitFor(t, "goroutines back to where they were", func() bool { return runtime.NumGoroutine() <= before })
}

// The cost of telling a full class that something changed, with every other
// subscriber stuck (their slot full, so each publish merges).
func BenchmarkPublish200(b *testing.B) {
	h := NewHub()
	for i := range 200 {
		events, cancel := h.Subscribe()
		defer cancel()
		if i%2 == 0 {
			go func() {
				for range events {
				}
			}()
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		h.Publish(Event{Queue: true})
	}
}
