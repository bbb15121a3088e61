package loadgen

import (
	"context"
	"errors"
	"fmt"
)

// MeasureBurstResult is, in a burst, the time from the enter that ends
// the expression typed straight after F4 to its value.
const MeasureBurstResult = "burst: enter to result"

// What a burst counts as failures (the report's errors).
const (
	BurstLostKeys    = "burst: typed keys lost"
	BurstStartFailed = "burst: python could not start"
)

// burst is the start of a class, as a new student does it: log in, press
// F4 and type an expression at once, a key every pace.Key, without waiting
// for Python's prompt, then enter; the expression's value must appear.
// Keys typed while Python starts must reach it (#13): a value that never
// shows, or another one, means keys were lost. The expression and its
// value are this student's own ('B', the student's number and the run's
// tag), so no earlier screen shows them.
func (a *actor) burst(ctx context.Context, plain bool) error {
	if !plain {
		if _, err := a.term.Type(KeyF4); err != nil {
			return err
		}
	}
	expr := fmt.Sprintf(`"B%s" + str(%d)`, a.id, 1000+a.cycle)
	want := fmt.Sprintf("'B%s%d'", a.id, 1000+a.cycle)
	for i := range len(expr) {
		if err := a.pause(ctx, a.pace.Key); err != nil {
			return err
		}
		if _, err := a.term.Type(expr[i : i+1]); err != nil {
			return err
		}
	}
	sent, err := a.term.Type(KeyEnter)
	if err != nil {
		return err
	}
	var failed bool
	at, err := a.term.WaitFor(ctx, a.pace.Timeout, func(s *Screen) bool {
		failed = s.Contains("could not start")
		return failed || s.Contains(want)
	})
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case failed:
		return &StepError{Kind: BurstStartFailed, Err: errors.New("the pane says Python could not start"), Screen: a.term.Snapshot()}
	case err != nil:
		return &StepError{Kind: BurstLostKeys, Err: fmt.Errorf("typed %s and enter; %s never showed", expr, want), Screen: a.term.Snapshot()}
	}
	a.rec.Add(MeasureBurstResult, sent, at.Sub(sent))
	return nil
}

// burstSummary says in one line what a burst lost, for the report's notes.
func burstSummary(errs map[string]ErrorCount, students int) string {
	lost, failed := errs[BurstLostKeys].Count, errs[BurstStartFailed].Count
	return fmt.Sprintf("burst: %d of %d students lost typed keys, %d saw a failed start", lost, students, failed)
}
