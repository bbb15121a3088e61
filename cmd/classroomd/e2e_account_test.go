package main

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// tty is an `ssh -tt` session driven a step at a time, as a person types.
type tty struct {
	t     *testing.T
	p     *proc
	stdin io.Writer
}

func (h *harness) tty(t *testing.T, srv *server, o sshOpts, user, password string, command ...string) *tty {
	t.Helper()
	cmd := exec.Command(sshClientPath, append(sshArgs(srv, o, user, "-tt"), command...)...)
	cmd.Env = h.sshEnv(password)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	return &tty{t: t, p: startProc(t, cmd), stdin: stdin}
}

func (s *tty) text() string { return ansi.Strip(s.p.stdout.String()) }

// waitFor waits until the screen has shown want n times in all.
func (s *tty) waitFor(want string, n int) {
	s.t.Helper()
	if !waitFor(screenDeadline, s.p.done, func() bool { return strings.Count(s.text(), want) >= n }) {
		s.t.Fatalf("the screen did not show %q (x%d)\nscreen:\n%s\nstderr:\n%s", want, n, s.text(), s.p.stderr.String())
	}
}

func (s *tty) typ(keys string) {
	s.t.Helper()
	if _, err := io.WriteString(s.stdin, keys); err != nil {
		s.t.Fatalf("type: %v", err)
	}
}

// exit waits for ssh to end and returns its status.
func (s *tty) exit() int {
	s.t.Helper()
	code, ok := s.p.waitExit(exitDeadline)
	if !ok {
		s.t.Fatalf("ssh did not exit\nscreen:\n%s", s.text())
	}
	return code
}

// keyArgs logs in with one key only: no password, no agent, no other keys.
func keyArgs(srv *server, knownHosts, key, user string, command ...string) []string {
	args := []string{"-F", "/dev/null", "-T",
		"-o", "UserKnownHostsFile=" + knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=accept-new", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
		"-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
		"-i", key, "-p", srv.sshPort, user + "@127.0.0.1"}
	return append(args, command...)
}

func (h *harness) sshWithKey(t *testing.T, srv *server, knownHosts, key, user string, command ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandDeadline)
	defer cancel()
	args := keyArgs(srv, knownHosts, key, user, command...)
	cmd := exec.CommandContext(ctx, sshClientPath, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader("")
	return run(t, cmd, args)
}

// sshStdin runs a password ssh command whose standard input is data (keys add < key.pub).
func (h *harness) sshStdin(t *testing.T, srv *server, o sshOpts, user, password, data string, command ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandDeadline)
	defer cancel()
	args := append(sshArgs(srv, o, user, "-T"), command...)
	cmd := exec.CommandContext(ctx, sshClientPath, args...)
	cmd.Env = h.sshEnv(password)
	cmd.Stdin = strings.NewReader(data)
	return run(t, cmd, args)
}

func sshKeygen(t *testing.T, dir, name string, args ...string) (private, public string) {
	t.Helper()
	private = filepath.Join(dir, name)
	cmd := exec.Command("ssh-keygen", append([]string{"-q", "-N", "", "-C", name + "@laptop", "-f", private}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
	}
	return private, readFile(t, private+".pub")
}

// 7. Account self-service: a generated password is changed at first login, passwd
// over ssh -t, keys added, used, listed and removed, weak keys refused.
func (s *scenario) accountSelfService(t *testing.T) {
	h, o := s.h, sshOpts{knownHosts: s.knownHosts}
	r := h.cli(t, cliOpts{}, append([]string{"user", "add", "erin", "--name", "Erin Example"}, s.b.flags()...)...)
	r.mustSucceed(t)
	m := regexp.MustCompile(`login\): (\S+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("user add printed no generated password:\n%s", r.stdout)
	}
	generated := m[1]

	// First login: the form comes first, the workspace only after a new password.
	first := h.tty(t, s.srv, o, "erin", generated)
	first.waitFor("Choose your own password", 1)
	if strings.Contains(first.text(), "welcome.py") {
		t.Fatal("the workspace opened before the generated password was changed")
	}
	first.typ(generated + "\t" + "first own pass" + "\t" + "first own pass" + "\r")
	first.waitFor("Password changed", 1)
	first.waitFor("welcome.py", 1)
	first.typ("q")
	if code := first.exit(); code != 0 {
		t.Errorf("ssh after the forced change exited %d", code)
	}
	h.sshRefused(t, s.srv, o, "erin", generated)

	// passwd over ssh -t: current, new, new again.
	pw := h.tty(t, s.srv, o, "erin", "first own pass", "passwd")
	pw.waitFor("Current password:", 1)
	pw.typ("first own pass\r")
	pw.waitFor("New password:", 1)
	pw.typ("second own pass\r")
	pw.waitFor("New password again:", 1)
	pw.typ("second own pass\r")
	pw.waitFor("Password changed", 1)
	if code := pw.exit(); code != 0 || strings.Contains(pw.text(), "second own pass") {
		t.Errorf("passwd exited %d (want 0) or echoed the password:\n%s", code, pw.text())
	}
	h.sshRefused(t, s.srv, o, "erin", "first own pass")
	h.sshAccepted(t, s.srv, o, "erin", "second own pass")

	// keys add < key.pub, then log in with the key and no password.
	dir := t.TempDir()
	key, pub := sshKeygen(t, dir, "ed", "-t", "ed25519")
	r = h.sshStdin(t, s.srv, o, "erin", "second own pass", pub, "keys", "add")
	if r.code != 0 || !strings.Contains(r.stdout, "SHA256:") {
		t.Fatalf("keys add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	fp := regexp.MustCompile(`SHA256:\S+`).FindString(r.stdout)
	if r = h.sshWithKey(t, s.srv, s.knownHosts, key, "erin", "whoami"); r.code != 0 || !strings.HasPrefix(r.stdout, "erin (Erin Example)") {
		t.Fatalf("login with the added key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = h.sshWithKey(t, s.srv, s.knownHosts, key, "erin", "keys", "list"); r.code != 0 || !strings.Contains(r.stdout, fp) || !strings.Contains(r.stdout, "ed@laptop") {
		t.Errorf("keys list: exit %d\n%s", r.code, r.stdout)
	}
	// The key is erin's alone.
	if r = h.sshWithKey(t, s.srv, s.knownHosts, key, "alice", "whoami"); r.code != 255 {
		t.Errorf("erin's key logged in as alice: exit %d", r.code)
	}

	// Weak keys are refused with the reason.
	for _, weak := range []struct{ name, want string }{{"dsa", "DSA"}, {"rsa1024", "at least 2048 bits"}} {
		var args []string
		if weak.name == "dsa" {
			args = []string{"-t", "dsa"}
		} else {
			args = []string{"-t", "rsa", "-b", "1024"}
		}
		_, weakPub := sshKeygen(t, dir, weak.name, args...)
		r = h.sshStdin(t, s.srv, o, "erin", "second own pass", weakPub, "keys", "add")
		if r.code != 1 || !strings.Contains(r.stderr, weak.want) {
			t.Errorf("keys add of a %s key: exit %d, stderr %q; want 1 and %q", weak.name, r.code, r.stderr, weak.want)
		}
	}

	// keys remove revokes it.
	if r = h.sshWithKey(t, s.srv, s.knownHosts, key, "erin", "keys", "remove", fp); r.code != 0 {
		t.Fatalf("keys remove: exit %d\n%s", r.code, r.stderr)
	}
	if r = h.sshWithKey(t, s.srv, s.knownHosts, key, "erin", "whoami"); r.code != 255 {
		t.Errorf("a removed key still logs in: exit %d\n%s", r.code, r.stdout)
	}

	// Other commands: help lists them, quota answers, an unknown one fails with one line.
	if r = h.ssh(t, s.srv, o, "erin", "second own pass", "help"); r.code != 0 || !strings.Contains(r.stdout, "passwd") || strings.ContainsRune(r.stdout, 0x1b) {
		t.Errorf("help: exit %d\n%q", r.code, r.stdout)
	}
	if r = h.ssh(t, s.srv, o, "erin", "second own pass", "quota"); r.code != 0 || !strings.Contains(r.stdout, "Your home uses") {
		t.Errorf("quota: exit %d\n%s", r.code, r.stdout)
	}
	if r = h.ssh(t, s.srv, o, "erin", "second own pass", "nosuchcmd"); r.code != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("nosuchcmd: exit %d, stderr %q; want 1 and one line", r.code, r.stderr)
	}

	var actions []string
	for _, e := range h.audit(t, s.b, "--user", "erin", "--limit", "200") {
		if e.Outcome == "ok" && (strings.HasPrefix(e.Action, "key.") || e.Action == "user.passwd.self") {
			actions = append(actions, e.Action)
		}
	}
	if got := strings.Join(actions, " "); got != "key.remove key.add user.passwd.self user.passwd.self" {
		t.Errorf("audit of erin's changes = %q", got)
	}
}
