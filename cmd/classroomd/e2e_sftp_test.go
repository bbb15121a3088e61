package main

// Files in and out over SSH, end to end (#17): the real binary and the real
// OpenSSH sftp and scp clients, on both stores. Read it as a term's files:
//
//	sftp -b: put, mkdir, rename, ls, get, rm     the files are alice's, her uid's
//	scp up and back down                         the same bytes
//	scp -O (legacy)                              refused with a sentence, non-zero
//	get /etc/shadow, ../bob/secret.txt, a link   refused; nothing of bob's leaks
//	  to bob's file, put ../bob/evil.txt         and nothing lands in bob's home
//	df                                           the quota, not the disk
//	100 MB up and back                           the same SHA-256
//	30 MB more, past the 120 MiB quota           refused, saying so; nothing kept
//	the professor                                /course readable, not writable
//	  /students/alice                            alice's home read-only, audited
//	the audit log                                every upload, download, rename,
//	                                             delete, with its path

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store/postgres/pgtest"
)

const (
	sftpClientPath = "/usr/bin/sftp"
	scpClientPath  = "/usr/bin/scp"
	sftpQuotaMiB   = 120
)

func TestSFTP(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests start real servers and ssh clients; skipped with -short")
	}
	ci := os.Getenv("CI") == "true"
	for _, tool := range []string{sshClientPath, sftpClientPath, scpClientPath} {
		if _, err := os.Stat(tool); err != nil {
			msg := fmt.Sprintf("the SFTP end-to-end test needs OpenSSH's %s (openssh-client): %v", tool, err)
			if ci {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	if os.Geteuid() != 0 {
		if ci {
			t.Fatal("the SFTP test checks the uid of uploaded files: run it as root (as .ci/run does)")
		}
		t.Skip("the SFTP test checks the uid of uploaded files, which needs root")
	}
	h := newHarness(t)
	backends := []struct {
		name string
		new  func(t *testing.T) backend
	}{
		{"sqlite", func(t *testing.T) backend { return backend{dataDir: t.TempDir(), uidBase: 360000} }},
		{"postgres", func(t *testing.T) backend {
			return backend{dataDir: t.TempDir(), dbURL: pgtest.NewDatabase(t), uidBase: 370000}
		}},
	}
	for _, bc := range backends {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			h.sftpScenario(t, bc.new(t))
		})
	}
}

// sftpRun is one OpenSSH sftp or scp run against the server.
type sftpRun struct {
	h     *harness
	srv   *server
	known string
	local string // the client's working folder
}

func (r *sftpRun) client(t *testing.T, tool, user, password string, args ...string) result {
	t.Helper()
	// sshArgs ends with user@host, which sftp takes but scp does not: scp
	// gets the options only and names the host in its own arguments.
	opts := sshArgs(r.srv, sshOpts{knownHosts: r.known}, user)
	opts = opts[:len(opts)-1]
	for i, a := range opts {
		if a == "-p" && tool != sshClientPath {
			opts[i] = "-P" // sftp and scp spell the port -P
		}
	}
	all := append(opts, args...)
	cmd := exec.Command(tool, all...)
	cmd.Env = r.h.sshEnv(password)
	cmd.Dir = r.local
	cmd.Stdin = strings.NewReader("")
	done := make(chan struct{})
	timer := time.AfterFunc(commandDeadline, func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
		}
	})
	defer timer.Stop()
	defer close(done)
	return run(t, cmd, all)
}

// batch runs `sftp -b` with the given lines; BatchMode=no keeps the password
// prompt that -b would turn off.
func (r *sftpRun) batch(t *testing.T, user, password string, lines ...string) result {
	t.Helper()
	f := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return r.client(t, sftpClientPath, user, password, "-o", "BatchMode=no", "-b", f, user+"@127.0.0.1")
}

// refused checks that a batch logged in and ran its command (sftp -b echoes
// it as "sftp> ...") and then failed: a failed login is not a refusal.
func refused(t *testing.T, res result, what string) {
	t.Helper()
	if !strings.Contains(res.stdout, "sftp> ") {
		t.Errorf("%s: the sftp session did not start (exit %d)\n%s", what, res.code, res.stderr)
		return
	}
	if res.code == 0 {
		t.Errorf("%s succeeded; want it refused\n%s", what, res.stdout)
	}
}

func ownerOf(t *testing.T, p string) (uid, gid uint32) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

func writeRandom(t *testing.T, p string, n int64) [32]byte {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, sum), rand.Reader, n); err != nil {
		t.Fatal(err)
	}
	return [32]byte(sum.Sum(nil))
}

func sumOf(t *testing.T, p string) [32]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		t.Fatal(err)
	}
	return [32]byte(sum.Sum(nil))
}

// noTempLeft fails when an upload's temporary file is left in dir.
func noTempLeft(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("an upload's temporary file was left in %s: %s", dir, e.Name())
		}
	}
}

func (h *harness) sftpScenario(t *testing.T, b backend) {
	srv := h.startServer(t, b, "--home-quota-mib", fmt.Sprint(sftpQuotaMiB))
	users := []struct{ name, role, password string }{
		{"alice", "student", "orange kite sends 42"},
		{"bob", "student", "silver drum keeps 42"},
		{"pat", "professor", "green lamp teaches 42"},
	}
	pw := map[string]string{}
	for _, u := range users {
		pw[u.name] = u.password
		h.cli(t, cliOpts{stdin: u.password + "\n"}, append([]string{"user", "add", u.name, "--role", u.role, "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	}
	homes := filepath.Join(b.dataDir, "homes")
	alice, bob := filepath.Join(homes, "alice"), filepath.Join(homes, "bob")
	r := &sftpRun{h: h, srv: srv, known: filepath.Join(t.TempDir(), "known_hosts"), local: t.TempDir()}
	// The homes are made at the first login; the users' first logins are
	// over SFTP.
	if res := r.batch(t, "bob", pw["bob"], "ls"); res.code != 0 {
		t.Fatalf("bob's first sftp login: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if err := os.WriteFile(filepath.Join(bob, "secret.txt"), []byte("bob's answers\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bobUID, _ := ownerOf(t, bob)
	os.Chown(filepath.Join(bob, "secret.txt"), int(bobUID), int(bobUID))

	notes := filepath.Join(r.local, "notes.txt")
	os.WriteFile(notes, []byte("measured 42 twice\n"), 0o644)

	t.Run("put_mkdir_rename_ls_get_rm", func(t *testing.T) {
		res := r.batch(t, "alice", pw["alice"],
			"put notes.txt",
			"mkdir lab1",
			"rename notes.txt lab1/notes.txt",
			"put notes.txt gone.txt",
			"rm gone.txt",
			"ls -l lab1",
			"get lab1/notes.txt back.txt",
			"mkdir empty",
			"rmdir empty",
		)
		if res.code != 0 {
			t.Fatalf("sftp -b: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
		}
		if !strings.Contains(res.stdout, "notes.txt") {
			t.Errorf("ls -l lab1 does not list notes.txt:\n%s", res.stdout)
		}
		got, err := os.ReadFile(filepath.Join(alice, "lab1", "notes.txt"))
		if err != nil || string(got) != "measured 42 twice\n" {
			t.Errorf("lab1/notes.txt on the server: %q, %v", got, err)
		}
		if back, err := os.ReadFile(filepath.Join(r.local, "back.txt")); err != nil || string(back) != "measured 42 twice\n" {
			t.Errorf("the file fetched back: %q, %v", back, err)
		}
		for _, gone := range []string{"gone.txt", "notes.txt", "empty"} {
			if _, err := os.Lstat(filepath.Join(alice, gone)); !os.IsNotExist(err) {
				t.Errorf("%s is still in alice's home (%v)", gone, err)
			}
		}
		homeUID, homeGID := ownerOf(t, alice)
		if homeUID < uint32(b.uidBase) {
			t.Fatalf("alice's home is owned by uid %d, not a student uid above %d", homeUID, b.uidBase)
		}
		for _, p := range []string{"lab1", "lab1/notes.txt"} {
			if uid, gid := ownerOf(t, filepath.Join(alice, p)); uid != homeUID || gid != homeGID {
				t.Errorf("%s is owned by %d:%d, want alice's %d:%d", p, uid, gid, homeUID, homeGID)
			}
		}
		noTempLeft(t, alice)
	})

	t.Run("scp_both_ways", func(t *testing.T) {
		src := filepath.Join(r.local, "data.csv")
		sum := writeRandom(t, src, 3<<20)
		if res := r.client(t, scpClientPath, "alice", pw["alice"], src, "alice@127.0.0.1:lab1/data.csv"); res.code != 0 {
			t.Fatalf("scp up: exit %d\n%s", res.code, res.stderr)
		}
		if got := sumOf(t, filepath.Join(alice, "lab1", "data.csv")); got != sum {
			t.Errorf("lab1/data.csv on the server differs from what scp sent")
		}
		if uid, _ := ownerOf(t, filepath.Join(alice, "lab1", "data.csv")); uid < uint32(b.uidBase) {
			t.Errorf("the scp'd file is owned by uid %d, not alice's", uid)
		}
		down := filepath.Join(r.local, "data-back.csv")
		if res := r.client(t, scpClientPath, "alice", pw["alice"], "alice@127.0.0.1:lab1/data.csv", down); res.code != 0 {
			t.Fatalf("scp down: exit %d\n%s", res.code, res.stderr)
		}
		if sumOf(t, down) != sum {
			t.Errorf("the file scp fetched back differs from what was sent")
		}
		// A folder back with -r, as the README shows.
		res := r.client(t, scpClientPath, "alice", pw["alice"], "-r", "alice@127.0.0.1:lab1", filepath.Join(r.local, "lab1-back"))
		if res.code != 0 {
			t.Fatalf("scp -r down: exit %d\n%s", res.code, res.stderr)
		}
		if sumOf(t, filepath.Join(r.local, "lab1-back", "data.csv")) != sum {
			t.Errorf("lab1/data.csv fetched with scp -r differs from what was sent")
		}
	})

	t.Run("legacy_scp_refused_with_a_sentence", func(t *testing.T) {
		res := r.client(t, scpClientPath, "alice", pw["alice"], "-O", notes, "alice@127.0.0.1:legacy.txt")
		if res.code == 0 {
			t.Errorf("scp -O succeeded; want it refused")
		}
		if !strings.Contains(res.stderr, "legacy scp (scp -O) is not supported here") {
			t.Errorf("scp -O's stderr does not say why:\n%s", res.stderr)
		}
		if _, err := os.Lstat(filepath.Join(alice, "legacy.txt")); !os.IsNotExist(err) {
			t.Errorf("scp -O left legacy.txt (%v)", err)
		}
	})

	t.Run("nothing_outside_the_home", func(t *testing.T) {
		// A link a student could make from the REPL, to bob's file.
		if err := os.Symlink("../bob/secret.txt", filepath.Join(alice, "bobs.txt")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/etc", filepath.Join(alice, "etc-link")); err != nil {
			t.Fatal(err)
		}
		for _, remote := range []string{"/etc/shadow", "../bob/secret.txt", "/../bob/secret.txt", "bobs.txt", "etc-link/shadow"} {
			local := filepath.Join(r.local, "leak")
			os.Remove(local)
			refused(t, r.batch(t, "alice", pw["alice"], fmt.Sprintf("get %q leak", remote)), "get "+remote)
			if got, err := os.ReadFile(local); err == nil && len(got) > 0 {
				t.Errorf("get %s fetched %d bytes: %.40q", remote, len(got), got)
			}
		}
		for _, remote := range []string{"../bob/evil.txt", "/../bob/evil.txt", "bobs.txt/evil.txt", "etc-link/evil"} {
			refused(t, r.batch(t, "alice", pw["alice"], fmt.Sprintf("put notes.txt %q", remote)), "put to "+remote)
		}
		for _, p := range []string{filepath.Join(bob, "evil.txt"), "/etc/evil"} {
			if _, err := os.Lstat(p); !os.IsNotExist(err) {
				t.Errorf("%s exists after alice's puts (%v)", p, err)
			}
		}
		if got, _ := os.ReadFile(filepath.Join(bob, "secret.txt")); string(got) != "bob's answers\n" {
			t.Errorf("bob's secret.txt changed: %q", got)
		}
		// Writing through the link to bob's file replaces the link, never bob's file.
		res := r.batch(t, "alice", pw["alice"], "put notes.txt bobs.txt")
		if got, _ := os.ReadFile(filepath.Join(bob, "secret.txt")); string(got) != "bob's answers\n" {
			t.Errorf("a put onto the link changed bob's file: %q (sftp exit %d)", got, res.code)
		}
		// No links can be made.
		refused(t, r.batch(t, "alice", pw["alice"], "symlink /etc/shadow shadow"), "symlink")
		if _, err := os.Lstat(filepath.Join(alice, "shadow")); !os.IsNotExist(err) {
			t.Errorf("a link named shadow was made (%v)", err)
		}
	})

	t.Run("df_reports_the_quota", func(t *testing.T) {
		res := r.batch(t, "alice", pw["alice"], "df")
		if res.code != 0 {
			t.Fatalf("df: exit %d\n%s", res.code, res.stderr)
		}
		// OpenSSH prints the size in 1K blocks.
		if want := fmt.Sprint(sftpQuotaMiB << 10); !strings.Contains(res.stdout, want) {
			t.Errorf("df does not report the %d MiB quota (%s 1K blocks):\n%s", sftpQuotaMiB, want, res.stdout)
		}
	})

	big := filepath.Join(r.local, "big.bin")
	bigSum := writeRandom(t, big, 100_000_000)
	t.Run("100MB_round_trip", func(t *testing.T) {
		start := time.Now()
		res := r.batch(t, "alice", pw["alice"], "put big.bin", "get big.bin big-back.bin")
		if res.code != 0 {
			t.Fatalf("sftp put and get of 100 MB: exit %d\n%s", res.code, res.stderr)
		}
		t.Logf("100 MB up and back down in %s (both directions, with login)", time.Since(start).Round(time.Millisecond))
		if sumOf(t, filepath.Join(alice, "big.bin")) != bigSum {
			t.Errorf("big.bin on the server differs from what was sent")
		}
		if sumOf(t, filepath.Join(r.local, "big-back.bin")) != bigSum {
			t.Errorf("big.bin fetched back differs from what was sent")
		}
		os.Remove(filepath.Join(r.local, "big-back.bin"))
	})

	t.Run("upload_past_the_quota_refused", func(t *testing.T) {
		more := filepath.Join(r.local, "more.bin")
		writeRandom(t, more, 30_000_000)
		res := r.batch(t, "alice", pw["alice"], "put more.bin")
		refused(t, res, "a 30 MB upload past the quota (with 100 MB there)")
		if !strings.Contains(res.stderr, "was not received") || !strings.Contains(res.stderr, "quota") {
			t.Errorf("sftp's stderr does not say the quota refused it:\n%s", res.stderr)
		}
		if _, err := os.Lstat(filepath.Join(alice, "more.bin")); !os.IsNotExist(err) {
			t.Errorf("the refused upload left more.bin (%v)", err)
		}
		noTempLeft(t, alice)
		var used int64
		filepath.Walk(alice, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				used += fi.Size()
			}
			return nil
		})
		if used > sftpQuotaMiB<<20 {
			t.Errorf("alice's home holds %d bytes, over its %d MiB quota", used, sftpQuotaMiB)
		}
		// A new version of the 100 MB file still fits (the old one is credited).
		if res := r.batch(t, "alice", pw["alice"], "put big.bin"); res.code != 0 {
			t.Errorf("replacing big.bin with a file of the same size: exit %d\n%s", res.code, res.stderr)
		}
		os.Remove(filepath.Join(alice, "big.bin"))
	})

	t.Run("professor_sees_course_read_only", func(t *testing.T) {
		course := filepath.Join(b.dataDir, "course")
		os.MkdirAll(course, 0o755)
		os.WriteFile(filepath.Join(course, "syllabus.txt"), []byte("week 1: lists\n"), 0o644)
		res := r.batch(t, "pat", pw["pat"], "ls /course", "get /course/syllabus.txt syllabus.txt")
		if res.code != 0 {
			t.Fatalf("pat reading /course: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		if got, _ := os.ReadFile(filepath.Join(r.local, "syllabus.txt")); string(got) != "week 1: lists\n" {
			t.Errorf("pat fetched syllabus.txt as %q", got)
		}
		for _, line := range []string{"put notes.txt /course/notes.txt", "rm /course/syllabus.txt", "mkdir /course/x", "rename /course/syllabus.txt /s.txt"} {
			refused(t, r.batch(t, "pat", pw["pat"], line), "pat: "+line)
		}
		if _, err := os.Stat(filepath.Join(course, "syllabus.txt")); err != nil {
			t.Errorf("syllabus.txt is gone from the course folder: %v", err)
		}
		if _, err := os.Lstat(filepath.Join(course, "notes.txt")); !os.IsNotExist(err) {
			t.Errorf("notes.txt landed in the course folder (%v)", err)
		}
		// A student's view has no /course: it is a name in their home.
		refused(t, r.batch(t, "alice", pw["alice"], "get /course/syllabus.txt s.txt"), "alice: get /course/syllabus.txt")
		// Nor can the professor reach a student's home by a path into the
		// homes folder: only through /students, the console's browse.
		refused(t, r.batch(t, "pat", pw["pat"], "get ../alice/lab1/notes.txt n.txt"), "pat: get ../alice/lab1/notes.txt")
	})

	t.Run("professor_browses_a_student_read_only", func(t *testing.T) {
		res := r.batch(t, "pat", pw["pat"], "ls /students", "get /students/alice/lab1/notes.txt from-alice.txt")
		if res.code != 0 {
			t.Fatalf("pat browsing alice: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		if !strings.Contains(res.stdout, "alice") || !strings.Contains(res.stdout, "bob") {
			t.Errorf("ls /students does not list alice and bob:\n%s", res.stdout)
		}
		if got, _ := os.ReadFile(filepath.Join(r.local, "from-alice.txt")); string(got) != "measured 42 twice\n" {
			t.Errorf("pat fetched alice's lab1/notes.txt as %q", got)
		}
		for _, line := range []string{"put notes.txt /students/alice/planted.txt", "rm /students/alice/lab1/notes.txt",
			"mkdir /students/alice/x", "rename /students/alice/lab1/notes.txt /taken.txt", "ls /students/pat", "mkdir /students/x"} {
			refused(t, r.batch(t, "pat", pw["pat"], line), "pat: "+line)
		}
		if _, err := os.Lstat(filepath.Join(alice, "planted.txt")); !os.IsNotExist(err) {
			t.Errorf("pat planted a file in alice's home (%v)", err)
		}
		if _, err := os.Stat(filepath.Join(alice, "lab1", "notes.txt")); err != nil {
			t.Errorf("alice's lab1/notes.txt is gone: %v", err)
		}
		// A student has no /students.
		refused(t, r.batch(t, "alice", pw["alice"], "get /students/bob/secret.txt s.txt"), "alice: get /students/bob/secret.txt")
		found := false
		for _, e := range h.audit(t, b, "--user", "pat", "--limit", "1000") {
			if e.Actor == "pat" && e.Action == "files.browse" && e.Target == "alice" && e.Outcome == "ok" {
				found = true
			}
		}
		if !found {
			t.Errorf("pat's browse of alice's home is not in the audit log")
		}
	})

	t.Run("audit_has_every_transfer", func(t *testing.T) {
		entries := h.audit(t, b, "--user", "alice", "--limit", "1000")
		want := []struct{ action, target, outcome string }{
			{"sftp.upload", "/notes.txt", "ok"},
			{"sftp.mkdir", "/lab1", "ok"},
			{"sftp.rename", "/notes.txt -> /lab1/notes.txt", "ok"},
			{"sftp.delete", "/gone.txt", "ok"},
			{"sftp.download", "/lab1/notes.txt", "ok"},
			{"sftp.upload", "/lab1/data.csv", "ok"},
			{"sftp.download", "/lab1/data.csv", "ok"},
			{"sftp.upload", "/big.bin", "ok"},
			{"sftp.upload", "/more.bin", "failed"},
		}
		for _, w := range want {
			found := false
			for _, e := range entries {
				if e.Actor == "alice" && e.Action == w.action && e.Target == w.target && e.Outcome == w.outcome {
					found = true
					if strings.Contains(e.Detail, "measured 42") {
						t.Errorf("an audit entry holds file content: %q", e.Detail)
					}
				}
			}
			if !found {
				t.Errorf("no audit entry %s %s %s by alice; the log:\n%s", w.action, w.target, w.outcome, dumpAudit(entries))
				break
			}
		}
	})
	srv.stop(t)
}
