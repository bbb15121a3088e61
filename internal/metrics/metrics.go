// Package metrics holds classroomd's Prometheus metrics: one Metrics value,
// built in cmd/classroomd on a registry of its own and passed to the parts
// that record (no package-level state, no global registry).
//
// Every method is safe on a nil *Metrics and then records nothing, so tests
// and callers without metrics pass nil.
//
// The names are the contract with deploy/grafana/classroomd.json and the
// operators' alerts: change one only together with them.
package metrics

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/classroomd/classroomd/internal/store"
)

// Label values, so that callers and the dashboard agree.
const (
	// Login outcomes (classroomd_logins_total{outcome}).
	LoginOK            = "ok"
	LoginWrongPassword = "wrong_password"
	LoginUnknownUser   = "unknown_user"
	LoginDisabled      = "disabled"
	LoginError         = "error"
	LoginAbandoned     = "abandoned" // the client left while its attempt was held back

	// Login methods (classroomd_logins_total{method}).
	MethodPassword  = "password"
	MethodPublicKey = "publickey"

	// Why a student's program was ended (classroomd_sandbox_kills_total{reason}).
	KillMemory = "memory" // the sandbox's memory limit (the kernel's OOM killer)
	KillIdle   = "idle"   // the server stopped an idle REPL
	KillSignal = "signal" // SIGKILL from elsewhere than the memory limit (an operator, the host's OOM killer)

	// Limits a program ran into without being killed (classroomd_sandbox_limit_hits_total{limit}).
	LimitQuota = "quota" // the home went over its quota and became read-only in the sandbox
)

// Histogram buckets, in seconds.
var (
	// Keystrokes and saves are expected in milliseconds (the targets are
	// 15 ms and 5 ms at p99); the buckets are finest there.
	fastBuckets = []float64{.0005, .001, .002, .003, .005, .0075, .01, .015, .02, .03, .05, .075, .1, .25, .5, 1, 2.5}
	// A login is one bcrypt comparison (about 70 ms at cost 10) unless
	// throttling holds it back (up to --login-max-delay).
	loginBuckets = []float64{.01, .025, .05, .075, .1, .15, .2, .3, .5, .75, 1, 2, 5, 10, 30}
)

// Metrics records what classroomd does. Build it with New.
type Metrics struct {
	sessions      *prometheus.GaugeVec
	logins        *prometheus.CounterVec
	loginSeconds  prometheus.Histogram
	keySeconds    prometheus.Histogram
	saveSeconds   prometheus.Histogram
	saveErrors    prometheus.Counter
	replStarts    prometheus.Counter
	replFailures  prometheus.Counter
	kills         *prometheus.CounterVec
	limitHits     *prometheus.CounterVec
	storeErrors   *prometheus.CounterVec
	ready         prometheus.Gauge
	sandbox       *prometheus.GaugeVec
	shutdownTells prometheus.Counter
}

// New makes the metrics and registers them, with the Go runtime's and the
// process's collectors, on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sessions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "classroomd_sessions",
			Help: "SSH sessions open now (a terminal or a command), by transport: ssh, or web for a browser through the bridge.",
		}, []string{"transport"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "classroomd_logins_total",
			Help: "Completed login attempts by method (password, publickey) and outcome (ok, wrong_password, unknown_user, disabled, error, abandoned). Web logins are password logins.",
		}, []string{"method", "outcome"}),
		loginSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "classroomd_login_duration_seconds",
			Help:    "Time to decide a password login (SSH or web): the wait for throttling, the lookup and bcrypt.",
			Buckets: loginBuckets,
		}),
		keySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "classroomd_keystroke_duration_seconds",
			Help:    "From reading a key (any input bytes) of a terminal session to writing the next frame to it; a key with no frame within a second (no visible effect) is not counted.",
			Buckets: fastBuckets,
		}),
		saveSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "classroomd_file_save_duration_seconds",
			Help:    "Time to save a file from the editor (temporary file, fsync, rename, fsync of the folder), failed saves included.",
			Buckets: fastBuckets,
		}),
		saveErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classroomd_file_save_errors_total",
			Help: "Editor saves that failed (over quota, a folder in the way, a disk error).",
		}),
		replStarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classroomd_repl_starts_total",
			Help: "Python processes started in a sandbox (a REPL, a restart, or a file run with F5).",
		}),
		replFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classroomd_repl_start_failures_total",
			Help: "Python processes that could not be started in their sandbox.",
		}),
		kills: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "classroomd_sandbox_kills_total",
			Help: "Students' programs ended by something other than themselves, by reason: memory (the sandbox's memory limit), idle (the server stopped an idle REPL), signal (SIGKILL from elsewhere).",
		}, []string{"reason"}),
		limitHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "classroomd_sandbox_limit_hits_total",
			Help: "Limits a student's program ran into without being killed, by limit: quota (the home went over its quota and became read-only).",
		}, []string{"limit"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "classroomd_store_errors_total",
			Help: "Store (SQLite or PostgreSQL) calls that failed, by operation; not-found and conflict answers and cancelled calls are not errors.",
		}, []string{"op"}),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "classroomd_ready",
			Help: "1 while the server accepts logins (what /readyz says, without its store check), 0 once it shuts down.",
		}),
		sandbox: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "classroomd_sandbox_info",
			Help: "1 for the isolation level the sandbox probe reached at start (level: full, partial or none).",
		}, []string{"level"}),
		shutdownTells: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classroomd_shutdown_workspaces_told_total",
			Help: "Live workspaces whose students were told the server is restarting.",
		}),
	}
	for _, t := range []string{"ssh", "web"} {
		m.sessions.WithLabelValues(t)
	}
	for _, o := range []string{LoginOK, LoginWrongPassword, LoginUnknownUser, LoginDisabled, LoginError} {
		m.logins.WithLabelValues(MethodPassword, o)
	}
	m.logins.WithLabelValues(MethodPublicKey, LoginOK)
	for _, r := range []string{KillMemory, KillIdle, KillSignal} {
		m.kills.WithLabelValues(r)
	}
	m.limitHits.WithLabelValues(LimitQuota)
	reg.MustRegister(m.sessions, m.logins, m.loginSeconds, m.keySeconds, m.saveSeconds, m.saveErrors,
		m.replStarts, m.replFailures, m.kills, m.limitHits, m.storeErrors, m.ready, m.sandbox, m.shutdownTells,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// LiveWorkspaces registers classroomd_workspaces, read from count at every
// scrape. count must be quick and safe for concurrent use.
func LiveWorkspaces(reg prometheus.Registerer, count func() int) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "classroomd_workspaces",
		Help: "Live workspaces (a student's REPL and open files), connected or waiting out their grace period.",
	}, func() float64 { return float64(count()) }))
}

// SessionStarted counts an open session on transport ("ssh" or "web"); call
// the returned func once when it ends.
func (m *Metrics) SessionStarted(transport string) (ended func()) {
	if m == nil {
		return func() {}
	}
	g := m.sessions.WithLabelValues(transport)
	g.Inc()
	var once sync.Once
	return func() { once.Do(g.Dec) }
}

// PasswordLogin records a decided password login that took d.
func (m *Metrics) PasswordLogin(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.logins.WithLabelValues(MethodPassword, outcome).Inc()
	if outcome != LoginAbandoned {
		m.loginSeconds.Observe(d.Seconds())
	}
}

// KeyLogin records a completed public-key login.
func (m *Metrics) KeyLogin() {
	if m == nil {
		return
	}
	m.logins.WithLabelValues(MethodPublicKey, LoginOK).Inc()
}

// Keystroke records the time from reading input to writing the next frame.
func (m *Metrics) Keystroke(d time.Duration) {
	if m == nil {
		return
	}
	m.keySeconds.Observe(d.Seconds())
}

// FileSaved records an editor save that took d and ended with err.
func (m *Metrics) FileSaved(d time.Duration, err error) {
	if m == nil {
		return
	}
	m.saveSeconds.Observe(d.Seconds())
	if err != nil {
		m.saveErrors.Inc()
	}
}

// REPLStarted records a Python process started (err nil) or not.
func (m *Metrics) REPLStarted(err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.replFailures.Inc()
		return
	}
	m.replStarts.Inc()
}

// SandboxKilled records a student's program ended for reason (Kill*).
func (m *Metrics) SandboxKilled(reason string) {
	if m == nil {
		return
	}
	m.kills.WithLabelValues(reason).Inc()
}

// LimitHit records a student's program running into limit (Limit*).
func (m *Metrics) LimitHit(limit string) {
	if m == nil {
		return
	}
	m.limitHits.WithLabelValues(limit).Inc()
}

// StoreError records a failed store call op, when err is a failure: nil,
// a cancelled context (the caller left), and the store's not-found and
// conflict answers (see IsStoreFailure) are not.
func (m *Metrics) StoreError(op string, err error) {
	if m == nil || !IsStoreFailure(err) {
		return
	}
	m.storeErrors.WithLabelValues(op).Inc()
}

// SetReady records whether the server accepts logins.
func (m *Metrics) SetReady(ready bool) {
	if m == nil {
		return
	}
	if ready {
		m.ready.Set(1)
	} else {
		m.ready.Set(0)
	}
}

// SandboxLevel records the isolation level the sandbox probe reached.
func (m *Metrics) SandboxLevel(level string) {
	if m == nil {
		return
	}
	m.sandbox.Reset()
	m.sandbox.WithLabelValues(level).Set(1)
}

// ShutdownTold records n workspaces told the server is restarting.
func (m *Metrics) ShutdownTold(n int) {
	if m == nil {
		return
	}
	m.shutdownTells.Add(float64(n))
}

// IsStoreFailure reports whether err from a store call is a failure of the
// store, rather than nil, an answer (not found, already exists), or the
// caller going away.
func IsStoreFailure(err error) bool {
	return err != nil && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict)
}
