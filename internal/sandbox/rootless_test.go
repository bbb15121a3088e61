package sandbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment of TestRootlessChild, set by TestRootless.
const (
	envRootlessHome   = "SANDBOX_TEST_ROOTLESS_HOME"
	envRootlessSecret = "SANDBOX_TEST_ROOTLESS_SECRET"
)

const nobody = 65534

// TestRootless runs TestRootlessChild as an unprivileged user (nobody), in a
// copy of this test binary: the Partial level, as on a laptop.
func TestRootless(t *testing.T) {
	if os.Getenv(envRootlessHome) != "" {
		t.Skip("this is the rootless child")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to become another user")
	}
	if !rootlessWorks() {
		t.Skip("unprivileged user namespaces are disabled here")
	}
	// Everything nobody needs: the binary, a home of its own, and a file
	// it may read on the host but must not see in the sandbox.
	dir, err := os.MkdirTemp("", "sandbox-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "sandbox.test")
	if err := copyFile(self, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "homes", "carol")
	other := filepath.Join(dir, "other")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{home, other, tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{home, tmp} {
		if err := os.Chown(d, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(other, "secret.txt")
	if err := os.WriteFile(secret, []byte("readable by nobody on the host"), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run=^TestRootlessChild$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "TMPDIR=" + tmp, envRootlessHome + "=" + home, envRootlessSecret + "=" + secret}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	t.Logf("as nobody:\n%s", out)
	if err != nil {
		t.Fatalf("the rootless child failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: TestRootlessChild") {
		t.Fatal("the rootless child did not run")
	}
	// On the host, what the student made belongs to the daemon's uid.
	fi, err := os.Stat(filepath.Join(home, "made-inside.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != nobody {
		t.Errorf("made-inside.txt is owned by %d, want the daemon's uid %d", st.Uid, nobody)
	}
}

// TestRootlessChild is TestRootless's other half, run as nobody.
func TestRootlessChild(t *testing.T) {
	home, secret := os.Getenv(envRootlessHome), os.Getenv(envRootlessSecret)
	if home == "" {
		t.Skip("run by TestRootless")
	}
	if os.Geteuid() == 0 {
		t.Fatal("the rootless child runs as root")
	}
	r := Probe()
	for _, m := range r.Mechanisms {
		t.Logf("%-14s ok=%-5v %s", m.Name, m.OK, m.Detail)
	}
	missing := r.Missing()
	if r.Level != Partial {
		t.Fatalf("level %v, want partial (missing %v)", r.Level, missing)
	}
	for _, want := range []string{"student uids", "cgroup memory", "cgroup pids", "cgroup cpu"} {
		if !slices.Contains(missing, want) {
			t.Errorf("Report.Missing() = %v, want %q in it", missing, want)
		}
	}
	for _, m := range r.Mechanisms {
		if (m.Name == "namespaces" || m.Name == "trial sandbox") && !m.OK {
			t.Errorf("%s missing: %s", m.Name, m.Detail)
		}
	}

	s := Spec{Username: "carol", UID: 1000, GID: 1000, Home: home, Limits: DefaultLimits(), QuotaBytes: 1 << 20, QuotaCheckEvery: 20 * time.Millisecond}
	s.Limits.Pids = 32
	s.Command = []string{DefaultPython, "-c", fmt.Sprintf(`
import os, resource
print("uid", os.getuid(), os.getgid())
for p in [%q, "/etc/shadow", "/proc/1/environ"]:
    try:
        open(p).read(); print(p, "READ")
    except OSError as e:
        print(p, type(e).__name__)
open("made-inside.txt", "w").write("hi")
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines())
print("caps", status["CapEff"].strip(), status["CapAmb"].strip(), "seccomp", status["Seccomp"].strip())
print("nproc", resource.getrlimit(resource.RLIMIT_NPROC)[0])
n = 0
try:
    while True:
        if os.fork() == 0:
            import time; time.sleep(30); os._exit(0)
        n += 1
except OSError as e:
    print("fork stopped", e.errno, n < 32)
open("big", "wb").write(b"x" * (2 << 20))  # over the quota
import time
while True:
    try:
        open("probe", "w").close()
    except OSError as e:
        print("quota", e.errno); break
    time.sleep(0.01)
`, secret)}
	var out syncBuffer
	s.Stdout, s.Stderr = &out, &out
	p, err := Start(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	done := make(chan struct{})
	go func() { p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the rootless sandbox did not finish: %q", out.String())
	}
	t.Log(out.String())
	for _, want := range []string{
		"uid 1000 1000",
		secret + " FileNotFoundError",
		"/etc/shadow FileNotFoundError",
		"/proc/1/environ PermissionError",
		"caps 0000000000000000 0000000000000000 seccomp 2",
		"nproc 32",
		"fork stopped 11 True",
		"quota 30",
	} {
		if !strings.Contains(out.String(), want+"\n") {
			t.Errorf("want %q in the output", want)
		}
	}
	if strings.Contains(out.String(), "READ") {
		t.Error("the rootless sandbox read a file outside its home")
	}
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
