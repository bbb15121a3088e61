package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHomeUsage(t *testing.T) {
	home := t.TempDir()
	outside := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(outside, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	empty, err := homeUsage(home)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "a", "b", "f"), make([]byte, 256<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	// A hard link counts once, a symlink's target not at all, a sparse file
	// by what it allocates.
	if err := os.Link(filepath.Join(home, "a", "b", "f"), filepath.Join(home, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(home, "sym")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", filepath.Join(home, "root")); err != nil {
		t.Fatal(err)
	}
	sparse, err := os.Create(filepath.Join(home, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	sparse.Truncate(1 << 30)
	sparse.Close()
	used, err := homeUsage(home)
	if err != nil {
		t.Fatal(err)
	}
	if d := used - empty; d < 256<<10 || d > 256<<10+64<<10 {
		t.Fatalf("usage grew by %d bytes, want 256 KiB plus a few blocks of directories", d)
	}
	if _, err := homeUsage(filepath.Join(home, "sym")); err == nil {
		t.Fatal("a home that is a symlink was measured")
	}
}

// quotaSpec is alice's REPL with a 1 MiB quota checked every 20 ms.
func quotaSpec(t *testing.T) Spec {
	s := testSpec(t, "alice", aliceUID, DefaultPython, "-i")
	s.QuotaBytes = 1 << 20
	s.QuotaCheckEvery = 20 * time.Millisecond
	return s
}

func waitQuota(t *testing.T, p *Process, over bool) HomeUsage {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if u := p.HomeUsage(); u.Over == over {
			return u
		}
		select {
		case <-p.QuotaChanged():
		case <-deadline:
			t.Fatalf("the home did not go over=%v: %+v", over, p.HomeUsage())
		}
	}
}

// TestQuotaManySmallFiles: a program writing small files past the quota gets
// EROFS, the caller is told, another student is unaffected, and once files
// are deleted from outside (as the file browser does) writing works again.
func TestQuotaManySmallFiles(t *testing.T) {
	needSandbox(t)
	s := quotaSpec(t)
	p, out := startPty(t, s)
	at := out.waitOutput(t, 0, ">>> ", 10*time.Second)
	if u := p.HomeUsage(); u.Over || u.QuotaBytes != 1<<20 || u.Err != nil {
		t.Fatalf("fresh home: %+v", u)
	}
	// Up to 40 MB in 4 KiB files: far past the quota, and it must stop. The
	// error is EROFS once the home is read-only, or EFBIG while a file is
	// open for writing at every try of the remount (see quota_linux.go).
	p.Write([]byte(`exec("import os\nfor i in range(10000):\n    try:\n        with open('f%d' % i, 'wb') as f: f.write(b'x' * 4096)\n    except OSError as e:\n        print('ERR', e.errno, e.strerror, 'after', i); break\nelse:\n    print('NO ERROR')")` + "\n"))
	at = out.waitOutput(t, at, ">>> ", 30*time.Second)
	got := out.String()
	if !strings.Contains(got, "ERR 30 Read-only file system") && !strings.Contains(got, "ERR 27 File too large") {
		t.Fatalf("want EROFS or EFBIG in:\n%s\nusage %+v", got, p.HomeUsage())
	}
	if i := strings.LastIndex(got, "ERR "); i >= 0 {
		t.Logf("the program got: %s", strings.SplitN(got[i:], "\r", 2)[0])
	}
	// Once the program pauses, the home is read-only for certain.
	p.Write([]byte(`exec("import os, time\nwhile True:\n    try:\n        open('probe', 'w').close()\n    except OSError as e:\n        print('PROBE', e.errno); break\n    time.sleep(0.01)")` + "\n"))
	at = out.waitOutput(t, at, "PROBE 30", 20*time.Second)
	u := waitQuota(t, p, true)
	t.Logf("over quota: %d KiB used of %d KiB", u.Bytes>>10, u.QuotaBytes>>10)

	// Bob still works, in his own home.
	bob := testSpec(t, "bob", bobUID)
	if r := python(t, bob, "open('x', 'w').write('hi'); print('bob ok')"); r.stdout != "bob ok\n" {
		t.Fatalf("bob's sandbox while alice is over quota: %+v", r)
	}
	// Reading still works for alice.
	p.Write([]byte("print(len(open('f0').read()))\n"))
	at = out.waitOutput(t, at, "4096", 10*time.Second)

	// The file browser deletes files on the host; the home becomes writable.
	files, _ := filepath.Glob(filepath.Join(s.Home, "f*"))
	for _, f := range files {
		os.Remove(f)
	}
	waitQuota(t, p, false)
	p.Write([]byte("open('after', 'w').write('ok'); print('WROTE', 'AGAIN')\n"))
	out.waitOutput(t, at, "WROTE AGAIN", 10*time.Second)
}

// TestQuotaOpenFileStillStopped: a file kept open for writing stops the
// kernel from remounting the home read-only; its writes are stopped by the
// file size limit instead, and the remount happens once it is closed.
func TestQuotaOpenFileStillStopped(t *testing.T) {
	needSandbox(t)
	s := quotaSpec(t)
	s.Limits.FileSizeBytes = 256 << 20 // not what stops the stream
	// At most 64 MiB/s, so that a slow check on a loaded machine does not
	// fill the disk before the limit is reached.
	s.Command = []string{DefaultPython, "-c", `
import os, time
fd = os.open("stream", os.O_WRONLY | os.O_CREAT, 0o644)
try:
    while True:
        os.write(fd, b"x" * 65536)
        time.sleep(0.001)
except OSError as e:
    print("stream", e.errno, os.fstat(fd).st_size < (256 << 20))
os.close(fd)
i = 0
while True:  # until the home is read-only
    i += 1
    try:
        open("new%d" % i, "w").close()
    except OSError as e:
        print("new", e.errno)
        break
`}
	r := run(t, s, "", 30*time.Second)
	t.Log(r.stdout, r.stderr)
	if r.code != 0 || r.stdout != "stream 27 True\nnew 30\n" {
		t.Fatalf("exit %d: %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestQuotaOverAtStart: a home already over its quota is read-only from the
// first instruction, and the caller is told at once.
func TestQuotaOverAtStart(t *testing.T) {
	needSandbox(t)
	s := quotaSpec(t)
	if err := os.WriteFile(filepath.Join(s.Home, "big"), make([]byte, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Command = []string{DefaultPython, "-c", `
import os
print(len(open("big", "rb").read()))
try:
    open("new", "w")
except OSError as e:
    print("new", e.errno)
`}
	var out syncBuffer
	s.Stdout, s.Stderr = &out, &out
	p, err := Start(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	select {
	case <-p.QuotaChanged():
	default:
		t.Fatal("no quota change waiting after Start")
	}
	if u := p.HomeUsage(); !u.Over || u.Bytes < 2<<20 {
		t.Fatalf("HomeUsage = %+v", u)
	}
	if code, err := p.Wait(); code != 0 || err != nil || out.String() != "2097152\nnew 30\n" {
		t.Fatalf("Wait = %d, %v; output %q", code, err, out.String())
	}
}
