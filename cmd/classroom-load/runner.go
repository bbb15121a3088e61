package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/loadgen"
)

// runner runs the levels (or the storm) against classroomd and the floor,
// printing each result as it comes and keeping the JSON file current.
type runner struct {
	o       *options
	out     io.Writer
	log     io.Writer
	report  loadgen.Report
	idleRSS uint64
}

func newRunner(o *options, args []string, stdout, stderr io.Writer) *runner {
	r := &runner{o: o, out: stdout, report: loadgen.Report{Started: time.Now().UTC(), Machine: loadgen.ThisMachine(), Args: args}}
	if o.verbose {
		r.log = stderr
	}
	return r
}

func (r *runner) run(ctx context.Context) error {
	m := r.report.Machine
	fmt.Fprintf(r.out, "machine: %d CPUs (%s), %.1f GiB memory, Linux %s, load average %s at start\n",
		m.CPUs, m.Model, float64(m.MemBytes)/(1<<30), m.Kernel, m.LoadAvg)
	if !r.o.floorOnly {
		if err := r.classroomd(ctx); err != nil {
			return err
		}
	}
	if (r.o.floor || r.o.floorOnly) && ctx.Err() == nil {
		if err := r.floor(ctx); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return errors.New("interrupted: the figures above (and in --json) are what was measured until then")
	}
	return nil
}

// levels are the students of each level to run: the storm's, or --students.
func (r *runner) levels() []loadgen.Level {
	o := r.o
	if o.stormN > 0 {
		return []loadgen.Level{{Students: o.stormN, Ramp: o.stormWithin, Hold: 0, Seed: o.seed, Pace: o.pace, Log: r.log}}
	}
	if o.burstN > 0 {
		// Cold (fresh workspaces), then warm: the same students again.
		lv := loadgen.Level{Students: o.burstN, Ramp: o.burstWithin, Hold: time.Second, Seed: o.seed, Pace: o.pace, Log: r.log, Burst: true}
		return []loadgen.Level{lv, lv}
	}
	var lvs []loadgen.Level
	for _, n := range o.students {
		lvs = append(lvs, loadgen.Level{Students: n, Ramp: o.ramp, Hold: o.hold, Typing: o.typing, CPU: o.cpu, Seed: o.seed, Pace: o.pace, Log: r.log, Professor: o.professor})
	}
	return lvs
}

func (r *runner) classroomd(ctx context.Context) error {
	pw, err := r.o.password()
	if err != nil {
		return err
	}
	pid, why := r.serverPID()
	if pid == 0 {
		fmt.Fprintf(r.out, "the server's CPU and memory are not measured: %s\n", why)
	}
	target := loadgen.Target{
		Name: "classroomd",
		Opener: &loadgen.Dialer{
			Addr: r.o.addr, HostKey: &loadgen.HostKeyPin{}, Cols: r.o.cols, Rows: r.o.rows, Timeout: r.o.pace.Timeout,
			Auth: func(string) []ssh.AuthMethod { return []ssh.AuthMethod{ssh.Password(pw)} },
		},
		User: func(i int) string { return loadgen.Username(r.o.prefix, i) },
	}
	if r.o.webURL != nil {
		tlsConf, err := r.o.webTLS()
		if err != nil {
			return err
		}
		target.Name = "classroomd (web)"
		target.Opener = &loadgen.WebDialer{
			Base: r.o.webURL, Password: pw, Cols: r.o.cols, Rows: r.o.rows, Timeout: r.o.pace.Timeout,
			TLS: tlsConf, ForwardedFor: r.o.webForwarded,
		}
	}
	for i, lv := range r.levels() {
		var notes []string
		if pid > 0 {
			if n := r.settle(ctx, pid); n > 0 {
				notes = append(notes, fmt.Sprintf("%d processes of an earlier level were still running below the server when this one began (start classroomd with a short --workspace-grace)", n))
			}
			if i == 0 {
				r.idleRSS, _ = loadgen.ServerRSS(pid)
			}
			lv.ServerPID, lv.IdleRSS = pid, r.idleRSS
		}
		if ctx.Err() != nil {
			return nil
		}
		res := loadgen.Run(ctx, target, lv)
		res.Notes = append(notes, res.Notes...)
		if r.o.stormN > 0 {
			res.Target += " login storm"
		}
		if r.o.burstN > 0 {
			res.Target += [...]string{" burst (cold)", " burst (warm)"}[min(i, 1)]
		}
		if err := r.add(res); err != nil {
			return err
		}
	}
	return nil
}

// serverPID is --server-pid, or the process listening on --addr's port (or
// --web's) when that is this machine's loopback.
func (r *runner) serverPID() (int, string) {
	if r.o.serverPID > 0 {
		return r.o.serverPID, ""
	}
	addr := r.o.addr
	if r.o.webURL != nil {
		addr = (&loadgen.WebDialer{Base: r.o.webURL}).HostPort()
	}
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return 0, "the server is not on this machine's loopback (give --server-pid when it runs here)"
	}
	p, _ := strconv.Atoi(port)
	pid, err := loadgen.ListenerPID(p)
	if err != nil {
		return 0, err.Error()
	}
	return pid, ""
}

// settle waits until no process of an earlier level runs below the server,
// and returns how many still do when --settle ran out.
func (r *runner) settle(ctx context.Context, pid int) int {
	deadline := time.Now().Add(r.o.settle)
	said := false
	for {
		n := loadgen.Sandboxes(pid)
		if n == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return n
		}
		if !said {
			fmt.Fprintf(r.out, "waiting up to %s for the %d processes below the server to end (workspaces end --workspace-grace after their student leaves)\n", r.o.settle, n)
			said = true
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (r *runner) floor(ctx context.Context) error {
	f, err := loadgen.StartFloor(ctx, r.o.sshd, r.o.python)
	if err != nil {
		return err
	}
	defer f.Stop()
	fmt.Fprintf(r.out, "\nthe floor: OpenSSH's sshd on %s, every session `%s -i` as %s\n", f.Addr, r.o.python, f.User)
	target := loadgen.Target{
		Name: "floor (openssh + python3)", Plain: true,
		Opener: &loadgen.Dialer{
			Addr: f.Addr, HostKey: &loadgen.HostKeyPin{}, Cols: r.o.cols, Rows: r.o.rows, Timeout: r.o.pace.Timeout,
			Auth: func(string) []ssh.AuthMethod { return []ssh.AuthMethod{ssh.PublicKeys(f.Signer)} },
		},
		User: func(int) string { return f.User },
	}
	for _, lv := range r.levels() {
		if ctx.Err() != nil {
			return nil
		}
		lv.Professor = "" // the floor has no console
		res := loadgen.Run(ctx, target, lv)
		res.Notes = append(res.Notes, "only the Python echo compares with classroomd's (the floor logs in with a key, and has no editor)")
		if len(res.Errors) > 0 {
			if log := f.Log(); log != "" {
				res.Notes = append(res.Notes, "sshd said: "+log)
			}
		}
		if err := r.add(res); err != nil {
			return err
		}
	}
	return nil
}

// add prints a result and rewrites the JSON file with it.
func (r *runner) add(res loadgen.Result) error {
	loadgen.WriteTable(r.out, res)
	r.report.Results = append(r.report.Results, res)
	if r.o.jsonFile == "" {
		return nil
	}
	b, err := json.MarshalIndent(r.report, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(r.o.jsonFile, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write --json: %w", err)
	}
	return nil
}

// createAccounts prints the roster, or imports it with --classroomd.
func createAccounts(ctx context.Context, o *options, stdout io.Writer) error {
	pw, err := o.password()
	if err != nil {
		return err
	}
	if o.classroomd == "" {
		return loadgen.WriteRoster(stdout, o.prefix, o.createAccounts, o.professor, pw)
	}
	return loadgen.ImportAccounts(ctx, o.classroomd, []string{"--data-dir", o.dataDir}, o.prefix, o.createAccounts, o.professor, pw, stdout)
}
