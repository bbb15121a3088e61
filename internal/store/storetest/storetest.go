// Package storetest is the conformance suite every store.Store backend must pass.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// Run runs the suite. open must return a fresh, empty, migrated store for the
// test it is given and close it (and remove its data) in t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"MigrateTwiceIsNoOp", testMigrateTwice},
		{"CreateGetListCount", testCreateGetListCount},
		{"DuplicateUsername", testDuplicateUsername},
		{"NotFound", testNotFound},
		{"DisableEnable", testDisableEnable},
		{"PasswordHash", testPasswordHash},
		{"RecordLogin", testRecordLogin},
		{"ImportCreatesAndUpdates", testImportCreatesAndUpdates},
		{"ImportAllOrNothing", testImportAllOrNothing},
		{"PublicKeys", testPublicKeys},
		{"FingerprintUniqueAcrossUsers", testFingerprintUnique},
		{"Audit", testAudit},
		{"AuditDefaultLimit", testAuditDefaultLimit},
		{"LoginFailures", testLoginFailures},
		{"LoginFailuresConcurrent", testLoginFailuresConcurrent},
		{"WebSessions", testWebSessions},
	}
	tests = append(tests, classroomTests()...)
	tests = append(tests, userUpdateTests()...)
	tests = append(tests, courseTests()...)
	tests = append(tests, retentionTests()...)
	tests = append(tests, settingsTests()...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// t0Unix is a fixed instant (t0 in the tests) with sub-second digits, in microseconds (the
// precision both backends keep), so round trips can be compared exactly.
const t0Unix = 1772443800_123456 // 2026-03-02T09:30:00.123456Z

// notUTC returns a zone the stores must convert from: they return UTC.
func notUTC() *time.Location { return time.FixedZone("UTC+5", 5*60*60) }

func mustCreate(t *testing.T, s store.Store, username string, role store.Role) store.User {
	t.Helper()
	u := store.User{
		Username:     username,
		FullName:     "Full " + username,
		Email:        username + "@example.edu",
		Role:         role,
		PasswordHash: "$2a$10$hash-of-" + username,
	}
	if err := s.CreateUser(t.Context(), &u); err != nil {
		t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

func mustGet(t *testing.T, s store.Store, username string) store.User {
	t.Helper()
	u, err := s.UserByName(t.Context(), username)
	if err != nil {
		t.Fatalf("UserByName(%q): %v", username, err)
	}
	return u
}

func mustCount(t *testing.T, s store.Store) int {
	t.Helper()
	n, err := s.CountUsers(t.Context())
	if err != nil {
		t.Fatalf("CountUsers: %v", err)
	}
	return n
}

func checkUTC(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if !tm.IsZero() && tm.Location() != time.UTC {
		t.Errorf("%s = %v: location %v, want UTC", what, tm, tm.Location())
	}
}

// sameUser compares every field, times with Equal.
func sameUser(t *testing.T, got, want store.User) {
	t.Helper()
	if got.ID != want.ID || got.Username != want.Username || got.FullName != want.FullName ||
		got.Email != want.Email || got.Role != want.Role || got.PasswordHash != want.PasswordHash ||
		got.Disabled != want.Disabled || got.MustChangePassword != want.MustChangePassword || !got.CreatedAt.Equal(want.CreatedAt) || !got.LastLoginAt.Equal(want.LastLoginAt) {
		t.Errorf("user differs:\n got  %+v\n want %+v", got, want)
	}
	checkUTC(t, "CreatedAt", got.CreatedAt)
	checkUTC(t, "LastLoginAt", got.LastLoginAt)
}

// wantErr checks that err wraps target and names what it is about.
func wantErr(t *testing.T, what string, err, target error, mention string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want errors.Is(err, %v)", what, err, target)
		return
	}
	if !strings.Contains(err.Error(), mention) {
		t.Errorf("%s: error %q does not mention %q", what, err, mention)
	}
}

func testMigrateTwice(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, "alice", store.RoleStudent)
	for i := range 2 {
		applied, err := s.Migrate(ctx)
		if err != nil {
			t.Fatalf("Migrate #%d on a migrated store: %v", i+1, err)
		}
		if len(applied) != 0 {
			t.Fatalf("Migrate #%d on a migrated store applied %v, want nothing", i+1, applied)
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if n := mustCount(t, s); n != 1 {
		t.Fatalf("after re-migrating, %d users, want 1 (data kept)", n)
	}
}

func testCreateGetListCount(t *testing.T, s store.Store) {
	ctx := t.Context()
	if n := mustCount(t, s); n != 0 {
		t.Fatalf("fresh store has %d users, want 0", n)
	}
	if users, err := s.ListUsers(ctx); err != nil || len(users) != 0 {
		t.Fatalf("ListUsers on a fresh store = %v, %v; want empty, nil", users, err)
	}

	before := time.Now().Add(-time.Second)
	created := map[string]store.User{}
	for _, name := range []string{"carol", "alice", "bob_2", "bob"} {
		role := store.RoleStudent
		if name == "carol" {
			role = store.RoleProfessor
		}
		u := mustCreate(t, s, name, role)
		if u.ID <= 0 {
			t.Errorf("CreateUser(%q) set ID %d, want > 0", name, u.ID)
		}
		if u.CreatedAt.Before(before) || u.CreatedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("CreateUser(%q) set CreatedAt %v, want about now", name, u.CreatedAt)
		}
		for _, other := range created {
			if other.ID == u.ID {
				t.Errorf("%q and %q share ID %d", name, other.Username, u.ID)
			}
		}
		created[name] = u
	}

	for name, want := range created {
		sameUser(t, mustGet(t, s, name), want)
	}
	if got := mustGet(t, s, "carol"); got.Role != store.RoleProfessor || got.Disabled || !got.LastLoginAt.IsZero() {
		t.Errorf("carol = %+v, want an enabled professor who never logged in", got)
	}

	if n := mustCount(t, s); n != 4 {
		t.Errorf("CountUsers = %d, want 4", n)
	}
	users, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Username)
		sameUser(t, u, created[u.Username])
	}
	if want := []string{"alice", "bob", "bob_2", "carol"}; !slices.Equal(names, want) {
		t.Errorf("ListUsers order = %v, want %v", names, want)
	}
}

func testDuplicateUsername(t *testing.T, s store.Store) {
	first := mustCreate(t, s, "alice", store.RoleStudent)
	dup := store.User{Username: "alice", Role: store.RoleProfessor, PasswordHash: "other"}
	err := s.CreateUser(t.Context(), &dup)
	wantErr(t, "CreateUser(duplicate)", err, store.ErrConflict, "alice")
	if errors.Is(err, store.ErrNotFound) {
		t.Errorf("duplicate error %v also matches ErrNotFound", err)
	}
	if n := mustCount(t, s); n != 1 {
		t.Errorf("CountUsers = %d after a rejected duplicate, want 1", n)
	}
	sameUser(t, mustGet(t, s, "alice"), first)
}

func testNotFound(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	mustCreate(t, s, "alice", store.RoleStudent)
	if err := s.AddPublicKey(ctx, store.PublicKey{Username: "alice", Fingerprint: "SHA256:alice1", Key: "ssh-ed25519 AAAAalice1"}); err != nil {
		t.Fatalf("AddPublicKey: %v", err)
	}
	const ghost = "ghost"

	_, err := s.UserByName(ctx, ghost)
	wantErr(t, "UserByName", err, store.ErrNotFound, ghost)
	wantErr(t, "SetPasswordHash", s.SetPasswordHash(ctx, ghost, "h", false), store.ErrNotFound, ghost)
	wantErr(t, "SetDisabled", s.SetDisabled(ctx, ghost, true), store.ErrNotFound, ghost)
	wantErr(t, "RecordLogin", s.RecordLogin(ctx, ghost, t0), store.ErrNotFound, ghost)
	wantErr(t, "AddPublicKey", s.AddPublicKey(ctx, store.PublicKey{Username: ghost, Fingerprint: "SHA256:g", Key: "ssh-ed25519 AAAAg"}), store.ErrNotFound, ghost)
	_, err = s.ListPublicKeys(ctx, ghost)
	wantErr(t, "ListPublicKeys", err, store.ErrNotFound, ghost)
	wantErr(t, "RemovePublicKey(no such user)", s.RemovePublicKey(ctx, ghost, "SHA256:alice1"), store.ErrNotFound, ghost)
	wantErr(t, "RemovePublicKey(no such key)", s.RemovePublicKey(ctx, "alice", "SHA256:nope"), store.ErrNotFound, "SHA256:nope")
	_, err = s.UserByKeyFingerprint(ctx, "SHA256:nope")
	wantErr(t, "UserByKeyFingerprint", err, store.ErrNotFound, "SHA256:nope")

	// None of the failed calls changed anything.
	if n := mustCount(t, s); n != 1 {
		t.Errorf("CountUsers = %d, want 1", n)
	}
	if keys, err := s.ListPublicKeys(ctx, "alice"); err != nil || len(keys) != 1 {
		t.Errorf("ListPublicKeys(alice) = %v, %v; want the one key", keys, err)
	}
}

func testDisableEnable(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, "alice", store.RoleStudent)
	bob := mustCreate(t, s, "bob", store.RoleStudent)
	for _, disabled := range []bool{true, true, false, true} {
		if err := s.SetDisabled(ctx, "alice", disabled); err != nil {
			t.Fatalf("SetDisabled(alice, %v): %v", disabled, err)
		}
		if got := mustGet(t, s, "alice"); got.Disabled != disabled {
			t.Fatalf("after SetDisabled(alice, %v): Disabled = %v", disabled, got.Disabled)
		}
	}
	sameUser(t, mustGet(t, s, "bob"), bob) // untouched
}

func testPasswordHash(t *testing.T, s store.Store) {
	alice := mustCreate(t, s, "alice", store.RoleStudent)
	bob := mustCreate(t, s, "bob", store.RoleStudent)
	const h = "$2b$12$newhashnewhashnewhashnewhashnewhashnewhashnewhashnewh"
	// A generated password must be changed; the owner's own choice clears that.
	for _, mustChange := range []bool{true, false} {
		if err := s.SetPasswordHash(t.Context(), "alice", h, mustChange); err != nil {
			t.Fatalf("SetPasswordHash: %v", err)
		}
		alice.PasswordHash, alice.MustChangePassword = h, mustChange
		sameUser(t, mustGet(t, s, "alice"), alice)
	}
	sameUser(t, mustGet(t, s, "bob"), bob)
}

func testRecordLogin(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	alice := mustCreate(t, s, "alice", store.RoleStudent)
	mustCreate(t, s, "bob", store.RoleStudent)
	for _, at := range []time.Time{t0.In(notUTC()), t0.Add(time.Hour)} {
		if err := s.RecordLogin(ctx, "alice", at); err != nil {
			t.Fatalf("RecordLogin: %v", err)
		}
		alice.LastLoginAt = at
		sameUser(t, mustGet(t, s, "alice"), alice)
	}
	if got := mustGet(t, s, "bob"); !got.LastLoginAt.IsZero() {
		t.Errorf("bob.LastLoginAt = %v, want zero (never logged in)", got.LastLoginAt)
	}
}

func testImportCreatesAndUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := mustCreate(t, s, "alice", store.RoleProfessor)
	bob := mustCreate(t, s, "bob", store.RoleStudent)

	res, err := s.ImportUsers(ctx, []store.UserImport{
		{Username: "dave", FullName: "Dave D", Email: "dave@example.edu", PasswordHash: "hd", MustChangePassword: true},
		{Username: "alice", Email: "alice@new.example.edu", MustChangePassword: true}, // only the email changes: no hash, so the flag is ignored
		{Username: "carol", Role: store.RoleProfessor, PasswordHash: "hc"},
		{Username: "bob", FullName: "Robert", Role: store.RoleProfessor, PasswordHash: "hb2"},
	})
	if err != nil {
		t.Fatalf("ImportUsers: %v", err)
	}
	if want := []string{"dave", "carol"}; !slices.Equal(res.Created, want) {
		t.Errorf("Created = %v, want %v", res.Created, want)
	}
	if want := []string{"alice", "bob"}; !slices.Equal(res.Updated, want) {
		t.Errorf("Updated = %v, want %v", res.Updated, want)
	}

	alice.Email = "alice@new.example.edu"
	sameUser(t, mustGet(t, s, "alice"), alice)
	bob.FullName, bob.Role, bob.PasswordHash = "Robert", store.RoleProfessor, "hb2"
	sameUser(t, mustGet(t, s, "bob"), bob)

	dave := mustGet(t, s, "dave")
	if dave.ID <= 0 || dave.FullName != "Dave D" || dave.Email != "dave@example.edu" || dave.Role != store.RoleStudent ||
		dave.PasswordHash != "hd" || !dave.MustChangePassword || dave.Disabled || dave.CreatedAt.IsZero() || !dave.LastLoginAt.IsZero() {
		t.Errorf("imported dave = %+v, want an enabled student (empty role) with hash hd that must be changed", dave)
	}
	checkUTC(t, "dave.CreatedAt", dave.CreatedAt)
	if carol := mustGet(t, s, "carol"); carol.Role != store.RoleProfessor || carol.PasswordHash != "hc" || carol.FullName != "" || carol.MustChangePassword {
		t.Errorf("imported carol = %+v, want a professor with hash hc and no full name", carol)
	}
	if n := mustCount(t, s); n != 4 {
		t.Errorf("CountUsers = %d, want 4", n)
	}

	// A given hash replaces the old one; the rest stays.
	res, err = s.ImportUsers(ctx, []store.UserImport{{Username: "alice", PasswordHash: "ha2"}})
	if err != nil {
		t.Fatalf("ImportUsers(new hash): %v", err)
	}
	if len(res.Created) != 0 || !slices.Equal(res.Updated, []string{"alice"}) {
		t.Errorf("result = %+v, want alice updated only", res)
	}
	alice.PasswordHash = "ha2"
	sameUser(t, mustGet(t, s, "alice"), alice)

	// An empty import is a successful no-op.
	if res, err := s.ImportUsers(ctx, nil); err != nil || len(res.Created)+len(res.Updated) != 0 {
		t.Errorf("ImportUsers(nil) = %+v, %v; want nothing done, nil", res, err)
	}
}

func testImportAllOrNothing(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := mustCreate(t, s, "alice", store.RoleStudent)

	bad := map[string][]store.UserImport{
		"new user without hash": {
			{Username: "dave", PasswordHash: "hd"},
			{Username: "alice", FullName: "Changed", Email: "changed@example.edu", PasswordHash: "changed"},
			{Username: "eve", FullName: "Eve"}, // new, no hash: the whole batch fails
		},
		"unknown role": {
			{Username: "dave", PasswordHash: "hd"},
			{Username: "alice", Role: "admin"},
		},
	}
	for name, rows := range bad {
		res, err := s.ImportUsers(ctx, rows)
		if err == nil {
			t.Errorf("%s: ImportUsers succeeded (%+v), want an error", name, res)
			continue
		}
		if len(res.Created)+len(res.Updated) != 0 {
			t.Errorf("%s: failed import reports %+v, want an empty result", name, res)
		}
		if n := mustCount(t, s); n != 1 {
			t.Errorf("%s: CountUsers = %d after a failed import, want 1 (nothing created)", name, n)
		}
		if _, err := s.UserByName(ctx, "dave"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: dave exists after a failed import (err = %v)", name, err)
		}
		sameUser(t, mustGet(t, s, "alice"), alice) // the update rolled back too
	}

	// The store is still usable afterwards (the transaction was released).
	if _, err := s.ImportUsers(ctx, []store.UserImport{{Username: "dave", PasswordHash: "hd"}}); err != nil {
		t.Fatalf("ImportUsers after a failed one: %v", err)
	}
	if n := mustCount(t, s); n != 2 {
		t.Errorf("CountUsers = %d, want 2", n)
	}
}

func testPublicKeys(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	alice := mustCreate(t, s, "alice", store.RoleStudent)
	mustCreate(t, s, "bob", store.RoleStudent)

	if keys, err := s.ListPublicKeys(ctx, "alice"); err != nil || len(keys) != 0 {
		t.Fatalf("ListPublicKeys before any key = %v, %v; want empty, nil", keys, err)
	}

	k1 := store.PublicKey{Username: "alice", Fingerprint: "SHA256:one", Key: "ssh-ed25519 AAAAone", Comment: "laptop", CreatedAt: t0}
	k2 := store.PublicKey{Username: "alice", Fingerprint: "SHA256:two", Key: "ssh-rsa AAAAtwo", CreatedAt: t0.Add(time.Minute).In(notUTC())}
	kb := store.PublicKey{Username: "bob", Fingerprint: "SHA256:bob", Key: "ssh-ed25519 AAAAbob", Comment: "desk", CreatedAt: t0}
	for _, k := range []store.PublicKey{k2, k1, kb} { // out of order: listing sorts oldest first
		if err := s.AddPublicKey(ctx, k); err != nil {
			t.Fatalf("AddPublicKey(%s): %v", k.Fingerprint, err)
		}
	}

	keys, err := s.ListPublicKeys(ctx, "alice")
	if err != nil {
		t.Fatalf("ListPublicKeys: %v", err)
	}
	if len(keys) != 2 {
		t.Fatalf("ListPublicKeys(alice) = %+v, want 2 keys", keys)
	}
	for i, want := range []store.PublicKey{k1, k2} {
		got := keys[i]
		if got.ID <= 0 || got.Username != want.Username || got.Fingerprint != want.Fingerprint ||
			got.Key != want.Key || got.Comment != want.Comment || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("key %d = %+v, want %+v", i, got, want)
		}
		checkUTC(t, "key CreatedAt", got.CreatedAt)
	}

	owner, err := s.UserByKeyFingerprint(ctx, "SHA256:two")
	if err != nil {
		t.Fatalf("UserByKeyFingerprint: %v", err)
	}
	sameUser(t, owner, alice)
	if owner, err := s.UserByKeyFingerprint(ctx, "SHA256:bob"); err != nil || owner.Username != "bob" {
		t.Errorf("UserByKeyFingerprint(bob's key) = %q, %v; want bob", owner.Username, err)
	}

	// Only the owner can remove a key.
	wantErr(t, "RemovePublicKey(someone else's key)", s.RemovePublicKey(ctx, "alice", "SHA256:bob"), store.ErrNotFound, "SHA256:bob")
	if err := s.RemovePublicKey(ctx, "alice", "SHA256:one"); err != nil {
		t.Fatalf("RemovePublicKey: %v", err)
	}
	wantErr(t, "RemovePublicKey(twice)", s.RemovePublicKey(ctx, "alice", "SHA256:one"), store.ErrNotFound, "SHA256:one")
	keys, err = s.ListPublicKeys(ctx, "alice")
	if err != nil || len(keys) != 1 || keys[0].Fingerprint != "SHA256:two" {
		t.Errorf("after removal ListPublicKeys(alice) = %+v, %v; want only SHA256:two", keys, err)
	}
	_, err = s.UserByKeyFingerprint(ctx, "SHA256:one")
	wantErr(t, "UserByKeyFingerprint(removed)", err, store.ErrNotFound, "SHA256:one")
	if keys, err := s.ListPublicKeys(ctx, "bob"); err != nil || len(keys) != 1 {
		t.Errorf("ListPublicKeys(bob) = %+v, %v; want bob's key untouched", keys, err)
	}

	// A removed fingerprint can be registered again, by anyone.
	if err := s.AddPublicKey(ctx, store.PublicKey{Username: "bob", Fingerprint: "SHA256:one", Key: "ssh-ed25519 AAAAone"}); err != nil {
		t.Fatalf("AddPublicKey(re-add removed fingerprint): %v", err)
	}
	if owner, err := s.UserByKeyFingerprint(ctx, "SHA256:one"); err != nil || owner.Username != "bob" {
		t.Errorf("UserByKeyFingerprint(re-added) = %q, %v; want bob", owner.Username, err)
	}
}

func testFingerprintUnique(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, "alice", store.RoleStudent)
	mustCreate(t, s, "bob", store.RoleStudent)
	k := store.PublicKey{Username: "alice", Fingerprint: "SHA256:shared", Key: "ssh-ed25519 AAAAshared"}
	if err := s.AddPublicKey(ctx, k); err != nil {
		t.Fatalf("AddPublicKey: %v", err)
	}
	for _, user := range []string{"bob", "alice"} {
		dup := k
		dup.Username = user
		wantErr(t, "AddPublicKey(duplicate for "+user+")", s.AddPublicKey(ctx, dup), store.ErrConflict, "SHA256:shared")
	}
	if keys, err := s.ListPublicKeys(ctx, "bob"); err != nil || len(keys) != 0 {
		t.Errorf("ListPublicKeys(bob) = %+v, %v; want none", keys, err)
	}
	if owner, err := s.UserByKeyFingerprint(ctx, "SHA256:shared"); err != nil || owner.Username != "alice" {
		t.Errorf("owner = %q, %v; want alice", owner.Username, err)
	}
}

func testAudit(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	if got, err := s.ListAudit(ctx, store.AuditFilter{}); err != nil || len(got) != 0 {
		t.Fatalf("ListAudit on a fresh store = %+v, %v; want empty, nil", got, err)
	}
	entries := []store.AuditEntry{
		{At: t0, Actor: "cli:root", Action: "user.add", Target: "alice", Remote: "local", Outcome: "ok", Detail: "created"},
		{At: t0.Add(1 * time.Second), Actor: "alice", Action: "login.password", Remote: "192.0.2.1:5000", Outcome: "ok"},
		{At: t0.Add(2 * time.Second).In(notUTC()), Actor: "bob", Action: "login.password", Remote: "192.0.2.2:5000", Outcome: "denied", Detail: "wrong password"},
		{At: t0.Add(3 * time.Second), Actor: "carol", Action: "user.disable", Target: "alice", Remote: "192.0.2.3:5000", Outcome: "ok"},
		// Same instant as the previous one: ties break by insertion, newest first.
		{At: t0.Add(3 * time.Second), Actor: "carol", Action: "user.enable", Target: "bob", Remote: "192.0.2.3:5000", Outcome: "error", Detail: "boom"},
	}
	for _, e := range entries {
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit(%s): %v", e.Action, err)
		}
	}

	check := func(f store.AuditFilter, wantIdx ...int) {
		t.Helper()
		got, err := s.ListAudit(ctx, f)
		if err != nil {
			t.Fatalf("ListAudit(%+v): %v", f, err)
		}
		if len(got) != len(wantIdx) {
			t.Fatalf("ListAudit(%+v) returned %d entries, want %d: %+v", f, len(got), len(wantIdx), got)
		}
		for i, wi := range wantIdx {
			g, w := got[i], entries[wi]
			if g.ID <= 0 || !g.At.Equal(w.At) || g.Actor != w.Actor || g.Action != w.Action || g.Target != w.Target ||
				g.Remote != w.Remote || g.Outcome != w.Outcome || g.Detail != w.Detail {
				t.Errorf("ListAudit(%+v)[%d] = %+v, want entry %d %+v", f, i, g, wi, w)
			}
			checkUTC(t, "audit At", g.At)
			if i > 0 && g.ID == got[i-1].ID {
				t.Errorf("ListAudit(%+v): duplicate ID %d", f, g.ID)
			}
		}
	}
	check(store.AuditFilter{}, 4, 3, 2, 1, 0)
	check(store.AuditFilter{Limit: 2}, 4, 3)
	check(store.AuditFilter{User: "alice"}, 3, 1, 0)        // target, actor, target
	check(store.AuditFilter{User: "bob"}, 4, 2)             // target, actor
	check(store.AuditFilter{User: "carol", Limit: 1}, 4)    // actor, limited
	check(store.AuditFilter{User: "nobody"})                // no match
	check(store.AuditFilter{User: "cli:root", Limit: 5}, 0) // CLI actor

	// A zero At means "now".
	before := time.Now().Add(-time.Second)
	if err := s.AppendAudit(ctx, store.AuditEntry{Actor: "dave", Action: "logout", Outcome: "ok"}); err != nil {
		t.Fatalf("AppendAudit(zero At): %v", err)
	}
	got, err := s.ListAudit(ctx, store.AuditFilter{User: "dave"})
	if err != nil || len(got) != 1 || got[0].At.Before(before) || got[0].At.After(time.Now().Add(time.Second)) {
		t.Errorf("entry appended with zero At = %+v, %v; want one entry stamped about now", got, err)
	}
}

func testAuditDefaultLimit(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	const n = 105
	for i := range n {
		e := store.AuditEntry{At: t0.Add(time.Duration(i) * time.Second), Actor: "alice", Action: fmt.Sprintf("a%03d", i), Outcome: "ok"}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit %d: %v", i, err)
		}
	}
	got, err := s.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	if len(got) != 100 {
		t.Fatalf("ListAudit with Limit 0 returned %d entries, want the default 100", len(got))
	}
	if got[0].Action != "a104" || got[99].Action != "a005" {
		t.Errorf("default page spans %s..%s, want the newest a104..a005", got[0].Action, got[99].Action)
	}
	if got, err := s.ListAudit(ctx, store.AuditFilter{Limit: 200}); err != nil || len(got) != n {
		t.Errorf("ListAudit(Limit 200) returned %d entries (err %v), want all %d", len(got), err, n)
	}
}

func testLoginFailures(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	const window = 15 * time.Minute
	rec := func(scope, key string, at time.Time, want int) {
		t.Helper()
		fc, err := s.RecordLoginFailure(ctx, scope, key, at, window)
		if err != nil {
			t.Fatalf("RecordLoginFailure(%s, %s, %v): %v", scope, key, at, err)
		}
		if fc.Count != want || !fc.Last.Equal(at) {
			t.Fatalf("RecordLoginFailure(%s, %s, %v) = %+v, want count %d last %v", scope, key, at, fc, want, at)
		}
		checkUTC(t, "FailureCount.Last", fc.Last)
	}
	read := func(scope, key string, now time.Time, wantCount int, wantLast time.Time) {
		t.Helper()
		fc, err := s.LoginFailures(ctx, scope, key, now, window)
		if err != nil {
			t.Fatalf("LoginFailures(%s, %s, %v): %v", scope, key, now, err)
		}
		if fc.Count != wantCount || !fc.Last.Equal(wantLast) {
			t.Fatalf("LoginFailures(%s, %s, %v) = %+v, want count %d last %v", scope, key, now, fc, wantCount, wantLast)
		}
		checkUTC(t, "FailureCount.Last", fc.Last)
	}

	read(store.ScopeUser, "alice", t0, 0, time.Time{}) // never failed

	rec(store.ScopeUser, "alice", t0, 1)
	rec(store.ScopeUser, "alice", t0.Add(time.Minute).In(notUTC()), 2)
	last := t0.Add(2 * time.Minute)
	rec(store.ScopeUser, "alice", last, 3)
	read(store.ScopeUser, "alice", last.Add(time.Minute), 3, last)
	read(store.ScopeUser, "alice", last.Add(window), 3, last) // exactly at the edge: still counted

	// Counters are per (scope, key).
	rec(store.ScopeIP, "alice", t0, 1)
	rec(store.ScopeUser, "bob", t0, 1)
	read(store.ScopeUser, "alice", last, 3, last)

	// Past the window the counter reads as zero and restarts at 1.
	expired := last.Add(window + time.Second)
	read(store.ScopeUser, "alice", expired, 0, time.Time{})
	rec(store.ScopeUser, "alice", expired, 1)
	rec(store.ScopeUser, "alice", expired.Add(time.Second), 2)
	read(store.ScopeUser, "alice", expired.Add(time.Second), 2, expired.Add(time.Second))

	if err := s.ClearLoginFailures(ctx, store.ScopeUser, "alice"); err != nil {
		t.Fatalf("ClearLoginFailures: %v", err)
	}
	read(store.ScopeUser, "alice", expired.Add(time.Second), 0, time.Time{})
	read(store.ScopeIP, "alice", t0, 1, t0) // other scope untouched
	read(store.ScopeUser, "bob", t0, 1, t0) // other key untouched
	if err := s.ClearLoginFailures(ctx, store.ScopeUser, "nobody"); err != nil {
		t.Errorf("ClearLoginFailures(missing counter) = %v, want nil", err)
	}
	rec(store.ScopeUser, "alice", expired.Add(2*time.Second), 1) // starts over after Clear
}

func testLoginFailuresConcurrent(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	const n = 20
	const window = time.Hour
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts []int
		errs   []error
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fc, err := s.RecordLoginFailure(ctx, store.ScopeIP, "198.51.100.7", t0.Add(time.Duration(i)*time.Millisecond), window)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			counts = append(counts, fc.Count)
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d concurrent RecordLoginFailure calls failed; first: %v", len(errs), n, errs[0])
	}
	// Each upsert is atomic, so the calls saw every count from 1 to n exactly once.
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("returned counts %v, want 1..%d each once", counts, n)
		}
	}
	fc, err := s.LoginFailures(ctx, store.ScopeIP, "198.51.100.7", t0.Add(time.Second), window)
	if err != nil {
		t.Fatalf("LoginFailures: %v", err)
	}
	// last_failure is the latest time given, whatever order the calls ran in.
	if want := t0.Add((n - 1) * time.Millisecond); fc.Count != n || !fc.Last.Equal(want) {
		t.Fatalf("after %d concurrent failures: %+v, want count %d last %v", n, fc, n, want)
	}
}
