package sshd

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// resizeEvery is how often at most a session's program is told of a new
// size. Each size redraws the whole screen (about a millisecond of CPU): a
// client sending window-change requests in a loop would otherwise take a
// core, and a window being dragged sends dozens a second that no one sees
// one by one. The last size always arrives.
const resizeEvery = time.Second / 30

// resizes passes window sizes on to send, at most one per every, skipping
// a size equal to the last one sent and keeping only the latest of those
// that arrive in between (sent once the interval is over).
type resizes struct {
	every    time.Duration
	send     func(tea.WindowSizeMsg)
	last     tea.WindowSizeMsg
	lastAt   time.Time
	pending  *tea.WindowSizeMsg
	deadline time.Time // when pending is due
}

// offer takes a size that arrived at now; it returns when the caller must
// call due next (zero: no size is waiting).
func (r *resizes) offer(w tea.WindowSizeMsg, now time.Time) time.Time {
	if r.pending == nil && w == r.last && !r.lastAt.IsZero() {
		return time.Time{}
	}
	if r.lastAt.IsZero() || now.Sub(r.lastAt) >= r.every {
		r.pending = nil
		r.emit(w, now)
		return time.Time{}
	}
	r.pending = &w
	r.deadline = r.lastAt.Add(r.every)
	return r.deadline
}

// due sends the size waiting, if it differs from the last one sent.
func (r *resizes) due(now time.Time) {
	if r.pending == nil {
		return
	}
	w := *r.pending
	r.pending = nil
	if w != r.last {
		r.emit(w, now)
	}
}

func (r *resizes) emit(w tea.WindowSizeMsg, now time.Time) {
	r.last, r.lastAt = w, now
	r.send(w)
}
