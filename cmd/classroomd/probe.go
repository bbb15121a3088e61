package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/classroomd/classroomd/internal/loadgen"
)

// probePasswordEnv holds the canary's password (never a flag: flags show
// in the process list).
const probePasswordEnv = "CLASSROOMD_PROBE_PASSWORD"

type probeFlags struct {
	addr, user, key         string
	knownHosts, fingerprint string
	timeout                 time.Duration
	json                    bool
	textfile                string
}

func (a *app) probeCmd() *cobra.Command {
	var f probeFlags
	cmd := &cobra.Command{
		Use:   "probe --addr HOST:PORT --user CANARY",
		Short: "Check a running server as a student would: log in, save a file, run Python (exit status 1 on failure)",
		Long: `Check a running server end to end, as a canary student: log in over SSH,
make a file, type a line of Python into it, save it, run it and read its
answer, then delete the file. Each step's time is printed; the exit status is
1, naming the step, when a step fails or takes longer than --timeout. For
cron, a Kubernetes CronJob or a monitoring system; --textfile writes the
result for node_exporter's textfile collector (deploy/prometheus/alerts.yml
alerts on it).

The canary is an ordinary student account (classroomd user add canary).
Its password comes from $` + probePasswordEnv + `, or give --key with a
private key registered to it (ssh -p PORT canary@HOST keys add < key.pub). The server's host key
must be known: --known-hosts (OpenSSH's format, e.g. from ssh-keyscan -p
PORT HOST) or --host-key-fingerprint SHA256:...`,
		Example: `  CLASSROOMD_PROBE_PASSWORD=... classroomd probe --addr class.example.edu:2222 --user canary --known-hosts /etc/classroomd/known_hosts
  classroomd probe --addr 127.0.0.1:2222 --user canary --key canary_ed25519 --host-key-fingerprint SHA256:... --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.probe(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:2222", "the server's SSH address, HOST:PORT")
	fl.StringVar(&f.user, "user", "", "the canary student's username (required)")
	fl.StringVar(&f.key, "key", "", "a private key file (not passphrase-protected) registered to the canary; without it the password is read from $"+probePasswordEnv)
	fl.StringVar(&f.knownHosts, "known-hosts", "", "an OpenSSH known_hosts file holding the server's host key")
	fl.StringVar(&f.fingerprint, "host-key-fingerprint", "", "the server's host key fingerprint, SHA256:... (instead of --known-hosts)")
	fl.DurationVar(&f.timeout, "timeout", 15*time.Second, "the longest any one step may take")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON")
	fl.StringVar(&f.textfile, "textfile", "", "also write the result in Prometheus' text format to this file (atomically), for node_exporter's textfile collector")
	return cmd
}

func (a *app) probe(ctx context.Context, f probeFlags) error {
	if f.user == "" {
		return errors.New("give the canary student: --user NAME (an ordinary student account kept for the probe)")
	}
	if f.timeout <= 0 {
		return errors.New("--timeout must be positive")
	}
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		return fmt.Errorf("--addr %q is not HOST:PORT", f.addr)
	}
	hostKey, err := probeHostKey(f)
	if err != nil {
		return err
	}
	auth, err := probeAuth(f)
	if err != nil {
		return err
	}
	d := &loadgen.Dialer{Addr: f.addr, Auth: func(string) []gossh.AuthMethod { return auth },
		HostKeyCallback: hostKey, Cols: 120, Rows: 40, Timeout: f.timeout}
	start := time.Now()
	res := loadgen.Probe(ctx, d, f.user, f.timeout)
	if f.textfile != "" {
		if err := writeProbeTextfile(f.textfile, res, start); err != nil {
			return err
		}
	}
	if f.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		for _, s := range res.Steps {
			status := "ok"
			if s.Err != "" {
				status = "FAILED: " + s.Err
			}
			fmt.Fprintf(a.stdout, "%-9s %8.1f ms  %s\n", s.Step, s.Millis, status)
		}
	}
	if !res.OK {
		last := res.Steps[len(res.Steps)-1]
		if last.Screen != "" && !f.json {
			fmt.Fprintf(a.stderr, "the screen when %s failed:\n%s\n", last.Step, last.Screen)
		}
		return fmt.Errorf("probe of %s as %s failed at %s: %s", f.addr, f.user, res.Failed, last.Err)
	}
	return nil
}

// probeHostKey checks the server's host key against --known-hosts or
// --host-key-fingerprint: a probe that accepted any key would hand the
// canary's password to whoever answers.
func probeHostKey(f probeFlags) (gossh.HostKeyCallback, error) {
	switch {
	case f.knownHosts != "" && f.fingerprint != "":
		return nil, errors.New("give --known-hosts or --host-key-fingerprint, not both")
	case f.knownHosts != "":
		cb, err := knownhosts.New(f.knownHosts)
		if err != nil {
			return nil, fmt.Errorf("read --known-hosts: %w", err)
		}
		return cb, nil
	case f.fingerprint != "":
		want := strings.TrimSpace(f.fingerprint)
		if !strings.HasPrefix(want, "SHA256:") {
			return nil, fmt.Errorf("--host-key-fingerprint %q: expected SHA256:... (as ssh-keygen -lf shows it)", want)
		}
		return func(_ string, _ net.Addr, key gossh.PublicKey) error {
			if got := gossh.FingerprintSHA256(key); got != want {
				return fmt.Errorf("the server's host key is %s, not the %s given: is it the right server?", got, want)
			}
			return nil
		}, nil
	}
	return nil, errors.New("the server's host key must be known: give --known-hosts FILE (e.g. ssh-keyscan -p PORT HOST > FILE) or --host-key-fingerprint SHA256:...")
}

func probeAuth(f probeFlags) ([]gossh.AuthMethod, error) {
	if f.key != "" {
		pem, err := os.ReadFile(f.key)
		if err != nil {
			return nil, fmt.Errorf("read --key: %w", err)
		}
		signer, err := gossh.ParsePrivateKey(pem)
		if err != nil {
			return nil, fmt.Errorf("--key %s: %w (a key without a passphrase is needed)", f.key, err)
		}
		return []gossh.AuthMethod{gossh.PublicKeys(signer)}, nil
	}
	pw, ok := os.LookupEnv(probePasswordEnv)
	if !ok || pw == "" {
		return nil, fmt.Errorf("no way to log in: set %s to the canary's password, or give --key", probePasswordEnv)
	}
	return []gossh.AuthMethod{gossh.Password(pw)}, nil
}

// writeProbeTextfile writes the result for node_exporter's textfile
// collector, replacing the file atomically (the collector may read it at
// any moment).
func writeProbeTextfile(path string, res loadgen.ProbeResult, start time.Time) error {
	var b strings.Builder
	ok := 0
	if res.OK {
		ok = 1
	}
	fmt.Fprintf(&b, "# HELP classroomd_probe_success 1 when the last probe passed every step, else 0.\n")
	fmt.Fprintf(&b, "# TYPE classroomd_probe_success gauge\nclassroomd_probe_success %d\n", ok)
	fmt.Fprintf(&b, "# HELP classroomd_probe_last_run_timestamp_seconds When the last probe started.\n")
	fmt.Fprintf(&b, "# TYPE classroomd_probe_last_run_timestamp_seconds gauge\nclassroomd_probe_last_run_timestamp_seconds %d\n", start.Unix())
	fmt.Fprintf(&b, "# HELP classroomd_probe_step_seconds How long each step of the last probe took.\n")
	fmt.Fprintf(&b, "# TYPE classroomd_probe_step_seconds gauge\n")
	for _, s := range res.Steps {
		fmt.Fprintf(&b, "classroomd_probe_step_seconds{step=%q} %g\n", s.Step, s.Took.Seconds())
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".classroomd_probe-*.prom")
	if err != nil {
		return fmt.Errorf("write --textfile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return fmt.Errorf("write --textfile: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write --textfile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write --textfile: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write --textfile: %w", err)
	}
	return nil
}
