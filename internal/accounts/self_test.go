package accounts

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/store"
)

// A throwaway DSA public key made by OpenSSH 9.2 (ssh-keygen -t dsa); DSA cannot be
// generated quickly in Go, and only its refusal is tested.
const dsaPub = "ssh-dss AAAAB3NzaC1kc3MAAACBAPgSUL11iHAAXMhTTIpEK7KomLXdmZisBa0XIaz6tMWpMTATwBvRbGdFHUXujfH7DeSToAxNvVT3lAZSHVmys5HkSczBa/SneGxblZHeKA6wgFUbPNOjnSY4RhUVrKcQzqV/pvoLBDcK4b67aNGQ1yGqEzLphOwsI6GO+rjLSl4jAAAAFQDbtBHxG6Jz5xiObx8V9v1gv5GEDQAAAIEAul/ivJ7RUhTozFNzQ3NpMU/wPkcVpxl9JiqtxxCbbkjHwORYzfWjtfyeOMIZA+5mKYHaN/Fr/BKDFepsMX3pXmy5kuosnXtZ12/SLoxbOekOSWP1U3MuvcbMFWRCfTfveva1MCogNrng6cCm9cXGBi9t9UGv78tMZelFrR5i2esAAACAc0O7J0o78c9iduaYmOYffnB0NTSYhim0+kBfqEc5GaefBttrhLhz8WyUXQ7ooVcO5SdV6/KyU6aPxxzcrBEBsi9iTUYiuE2MQ3WQnBJlnPBoDWTx024mRCud7KuPp49fmQ5Sggu/bm40Sq9iB7PTYHCLEpXzSw3tTwbVabAT0UI= old-laptop"

func authorizedLine(t *testing.T, key any, comment string) []byte {
	t.Helper()
	pk, err := gossh.NewPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pk)))
	return []byte(line + " " + comment + "\n")
}

func TestChangeOwnPassword(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	ctx := context.Background()
	u, generated, err := svc.AddUser(ctx, cli, NewUser{Username: "alice"})
	if err != nil || !u.MustChangePassword {
		t.Fatalf("a user added with a generated password must change it: %+v %v", u, err)
	}
	for _, c := range []struct{ current, next, want string }{
		{"wrong", "a fine new password", ErrWrongPassword.Error()},
		{generated, "short", "too short"},
		{generated, "alice-in-wonderland", "must not contain the username"},
		{generated, generated, "same as the current"},
	} {
		err := svc.ChangeOwnPassword(ctx, "alice", c.current, c.next, "192.0.2.1:1")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ChangeOwnPassword(%q -> %q) = %v, want %q", c.current, c.next, err, c.want)
		}
	}
	if got, _ := st.UserByName(ctx, "alice"); !got.MustChangePassword || got.PasswordHash != u.PasswordHash {
		t.Fatal("a refused change altered the account")
	}
	if err := svc.ChangeOwnPassword(ctx, "alice", generated, "a fine new password", "192.0.2.1:1"); err != nil {
		t.Fatal(err)
	}
	got, _ := st.UserByName(ctx, "alice")
	if got.MustChangePassword {
		t.Error("must-change flag still set after the owner chose a password")
	}
	if res, _ := svc.LoginPassword(ctx, "alice", generated, "192.0.2.1:1"); res.OK {
		t.Error("the old password still works")
	}
	if res, _ := svc.LoginPassword(ctx, "alice", "a fine new password", "192.0.2.1:1"); !res.OK {
		t.Error("the new password does not work")
	}
	entries, _ := st.ListAudit(ctx, store.AuditFilter{User: "alice"})
	var outcomes []string
	for _, e := range entries {
		if e.Action == "user.passwd.self" {
			outcomes = append(outcomes, e.Outcome)
		}
	}
	if strings.Join(outcomes, " ") != "ok denied" {
		t.Errorf("user.passwd.self audit outcomes = %v, want [ok denied] (a wrong current password is a failed guess)", outcomes)
	}
}

func TestProfessorResetForcesChange(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	ctx := context.Background()
	addUser(t, svc, "bob", "builder of things")
	if u, _ := st.UserByName(ctx, "bob"); u.MustChangePassword {
		t.Fatal("a chosen password must not need changing")
	}
	if _, err := svc.SetPassword(ctx, cli, "bob", ""); err != nil {
		t.Fatal(err)
	}
	if u, _ := st.UserByName(ctx, "bob"); !u.MustChangePassword {
		t.Error("a generated reset must be changed at the next login")
	}
	if _, err := svc.SetPassword(ctx, cli, "bob", "chosen by the prof"); err != nil {
		t.Fatal(err)
	}
	if u, _ := st.UserByName(ctx, "bob"); u.MustChangePassword {
		t.Error("a password given by the professor was marked as generated")
	}
}

func TestImportMarksGeneratedPasswords(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	ctx := context.Background()
	rows := rosterOf(t, "username,password\ngen,\ncarl,a chosen password\n")
	if _, err := svc.Import(ctx, cli, rows, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if u, _ := st.UserByName(ctx, "gen"); !u.MustChangePassword {
		t.Error("imported user with a generated password need not change it")
	}
	if u, _ := st.UserByName(ctx, "carl"); u.MustChangePassword {
		t.Error("imported user with a given password must change it")
	}
}

func TestKeyTypes(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsa2k, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1k, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, c := range map[string]struct {
		line []byte
		want string // "" = accepted
	}{
		"ed25519":  {authorizedLine(t, edKey.Public(), "alice@laptop"), ""},
		"ecdsa":    {authorizedLine(t, &ecKey.PublicKey, "alice@phone"), ""},
		"rsa 2048": {authorizedLine(t, &rsa2k.PublicKey, "lab"), ""},
		"rsa 1024": {authorizedLine(t, &rsa1k.PublicKey, "old"), "at least 2048 bits; this one has 1024"},
		"dsa":      {[]byte(dsaPub), "DSA keys are no longer safe"},
		"empty":    {[]byte("\n"), "no key given"},
		"private":  {[]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n"), "PRIVATE key"},
		"garbage":  {[]byte("hello world"), "not an OpenSSH public key"},
		"two keys": {append(authorizedLine(t, edKey.Public(), "a"), authorizedLine(t, &ecKey.PublicKey, "b")...), "one key at a time"},
	} {
		_, _, err := ParsePublicKey(c.line)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s refused: %v", name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}

func TestKeysAddListRemove(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	ctx := context.Background()
	addUser(t, svc, "alice", "rabbit hole 42")
	addUser(t, svc, "bob", "builder of things")
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	line := authorizedLine(t, edKey.Public(), "alice@laptop\x1b[2J")
	k, err := svc.AddKey(ctx, cli, "alice", line)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.Fingerprint, "SHA256:") || strings.ContainsRune(k.Comment, 0x1b) {
		t.Errorf("stored key %+v", k)
	}
	if _, err := svc.AddKey(ctx, cli, "bob", line); err == nil || strings.Contains(err.Error(), "alice") {
		t.Errorf("bob adding alice's key: %v (must be refused without naming her)", err)
	}
	if !svc.KeyLoginAllowed(ctx, "alice", k.Fingerprint) || svc.KeyLoginAllowed(ctx, "bob", k.Fingerprint) {
		t.Error("key login must be allowed for its owner only")
	}
	keys, _ := svc.Keys(ctx, "alice")
	if len(keys) != 1 || keys[0].Fingerprint != k.Fingerprint {
		t.Errorf("Keys = %+v", keys)
	}
	if err := svc.RemoveKey(ctx, cli, "bob", k.Fingerprint); err == nil {
		t.Error("bob removed alice's key")
	}
	if err := svc.RemoveKey(ctx, cli, "alice", k.Fingerprint); err != nil {
		t.Fatal(err)
	}
	if svc.KeyLoginAllowed(ctx, "alice", k.Fingerprint) {
		t.Error("removed key still logs in")
	}
	var actions []string
	entries, _ := st.ListAudit(ctx, store.AuditFilter{User: "alice"})
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "key.") {
			actions = append(actions, e.Action)
		}
	}
	if strings.Join(actions, " ") != "key.remove key.add" {
		t.Errorf("key audit = %v", actions)
	}
}
