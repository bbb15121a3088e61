package files

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzHomePaths feeds arbitrary names, as a student or an SFTP client could
// type them, to every operation of a home that takes one. Beside the home lie
// a secret file and a link out of it. Whatever the name: no panic, nothing
// outside the home is read, written, created or removed, the home itself
// survives, and a name that is not local fails with ErrOutsideHome
// (#16 case 6).
func FuzzHomePaths(f *testing.F) {
	for _, seed := range []struct {
		op   byte
		a, b string
	}{
		{0, "notes.py", ""}, {1, "../outside/secret.txt", ""}, {2, "out/secret.txt", ""},
		{3, "sub/../../outside/new.py", ""}, {4, "/etc", ""}, {5, "sub/a.py", "b.py"},
		{6, "out", ""}, {6, ".", ""}, {6, "", ""}, {7, "sub", "../outside"}, {1, "sub/./../notes.py", ""},
		{3, "a\x00b", ""}, {5, "notes.py", "\x1b]0;pwned\x07"}, {3, strings.Repeat("x", 300), ""},
		{8, "out/", ""}, {2, "out/../out/secret.txt", ""},
	} {
		f.Add(seed.op, seed.a, seed.b)
	}
	dir := f.TempDir()
	home, outside := filepath.Join(dir, "home"), filepath.Join(dir, "outside")
	secret := []byte("the contents of another student's file\n")
	for _, d := range []string{home, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), secret, 0o644); err != nil {
		f.Fatal(err)
	}
	h, err := OpenHome(home)
	if err != nil {
		f.Fatal(err)
	}
	defer h.Close()
	// What each iteration starts from (an earlier one may have renamed or deleted it).
	reset := func(t *testing.T) {
		_ = os.MkdirAll(filepath.Join(home, "sub"), 0o755)
		_ = os.WriteFile(filepath.Join(home, "notes.py"), []byte("print(1)\n"), 0o644)
		_ = os.Remove(filepath.Join(home, "out"))
		if err := os.Symlink(outside, filepath.Join(home, "out")); err != nil {
			t.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, op byte, a, b string) {
		reset(t)
		var err error
		switch op % 9 {
		case 0:
			var data []byte
			data, err = h.ReadFile(a)
			if bytes.Contains(data, secret) {
				t.Fatalf("ReadFile(%q) read the file outside the home", a)
			}
		case 1:
			_, err = h.Stat(a)
		case 2:
			var es []Entry
			es, err = h.List(a)
			for _, e := range es {
				if e.Name == "secret.txt" {
					t.Fatalf("List(%q) listed the folder outside the home", a)
				}
			}
		case 3:
			err = h.NewFile(a)
		case 4:
			err = h.NewFolder(a)
		case 5:
			err = h.Rename(a, b)
		case 6:
			err = h.Delete(a)
		case 7:
			err = h.Move(a, b)
		case 8:
			err = h.WriteFile(a, []byte("print(2)\n"))
		}
		if _, lerr := localName(a); lerr != nil && err == nil {
			t.Fatalf("op %d on %q (not a name inside the home) succeeded", op%9, a)
		} else if lerr != nil && !errors.Is(err, ErrOutsideHome) {
			t.Fatalf("op %d on %q = %v, want ErrOutsideHome", op%9, a, err)
		}
		es, rerr := os.ReadDir(outside)
		if rerr != nil || len(es) != 1 || es[0].Name() != "secret.txt" {
			t.Fatalf("after op %d (%q, %q) the folder outside the home holds %v (%v); want only secret.txt", op%9, a, b, es, rerr)
		}
		if got, err := os.ReadFile(filepath.Join(outside, "secret.txt")); err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("after op %d (%q, %q) the file outside the home changed: %q, %v", op%9, a, b, got, err)
		}
		if fi, err := os.Lstat(home); err != nil || !fi.IsDir() {
			t.Fatalf("after op %d (%q, %q) the home is gone or not a folder: %v", op%9, a, b, err)
		}
	})
}
