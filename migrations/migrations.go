// Package migrations embeds the SQL schema migrations of both backends.
//
// Files are named NNNN_name.sql (four-digit version, lower-case name) under a
// folder per dialect. A migration is applied once, in version order, inside
// its own transaction, and never edited after release: fix forward with a new file.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
)

// Dialects with an embedded folder of migrations.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Migration is one schema step.
type Migration struct {
	Version string // "0001"
	Name    string // "init"
	SQL     string
}

// fileName is the only accepted form; anything else in a dialect folder is a
// mistake that would otherwise be skipped silently.
var fileName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$`)

// List returns the migrations of dialect ("sqlite" or "postgres") sorted by version.
func List(dialect string) ([]Migration, error) {
	switch dialect {
	case SQLite, Postgres:
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q (want %q or %q)", dialect, SQLite, Postgres)
	}
	ms, err := list(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations: %s: %w", dialect, err)
	}
	return ms, nil
}

// list reads every file of dir in fsys; it is separate from List so tests can
// feed it malformed folders.
func list(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	ms := make([]Migration, 0, len(entries))
	seen := make(map[string]string, len(entries))
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			return nil, fmt.Errorf("malformed migration file name %q: want NNNN_name.sql (name in lower case, digits and _)", e.Name())
		}
		if prev, dup := seen[m[1]]; dup {
			return nil, fmt.Errorf("migration version %s used twice: %q and %q", m[1], prev, e.Name())
		}
		seen[m[1]] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: m[1], Name: m[2], SQL: string(b)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}
