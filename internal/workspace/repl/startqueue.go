package repl

import (
	"context"
	"sync"
)

// StartQueue bounds how many Pythons start at once across all workspaces.
//
// Why: at the start of a class fifty students press F4 within a second. A
// Python start is ~50 ms of CPU (namespaces, the interpreter's imports) and
// the login's bcrypt is ~70 ms; started all at once on two cores they take
// turns at random, so every start and every login is late, and echo with
// them. In a queue of a few at a time each start is quick and the rest wait
// visibly: a waiting REPL's State.Ahead says how many are before it, in
// order of arrival. A slot is held from the sandbox's start until Python
// first waits at its prompt (or the input hold's deadline), so that the
// interpreter's own start-up counts too.
type StartQueue struct {
	mu      sync.Mutex
	free    int
	waiting []*queued // in order of arrival
}

type queued struct {
	ready chan struct{} // closed when it has a slot
	ahead func(int)     // told its place as the queue moves
}

// NewStartQueue returns a queue letting n starts run at once (at least 1).
func NewStartQueue(n int) *StartQueue { return &StartQueue{free: max(n, 1)} }

// acquire waits for a slot, telling ahead (without any lock held) how many
// starts are before this one whenever that changes, and returns the
// function that gives the slot back (safe to call more than once). A nil
// queue gives a slot at once.
func (q *StartQueue) acquire(ctx context.Context, ahead func(int)) (release func(), err error) {
	if q == nil {
		return func() {}, nil
	}
	q.mu.Lock()
	if q.free > 0 && len(q.waiting) == 0 {
		q.free--
		q.mu.Unlock()
		return q.releaser(), nil
	}
	w := &queued{ready: make(chan struct{}), ahead: ahead}
	q.waiting = append(q.waiting, w)
	place := len(q.waiting) - 1
	q.mu.Unlock()
	ahead(place)
	select {
	case <-w.ready:
		return q.releaser(), nil
	case <-ctx.Done():
		q.mu.Lock()
		for i, o := range q.waiting {
			if o == w {
				q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
				tell := q.placesLocked(i)
				q.mu.Unlock()
				tell()
				return nil, ctx.Err()
			}
		}
		q.mu.Unlock()
		// It was given the slot meanwhile: give it back.
		q.releaser()()
		return nil, ctx.Err()
	}
}

func (q *StartQueue) releaser() func() {
	var once sync.Once
	return func() { once.Do(q.release) }
}

func (q *StartQueue) release() {
	q.mu.Lock()
	if len(q.waiting) == 0 {
		q.free++
		q.mu.Unlock()
		return
	}
	next := q.waiting[0]
	q.waiting = q.waiting[1:]
	close(next.ready)
	tell := q.placesLocked(0)
	q.mu.Unlock()
	tell()
}

// placesLocked returns what tells the waiters from index i on their new
// places, to be called once q.mu is released.
func (q *StartQueue) placesLocked(i int) func() {
	moved := append([]*queued(nil), q.waiting[i:]...)
	return func() {
		for j, w := range moved {
			w.ahead(i + j)
		}
	}
}

// Waiting is how many starts wait for a slot now.
func (q *StartQueue) Waiting() int {
	if q == nil {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}
