package sandbox

// CPU governor: keeping students who spin a core from slowing the others.
//
// What we need: a student running `while True: pass` (or a long
// computation) must not delay other students' echo, nor the start of
// their Python. The CPU quota (Limits.CPUPercent, one core by default)
// bounds what one sandbox takes, but with a few of them spinning on a
// small machine every core is busy, and a typing student's Python, woken
// by a key, waits behind them for its turn: the scheduler shares by
// weight, and every sandbox weighs the same.
//
// What we weighed: a lower weight for all sandboxes (their parent group)
// leaves the daemon more, but a typing student's Python is in that group
// too, and an attempt that lowered every sandbox's priority starved Python
// starts (#6). SCHED_IDLE for busy processes cannot be undone from outside
// without CAP_SYS_NICE games inside the sandbox.
//
// What we do: one goroutine for the daemon reads, every Every, the CPU
// time of each sandbox watched; a sandbox that used more than BusyShare of
// a core over the last window has its cgroup's CPU weight lowered (v1
// cpu.shares 2, v2 cpu.weight 1), and gets the normal weight back once a
// window shows it under IdleShare. A spinning sandbox still gets every
// cycle nobody else wants; a student who types, or a Python that starts,
// outweighs it hundreds of times over when they both want the CPU. The
// cost is a file read per sandbox per window (about 10 µs): at 500
// students, half a percent of a core. Where the sandbox has no cgroup
// with the cpu controller (rootless), nothing is changed.

import (
	"sync"
	"time"
)

// GovernorOptions tune a CPUGovernor; zero values take the defaults.
type GovernorOptions struct {
	Every     time.Duration // how often CPU times are read (1 s)
	BusyShare float64       // share of one core over a window that lowers the weight (0.5)
	IdleShare float64       // share under which the weight is restored (0.2)
}

// CPUGovernor lowers the CPU weight of sandboxes while they keep a core
// busy. It is safe for concurrent use; Close stops it.
type CPUGovernor struct {
	o    GovernorOptions
	mu   sync.Mutex
	seen map[*Process]*governed
	stop chan struct{}
	done chan struct{}
}

type governed struct {
	cpu  time.Duration // CPU time at the last reading
	at   time.Time
	busy bool // the weight is lowered
}

// NewCPUGovernor starts a governor.
func NewCPUGovernor(o GovernorOptions) *CPUGovernor {
	if o.Every <= 0 {
		o.Every = time.Second
	}
	if o.BusyShare <= 0 {
		o.BusyShare = 0.5
	}
	if o.IdleShare <= 0 || o.IdleShare > o.BusyShare {
		o.IdleShare = min(0.2, o.BusyShare)
	}
	g := &CPUGovernor{o: o, seen: map[*Process]*governed{}, stop: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g
}

// Watch governs p until it ends (or unwatch is called).
func (g *CPUGovernor) Watch(p *Process) (unwatch func()) {
	if g == nil || p == nil {
		return func() {}
	}
	g.mu.Lock()
	g.seen[p] = &governed{cpu: -1}
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		delete(g.seen, p)
		g.mu.Unlock()
	}
}

// Busy reports whether p's weight is lowered now.
func (g *CPUGovernor) Busy(p *Process) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.seen[p]
	return s != nil && s.busy
}

// Close stops the governor; the weights stay as they are (their sandboxes
// end with the daemon).
func (g *CPUGovernor) Close() {
	if g == nil {
		return
	}
	select {
	case <-g.stop:
	default:
		close(g.stop)
	}
	<-g.done
}

func (g *CPUGovernor) run() {
	defer close(g.done)
	t := time.NewTicker(g.o.Every)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
			g.tick()
		}
	}
}

// tick reads every watched sandbox's CPU time and sets its weight. The
// files are read without the lock held, so Watch never waits for them.
func (g *CPUGovernor) tick() {
	g.mu.Lock()
	procs := make([]*Process, 0, len(g.seen))
	for p := range g.seen {
		procs = append(procs, p)
	}
	g.mu.Unlock()
	for _, p := range procs {
		select {
		case <-p.Done():
			continue // its cgroup is going away
		default:
		}
		cpu, err := p.cpuTime()
		now := time.Now()
		if err != nil {
			continue
		}
		g.mu.Lock()
		s := g.seen[p]
		if s == nil { // unwatched meanwhile
			g.mu.Unlock()
			continue
		}
		var change, low bool
		if s.cpu >= 0 && now.After(s.at) {
			share := float64(cpu-s.cpu) / float64(now.Sub(s.at))
			switch {
			case !s.busy && share >= g.o.BusyShare:
				change, low = true, true
			case s.busy && share < g.o.IdleShare:
				change, low = true, false
			}
		}
		s.cpu, s.at = cpu, now
		g.mu.Unlock()
		if change && p.setCPUWeight(low) == nil {
			g.mu.Lock()
			if s := g.seen[p]; s != nil {
				s.busy = low
			}
			g.mu.Unlock()
		}
	}
}
