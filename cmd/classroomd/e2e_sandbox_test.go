package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// `classroomd sandbox exec` as an operator runs it: the program's exit status
// comes back, and interrupting or killing exec ends the sandbox with it.
func TestSandboxExecEndsWithItsCommand(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI runs as root: the sandbox must be tested there")
		}
		t.Skip("sandbox exec needs root")
	}
	h := newHarness(t)
	const uidBase = 330000
	flags := []string{"--data-dir", t.TempDir(), "--bcrypt-cost", "4", "--uid-base", strconv.Itoa(uidBase)}
	h.cli(t, cliOpts{stdin: "rabbit hole 42\n"}, append([]string{"user", "add", "alice", "--password-stdin"}, flags...)...).mustSucceed(t)

	exec3 := h.cli(t, cliOpts{}, append(append([]string{"sandbox", "exec", "alice"}, flags...), "--", "/usr/bin/python3", "-c", "raise SystemExit(3)")...)
	if exec3.code != 3 {
		t.Errorf("exit status of the program: %d, want 3\n%s", exec3.code, exec3.stderr)
	}

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			args := append(append([]string{"sandbox", "exec", "alice"}, flags...), "--",
				"/usr/bin/python3", "-c", "import os, time; print('ready', os.getuid(), flush=True); time.sleep(300)")
			cmd := exec.Command(h.bin, args...)
			cmd.Env = cleanEnv()
			p := startProc(t, cmd)
			if !waitFor(screenDeadline, p.done, func() bool { return strings.Contains(p.stdout.String(), "ready") }) {
				t.Fatalf("the program never started: %s %s", p.stdout.String(), p.stderr.String())
			}
			if len(studentProcesses(uidBase)) == 0 {
				t.Fatal("no process runs as alice's uid while the program sleeps")
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if _, exited := p.waitExit(exitDeadline); !exited {
				t.Fatalf("sandbox exec did not end on %s", sig)
			}
			if !waitFor(exitDeadline, nil, func() bool { return len(studentProcesses(uidBase)) == 0 }) {
				t.Errorf("after %s of sandbox exec, alice's programs still run: %v", sig, studentProcesses(uidBase))
			}
		})
	}
}
