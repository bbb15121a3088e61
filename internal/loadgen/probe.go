package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ProbeStep is one step of a probe: what it did, how long it took, and why
// it failed (empty when it did not).
type ProbeStep struct {
	Step   string        `json:"step"`
	Took   time.Duration `json:"-"`
	Millis float64       `json:"ms"`
	Err    string        `json:"error,omitempty"`
	Screen string        `json:"screen,omitempty"` // the terminal when it failed
}

// ProbeResult is a whole probe: OK only when every step passed in time.
type ProbeResult struct {
	OK     bool        `json:"ok"`
	Failed string      `json:"failed,omitempty"` // the step that failed
	Steps  []ProbeStep `json:"steps"`
}

// Probe is the synthetic check of a running server, as a canary student:
// it logs in, makes a file, types a line of Python into it, saves it, runs
// it and reads its answer, then deletes the file, each step within
// stepTimeout. It stops at the first step that fails.
func Probe(ctx context.Context, d *Dialer, user string, stepTimeout time.Duration) ProbeResult {
	var res ProbeResult
	var b [4]byte
	_, _ = rand.Read(b[:])
	tag := hex.EncodeToString(b[:])
	name := "classroomd_probe_" + tag + ".py"
	marker := "P" + tag + " 42" // shown by the run; the source has it apart

	a := &actor{pace: Pace{Timeout: stepTimeout}, rec: NewRecorder(), id: tag}
	run := func(step string, f func() error) bool {
		start := time.Now()
		err := f()
		took := time.Since(start)
		s := ProbeStep{Step: step, Took: took, Millis: float64(took.Microseconds()) / 1000}
		if err != nil {
			s.Err = err.Error()
			var se *StepError
			if errors.As(err, &se) {
				s.Screen = se.Screen
			}
			res.Failed = step
		}
		res.Steps = append(res.Steps, s)
		return err == nil
	}
	var sess *Session
	defer func() {
		if sess != nil {
			sess.Close()
		}
	}()
	ok := run("login", func() error {
		ws := WorkspaceShown(user)
		s, _, err := d.Open(ctx, user, func(s *Screen) bool { return ws(s) || RecoverDialog(s) })
		if err != nil {
			return err
		}
		sess, a.term = s, s.Term
		return a.discardRecovered(ctx, user)
	}) && run("new file", func() error {
		if err := a.step(ctx, "file list", "", KeyF2, FilesFocused); err != nil && !a.term.Shows("a new file") {
			return err
		}
		if err := a.step(ctx, "new file dialog", "", KeyCtrlN, NameDialog); err != nil {
			return err
		}
		if _, err := a.term.Type(name); err != nil {
			return err
		}
		return a.step(ctx, "new file", "", KeyEnter, EditorAt(name, 1))
	}) && run("type", func() error {
		// The program removes itself: the probe leaves nothing behind.
		line := fmt.Sprintf(`print("P" + "%s", 6 * 7); __import__("os").remove(__file__)`, tag)
		return a.step(ctx, "type", "", "\x1b[200~"+line+"\x1b[201~", EditorEcho(1, line))
	}) && run("save", func() error {
		return a.step(ctx, "save", "", KeyCtrlS, Saved(name))
	}) && run("run", func() error {
		if err := a.step(ctx, "run", "", KeyF5, Shows(marker)); err != nil {
			return err
		}
		return a.await(ctx, "python prompt after the run", PythonPrompt)
	}) && run("close", func() error {
		// The file is gone (the run removed it): its tab closes and the
		// file list no longer shows it.
		editing := func(s *Screen) bool {
			return strings.Contains(s.Row(s.Rows()-1), "close tab") && strings.Contains(s.Row(s.Rows()-2), " "+name+" ")
		}
		if err := a.step(ctx, "editor", "", KeyF3, editing); err != nil {
			return err
		}
		return a.step(ctx, "close the tab", "", KeyCtrlW, func(s *Screen) bool { return !tabOrListed(s, name) })
	})
	res.OK = ok
	return res
}

// tabOrListed reports whether name is on the editor's tab bar (the second
// row) or in the file list (the left column of a 120-column screen). The
// Python pane may still show it, from the run.
func tabOrListed(s *Screen, name string) bool {
	if strings.Contains(s.Row(1), name) {
		return true
	}
	for y := 2; y < s.Rows()-2; y++ {
		if strings.Contains(s.Span(y, 0, 32), name) {
			return true
		}
	}
	return false
}
