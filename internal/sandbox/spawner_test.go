package sandbox

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// touchFaults writes one byte to every page of mem and returns how many
// page faults that took. Pages already present and writable take none; after
// a fork of this process, each takes one (copy-on-write).
func touchFaults(t *testing.T, mem []byte) int64 {
	t.Helper()
	var before, after unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &before); err != nil {
		t.Fatal(err)
	}
	page := os.Getpagesize()
	for i := 0; i < len(mem); i += page {
		mem[i]++
	}
	if err := unix.Getrusage(unix.RUSAGE_SELF, &after); err != nil {
		t.Fatal(err)
	}
	return after.Minflt - before.Minflt
}

// TestStartDoesNotForkTheDaemon: starting a sandbox must not fork the
// daemon's address space (which made every page of its heap copy-on-write
// and stalled every session on a VM where a fault is dear, #13). The same
// measure is taken around a full fork first, so that the test shows it
// can tell.
func TestStartDoesNotForkTheDaemon(t *testing.T) {
	needSandbox(t)
	if testing.Short() {
		t.Skip("maps and touches 64 MiB")
	}
	const size = 64 << 20
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	// Small pages, so that each page is a fault of its own.
	if err := unix.Madvise(mem, unix.MADV_NOHUGEPAGE); err != nil {
		t.Fatal(err)
	}
	pages := int64(size / os.Getpagesize())
	touchFaults(t, mem) // present and writable from now on
	if n := touchFaults(t, mem); n > pages/10 {
		t.Fatalf("touching present pages took %d faults of %d pages: the measure does not work here", n, pages)
	}

	// What Go does for a process in a new user namespace: a full fork.
	cmd := exec.Command("/bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}},
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("a full fork: %v", err)
	}
	forked := touchFaults(t, mem)
	if forked < pages/2 {
		t.Fatalf("after a full fork, touching %d pages took only %d faults: the measure cannot tell a fork here", pages, forked)
	}

	for range 3 {
		r := run(t, testSpec(t, "alice", aliceUID, "true"), "", 30*time.Second)
		if r.code != 0 {
			t.Fatalf("true exited %d: %q", r.code, r.stderr)
		}
	}
	n := touchFaults(t, mem)
	t.Logf("touching %d pages: %d faults after a full fork, %d after three sandboxes", pages, forked, n)
	if n > pages/10 {
		t.Fatalf("after three sandboxes, touching %d pages took %d faults (a full fork took %d): Start forked the daemon", pages, n, forked)
	}
}

// TestSpawnerReplaced: a spawner that died is replaced on the next start, and
// a sandbox it had started is reported as ended.
func TestSpawnerReplaced(t *testing.T) {
	needSandbox(t)
	p, err := Start(t.Context(), testSpec(t, "alice", aliceUID, "sleep", "60"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sp, err := currentSpawner()
	if err != nil {
		t.Fatal(err)
	}
	spawnerPid := 0
	// The spawner is the init's parent.
	st, err := os.ReadFile("/proc/" + itoa(p.Pid()) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(line, "PPid:\t"); ok {
			spawnerPid, _ = strconv.Atoi(v)
		}
	}
	if spawnerPid == 0 || spawnerPid == os.Getpid() {
		t.Fatalf("the init's parent is %d (we are %d): not the spawner", spawnerPid, os.Getpid())
	}
	if err := syscall.Kill(spawnerPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the sandbox did not end with its spawner")
	}
	<-sp.done
	r := run(t, testSpec(t, "bob", bobUID, "echo", "again"), "", 30*time.Second)
	if r.code != 0 || r.stdout != "again\n" {
		t.Fatalf("after the spawner died: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestSpawnKeepsTheErrno: a start the kernel refuses comes back as its errno
// (Start maps EPERM and EACCES to ErrUnavailable on rootless hosts).
func TestSpawnKeepsTheErrno(t *testing.T) {
	needSandbox(t)
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	// CLONE_NEWUSER with CLONE_FS is refused with EINVAL (clone(2)).
	sys := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_FS}
	_, err = spawn(t.Context(), []string{"classroomd-sandbox", initMarker}, nil, []*os.File{null, null, null}, nil, sys)
	if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("spawn with refused clone flags: %v, want EINVAL", err)
	}
}
