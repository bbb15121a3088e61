package classroom

import (
	"slices"
	"sync"
)

// Event says what changed, so that a view knows what to re-read: it carries
// no data beyond names, and the store stays the one source of truth. Events
// coalesce: a subscriber that was busy gets one Event merging all it missed.
type Event struct {
	// Announcements: one was made or retracted; every view re-reads Current.
	Announcements bool
	// Dismissed lists users who dismissed an announcement: their other
	// connections re-read Current.
	Dismissed []string
	// Queue: the help queue changed (a request, a new question, a claim, a
	// release, a cancel or a resolve). Consoles re-read Queue; a student in
	// the queue re-reads MyRequest.
	Queue bool
	// Resolved lists requests resolved since the last event, so that their
	// students can be told.
	Resolved []Resolution
}

// Resolution is a resolved help request.
type Resolution struct {
	ID      int64
	Student string
	By      string // the professor who resolved it
}

// DismissedBy reports whether username dismissed an announcement.
func (e Event) DismissedBy(username string) bool { return slices.Contains(e.Dismissed, username) }

// ResolvedFor returns the resolution of student's request, if the event has one.
func (e Event) ResolvedFor(student string) (Resolution, bool) {
	for _, r := range slices.Backward(e.Resolved) {
		if r.Student == student {
			return r, true
		}
	}
	return Resolution{}, false
}

// merge returns e and later combined. It builds new slices: an Event that was
// sent may be read by its subscriber at the same time. The lists stay bounded
// by the number of users (one entry each, the latest kept).
func (e Event) merge(later Event) Event {
	out := Event{Announcements: e.Announcements || later.Announcements, Queue: e.Queue || later.Queue}
	out.Dismissed = slices.Clone(e.Dismissed)
	for _, u := range later.Dismissed {
		if !slices.Contains(out.Dismissed, u) {
			out.Dismissed = append(out.Dismissed, u)
		}
	}
	out.Resolved = slices.Clone(e.Resolved)
	for _, r := range later.Resolved {
		out.Resolved = slices.DeleteFunc(out.Resolved, func(o Resolution) bool { return o.Student == r.Student })
		out.Resolved = append(out.Resolved, r)
	}
	return out
}

// Hub tells every subscriber, in this process, that something changed.
//
// Publishing never blocks: each subscriber has a one-slot channel, and an
// event for a subscriber whose slot is full is merged into the waiting one
// ("something changed, re-read"). A stuck view therefore costs one pending
// Event, never a stalled professor or other students. The hub starts no
// goroutine; a subscription is freed by its cancel func.
//
// With several server nodes on one PostgreSQL database the hub is per node:
// a change made on another node is not seen here until something else
// triggers a re-read. Relaying events through LISTEN/NOTIFY would be the next
// step; it is not built.
type Hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	mu     sync.Mutex // held while sending, so that a send and close never race
	ch     chan Event
	closed bool
}

// NewHub returns a hub without subscribers.
func NewHub() *Hub { return &Hub{subs: map[*subscriber]struct{}{}} }

// Subscribe returns a channel of events and the func that ends the
// subscription and closes the channel (calling it again does nothing). A
// subscriber that stops reading without cancelling holds one Event, no more.
func (h *Hub) Subscribe() (<-chan Event, func()) {
	sub := &subscriber{ch: make(chan Event, 1)}
	h.mu.Lock()
	h.subs[sub] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, sub)
			h.mu.Unlock()
			sub.mu.Lock()
			sub.closed = true
			close(sub.ch)
			sub.mu.Unlock()
		})
	}
}

// Publish offers e to every subscriber without waiting for any of them.
func (h *Hub) Publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		sub.offer(e)
	}
}

// subscribers is the number of live subscriptions (for tests).
func (h *Hub) subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// offer puts e in the subscriber's slot, merged with an event still waiting
// there. Only offer sends, and under sub.mu, so once the slot is emptied the
// send cannot block.
func (sub *subscriber) offer(e Event) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return
	}
	select {
	case pending := <-sub.ch:
		e = pending.merge(e)
	default:
	}
	sub.ch <- e
}
