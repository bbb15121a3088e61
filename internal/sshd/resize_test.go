package sshd

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// A flood of window sizes reaches the program as at most one per interval,
// the last one always; a size equal to the last one sent is not sent again.
func TestWindowSizeFloodIsCoalesced(t *testing.T) {
	var sent []tea.WindowSizeMsg
	r := &resizes{every: resizeEvery, send: func(w tea.WindowSizeMsg) { sent = append(sent, w) }}
	t0 := time.Unix(0, 0)
	var due time.Time
	for i := range 5000 { // 5,000 sizes within 5 ms
		if d := r.offer(tea.WindowSizeMsg{Width: 80 + i%40, Height: 24}, t0.Add(time.Duration(i)*time.Microsecond)); !d.IsZero() {
			due = d
		}
	}
	r.due(due)
	if len(sent) != 2 {
		t.Fatalf("%d sizes sent for a flood of 5,000 within one interval, want 2 (the first and the last)", len(sent))
	}
	if want := (tea.WindowSizeMsg{Width: 80 + 4999%40, Height: 24}); sent[1] != want {
		t.Errorf("the last size sent is %v, want %v", sent[1], want)
	}
	// The same size again, later: nothing to redraw.
	r.offer(sent[1], due.Add(time.Second))
	if len(sent) != 2 {
		t.Errorf("an unchanged size was sent again")
	}
	// A new size after a quiet while goes at once.
	r.offer(tea.WindowSizeMsg{Width: 100, Height: 30}, due.Add(2*time.Second))
	if len(sent) != 3 || sent[2].Width != 100 {
		t.Errorf("a new size after a pause was not sent at once: %v", sent)
	}
}
