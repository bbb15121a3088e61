package tea

import (
	"testing"
	"time"
)

// classroomd patch: the pacer lets frameBurst frames go at once, then
// holds the next until the rate allows, and an armed timer's frame takes
// every change asked for meanwhile.
func TestFramePacerBurstThenRate(t *testing.T) {
	var f framePacer
	f.reset(time.Hour) // no frame interval passes during the test
	if f.askInline() {
		t.Fatal("a frame went inline while the first timer was armed")
	}
	if _, ok := f.ask(); ok {
		t.Fatal("the renderer wrote while its own timer was armed")
	}
	f.disarm()
	for i := range frameBurst {
		if !f.askInline() {
			t.Fatalf("frame %d of a burst of %d was held", i+1, frameBurst)
		}
		f.wrote()
	}
	if f.askInline() {
		t.Fatalf("frame %d went inline: more than a burst", frameBurst+1)
	}
	wait, ok := f.ask()
	if ok || wait <= 0 || wait > time.Hour {
		t.Fatalf("after a burst the renderer got (%v, %v), want to wait about an interval", wait, ok)
	}
	if f.askInline() {
		t.Fatal("a frame went inline while the renderer's timer was armed")
	}
	if w, ok := f.ask(); ok || w != 0 {
		t.Fatalf("a second ask while armed got (%v, %v), want (0, false): the armed frame includes it", w, ok)
	}
}

// With a short interval the held frame's wait is over soon, and after the
// timer a frame may go again.
func TestFramePacerRecovers(t *testing.T) {
	var f framePacer
	f.reset(time.Millisecond)
	f.disarm()
	for range frameBurst + 1 {
		f.wrote()
	}
	wait, ok := f.ask()
	if ok || wait <= 0 || wait > 10*time.Millisecond {
		t.Fatalf("got (%v, %v), want a wait of about a millisecond", wait, ok)
	}
	time.Sleep(wait + 5*time.Millisecond) // the renderer's timer
	f.disarm()
	if !f.askInline() {
		t.Fatal("no frame allowed after the wait")
	}
}
