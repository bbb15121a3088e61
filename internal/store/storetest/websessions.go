package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// testWebSessions checks browser logins: create (not for a missing user, not
// twice with one hash), look up by hash (not once expired), slide the expiry,
// and revoke one session, all of a user's but one, and the expired ones.
func testWebSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, "alice", store.RoleStudent)
	mustCreate(t, s, "bob", store.RoleStudent)
	t0 := time.UnixMicro(t0Unix).In(notUTC())
	hash := func(i int) string { return fmt.Sprintf("%064x", i) }

	create := func(user string, i int, created time.Time, ttl time.Duration) store.WebSession {
		t.Helper()
		ws := store.WebSession{TokenHash: hash(i), Username: user, CreatedAt: created, ExpiresAt: created.Add(ttl), Remote: "192.0.2.7:5555"}
		if err := s.CreateWebSession(ctx, &ws); err != nil {
			t.Fatalf("CreateWebSession(%s #%d): %v", user, i, err)
		}
		if ws.ID == 0 {
			t.Fatalf("CreateWebSession(%s #%d) set no ID", user, i)
		}
		return ws
	}
	get := func(i int, now time.Time) (store.WebSession, error) {
		t.Helper()
		return s.WebSessionByTokenHash(ctx, hash(i), now)
	}

	a1 := create("alice", 1, t0, time.Hour)
	got, err := get(1, t0.Add(time.Minute))
	if err != nil {
		t.Fatalf("WebSessionByTokenHash of a live session: %v", err)
	}
	if got.ID != a1.ID || got.Username != "alice" || got.TokenHash != hash(1) || got.Remote != "192.0.2.7:5555" ||
		!got.CreatedAt.Equal(t0) || !got.LastSeenAt.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("WebSessionByTokenHash = %+v\nwant ID %d, alice, created and last seen %v, expiring %v", got, a1.ID, t0, t0.Add(time.Hour))
	}
	checkUTC(t, "CreatedAt", got.CreatedAt)
	checkUTC(t, "LastSeenAt", got.LastSeenAt)
	checkUTC(t, "ExpiresAt", got.ExpiresAt)
	if !a1.CreatedAt.Equal(t0) || !a1.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("CreateWebSession returned times %v / %v, want %v / %v", a1.CreatedAt, a1.ExpiresAt, t0, t0.Add(time.Hour))
	}

	// Unknown hashes, expired sessions and unknown users.
	if _, err := get(99, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WebSessionByTokenHash of an unknown hash: err = %v, want ErrNotFound", err)
	}
	if _, err := get(1, t0.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WebSessionByTokenHash at its expiry: err = %v, want ErrNotFound", err)
	}
	ghost := store.WebSession{TokenHash: hash(50), Username: "ghost", ExpiresAt: t0.Add(time.Hour)}
	wantErr(t, "CreateWebSession for a missing user", s.CreateWebSession(ctx, &ghost), store.ErrNotFound, "ghost")
	dup := store.WebSession{TokenHash: hash(1), Username: "bob", ExpiresAt: t0.Add(time.Hour)}
	if err := s.CreateWebSession(ctx, &dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateWebSession with a stored hash: err = %v, want ErrConflict", err)
	}

	// Sliding: a touch moves the expiry; a touch of an expired session fails.
	seen := t0.Add(50 * time.Minute)
	if err := s.TouchWebSession(ctx, a1.ID, seen, seen.Add(time.Hour)); err != nil {
		t.Fatalf("TouchWebSession: %v", err)
	}
	if got, err = get(1, t0.Add(90*time.Minute)); err != nil {
		t.Fatalf("after a touch the session must live on past its first expiry: %v", err)
	}
	if !got.LastSeenAt.Equal(seen) || !got.ExpiresAt.Equal(seen.Add(time.Hour)) {
		t.Errorf("after a touch: last seen %v, expires %v; want %v, %v", got.LastSeenAt, got.ExpiresAt, seen, seen.Add(time.Hour))
	}
	if err := s.TouchWebSession(ctx, a1.ID, seen.Add(2*time.Hour), seen.Add(3*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchWebSession of an expired session: err = %v, want ErrNotFound", err)
	}
	if err := s.TouchWebSession(ctx, 424242, seen, seen.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchWebSession of a missing session: err = %v, want ErrNotFound", err)
	}

	// Revoking: one session; all of a user's but one; the expired ones.
	a2 := create("alice", 2, t0, 24*time.Hour)
	create("alice", 3, t0, 24*time.Hour)
	b1 := create("bob", 4, t0, 24*time.Hour)
	if err := s.DeleteWebSession(ctx, a2.ID); err != nil {
		t.Fatalf("DeleteWebSession: %v", err)
	}
	if err := s.DeleteWebSession(ctx, a2.ID); err != nil {
		t.Errorf("DeleteWebSession of a deleted session: %v, want nil", err)
	}
	if _, err := get(2, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted session is still found: %v", err)
	}
	a4 := create("alice", 5, t0, 24*time.Hour)
	n, err := s.DeleteUserWebSessions(ctx, "alice", a4.ID)
	if err != nil || n != 2 { // a1 and a3
		t.Errorf("DeleteUserWebSessions(alice, except %d) = %d, %v; want 2, nil", a4.ID, n, err)
	}
	for _, i := range []int{1, 3} {
		if _, err := get(i, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("alice's session #%d survived DeleteUserWebSessions: %v", i, err)
		}
	}
	for _, i := range []int{4, 5} {
		if _, err := get(i, t0); err != nil {
			t.Errorf("session #%d (bob's, or the one kept) was removed: %v", i, err)
		}
	}
	if n, err := s.DeleteUserWebSessions(ctx, "alice", 0); err != nil || n != 1 {
		t.Errorf("DeleteUserWebSessions(alice, 0) = %d, %v; want 1, nil", n, err)
	}
	if n, err := s.DeleteUserWebSessions(ctx, "nobody", 0); err != nil || n != 0 {
		t.Errorf("DeleteUserWebSessions of a missing user = %d, %v; want 0, nil", n, err)
	}

	create("bob", 6, t0, time.Minute)
	n, err = s.DeleteExpiredWebSessions(ctx, t0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Errorf("DeleteExpiredWebSessions = %d, %v; want 1 (bob's one-minute session), nil", n, err)
	}
	if got, err := get(4, t0.Add(time.Hour)); err != nil || got.ID != b1.ID {
		t.Errorf("bob's live session after the sweep: %+v, %v", got, err)
	}
}
