package pgtest

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestWithDatabase(t *testing.T) {
	for base, want := range map[string]string{
		"postgres://root@127.0.0.1:5432/postgres?sslmode=disable": "postgres://root@127.0.0.1:5432/classroomd_test_x?sslmode=disable",
		"postgresql://u:p@h/":                            "postgresql://u:p@h/classroomd_test_x",
		"host=127.0.0.1 dbname=postgres sslmode=disable": "host=127.0.0.1 dbname=postgres sslmode=disable dbname=classroomd_test_x",
	} {
		got, err := withDatabase(base, "classroomd_test_x")
		if err != nil || got != want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", base, got, err, want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil || cfg.Database != "classroomd_test_x" {
			t.Errorf("pgx reads %q as database %q (err %v), want classroomd_test_x", got, cfg.Database, err)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, raw := range []string{
		"postgres://u:hunter2@h/db",
		"host=h password=hunter2 user=u",
		"host=h password='hun ter2' user=u",
	} {
		if got := redact(raw); strings.Contains(got, "hunter2") || strings.Contains(got, "ter2") {
			t.Errorf("redact(%q) = %q, still shows the password", raw, got)
		}
	}
}

// NewDatabase gives an empty database that is gone after the test.
func TestNewDatabase(t *testing.T) {
	base := URL(t)
	var name string
	t.Run("use", func(t *testing.T) {
		url := NewDatabase(t)
		conn, err := pgx.Connect(t.Context(), url)
		if err != nil {
			t.Fatalf("connect to the new database: %v", err)
		}
		defer conn.Close(context.Background())
		var tables int
		if err := conn.QueryRow(t.Context(),
			"SELECT current_database(), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')").Scan(&name, &tables); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "classroomd_test_") || tables != 0 {
			t.Fatalf("got database %q with %d tables, want an empty classroomd_test_*", name, tables)
		}
	})
	if name == "" {
		return // the subtest failed
	}
	conn, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after its test ended", name)
	}
}
