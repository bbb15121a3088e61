package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/storetest"
	"github.com/classroomd/classroomd/migrations"
)

func openFile(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := openFile(t, filepath.Join(t.TempDir(), "classroomd.db"))
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s
	})
}

func TestMigrateFreshThenNoOp(t *testing.T) {
	ctx := t.Context()
	s := openFile(t, filepath.Join(t.TempDir(), "classroomd.db"))
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if !slices.Equal(applied, allVersions(t)) {
		t.Fatalf("first Migrate applied %v, want every migration", applied)
	}
	applied, err = s.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing applied", applied, err)
	}
	var name string
	var at int64
	if err := s.db.QueryRowContext(ctx, "SELECT name, applied_at FROM schema_migrations WHERE version = '0001'").Scan(&name, &at); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	if name != "init" || time.Since(time.UnixMicro(at)) > time.Minute {
		t.Errorf("schema_migrations row = %q at %v, want init applied just now", name, time.UnixMicro(at))
	}
}

// Every pooled connection, not only the first, must carry the pragmas.
func TestPragmasOnEveryConnection(t *testing.T) {
	ctx := t.Context()
	s := openFile(t, filepath.Join(t.TempDir(), "classroomd.db"))
	var conns []interface{ Close() error }
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 3 {
		c, err := s.db.Conn(ctx) // held open, so each iteration gets a new connection
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var (
			journal     string
			fk, busy, y int
		)
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&y); err != nil {
			t.Fatal(err)
		}
		if journal != "wal" || fk != 1 || busy != int(busyTimeout.Milliseconds()) || y != 1 {
			t.Errorf("connection %d: journal_mode=%s foreign_keys=%d busy_timeout=%d synchronous=%d; want wal 1 %d 1 (NORMAL)",
				i, journal, fk, busy, busyTimeout.Milliseconds(), y)
		}
	}
}

// A data directory may contain characters that mean something in a URI.
func TestOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a?b#c%20d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x?y.db")
	s := openFile(t, path)
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not created at the given path: %v", err)
	}
}

// The server and the CLI open the same file: both must be able to migrate
// and write at once, waiting for each other instead of failing with SQLITE_BUSY.
func TestTwoStoresOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "classroomd.db")
	server, cli := openFile(t, path), openFile(t, path)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	// Both migrate at once; exactly one applies the schema.
	var (
		wg      sync.WaitGroup
		applied [2][]string
		errs    [2]error
	)
	for i, s := range []*Store{server, cli} {
		wg.Go(func() { applied[i], errs[i] = s.Migrate(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatalf("concurrent Migrate: %v", err)
	}
	if all := slices.Sorted(slices.Values(slices.Concat(applied[0], applied[1]))); !slices.Equal(all, allVersions(t)) {
		t.Fatalf("concurrent Migrate applied %v and %v, want every migration exactly once", applied[0], applied[1])
	}

	const perStore = 15
	var (
		mu       sync.Mutex
		failures []error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for si, s := range []*Store{server, cli} {
		for i := range perStore {
			wg.Go(func() {
				name := fmt.Sprintf("s%d_u%02d", si, i)
				// A transaction that reads before it writes: the classic
				// SQLITE_BUSY case without BEGIN IMMEDIATE.
				if _, err := s.ImportUsers(ctx, []store.UserImport{
					{Username: name, PasswordHash: "h"},
					{Username: "shared", PasswordHash: "h"},
				}); err != nil {
					fail(fmt.Errorf("ImportUsers %s: %w", name, err))
				}
				if _, err := s.RecordLoginFailure(ctx, store.ScopeIP, "203.0.113.9", t0, time.Hour); err != nil {
					fail(fmt.Errorf("RecordLoginFailure %s: %w", name, err))
				}
				if err := s.AppendAudit(ctx, store.AuditEntry{At: t0, Actor: name, Action: "test.write", Outcome: "ok"}); err != nil {
					fail(fmt.Errorf("AppendAudit %s: %w", name, err))
				}
				if err := s.RecordLogin(ctx, name, t0); err != nil {
					fail(fmt.Errorf("RecordLogin %s: %w", name, err))
				}
			})
		}
	}
	wg.Wait()
	if err := errors.Join(failures...); err != nil {
		t.Fatalf("concurrent writers from two stores failed:\n%v", err)
	}

	// Each store sees the other's writes.
	for name, s := range map[string]*Store{"server": server, "cli": cli} {
		if n, err := s.CountUsers(ctx); err != nil || n != 2*perStore+1 {
			t.Errorf("%s: CountUsers = %d, %v; want %d", name, n, err, 2*perStore+1)
		}
		if fc, err := s.LoginFailures(ctx, store.ScopeIP, "203.0.113.9", t0, time.Hour); err != nil || fc.Count != 2*perStore {
			t.Errorf("%s: LoginFailures = %+v, %v; want count %d", name, fc, err, 2*perStore)
		}
		if es, err := s.ListAudit(ctx, store.AuditFilter{Limit: 1000}); err != nil || len(es) != 2*perStore {
			t.Errorf("%s: %d audit entries, %v; want %d", name, len(es), err, 2*perStore)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.Context(), ""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")
	if _, err := Open(t.Context(), missing); err == nil {
		t.Errorf("Open(%s) succeeded, want an error for a missing directory", missing)
	}
}

// Write transactions must take the write lock at BEGIN (BEGIN IMMEDIATE):
// a deferred transaction that reads and then writes cannot wait for a
// concurrent writer and fails with SQLITE_BUSY whatever busy_timeout says.
func TestWriteTransactionLocksAtBegin(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "classroomd.db")
	s := openFile(t, path)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("BeginTx: %v", err)
	}
	defer tx.Rollback()

	// Another process that does not wait: its own BEGIN IMMEDIATE must find
	// the write lock taken although tx has not run a statement yet.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.ExecContext(ctx, "BEGIN IMMEDIATE")
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY {
		if err == nil {
			c.ExecContext(ctx, "ROLLBACK")
		}
		t.Fatalf("BEGIN IMMEDIATE beside an open write transaction: err = %v, want SQLITE_BUSY", err)
	}
}

func TestDatabaseFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "private.db")
	st, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600 (it holds password hashes)", filepath.Base(p), perm)
		}
	}
}

// allVersions lists every embedded migration: a fresh database gets them all.
func allVersions(t *testing.T) []string {
	t.Helper()
	ms, err := migrations.List("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, m := range ms {
		vs = append(vs, m.Version)
	}
	return vs
}
