package sshd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"
)

const sftpPassword = "transfer lots 42"

// sftpClient logs in as user and starts the sftp subsystem.
func sftpClient(t *testing.T, ts *testServer, user string) (*sftp.Client, *gossh.Client) {
	t.Helper()
	c, err := dial(ts.addr, user, gossh.Password(sftpPassword))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cl, err := sftp.NewClient(c)
	if err != nil {
		t.Fatalf("sftp subsystem: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl, c
}

// A session holds at most sftpMaxHandles files and folders open; closing
// one gives its place back.
func TestSFTPHandleLimit(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", sftpPassword)
	cl, _ := sftpClient(t, ts, "alice")
	var open []*sftp.File
	for i := range sftpMaxHandles - 1 {
		f, err := cl.Open("welcome.py")
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		open = append(open, f)
	}
	// An open folder counts too (its listing is held with the handle).
	d, err := cl.ReadDir("/") // opens, reads, closes
	if err != nil || len(d) == 0 {
		t.Fatalf("ReadDir with one handle left: %v, %d entries", err, len(d))
	}
	last, err := cl.Create("new.txt")
	if err != nil {
		t.Fatalf("the last handle: %v", err)
	}
	if _, err := cl.Open("welcome.py"); err == nil {
		t.Fatalf("a handle past %d was given", sftpMaxHandles)
	}
	if _, err := cl.ReadDir("/"); err == nil {
		t.Fatalf("a folder was opened past %d handles", sftpMaxHandles)
	}
	if err := open[0].Close(); err != nil {
		t.Fatal(err)
	}
	f, err := cl.Open("welcome.py")
	if err != nil {
		t.Fatalf("after a close: %v", err)
	}
	f.Close()
	last.Close()
	for _, f := range open[1:] {
		f.Close()
	}
}

// SFTP sessions count toward MaxSessionsPerUser like terminals.
func TestSFTPSessionsCountTowardTheLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxSessionsPerUser = 2
	ts := startServer(t, 4, cfg)
	ts.addUser(t, "alice", sftpPassword)
	first, _ := sftpClient(t, ts, "alice")
	sftpClient(t, ts, "alice")
	c, err := dial(ts.addr, "alice", gossh.Password(sftpPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if cl, err := sftp.NewClient(c); err == nil {
		cl.Close()
		t.Fatal("a third SFTP session was served with a limit of 2")
	}
	first.Close()
	waitUntil(t, "the first session to be released", func() bool {
		ts.srv.mu.Lock()
		defer ts.srv.mu.Unlock()
		return ts.srv.sessions["alice"] < 2
	})
	c2, err := dial(ts.addr, "alice", gossh.Password(sftpPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	cl, err := sftp.NewClient(c2)
	if err != nil {
		t.Fatalf("after one ended: %v", err)
	}
	cl.Close()
}

// A connection that drops mid-upload leaves the old file whole and no
// temporary file; a closed upload replaces it.
func TestSFTPUploadDroppedLeavesTheOldFile(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", sftpPassword)
	cl, conn := sftpClient(t, ts, "alice")
	home := filepath.Join(ts.dataDir, "homes", "alice")
	if err := os.WriteFile(filepath.Join(home, "data.csv"), []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := cl.Create("data.csv") // O_TRUNC: a replacement
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(strings.Repeat("new\n", 1000))); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(home, "data.csv")); string(got) != "old\n" {
		t.Errorf("while the upload is open data.csv is %q, want the old content", got)
	}
	temps := func() []string {
		m, _ := filepath.Glob(filepath.Join(home, ".data.csv.tmp-*"))
		return m
	}
	if n := len(temps()); n != 1 {
		t.Fatalf("while the upload is open there are %d temporary files beside data.csv, want 1", n)
	}
	conn.Close() // no close of the file
	waitUntil(t, "the dropped upload's temporary file to go", func() bool { return len(temps()) == 0 })
	if got, _ := os.ReadFile(filepath.Join(home, "data.csv")); string(got) != "old\n" {
		t.Errorf("after the drop data.csv is %q, want the old content", got)
	}

	cl2, _ := sftpClient(t, ts, "alice")
	f, err = cl2.Create("data.csv")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new\n"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(home, "data.csv")); string(got) != "new\n" {
		t.Errorf("after the close data.csv is %q", got)
	}
}

// Requests a client could forge beyond what OpenSSH sends: absolute host
// paths, chown, links, and a rename out of the home.
func TestSFTPForgedRequests(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", sftpPassword)
	ts.addUser(t, "bob", sftpPassword)
	cl, _ := sftpClient(t, ts, "alice")
	sftpClient(t, ts, "bob") // bob's home exists
	home := filepath.Join(ts.dataDir, "homes", "alice")
	if p, err := cl.RealPath("../../../etc"); err != nil || p != "/etc" {
		t.Errorf("RealPath(../../../etc) = %q, %v; want /etc inside the view", p, err)
	}
	if _, err := cl.Stat("/etc/passwd"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat /etc/passwd: %v, want not found", err)
	}
	if err := cl.Symlink("/etc/shadow", "s"); err == nil {
		t.Error("symlink was made")
	}
	if err := cl.Link("welcome.py", "w2"); err == nil {
		t.Error("hardlink was made")
	}
	before, err := os.Stat(filepath.Join(home, "welcome.py"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Chown("welcome.py", 4242, 4242); err != nil {
		t.Errorf("chown: %v (ignored, not an error)", err)
	}
	after, err := os.Stat(filepath.Join(home, "welcome.py"))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := after.Sys().(*syscall.Stat_t), before.Sys().(*syscall.Stat_t); a.Uid != b.Uid || a.Gid != b.Gid {
		t.Errorf("chown changed welcome.py's owner from %d:%d to %d:%d", b.Uid, b.Gid, a.Uid, a.Gid)
	}
	if err := os.WriteFile(filepath.Join(home, "mine.txt"), []byte("alice's\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"../bob/mine.txt", "/../bob/mine.txt", "/../../etc/mine.txt"} {
		cl.Rename("mine.txt", to)
		cl.PosixRename("mine.txt", to)
	}
	if _, err := os.Lstat(filepath.Join(ts.dataDir, "homes", "bob", "mine.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a rename put mine.txt in bob's home (%v)", err)
	}
	if _, err := os.Lstat("/etc/mine.txt"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a rename put mine.txt in /etc (%v)", err)
	}
	vfs, err := cl.StatVFS("/")
	if err != nil {
		t.Fatal(err)
	}
	if got := vfs.TotalSpace(); got != 200<<20 {
		t.Errorf("statvfs total %d, want the 200 MiB quota", got)
	}
}

// A generated password must be replaced before files move, as before a
// command runs; the client is told how.
func TestSFTPRefusedUntilThePasswordIsChosen(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	_, pw, err := ts.accounts.AddUser(context.Background(), cli, accounts.NewUser{Username: "carol"})
	if err != nil || pw == "" {
		t.Fatalf("add carol with a generated password: %q, %v", pw, err)
	}
	c, err := dial(ts.addr, "carol", gossh.Password(pw))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := sess.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestSubsystem("sftp"); err != nil {
		t.Fatal(err)
	}
	// pkg/sftp's client would send its init and wait for a version: the
	// server answers nothing on stdout and closes the channel.
	out, _ := io.ReadAll(outPipe)
	if len(out) != 0 {
		t.Errorf("the refused subsystem wrote %d bytes of SFTP", len(out))
	}
	msg, _ := io.ReadAll(errPipe)
	stderr := bytes.NewBuffer(msg)
	if !strings.Contains(stderr.String(), "passwd") {
		t.Errorf("stderr does not say to choose a password: %q", stderr.String())
	}
}

// A folder with more entries than sftpMaxListing lists the first ones and
// says so.
func TestSFTPListingIsBounded(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", sftpPassword)
	cl, _ := sftpClient(t, ts, "alice")
	dir := filepath.Join(ts.dataDir, "homes", "alice", "many")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range sftpMaxListing + 5 {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%05d", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	ents, err := cl.ReadDir("many")
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != sftpMaxListing {
		t.Errorf("listed %d entries, want the bound %d", len(ents), sftpMaxListing)
	}
}

func TestPacer(t *testing.T) {
	p := newPacer(1, 2)
	if !p.allow() || !p.allow() {
		t.Fatal("a burst of 2 was not allowed")
	}
	if p.allow() {
		t.Error("a third token within the burst's second was allowed")
	}
	if d := p.reserve(); d <= 0 || d > 2*time.Second {
		t.Errorf("reserve past the burst waits %s, want up to 2s", d)
	}
	stop := make(chan struct{})
	close(stop)
	if err := p.wait(stop); err == nil {
		t.Error("wait with an empty bucket did not give up when the client left")
	}
}

// A refusal told on the client's stderr shows a path's escapes and
// overrides escaped, not as commands to the client's terminal (#16 case 5).
func TestSFTPRefusalIsEscaped(t *testing.T) {
	var buf bytes.Buffer
	v := &sftpView{stderr: &buf, notices: newPacer(sftpNoticesPerSecond, sftpNoticesPerSecond)}
	_ = v.refuse(fmt.Errorf("%s and %s are in different folders", "a\x1b]0;T\x07.txt", "/course/\u202eb"))
	got := buf.String()
	if strings.ContainsAny(got, "\x1b\x07\u202e") || !strings.Contains(got, `a\x1b]0;T\a.txt and /course/\u202eb`) {
		t.Errorf("stderr: %q", got)
	}
}
