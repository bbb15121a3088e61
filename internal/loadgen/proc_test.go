package loadgen

import (
	"net"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

func TestListenerPIDFindsThisProcess(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	pid, err := ListenerPID(port)
	if err != nil || pid != os.Getpid() {
		t.Errorf("ListenerPID(%d) = %d, %v; want this test (%d)", port, pid, err, os.Getpid())
	}
	l.Close()
	if _, err := ListenerPID(port); err == nil {
		t.Errorf("ListenerPID found a listener on a closed port")
	}
}

func TestProcReadings(t *testing.T) {
	// Some CPU time to read.
	for deadline := time.Now().Add(30 * time.Millisecond); time.Now().Before(deadline); {
	}
	if ticks, err := procCPU(os.Getpid()); err != nil || ticks == 0 {
		t.Errorf("procCPU(self) = %d, %v; want some ticks", ticks, err)
	}
	if rss, err := procRSS(os.Getpid()); err != nil || rss < 1<<20 {
		t.Errorf("procRSS(self) = %d, %v; want at least 1 MiB", rss, err)
	}
	if busy, total, err := machineCPU(); err != nil || busy == 0 || total <= busy {
		t.Errorf("machineCPU = %d busy of %d, %v", busy, total, err)
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if d := descendants(os.Getpid()); !slices.Contains(d, cmd.Process.Pid) {
		t.Errorf("descendants of this test %v lack its child %d", d, cmd.Process.Pid)
	}
}

func TestStatFieldsWithAHostileName(t *testing.T) {
	// A process may name itself anything, parentheses and spaces included.
	line := []byte("123 (evil) 1 2 (x) S 77 123 123 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 100 0 0\n")
	f, err := statFields(line)
	if err != nil || f[0] != "S" || f[1] != "77" || f[11] != "5" || f[12] != "6" {
		t.Errorf("statFields = %q, %v; want state S, ppid 77, utime 5, stime 6", f, err)
	}
}
