package migrations

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestListEmbedded(t *testing.T) {
	for _, dialect := range []string{SQLite, Postgres} {
		ms, err := List(dialect)
		if err != nil {
			t.Fatalf("List(%q): %v", dialect, err)
		}
		if len(ms) == 0 || ms[0].Version != "0001" || ms[0].Name != "init" {
			t.Fatalf("List(%q): first migration = %+v, want 0001 init", dialect, ms[0])
		}
		for i, m := range ms {
			if !strings.Contains(m.SQL, "CREATE TABLE") && i == 0 {
				t.Errorf("%s %s_%s: SQL has no CREATE TABLE", dialect, m.Version, m.Name)
			}
			if i > 0 && ms[i-1].Version >= m.Version {
				t.Errorf("%s: versions out of order: %s then %s", dialect, ms[i-1].Version, m.Version)
			}
		}
	}
	// Both dialects must describe the same steps, or one backend lags behind.
	s, _ := List(SQLite)
	p, _ := List(Postgres)
	if len(s) != len(p) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(s), len(p))
	}
	for i := range s {
		if s[i].Version != p[i].Version || s[i].Name != p[i].Name {
			t.Errorf("migration %d differs: sqlite %s_%s, postgres %s_%s", i, s[i].Version, s[i].Name, p[i].Version, p[i].Name)
		}
	}
}

func TestListUnknownDialect(t *testing.T) {
	if _, err := List("mysql"); err == nil {
		t.Fatal("List(mysql) succeeded, want an error")
	}
}

func TestListSortsByVersion(t *testing.T) {
	fsys := fstest.MapFS{
		"d/0010_later.sql":     {Data: []byte("B")},
		"d/0002_add_index.sql": {Data: []byte("A")},
		"d/0001_init.sql":      {Data: []byte("0")},
	}
	ms, err := list(fsys, "d")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Version+"_"+m.Name+"="+m.SQL)
	}
	want := "0001_init=0 0002_add_index=A 0010_later=B"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %q, want %q", strings.Join(got, " "), want)
	}
}

func TestListRejectsMalformed(t *testing.T) {
	for _, name := range []string{
		"1_init.sql",        // version too short
		"00001_init.sql",    // version too long
		"0001-init.sql",     // wrong separator
		"0001_.sql",         // empty name
		"0001_Init.sql",     // upper case
		"0001_init.SQL",     // extension case
		"0001_init.sql.bak", // not .sql
		"0001_init__x.sql",  // empty name segment
		"README.md",
	} {
		fsys := fstest.MapFS{"d/" + name: {Data: []byte("x")}, "d/0002_ok.sql": {Data: []byte("y")}}
		if _, err := list(fsys, "d"); err == nil {
			t.Errorf("%q accepted, want an error", name)
		}
	}
	dup := fstest.MapFS{"d/0001_a.sql": {}, "d/0001_b.sql": {}}
	if _, err := list(dup, "d"); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate version: err = %v, want a 'used twice' error", err)
	}
	if _, err := list(fstest.MapFS{"d": {Mode: fs.ModeDir}}, "d"); err == nil || !strings.Contains(err.Error(), "no migrations") {
		t.Errorf("empty folder: err = %v, want a 'no migrations' error", err)
	}
}
