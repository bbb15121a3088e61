package accounts

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/store"
)

func webLogin(t *testing.T, svc *Service, user, pw string) WebLogin {
	t.Helper()
	l, err := svc.LoginWeb(context.Background(), user, pw, "192.0.2.10:4444")
	if err != nil || !l.OK {
		t.Fatalf("LoginWeb(%s) = %+v, %v; want a session", user, l.LoginResult, err)
	}
	return l
}

func signedIn(svc *Service, token string) bool {
	_, err := svc.WebSession(context.Background(), token)
	return err == nil
}

func TestWebLoginIsAPasswordLoginWithAToken(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	addUser(t, svc, "alice", "correct horse battery")
	ctx := context.Background()

	l := webLogin(t, svc, "Alice", "correct horse battery")
	if len(l.Token) != 43 || strings.ContainsAny(l.Token, "+/=") {
		t.Errorf("token %q: want 32 random bytes in unpadded URL-safe base64 (43 characters)", l.Token)
	}
	if l.Session.User.Username != "alice" || l.Session.ID == 0 {
		t.Errorf("session = %+v, want alice's", l.Session)
	}
	ws, err := svc.WebSession(ctx, l.Token)
	if err != nil || ws.User.Username != "alice" || ws.ID != l.Session.ID {
		t.Fatalf("WebSession(token) = %+v, %v; want alice's session %d", ws, err, l.Session.ID)
	}
	if other := webLogin(t, svc, "alice", "correct horse battery"); other.Token == l.Token {
		t.Error("two logins got the same token")
	}

	// The store holds the hash, never the token.
	st.Close() // flush the WAL into the file before reading it raw
	dir := filepath.Dir(svc.homesDir)
	raw, err := os.ReadFile(filepath.Join(dir, "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(l.Token)) {
		t.Error("the database file holds the browser token itself")
	}
}

func TestWebLoginRefusalsAreLikeSSH(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	addUser(t, svc, "alice", "correct horse battery")
	ctx := context.Background()
	for _, c := range []struct{ user, pw, reason string }{
		{"alice", "wrong", "wrong password"},
		{"nobody", "whatever", "unknown user"},
	} {
		l, err := svc.LoginWeb(ctx, c.user, c.pw, "192.0.2.10:4444")
		if err != nil || l.OK || l.Token != "" || l.Reason != c.reason {
			t.Errorf("LoginWeb(%s, wrong) = %+v, %v; want refused (%s) with no token", c.user, l, err, c.reason)
		}
	}
	entries, err := st.ListAudit(ctx, store.AuditFilter{User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var denied int
	for _, e := range entries {
		if e.Action == "login.password" && e.Outcome == "denied" && e.Remote == "192.0.2.10:4444" {
			denied++
		}
		if strings.Contains(e.Detail, "wrong") && e.Detail != "wrong password" {
			t.Errorf("audit detail %q", e.Detail)
		}
	}
	if denied != 1 {
		t.Errorf("audit holds %d denied password logins for alice from the browser's address, want 1", denied)
	}
	for _, junk := range []string{"", "x", strings.Repeat("A", 43), strings.Repeat("A", 42) + "!", strings.Repeat("A", 44)} {
		if _, err := svc.WebSession(ctx, junk); !errors.Is(err, ErrNoWebSession) {
			t.Errorf("WebSession(%q) = %v, want ErrNoWebSession", junk, err)
		}
	}
}

func TestWebSessionSlidesAndExpires(t *testing.T) {
	svc, st, clock := newService(t, config.DefaultThrottle())
	addUser(t, svc, "alice", "correct horse battery")
	l := webLogin(t, svc, "alice", "correct horse battery")

	// Used every 11 hours, it lives on well past 12 hours.
	for range 3 {
		clock.advance(11 * time.Hour)
		if !signedIn(svc, l.Token) {
			t.Fatal("a session used every 11 hours expired")
		}
	}
	// A use a few seconds later is not written again.
	before, err := st.WebSessionByTokenHash(context.Background(), mustHash(t, l.Token), clock.now())
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(10 * time.Second)
	signedIn(svc, l.Token)
	after, _ := st.WebSessionByTokenHash(context.Background(), mustHash(t, l.Token), clock.now())
	if !after.LastSeenAt.Equal(before.LastSeenAt) {
		t.Errorf("a use 10 s after the last was written (last seen %v -> %v); writes are limited to one a minute", before.LastSeenAt, after.LastSeenAt)
	}
	// Left alone for 12 hours, it is gone.
	clock.advance(WebSessionTTL)
	if signedIn(svc, l.Token) {
		t.Error("a session unused for 12 hours still works")
	}
}

func mustHash(t *testing.T, token string) string {
	t.Helper()
	h, ok := hashWebToken(token)
	if !ok {
		t.Fatalf("token %q does not parse", token)
	}
	return h
}

func TestWebSessionRevocation(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	addUser(t, svc, "alice", "correct horse battery")
	addUser(t, svc, "bob", "tr0mbone-sunset-42")
	ctx := context.Background()

	// Logout ends that session only, and is audited.
	a1, a2 := webLogin(t, svc, "alice", "correct horse battery"), webLogin(t, svc, "alice", "correct horse battery")
	if err := svc.LogoutWeb(ctx, a1.Token, "192.0.2.10:4444"); err != nil {
		t.Fatal(err)
	}
	if signedIn(svc, a1.Token) || !signedIn(svc, a2.Token) {
		t.Errorf("after logging out one browser: first signed in %v (want false), second %v (want true)", signedIn(svc, a1.Token), signedIn(svc, a2.Token))
	}
	if err := svc.LogoutWeb(ctx, a1.Token, "192.0.2.10:4444"); err != nil {
		t.Errorf("logging out twice: %v", err)
	}
	entries, _ := st.ListAudit(ctx, store.AuditFilter{User: "alice"})
	if len(entries) == 0 || entries[0].Action != "logout.web" || entries[0].Outcome != "ok" {
		t.Errorf("newest audit entry = %+v, want logout.web ok", entries)
	}

	// Disabling signs the user out of every browser; enabling does not bring them back.
	b := webLogin(t, svc, "bob", "tr0mbone-sunset-42")
	if err := svc.SetDisabled(ctx, cli, "alice", true); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetDisabled(ctx, cli, "alice", false); err != nil {
		t.Fatal(err)
	}
	if signedIn(svc, a2.Token) {
		t.Error("disabling alice left her browser signed in")
	}
	if !signedIn(svc, b.Token) {
		t.Error("disabling alice signed bob out")
	}

	// A professor's reset signs every browser out.
	a3 := webLogin(t, svc, "alice", "correct horse battery")
	if _, err := svc.SetPassword(ctx, cli, "alice", ""); err != nil {
		t.Fatal(err)
	}
	if signedIn(svc, a3.Token) {
		t.Error("a password reset left a browser signed in")
	}
}

func TestOwnPasswordChangeKeepsTheBrowserThatMadeIt(t *testing.T) {
	svc, _, _ := newService(t, config.DefaultThrottle())
	addUser(t, svc, "alice", "correct horse battery")
	here, there := webLogin(t, svc, "alice", "correct horse battery"), webLogin(t, svc, "alice", "correct horse battery")

	ctx := context.WithValue(context.Background(), WebSessionContextKey{}, here.Session.ID)
	if err := svc.ChangeOwnPassword(ctx, "alice", "correct horse battery", "a brand new password", "192.0.2.10:4444"); err != nil {
		t.Fatal(err)
	}
	if !signedIn(svc, here.Token) || signedIn(svc, there.Token) {
		t.Errorf("after a change in one browser: that one signed in %v (want true), the other %v (want false)",
			signedIn(svc, here.Token), signedIn(svc, there.Token))
	}

	// Changed over ssh (no browser session in ctx): every browser signs in again.
	if err := svc.ChangeOwnPassword(context.Background(), "alice", "a brand new password", "another new password", "192.0.2.10:4444"); err != nil {
		t.Fatal(err)
	}
	if signedIn(svc, here.Token) {
		t.Error("a change over ssh left a browser signed in")
	}
}

func TestWebLoginForAVanishedUser(t *testing.T) {
	svc, st, _ := newService(t, config.DefaultThrottle())
	addUser(t, svc, "alice", "correct horse battery")
	l := webLogin(t, svc, "alice", "correct horse battery")
	// The account disabled behind the service's back (another node, or a race):
	// the session check itself refuses it, and clears it.
	if err := st.SetDisabled(context.Background(), "alice", true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.WebSession(context.Background(), l.Token); !errors.Is(err, ErrNoWebSession) {
		t.Errorf("WebSession of a disabled user = %v, want ErrNoWebSession", err)
	}
	if err := st.SetDisabled(context.Background(), "alice", false); err != nil {
		t.Fatal(err)
	}
	if signedIn(svc, l.Token) {
		t.Error("a disabled user's session came back when the account was enabled again")
	}
}
