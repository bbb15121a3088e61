package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/classroomd/classroomd/internal/health"
	"github.com/classroomd/classroomd/internal/metrics"
	"github.com/classroomd/classroomd/internal/sshd"
	"github.com/classroomd/classroomd/internal/workspace"
	"github.com/classroomd/classroomd/web"
)

// restartMessage is what every connected student reads when the server stops.
const restartMessage = "classroomd is restarting. Your work is saved: your files, and any edits you had not " +
	"saved yet, are kept and offered back when you log in again in a minute. (Python starts afresh.)"

// metricsServer listens on addr and serves reg's metrics at /metrics, and
// with withPprof Go's profiles at /debug/pprof/ (goroutine stacks and heap
// samples are for the operator, never the students' address; no cmdline:
// --database-url may hold a password). The caller
// serves it and shuts it down.
func metricsServer(addr string, reg *prometheus.Registry, withPprof bool, log *slog.Logger) (*http.Server, net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen for metrics on %s: %w (choose another with --metrics-addr, or leave it empty)", addr, err)
	}
	errLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: errLog, Registry: reg, Timeout: 10 * time.Second}))
	if withPprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: errLog}
	return srv, ln, nil
}

// stopping is what a graceful stop needs.
type stopping struct {
	timeout time.Duration
	health  *health.Checker
	metrics *metrics.Metrics
	ssh     *sshd.Server
	spaces  *workspace.Manager
	web     *web.Server
	http    []*http.Server // the web server, and the metrics server if any
	log     *slog.Logger
}

// stop shuts the server down gracefully within s.timeout:
//
//  1. /readyz answers 503 at once: load balancers send nobody new;
//  2. the SSH server stops accepting, and every connected student is told
//     that the server restarts and their work is saved (their views quit
//     with that message, which the ssh client and the browser print);
//  3. sessions get until half the timeout (at most 5 s before its end) to
//     end, then the rest are closed;
//  4. the browsers' sockets close, every workspace journals its unsaved
//     edits and ends its REPL (its sandbox), and the HTTP servers stop.
//
// It returns an error when the last step overran the timeout.
func (s stopping) stop(ctx context.Context) error {
	s.health.Stopping()
	start := time.Now()
	deadline := start.Add(s.timeout)
	reserve := min(s.timeout/2, 5*time.Second) // for journaling and ending sandboxes
	sessCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline.Add(-reserve))
	defer cancel()
	sshDone := make(chan error, 1)
	go func() { sshDone <- s.ssh.Shutdown(sessCtx) }() // closes the listener at once
	told := s.spaces.EndAll(restartMessage)
	s.metrics.ShutdownTold(told)
	s.log.Info("told connected students the server is restarting", "workspaces", told)
	if err := <-sshDone; err != nil {
		s.log.Warn("ssh shutdown", "err", err)
	}
	if sessCtx.Err() != nil {
		s.log.Warn("sessions still open at the shutdown deadline were closed", "waited", time.Since(start).Round(time.Millisecond).String())
	}
	s.web.Close() // the browsers' terminals: their sessions have ended

	cleanCtx, cancelClean := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancelClean()
	ended := make(chan error, 1)
	// Owned by this stop: it ends when the workspaces have, or with the
	// process if they overrun the deadline.
	go func() { ended <- s.spaces.Shutdown() }()
	var err error
	select {
	case werr := <-ended:
		if werr != nil {
			s.log.Warn("workspaces ended with errors", "err", werr)
		}
	case <-cleanCtx.Done():
		err = errors.New("the workspaces did not end within --shutdown-timeout; sandboxes left behind are cleared at the next start")
		s.log.Error("shutdown overran its deadline", "err", err)
	}
	for _, h := range s.http {
		if h != nil {
			_ = h.Shutdown(cleanCtx)
		}
	}
	s.log.Info("stopped", "took", time.Since(start).Round(time.Millisecond).String())
	return err
}
