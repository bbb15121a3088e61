package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/console"
	"github.com/classroomd/classroomd/internal/health"
	"github.com/classroomd/classroomd/internal/metrics"
	"github.com/classroomd/classroomd/internal/retention"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/sshd"
)

func (a *app) serveCmd() *cobra.Command {
	var srv config.Server
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the classroom server (SSH, and HTTP for health checks)",
		Long: `Run the classroom server. Students connect with: ssh -p 2222 USERNAME@HOST

On first start with an empty roster, serve creates professor "admin" with a random
password and prints it once, with the ssh command to log in. Migrations are applied
at start. SIGINT or SIGTERM stop it gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := srv.Validate(); err != nil {
				return err
			}
			return a.serve(cmd.Context(), srv)
		},
	}
	srv.RegisterServerFlags(cmd.Flags())
	return cmd
}

// defaultGCPercent is the Go collector's target unless $GOGC says otherwise:
// the heap may grow to 1.5 times what is live, not twice. A student's live
// share is about 1.2 MB (their screens), so this saves about half a MB each
// for a collection every half minute or so at 200 students (measured: 3.2 ->
// 2.7 MiB of the server's memory per student, CPU 30 -> 35% of one core).
const defaultGCPercent = 50

func (a *app) serve(ctx context.Context, cfg config.Server) error {
	log := newLogger(a.stderr)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	svc, st, err := a.accounts(ctx, log, cfg.Throttle, m)
	if err != nil {
		return err
	}
	defer st.Close()

	// What isolation students' programs get decides where we may listen.
	isolation := sandbox.Probe()
	if n, err := sandbox.Sweep(); err != nil {
		log.Warn("could not clear sandboxes left by an earlier run", "err", err)
	} else if n > 0 {
		log.Info("cleared sandboxes left by an earlier run", "count", n)
	}
	log.Info("sandbox", "level", isolation.Level.String(), "missing", isolation.Missing())
	m.SandboxLevel(isolation.Level.String())
	sshAddr, trial, err := cfg.SSHListenAddr(isolation.Level != sandbox.None)
	if err != nil {
		return err
	}
	sshLn, err := net.Listen("tcp", sshAddr)
	if err != nil {
		return fmt.Errorf("listen for ssh on %s: %w (is another server running? choose another with --ssh-addr)", sshAddr, err)
	}
	if trial {
		fmt.Fprintf(a.stderr, "\n%s\n", strings.Repeat("!", 78))
		fmt.Fprintf(a.stderr, "!! TRIAL MODE: students' programs cannot be isolated on this machine, so\n"+
			"!! classroomd listens on %s only. Missing: %s.\n"+
			"!! Run it as root on Linux to serve a class (see: classroomd sandbox check).\n",
			sshLn.Addr(), strings.Join(isolation.Missing(), ", "))
		fmt.Fprintf(a.stderr, "%s\n\n", strings.Repeat("!", 78))
		log.Warn("trial mode: no isolation, listening on loopback only", "ssh", sshLn.Addr().String())
	} else if isolation.Level == sandbox.None {
		log.Warn("INSECURE: students' programs will run unconfined (--insecure-no-sandbox)")
	} else if isolation.Level == sandbox.Partial {
		fmt.Fprintf(a.stderr, "\n!! PARTIAL ISOLATION: students' programs are confined, but without %s.\n"+
			"!! Run classroomd as root to give each student their own uid and memory/CPU limits.\n\n",
			strings.Join(isolation.Missing(), ", "))
		log.Warn("partial isolation", "missing", isolation.Missing())
	}
	// The web page opens the same workspaces: without isolation, loopback only too.
	httpAddr, _, err := cfg.HTTPListenAddr(isolation.Level != sandbox.None)
	if err != nil {
		sshLn.Close()
		return err
	}
	httpLn, err := net.Listen("tcp", httpAddr)
	if err != nil {
		sshLn.Close()
		return fmt.Errorf("listen for http on %s: %w (choose another with --http-addr)", httpAddr, err)
	}

	adminPassword, err := svc.EnsureAdmin(ctx, cliActor())
	if err != nil {
		sshLn.Close()
		httpLn.Close()
		return fmt.Errorf("create the first professor: %w", err)
	}
	if adminPassword != "" {
		// Printed to stdout once, never to the log.
		fmt.Fprintf(a.stdout, "\nThe roster was empty, so professor \"admin\" was created with password:\n\n    %s\n\n"+
			"Log in with:\n\n    %s\n\nThis password is shown only once; you choose your own at first login.\n\n",
			adminPassword, sshCommand("admin", sshLn.Addr()))
	}

	spaces, cpu := a.workspaces(cfg, svc, log, m)
	defer cpu.Close()
	defer spaces.Shutdown() // if start fails below; a stop has done it already
	metrics.LiveWorkspaces(reg, func() int { return len(spaces.Live()) })
	class := classroom.New(classroom.Options{Store: st, Log: log})
	desks := console.New(console.Options{Store: st, Accounts: svc, Classroom: class, Workspaces: spaces, Log: log})
	courses := a.newCourse(st, svc)
	collectCtx, stopCollector := context.WithCancel(ctx)
	collectorDone := make(chan struct{})
	go func() { defer close(collectorDone); courses.RunCollector(collectCtx, cfg.CollectEvery, log) }()
	defer func() { stopCollector(); <-collectorDone }()
	// The audit log and login-failure counters are pruned in the background (#16 case 7).
	pruner := &retention.Pruner{Store: st, Audit: cfg.AuditRetention(), LoginFailures: cfg.LoginFailureRetention(), Log: log}
	pruneCtx, stopPruner := context.WithCancel(ctx)
	prunerDone := make(chan struct{})
	go func() { defer close(prunerDone); pruner.Run(pruneCtx) }()
	defer func() { stopPruner(); <-prunerDone }()
	server, err := sshd.New(sshd.Options{Config: cfg, HostKeyPath: a.cfg.HostKeyPath(), HomesDir: a.cfg.HomesDir(),
		Accounts: svc, Workspaces: spaces, Classroom: class, Console: desks, Course: courses, Log: log, Metrics: m,
		StorePing: st.Ping, CourseDir: a.cfg.CourseDir()})
	if err != nil {
		sshLn.Close()
		httpLn.Close()
		return err
	}
	checker := health.New(health.Options{Store: st, Sandbox: isolation.Level.String(), Metrics: m})
	httpSrv, webSrv, err := webServer(cfg, svc, server, checker.Handler(), log)
	if err != nil {
		sshLn.Close()
		httpLn.Close()
		return err
	}
	var metricsSrv *http.Server
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsSrv, metricsLn, err = metricsServer(cfg.MetricsAddr, reg, cfg.Pprof, log); err != nil {
			sshLn.Close()
			httpLn.Close()
			return err
		}
	}

	errc := make(chan error, 3)
	go func() { errc <- server.Serve(sshLn) }()
	go func() {
		if err := serveHTTP(httpSrv, httpLn); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
			return
		}
		errc <- nil
	}()
	attrs := []any{"ssh", sshLn.Addr().String(), "http", httpLn.Addr().String(), "data_dir", a.cfg.DataDir, "store", storeKind(a.cfg)}
	if metricsSrv != nil {
		go func() {
			if err := metricsSrv.Serve(metricsLn); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics: %w", err)
				return
			}
			errc <- nil
		}()
		attrs = append(attrs, "metrics", metricsLn.Addr().String())
	}
	log.Info("classroomd serving", attrs...)

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	case serveErr = <-errc:
		log.Error("server stopped", "err", serveErr)
	}
	err = stopping{timeout: cfg.ShutdownTimeout, health: checker, metrics: m, ssh: server, spaces: spaces,
		web: webSrv, http: []*http.Server{httpSrv, metricsSrv}, log: log}.stop(ctx)
	return errors.Join(serveErr, err)
}

// sshCommand is the exact command a person types to log in to this server.
func sshCommand(user string, addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "ssh " + user + "@localhost"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	} else if ip.To4() == nil {
		host = "[" + host + "]"
	}
	if port == "22" {
		return fmt.Sprintf("ssh %s@%s", user, host)
	}
	return fmt.Sprintf("ssh -p %s %s@%s", port, user, host)
}

func storeKind(c config.Store) string {
	if c.DatabaseURL != "" {
		return "postgres"
	}
	return "sqlite " + strconv.Quote(c.SQLitePath())
}
