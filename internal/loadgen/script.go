package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Role is what a student does once logged in.
type Role int

const (
	Idle   Role = iota // connected, Python started, no keys
	Typing             // writes, saves and runs programs, and evaluates in Python, at a human pace
	CPU                // runs `while True: pass` for a while, then ctrl+c, again and again
)

func (r Role) String() string {
	switch r {
	case Typing:
		return "typing"
	case CPU:
		return "cpu"
	}
	return "idle"
}

// Pace is how fast a person acts. Every pause is drawn uniformly within
// ±Jitter of its mean; pauses model a person, they never wait for the server.
type Pace struct {
	Key      time.Duration // between two keys
	Think    time.Duration // between two steps (before saving, running, the next expression)
	CPUBurst time.Duration // how long a CPU-bound loop runs before ctrl+c
	Jitter   float64       // 0.5: each pause lies in [0.5, 1.5] x its mean
	Timeout  time.Duration // for each thing awaited on the screen
}

// actor runs one student's script on an open session.
type actor struct {
	term  *Term
	rec   *Recorder
	pace  Pace
	rng   *rand.Rand
	id    string // unique to the student and the run, for file names and markers: "k3f9s12"
	cycle int
}

// pause waits a human pause of about d.
func (a *actor) pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	f := 1 + a.pace.Jitter*(2*a.rng.Float64()-1)
	t := time.NewTimer(time.Duration(float64(d) * f))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// step types keys and waits until cond shows, recording the time under
// measure (when measure is not ""). A condition that already holds before
// the keys is a fault of the script, reported as such.
func (a *actor) step(ctx context.Context, kind, measure, keys string, cond func(*Screen) bool) error {
	exp, already := a.term.Expect(cond)
	if already {
		exp.disarm()
		return &StepError{Kind: kind + ": shown before the key (script fault)", Err: errors.New("the condition held already"), Screen: a.term.Snapshot()}
	}
	sent, err := a.term.Type(keys)
	if err != nil {
		exp.disarm()
		return err
	}
	at, err := exp.Wait(ctx, a.pace.Timeout)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &StepError{Kind: kind, Err: err, Screen: a.term.Snapshot()}
	}
	if measure != "" {
		a.rec.Add(measure, sent, at.Sub(sent))
	}
	return nil
}

// await waits for cond without typing (it may hold already).
func (a *actor) await(ctx context.Context, kind string, cond func(*Screen) bool) error {
	if _, err := a.term.WaitFor(ctx, a.pace.Timeout, cond); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &StepError{Kind: kind, Err: err, Screen: a.term.Snapshot()}
	}
	return nil
}

// typeLine types text a key at a time at a human pace, each key's echo
// measured with echo(text so far).
func (a *actor) typeLine(ctx context.Context, kind, measure, text string, echo func(typed string) func(*Screen) bool) error {
	for i := range len(text) {
		if err := a.pause(ctx, a.pace.Key); err != nil {
			return err
		}
		if err := a.step(ctx, kind, measure, text[i:i+1], echo(text[:i+1])); err != nil {
			return err
		}
	}
	return nil
}

// discardRecovered answers the questions about unsaved changes from an
// earlier session (one per file) with "discard", until the workspace shows.
func (a *actor) discardRecovered(ctx context.Context, user string) error {
	ws := WorkspaceShown(user)
	for range 100 {
		var question string
		var asking bool
		// The condition runs on the output's goroutine, before Wait returns.
		if _, err := a.term.WaitFor(ctx, a.pace.Timeout, func(s *Screen) bool {
			question, asking = s.Row(3), RecoverDialog(s)
			return asking || ws(s)
		}); err != nil {
			return &StepError{Kind: "login: recover dialog", Err: err, Screen: a.term.Snapshot()}
		}
		if !asking {
			return nil
		}
		asked := question
		if err := a.step(ctx, "login: discard recovered changes", "", "d", func(s *Screen) bool {
			return ws(s) || RecoverDialog(s) && s.Row(3) != asked
		}); err != nil {
			return err
		}
	}
	return &StepError{Kind: "login: recover dialog", Err: errors.New("more than 100 questions about unsaved changes")}
}

// startPython focuses the Python pane (starting Python) and waits for its
// prompt. A workspace that outlived the student's last session may have its
// Python running already, maybe with half a line typed: then the pane is
// focused, ctrl+c clears the line, and nothing is timed.
func (a *actor) startPython(ctx context.Context) error {
	if a.term.Shows("Python: not started") {
		return a.step(ctx, "python start", MeasureREPLStart, KeyF4, PythonPrompt)
	}
	if err := a.step(ctx, "python focus", "", KeyF4, PythonFocused); err != nil {
		return err
	}
	return a.step(ctx, "python prompt", "", KeyCtrlC, PythonPrompt)
}

// evaluate types an expression at Python's prompt, a key at a time, and
// waits for its value. The value ('Q' and a product) is on no row before:
// the expression shows "Q" and the factors apart.
func (a *actor) evaluate(ctx context.Context) error {
	var expr, want string
	for range 10 {
		x, y := 100+a.rng.IntN(900), 100+a.rng.IntN(900)
		expr, want = fmt.Sprintf(`"Q" + str(%d * %d)`, x, y), fmt.Sprintf("'Q%d'", x*y)
		if !a.term.Shows(want) {
			break
		}
	}
	if err := a.typeLine(ctx, "python echo", MeasureEchoREPL, expr, PythonEcho); err != nil {
		return err
	}
	return a.step(ctx, "python result", MeasureEval, KeyEnter, Shows(want))
}

// spin runs a CPU-bound loop for a while and interrupts it.
func (a *actor) spin(ctx context.Context) error {
	if err := a.step(ctx, "cpu loop", "", "while True: pass"+KeyEnter, PythonContinuation); err != nil {
		return err
	}
	if _, err := a.term.Type(KeyEnter); err != nil {
		return err
	}
	// The loop runs for CPUBurst whether or not the hold ends meanwhile:
	// a cancelled pause must still leave Python at its prompt.
	burst := a.pause(ctx, a.pace.CPUBurst)
	if err := a.step(context.WithoutCancel(ctx), "ctrl+c to prompt", MeasureInterrupt, KeyCtrlC, Interrupted); err != nil {
		return err
	}
	return burst
}

// program is one cycle's file: top-level lines only (the editor indents
// after a colon), and a marker the output shows but the source does not.
func (a *actor) program() (name string, lines []string, marker string) {
	x, y := 2+a.rng.IntN(90), 2+a.rng.IntN(90)
	tag := fmt.Sprintf("%sc%d", a.id, a.cycle)
	name = "load_" + tag + ".py"
	lines = []string{
		fmt.Sprintf("x = %d", x),
		fmt.Sprintf("y = %d", y),
		"total = sum(range(x)) + y",
		fmt.Sprintf(`print("M" + "%s", x * y)`, tag),
	}
	return name, lines, fmt.Sprintf("M%s %d", tag, x*y)
}

// workspaceCycle makes a new file, types a program into it, saves it, runs
// it, and evaluates two expressions in Python.
func (a *actor) workspaceCycle(ctx context.Context) error {
	a.cycle++
	name, lines, marker := a.program()
	if err := a.step(ctx, "file list", "", KeyF2, FilesFocused); err != nil {
		return err
	}
	if err := a.step(ctx, "new file dialog", "", KeyCtrlN, NameDialog); err != nil {
		return err
	}
	if err := a.pause(ctx, a.pace.Think); err != nil {
		return err
	}
	if _, err := a.term.Type(name); err != nil {
		return err
	}
	if err := a.step(ctx, "new file", MeasureNewFile, KeyEnter, EditorAt(name, 1)); err != nil {
		return err
	}
	for i, l := range lines {
		line := i + 1
		if err := a.typeLine(ctx, "editor echo", MeasureEchoEditor, l, func(typed string) func(*Screen) bool { return EditorEcho(line, typed) }); err != nil {
			return err
		}
		if err := a.pause(ctx, a.pace.Key); err != nil {
			return err
		}
		if err := a.step(ctx, "editor newline", "", KeyEnter, EditorAt(name, line+1)); err != nil {
			return err
		}
	}
	if err := a.pause(ctx, a.pace.Think); err != nil {
		return err
	}
	if err := a.step(ctx, "save", MeasureSave, KeyCtrlS, Saved(name)); err != nil {
		return err
	}
	if err := a.pause(ctx, a.pace.Think); err != nil {
		return err
	}
	if err := a.step(ctx, "run to output", MeasureRun, KeyF5, Shows(marker)); err != nil {
		return err
	}
	if err := a.await(ctx, "python prompt after run", PythonPrompt); err != nil {
		return err
	}
	for range 2 {
		if err := a.pause(ctx, a.pace.Think); err != nil {
			return err
		}
		if err := a.evaluate(ctx); err != nil {
			return err
		}
	}
	return a.pause(ctx, a.pace.Think)
}

// replCycle is the floor's script: the same expressions, typed the same
// way, in a plain Python over OpenSSH.
func (a *actor) replCycle(ctx context.Context) error {
	if err := a.pause(ctx, a.pace.Think); err != nil {
		return err
	}
	return a.evaluate(ctx)
}

// cpuCycle spins and rests.
func (a *actor) cpuCycle(ctx context.Context) error {
	if err := a.spin(ctx); err != nil {
		return err
	}
	return a.pause(ctx, a.pace.Think)
}
