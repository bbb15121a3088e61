package tea

import (
	"io"
	"sync/atomic"
	"testing"
	"time"
)

// wakeCounter counts the WakeMsgs its Update gets; its value model is
// copied by the loop, so the count lives behind a pointer.
type wakeCounter struct {
	wakes *atomic.Int32
	got   chan struct{}
}

func (w wakeCounter) Init() Cmd { return nil }
func (w wakeCounter) Update(msg Msg) (Model, Cmd) {
	if _, ok := msg.(WakeMsg); ok {
		w.wakes.Add(1)
		w.got <- struct{}{}
	}
	return w, nil
}
func (w wakeCounter) View() View { return NewView("") }

// classroomd patch: Wake never blocks, reaches Update as a WakeMsg, and
// wakes given before the loop takes one coalesce into one.
func TestWakeReachesUpdateAndCoalesces(t *testing.T) {
	m := wakeCounter{wakes: new(atomic.Int32), got: make(chan struct{}, 8)}
	p := NewProgram(m, WithInput(nil), WithOutput(io.Discard), WithWindowSize(10, 2), WithoutSignals())
	for range 5 { // before Run: nothing takes them yet, and none blocks
		p.Wake()
	}
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	defer func() {
		p.Quit()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-m.got:
	case <-time.After(5 * time.Second):
		t.Fatal("no WakeMsg reached Update")
	}
	p.Send(nil) // a message after the wake: once it is handled, no other wake is pending
	time.Sleep(50 * time.Millisecond)
	if n := m.wakes.Load(); n != 1 {
		t.Fatalf("five wakes before Run gave %d WakeMsgs, want 1", n)
	}
	p.Wake()
	select {
	case <-m.got:
	case <-time.After(5 * time.Second):
		t.Fatal("a second Wake did not reach Update")
	}
}
