package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const ginaPassword = "grace period over 5"

// 11. When a workspace's grace period ends with nobody back, nothing of it is
// left: no process of the student (not even one their program started in a
// session of its own) and no pty held by the server, which keeps running.
func (s *scenario) graceLeavesNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root: a student's processes are told apart by their uid only there")
		}
		t.Skip("a student's processes are told apart by their own uid only when the server runs as root")
	}
	h, b := s.h, s.b
	// One server per store: the restart step has stopped the backend's
	// server; when this step runs alone, stop it here.
	if !s.srv.exited() {
		s.srv.stop(t)
	}
	const grace = 2 * time.Second
	srv := h.startServer(t, b, "--workspace-grace", grace.String())
	s.srv = srv
	pid := srv.cmd.Process.Pid

	h.cli(t, cliOpts{stdin: ginaPassword + "\n"}, append([]string{"user", "add", "gina", "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	uid := homeOwner(t, b, "gina")
	if uid <= b.uidBase {
		t.Fatalf("gina's home is owned by uid %d, not by a student uid above --uid-base %d", uid, b.uidBase)
	}

	term := h.vtLogin(t, srv, sshOpts{knownHosts: s.knownHosts}, "gina's terminal", "gina", ginaPassword, 100, 30)
	term.waitScreen("welcome.py", "Python")
	term.typ(keyF4)
	term.waitScreen(">>>")
	// A program that leaves a child behind, in a session of its own.
	term.typ(`import subprocess, sys; child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)` + "\r")
	term.typ(`print("G" * 4, child.poll())` + "\r")
	term.waitScreen("GGGG None", ">>>")
	var procs []string
	if !waitFor(screenDeadline, srv.done, func() bool {
		procs = processesOf(uid)
		return len(procs) >= 2 && strings.Contains(strings.Join(procs, "\n"), "time.sleep(600)")
	}) {
		t.Fatalf("while gina's Python runs, the processes of her uid %d are %q; want Python and the child it started", uid, procs)
	}
	if fds := ptyFDs(pid); len(fds) == 0 {
		t.Fatalf("while gina's Python runs, the server (pid %d) holds no pty: the check below would prove nothing", pid)
	}

	term.kill() // the laptop is closed: nobody comes back

	ended := func() bool { return len(processesOf(uid)) == 0 && len(ptyFDs(pid)) == 0 }
	if !waitFor(grace+exitDeadline, srv.done, ended) {
		// What the server is stuck on: Go prints every goroutine's stack on
		// SIGQUIT, into the log the harness keeps.
		_ = srv.cmd.Process.Signal(syscall.SIGQUIT)
		srv.waitExit(exitDeadline)
		t.Fatalf("%s after the client was killed (the grace period is %s), gina's processes %q still run, or the server still holds ptys %q; the server's goroutines:\n%s",
			grace+exitDeadline, grace, processesOf(uid), ptyFDs(pid), tail(srv.stderr.String(), 60000))
	}
	if srv.exited() {
		t.Fatalf("the server exited while the grace period ran out:\n%s", tail(srv.stderr.String(), 4000))
	}
	// It was the grace period that ended them.
	if !waitFor(exitDeadline, srv.done, func() bool {
		return strings.Contains(srv.stderr.String(), `"msg":"workspace ended after its grace period","user":"gina"`)
	}) {
		t.Errorf("the server did not log the end of gina's workspace after its grace period")
	}
	srv.stop(t)
}

// homeOwner returns the uid that owns a student's home: their own uid.
func homeOwner(t *testing.T, b backend, user string) int {
	t.Helper()
	fi, err := os.Stat(filepath.Join(b.dataDir, "homes", user))
	if err != nil {
		t.Fatalf("%s's home: %v", user, err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// processesOf lists the processes with uid as their real, effective, saved or
// file-system uid, as "pid cmdline".
func processesOf(uid int) []string {
	dirs, _ := os.ReadDir("/proc")
	var found []string
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", d.Name(), "status"))
		if err != nil {
			continue // it ended meanwhile
		}
		for _, line := range strings.Split(string(status), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 5 || fields[0] != "Uid:" {
				continue
			}
			for _, f := range fields[1:] {
				if f == strconv.Itoa(uid) {
					cmd, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
					found = append(found, fmt.Sprintf("%s %s", d.Name(), strings.ReplaceAll(string(cmd), "\x00", " ")))
					break
				}
			}
		}
	}
	return found
}

// ptyFDs lists a process's open file descriptors on a pty (a master,
// /dev/ptmx, or a terminal, /dev/pts/N), as "fd -> target".
func ptyFDs(pid int) []string {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, _ := os.ReadDir(dir)
	var found []string
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err == nil && (target == "/dev/ptmx" || strings.HasPrefix(target, "/dev/pts/")) {
			found = append(found, e.Name()+" -> "+target)
		}
	}
	return found
}
