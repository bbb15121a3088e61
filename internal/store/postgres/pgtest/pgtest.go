// Package pgtest gives tests a real, fresh PostgreSQL database.
//
// The server is named by CLASSROOMD_TEST_DATABASE_URL (default
// postgres://root@127.0.0.1:5432/postgres?sslmode=disable). When it cannot be
// reached the test is skipped, except under CI=true, where a missing database
// must not turn the Postgres tests into silent skips: there it fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL is the variable that names the test server.
const EnvURL = "CLASSROOMD_TEST_DATABASE_URL"

// DefaultURL is used when EnvURL is unset.
const DefaultURL = "postgres://root@127.0.0.1:5432/postgres?sslmode=disable"

// connectTimeout bounds how long an unreachable server delays the test run.
const connectTimeout = 5 * time.Second

// URL returns the base URL of a reachable server, on which databases can be
// created, or skips t (fails it under CI=true) when there is none.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		base = DefaultURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(ctx)
	}
	if err != nil {
		msg := "PostgreSQL is not reachable at " + redact(base) + ": " + err.Error() +
			"\nStart one (e.g. `docker run --rm -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_USER=root postgres:15`)" +
			" or point " + EnvURL + " at a server where this role may CREATE DATABASE."
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return base
}

// NewDatabase creates an empty database named classroomd_test_<random hex>,
// drops it (forcibly, in case a connection leaked) when the test ends, and
// returns its URL. The database is not migrated.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := URL(t)
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("pgtest: random database name: %v", err)
	}
	name := "classroomd_test_" + hex.EncodeToString(b[:])
	dbURL, err := withDatabase(base, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ident := pgx.Identifier{name}.Sanitize()
	if err := admin(base, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := admin(base, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return dbURL
}

// admin runs one statement on its own connection to the base database.
func admin(base, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	return err
}

// withDatabase returns base pointing at database name instead. It accepts
// both connection string forms pgx does.
func withDatabase(base, name string) (string, error) {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			return "", err // url.Parse errors quote the input, but this is a test server URL
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// key=value form: a later dbname overrides an earlier one.
	return base + " dbname=" + name, nil
}

// redact hides a password in either connection string form for messages.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return keywordPassword.ReplaceAllString(raw, "password=xxxxx")
}

var keywordPassword = regexp.MustCompile(`password=('(\\.|[^'])*'|\S+)`)
