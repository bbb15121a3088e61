package sshd

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"
)

// run runs one command without a pty and returns its output and exit status.
func run(t *testing.T, c *gossh.Client, cmd, stdin string) (stdout, stderr string, status int) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, errOut := &syncBuffer{}, &syncBuffer{}
	sess.Stdout, sess.Stderr = out, errOut
	sess.Stdin = strings.NewReader(stdin)
	err = sess.Run(cmd)
	var exit *gossh.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitStatus()
	case err != nil:
		t.Fatalf("%s: %v", cmd, err)
	}
	return out.String(), errOut.String(), status
}

func TestCommandsArePlainText(t *testing.T) {
	_, c := aliceClient(t)
	for cmd, want := range map[string]string{
		"help":   "keys add < KEY.pub",
		"whoami": "alice, student",
		"quota":  "of 200.0 MiB",
	} {
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := sess.Output(cmd) // raw bytes: no escape codes may slip through
		sess.Close()
		if err != nil || !strings.Contains(string(raw), want) || strings.ContainsRune(string(raw), 0x1b) {
			t.Errorf("%s: %q, %v; want plain text containing %q", cmd, raw, err, want)
		}
	}
	_, stderr, status := run(t, c, "nosuchcmd --flag", "")
	if status != 1 || !strings.Contains(stderr, `unknown command "nosuchcmd"`) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("unknown command: status %d, stderr %q; want 1 and one line", status, stderr)
	}
}

func TestKeysOverSSHThenKeyLogin(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", "rabbit hole 42")
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := gossh.NewSignerFromKey(priv)
	pub := string(gossh.MarshalAuthorizedKey(signer.PublicKey()))
	fp := gossh.FingerprintSHA256(signer.PublicKey())

	c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if out, stderr, status := run(t, c, "keys add", strings.TrimSpace(pub)+" alice@laptop\n"); status != 0 || !strings.Contains(out, fp) {
		t.Fatalf("keys add: %d %q %q", status, out, stderr)
	}
	if out, _, _ := run(t, c, "keys list", ""); !strings.Contains(out, fp) || !strings.Contains(out, "alice@laptop") || !strings.Contains(out, "ssh-ed25519") {
		t.Errorf("keys list: %q", out)
	}
	if _, stderr, status := run(t, c, "keys add", "ssh-dss AAAAB3NzaC1kc3M= old\n"); status != 1 || !strings.Contains(stderr, "DSA") {
		t.Errorf("a DSA key: %d %q", status, stderr)
	}
	kc, err := dial(ts.addr, "alice", gossh.PublicKeys(signer))
	if err != nil {
		t.Fatalf("login with the added key: %v", err)
	}
	if out, _, _ := run(t, kc, "whoami", ""); !strings.HasPrefix(out, "alice") {
		t.Errorf("whoami over key login: %q", out)
	}
	kc.Close()
	if _, stderr, status := run(t, c, "keys remove "+fp, ""); status != 0 {
		t.Fatalf("keys remove: %d %q", status, stderr)
	}
	if kc, err := dial(ts.addr, "alice", gossh.PublicKeys(signer)); err == nil {
		kc.Close()
		t.Error("a removed key still logs in")
	}
	if _, _, status := run(t, c, "keys", ""); status != 1 {
		t.Error("keys without a subcommand must fail with usage")
	}
}

// passwdSession drives `passwd` on a pty as ssh -t does, answering each prompt.
func passwdSession(t *testing.T, c *gossh.Client, answers ...string) (string, error) {
	t.Helper()
	s := openScreenSized(t, c, 80, 24, "passwd")
	prompts := []string{"Current password:", "New password:", "New password again:"}
	for i, a := range answers {
		s.waitForCount(t, prompts[i], 1)
		s.stdin.Write([]byte(a + "\r"))
	}
	err := s.sess.Wait()
	return s.out.String(), err
}

func TestPasswdOverSSH(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ctx := context.Background()
	_, generated, err := ts.accounts.AddUser(ctx, cli, accounts.NewUser{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := dial(ts.addr, "alice", gossh.Password(generated))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// While the generated password stands, only passwd, help and whoami work.
	if _, stderr, status := run(t, c, "keys list", ""); status != 1 || !strings.Contains(stderr, "passwd") {
		t.Errorf("keys list before the change: %d %q", status, stderr)
	}
	out, err := passwdSession(t, c, generated, "new secret one", "new secret two")
	if err == nil || !strings.Contains(out, "do not match") {
		t.Errorf("mismatch: %v %q", err, out)
	}
	out, err = passwdSession(t, c, "wrong", "new secret one", "new secret one")
	if err == nil || !strings.Contains(out, "current password is wrong") {
		t.Errorf("wrong current: %v %q", err, out)
	}
	out, err = passwdSession(t, c, generated, "new secret one", "new secret one")
	if err != nil || !strings.Contains(out, "Password changed") || strings.Contains(out, "new secret one") {
		t.Fatalf("change: %v %q", err, out)
	}
	if c2, err := dial(ts.addr, "alice", gossh.Password(generated)); err == nil {
		c2.Close()
		t.Error("the old password still works")
	}
	c3, err := dial(ts.addr, "alice", gossh.Password("new secret one"))
	if err != nil {
		t.Fatalf("the new password does not work: %v", err)
	}
	defer c3.Close()
	if _, stderr, status := run(t, c3, "keys list", ""); status != 0 {
		t.Errorf("keys list after the change: %d %q", status, stderr)
	}
}

// waitForCount waits until want appears at least n times.
func (s *screen) waitForCount(tb testing.TB, want string, n int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(s.out.String(), want) < n {
		if time.Now().After(deadline) {
			tb.Fatalf("never saw %q; output:\n%s", want, s.out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
