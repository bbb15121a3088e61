package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Opener logs a user in and opens their terminal, waiting until shown
// holds on its screen; it returns how long that took from the start of the
// first TCP connect. A Dialer (SSH) and a WebDialer (the browser's path) are
// Openers.
type Opener interface {
	Open(ctx context.Context, user string, shown func(*Screen) bool) (*Session, time.Duration, error)
}

// Target is what the students log in to.
type Target struct {
	Name   string // "classroomd", "classroomd (web)", "floor (openssh + python3)"
	Opener Opener
	User   func(i int) string // the i-th student's username (i from 0)
	// Plain means a bare Python REPL over SSH (the floor): it is there at
	// login, and typing students only evaluate expressions in it.
	Plain bool
}

// Level is one level of a run: how many students, and what they do.
type Level struct {
	Students int
	Ramp     time.Duration // the logins are spread evenly over this
	Hold     time.Duration // measured once every student has logged in (or failed to)
	Typing   float64       // share of the students who type
	CPU      float64       // share who run CPU-bound code
	Seed     uint64
	Pace     Pace
	// ServerPID, when known, is sampled during the hold; IdleRSS is its
	// resident memory before any student came, for the memory per student.
	ServerPID int
	IdleRSS   uint64
	// Log gets the first error of each kind with the screen it left.
	Log io.Writer
	// Professor, when set, logs in to the console during the hold and
	// switches pages (see console.go), with the students' password.
	Professor string
	// Burst: each student, once logged in, presses F4 and types an
	// expression at once, without waiting for Python (see actor.burst),
	// then idles through the hold.
	Burst bool
}

// Result is one level's figures.
type Result struct {
	Target    string                `json:"target"`
	Students  int                   `json:"students"`
	Roles     map[string]int        `json:"roles"`
	Connected int                   `json:"connected"` // logged in with Python started
	Ramp      Duration              `json:"ramp_ms"`
	Hold      Duration              `json:"hold_ms"`
	Measures  map[string]Stats      `json:"measures"`
	Errors    map[string]ErrorCount `json:"errors"`
	Usage     Usage                 `json:"usage"`
	// ConsoleLive is how many students the console's Live page said were
	// connected, the last time the professor looked.
	ConsoleLive int      `json:"console_live_students,omitempty"`
	Notes       []string `json:"notes,omitempty"`
}

// AssignRoles gives round(n*typing) students the Typing role and
// round(n*cpu) the CPU role (at least one each when the share is not zero),
// chosen by seed, and the rest Idle.
func AssignRoles(n int, typing, cpu float64, seed uint64) []Role {
	count := func(share float64) int {
		if share <= 0 {
			return 0
		}
		return max(int(math.Round(float64(n)*share)), 1)
	}
	nt := min(count(typing), n)
	nc := min(count(cpu), n-nt)
	roles := make([]Role, n)
	for k, i := range rand.New(rand.NewPCG(seed, 1)).Perm(n) {
		switch {
		case k < nt:
			roles[i] = Typing
		case k < nt+nc:
			roles[i] = CPU
		}
	}
	return roles
}

// Run runs one level against target: the students log in over the ramp,
// act until the hold ends, and leave.
func Run(ctx context.Context, target Target, lv Level) Result {
	rec := NewRecorder()
	roles := AssignRoles(lv.Students, lv.Typing, lv.CPU, lv.Seed)
	res := Result{Target: target.Name, Students: lv.Students, Roles: map[string]int{}, Ramp: Duration(lv.Ramp), Hold: Duration(lv.Hold)}
	for _, r := range roles {
		res.Roles[r.String()]++
	}
	scripts, stopScripts := context.WithCancel(ctx)
	defer stopScripts()
	logged := &firstLog{w: lv.Log, seen: map[string]bool{}}
	runTag := strconv.FormatInt(time.Now().UnixMilli()%(36*36*36*36), 36)

	var wg sync.WaitGroup
	ready := make(chan bool, lv.Students) // one per student: logged in with Python started, or not
	start := time.Now()
	// With no hold (a login storm) the server's use is what the logins cost.
	var smp *sampler
	if lv.Hold == 0 {
		smp = startSampler(lv.ServerPID, time.Second)
	}
	for i := range lv.Students {
		if lv.Students > 1 {
			at := start.Add(lv.Ramp * time.Duration(i) / time.Duration(lv.Students-1))
			if !sleepUntil(ctx, at) {
				break
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &student{tag: runTag, i: i, role: roles[i], target: target, rec: rec, log: logged, pace: lv.Pace, burst: lv.Burst,
				rng: rand.New(rand.NewPCG(lv.Seed, uint64(i)+2))}
			st.run(scripts, ready)
		}()
	}
	for range lv.Students {
		select {
		case ok := <-ready:
			if ok {
				res.Connected++
			}
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}

	holdStart := time.Now()
	rec.Open(holdStart)
	if lv.Professor != "" && ctx.Err() == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &student{tag: runTag, i: -1, target: target, rec: rec, log: logged, pace: lv.Pace, rng: rand.New(rand.NewPCG(lv.Seed, 1))}
			res.ConsoleLive = p.professor(scripts, lv.Professor)
		}()
	}
	if smp == nil {
		smp = startSampler(lv.ServerPID, time.Second)
	}
	sleepUntil(ctx, holdStart.Add(lv.Hold))
	rec.Close(time.Now())
	res.Usage = smp.Stop()
	if res.Usage.ServerRSS > 0 && lv.IdleRSS > 0 && res.Connected > 0 {
		res.Usage.ServerRSSIdle = lv.IdleRSS
		// The most the server held during the hold: what a machine must have.
		res.Usage.PerStudentBytes = (int64(res.Usage.ServerRSSMax) - int64(lv.IdleRSS)) / int64(res.Connected)
	}
	if ctx.Err() != nil {
		res.Notes = append(res.Notes, "the run was interrupted: the hold was cut short")
	}
	stopScripts()
	wg.Wait()
	res.Measures, res.Errors = rec.Summary()
	if lv.Burst {
		res.Notes = append(res.Notes, burstSummary(res.Errors, lv.Students))
	}
	if res.Connected < lv.Students {
		res.Notes = append(res.Notes, fmt.Sprintf("%d of %d students did not get a workspace with Python (see the errors)", lv.Students-res.Connected, lv.Students))
	}
	if late := holdStart.Sub(start) - lv.Ramp; late > 10*time.Second {
		res.Notes = append(res.Notes, fmt.Sprintf("the last logins ended %s after the ramp", late.Round(time.Second)))
	}
	return res
}

// sleepUntil waits until t, or ctx's end (then false).
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// student is one simulated student.
type student struct {
	tag    string // this run's tag, so that files and markers never repeat an earlier run's
	i      int
	role   Role
	target Target
	rec    *Recorder
	log    *firstLog
	pace   Pace
	rng    *rand.Rand
	burst  bool // see Level.Burst
}

// run logs in, starts Python, tells ready, and acts by role until ctx ends.
func (s *student) run(ctx context.Context, ready chan<- bool) {
	user := s.target.User(s.i)
	shown := LoggedIn(user)
	if s.target.Plain {
		shown = PythonPrompt
	}
	sess, took, err := s.target.Opener.Open(ctx, user, shown)
	if err != nil {
		s.fail(ctx, err)
		ready <- false
		return
	}
	defer sess.Close()
	s.rec.Add(MeasureLogin, time.Now(), took)
	a := &actor{term: sess.Term, rec: s.rec, pace: s.pace, rng: s.rng, id: fmt.Sprintf("%ss%d", s.tag, s.i+1)}
	if s.burst {
		err := error(nil)
		if !s.target.Plain {
			err = a.discardRecovered(ctx, user)
		}
		if err == nil {
			err = a.burst(ctx, s.target.Plain)
		}
		if err != nil {
			s.fail(ctx, err)
		}
		ready <- err == nil
		<-ctx.Done()
		return
	}
	if !s.target.Plain {
		err := a.discardRecovered(ctx, user)
		if err == nil {
			err = a.startPython(ctx)
		}
		if err != nil {
			s.fail(ctx, err)
			ready <- false
			return
		}
	}
	ready <- true

	cycle := map[Role]func(context.Context) error{Typing: a.workspaceCycle, CPU: a.cpuCycle}[s.role]
	if s.target.Plain && s.role == Typing {
		cycle = a.replCycle
	}
	if cycle == nil {
		<-ctx.Done()
		return
	}
	for ctx.Err() == nil {
		err := cycle(ctx)
		if err == nil || ctx.Err() != nil {
			continue
		}
		s.fail(ctx, err)
		if errors.Is(err, ErrClosed) {
			return
		}
		s.resync(ctx, a)
	}
}

// resync brings Python back to an empty prompt after a failed step, so the
// next cycle starts clean. In the workspace, esc first closes a dialog
// (where ctrl+c would quit), and ctrl+c goes only to a focused Python.
func (s *student) resync(ctx context.Context, a *actor) {
	if !s.target.Plain {
		if _, err := a.term.Type(KeyEsc); err != nil {
			return
		}
		// esc alone is told from a key's start by a pause (Bubble Tea's 50 ms).
		if err := a.pause(ctx, 200*time.Millisecond); err != nil {
			return
		}
		if _, err := a.term.Type(KeyF4); err != nil {
			return
		}
		if a.await(ctx, "resync", PythonFocused) != nil {
			_ = a.pause(ctx, a.pace.Think)
			return
		}
	}
	if _, err := a.term.Type(KeyCtrlC); err == nil {
		_ = a.await(ctx, "resync", PythonPrompt)
	}
	_ = a.pause(ctx, a.pace.Think)
}

func (s *student) fail(ctx context.Context, err error) { s.failAs(ctx, "", err) }

// failAs counts err under its kind, prefixed.
func (s *student) failAs(ctx context.Context, prefix string, err error) {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return
	}
	kind, screen := "other", ""
	var se *StepError
	if errors.As(err, &se) {
		kind, screen = se.Kind, se.Screen
	}
	if errors.Is(err, ErrClosed) {
		kind = "session ended by the server"
	}
	kind = prefix + kind
	s.rec.Fail(kind, err.Error())
	s.log.once(kind, fmt.Sprintf("%s (%s): %v", kind, s.name(), err), screen)
}

func (s *student) name() string {
	if s.i < 0 {
		return "professor"
	}
	return "student " + s.target.User(s.i)
}

// firstLog writes the first error of each kind.
type firstLog struct {
	mu   sync.Mutex
	w    io.Writer
	seen map[string]bool
}

func (l *firstLog) once(kind, msg, screen string) {
	if l.w == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[kind] {
		return
	}
	l.seen[kind] = true
	fmt.Fprintf(l.w, "error: %s\n", msg)
	if screen != "" {
		fmt.Fprintf(l.w, "  the screen then:\n    %s\n", strings.ReplaceAll(strings.TrimRight(screen, "\n"), "\n", "\n    "))
	}
}
