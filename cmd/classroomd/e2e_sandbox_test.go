package main

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/classroomd/classroomd/internal/testkit"
)

// `classroomd sandbox exec` as an operator runs it: the program's exit status
// comes back, and interrupting or killing exec ends the sandbox with it.
func TestSandboxExecEndsWithItsCommand(t *testing.T) {
	testkit.NeedRoot(t, "sandbox exec")
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

// `classroomd sandbox exec` applies the home quota of serve's REPLs (#16
// case 3: it applied none, and a program writing 64 KiB files filled 7.8 GB
// in 18 s): the program's writes fail once the home is over it.
func TestSandboxExecKeepsTheHomeQuota(t *testing.T) {
	testkit.NeedRoot(t, "sandbox exec")
	h := newHarness(t)
	flags := []string{"--data-dir", t.TempDir(), "--bcrypt-cost", "4", "--uid-base", "331000"}
	h.cli(t, cliOpts{stdin: "rabbit hole 42\n"}, append([]string{"user", "add", "alice", "--password-stdin"}, flags...)...).mustSucceed(t)

	// 64 KiB files, a millisecond apart (at most 64 MB a second), for up to 60 s.
	prog := `import os, time
total, start = 0, time.time()
try:
    while time.time() - start < 60:
        with open("f%06d" % (total >> 16), "wb") as f:
            f.write(b"x" * 65536)
        total += 65536
        time.sleep(0.001)
    print("never stopped", total >> 20)
except OSError as e:
    print("stopped at", total >> 20, "MiB:", e.strerror)
`
	res := h.cli(t, cliOpts{}, append(append([]string{"sandbox", "exec", "alice", "--home-quota-mib", "4"}, flags...),
		"--", "/usr/bin/python3", "-c", prog)...)
	out := strings.TrimSpace(res.stdout)
	var mib int
	if _, err := fmt.Sscanf(out, "stopped at %d MiB:", &mib); err != nil {
		t.Fatalf("the program's writes were not stopped by the 4 MiB quota: %q (stderr %q)", out, res.stderr)
	}
	// The quota is checked every 2 s or so (internal/sandbox/quota_linux.go):
	// the home overshoots by what is written between two checks, not more.
	if mib < 4 || mib > 512 {
		t.Errorf("the writes stopped at %d MiB with a 4 MiB quota", mib)
	}
	t.Logf("%s", out)
}
