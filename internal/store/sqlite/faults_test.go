package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/testkit"
)

// migratedAt opens and migrates a store at path, with alice in it.
func migratedAt(t *testing.T, path string) *Store {
	t.Helper()
	s := openFile(t, path)
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := s.CreateUser(t.Context(), &store.User{Username: "alice", Role: store.RoleStudent, PasswordHash: "x"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return s
}

// writes are what a class does to the store: a login failure counted, an
// audit entry, a help request. Each returns its error.
func writes(ctx context.Context, s *Store, n int) map[string]error {
	at := time.Now()
	_, lf := s.RecordLoginFailure(ctx, store.ScopeIP, "192.0.2.1", at, time.Minute)
	audit := s.AppendAudit(ctx, store.AuditEntry{Actor: "alice", Action: "test.write", Outcome: "ok", Detail: strings.Repeat("d", n)})
	_, _, _, help := s.RequestHelp(ctx, "alice", strings.Repeat("q", min(n, 200)), at)
	return map[string]error{"login failure": lf, "audit": audit, "help request": help}
}

// #16 case 1, SQLite: the database file becomes unwritable under a running
// server. Ping says so (so /readyz and the SSH banner do), reads still work
// (students already working need none, but a professor's lists do), every
// write fails with an error that says why, and once the file is writable
// again the same store writes, with no reopening.
func TestUnwritableFileIsDownUntilWritable(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "classroomd.db")
	s := migratedAt(t, path)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping of a writable store: %v", err)
	}
	// The WAL holds the writes until a checkpoint: both files must refuse.
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("no WAL beside the database: %v", err)
	}
	restore := testkit.Unwritable(t, path, path+"-wal")

	err := s.Ping(ctx)
	if !errors.Is(err, store.ErrUnwritable) {
		t.Fatalf("Ping of an unwritable store = %v, want ErrUnwritable", err)
	}
	t.Logf("Ping: %v", err)
	if u, err := s.UserByName(ctx, "alice"); err != nil || u.Username != "alice" {
		t.Errorf("reading alice from an unwritable store = %v, %v; reads should still work", u, err)
	}
	for what, err := range writes(ctx, s, 10) {
		if !errors.Is(err, store.ErrUnwritable) {
			t.Errorf("%s on an unwritable store = %v, want ErrUnwritable", what, err)
		}
	}

	restore()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping once writable again: %v", err)
	}
	for what, err := range writes(ctx, s, 10) {
		if err != nil {
			t.Errorf("%s once writable again: %v", what, err)
		}
	}
	if st, _, err := s.OpenHelpRequest(ctx, "alice"); err != nil {
		t.Errorf("the help request written after the fault is not there: %v", err)
	} else if st.Question == "" {
		t.Errorf("help request = %+v", st)
	}
}

// #16 case 3: the store on a full disk. Writes fail with ErrDiskFull (its
// sentence says what to free), nothing already stored is lost or torn, the
// same store keeps answering reads, and once there is room the same writes
// succeed.
func TestFullDiskFailsWritesUntilThereIsRoom(t *testing.T) {
	ctx := t.Context()
	disk := testkit.SmallDisk(t, "2m")
	path := filepath.Join(disk, "classroomd.db")
	s := migratedAt(t, path)
	for what, err := range writes(ctx, s, 10) {
		if err != nil {
			t.Fatalf("%s before the disk is full: %v", what, err)
		}
	}

	// Fill what is left of the disk, then write until the database needs a
	// page it cannot have: big entries, so the WAL and the file must grow.
	filler := filepath.Join(disk, "filler")
	fill(t, filler)
	var full error
	for i := 0; i < 200 && full == nil; i++ {
		for what, err := range writes(ctx, s, 64<<10) {
			if err != nil {
				if !errors.Is(err, store.ErrDiskFull) {
					t.Fatalf("%s on a full disk = %v, want ErrDiskFull", what, err)
				}
				full = err
			}
		}
	}
	if full == nil {
		t.Fatal("200 rounds of 64 KiB writes on a full 2 MiB disk all succeeded")
	}
	t.Logf("a write on the full disk: %v", full)
	if !strings.Contains(full.Error(), "disk holding the database is full") {
		t.Errorf("the error does not say the disk is full: %v", full)
	}
	if u, err := s.UserByName(ctx, "alice"); err != nil || u.Username != "alice" {
		t.Errorf("reading alice on a full disk = %v, %v", u, err)
	}
	if err := s.Ping(ctx); err == nil {
		// A probe of one page may still fit (a WAL that was reset is
		// reused), and then it honestly says the store takes a write.
		t.Log("Ping still succeeded on the full disk (its one page fitted)")
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping once there is room: %v", err)
	}
	for what, err := range writes(ctx, s, 10) {
		if err != nil {
			t.Errorf("%s once there is room: %v", what, err)
		}
	}
	entries, err := s.ListAudit(ctx, store.AuditFilter{User: "alice", Limit: 1000})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	if len(entries) < 2 || entries[0].Detail != strings.Repeat("d", 10) {
		t.Errorf("after the disk had room again the audit log has %d entries, the newest %+v", len(entries), entries[0])
	}
	var check string
	if err := s.db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check after the full disk = %q, %v", check, err)
	}
}

// fill writes to path until the disk is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	// tmpfs has no reserve: the last partial chunk took what was left.
}
