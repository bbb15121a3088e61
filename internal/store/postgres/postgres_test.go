package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/postgres/pgtest"
	"github.com/classroomd/classroomd/internal/store/storetest"
	"github.com/classroomd/classroomd/migrations"
)

// openDB connects to url and closes the pool when the test ends (before
// pgtest drops the database, as cleanups run last-registered first).
func openDB(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	pgtest.URL(t) // skip (or fail under CI) once, not per subtest
	storetest.Run(t, func(t *testing.T) store.Store {
		s := openDB(t, pgtest.NewDatabase(t))
		applied, err := s.Migrate(t.Context())
		if err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		if !slices.Equal(applied, allVersions(t)) {
			t.Fatalf("Migrate on a fresh database applied %v, want every migration", applied)
		}
		return s
	})
}

// Nodes starting together must apply each migration exactly once.
func TestConcurrentMigrate(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	const nodes = 4
	stores := make([]*Store, nodes)
	for i := range stores {
		stores[i] = openDB(t, url)
	}
	var (
		wg      sync.WaitGroup
		applied [nodes][]string
		errs    [nodes]error
	)
	for i, s := range stores {
		wg.Go(func() { applied[i], errs[i] = s.Migrate(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatalf("concurrent Migrate: %v", err)
	}
	if all := slices.Sorted(slices.Values(slices.Concat(applied[:]...))); !slices.Equal(all, allVersions(t)) {
		t.Fatalf("concurrent Migrate applied %v, want every migration exactly once", applied)
	}
	var n int
	if err := stores[0].pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(allVersions(t)) {
		t.Fatalf("schema_migrations has %d rows (%v), want one per migration", n, err)
	}
}

func TestOpenErrorHidesPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, url := range []string{
		"postgres://someone:s3cret-pw@127.0.0.1:1/nothing?sslmode=disable&connect_timeout=5",
		"postgres://someone:s3cret-pw@127.0.0.1:5432/nothing?sslmode=disable&no_such_param=%zz",
	} {
		s, err := Open(ctx, url)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%s) succeeded, want an error", url)
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("Open error reveals the password: %v", err)
		}
	}
}

// allVersions lists every embedded migration: a fresh database gets them all.
func allVersions(t *testing.T) []string {
	t.Helper()
	ms, err := migrations.List("postgres")
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, m := range ms {
		vs = append(vs, m.Version)
	}
	return vs
}
