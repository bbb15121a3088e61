package files

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func newHome(t *testing.T) (string, *Home) {
	t.Helper()
	dir, err := EnsureHome(filepath.Join(t.TempDir(), "homes"), "alice", NoOwner)
	if err != nil {
		t.Fatal(err)
	}
	h, err := OpenHome(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return dir, h
}

func names(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

func TestEnsureHomeCreatesWelcome(t *testing.T) {
	homes := filepath.Join(t.TempDir(), "homes")
	dir, err := EnsureHome(homes, "alice", NoOwner)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(homes, "alice") {
		t.Fatalf("dir = %q", dir)
	}
	for path, want := range map[string]os.FileMode{homes: homesPerm, dir: homePerm} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", path, got, want)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, WelcomeFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `print("Hello, alice! Welcome to classroomd.")`) {
		t.Errorf("welcome.py does not greet alice:\n%s", data)
	}
	// No temporary file left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("home holds %v, want only welcome.py", ents)
	}
}

func TestEnsureHomeIdempotentAndNoClobber(t *testing.T) {
	homes := filepath.Join(t.TempDir(), "homes")
	dir, err := EnsureHome(homes, "alice", NoOwner)
	if err != nil {
		t.Fatal(err)
	}
	welcome := filepath.Join(dir, WelcomeFile)
	edited := []byte("print('my own version')\n")
	if err := os.WriteFile(welcome, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		again, err := EnsureHome(homes, "alice", NoOwner)
		if err != nil || again != dir {
			t.Fatalf("EnsureHome again = %q, %v", again, err)
		}
	}
	if got, _ := os.ReadFile(welcome); string(got) != string(edited) {
		t.Errorf("welcome.py was overwritten: %q", got)
	}

	// A student who deleted welcome.py does not get it back.
	if err := os.Remove(welcome); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureHome(homes, "alice", NoOwner); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(welcome); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("welcome.py came back: %v", err)
	}
}

func TestEnsureHomeRefusesSymlinkAndFile(t *testing.T) {
	homes := filepath.Join(t.TempDir(), "homes")
	if err := os.MkdirAll(homes, 0o711); err != nil {
		t.Fatal(err)
	}
	bob := filepath.Join(homes, "bob")
	if err := os.Mkdir(bob, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bob, filepath.Join(homes, "mallory")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(homes, "carol"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	if _, err := EnsureHome(homes, "mallory", NoOwner); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("symlinked home: err = %v, want a refusal naming the symbolic link", err)
	}
	if _, err := EnsureHome(homes, "carol", NoOwner); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("file as home: err = %v, want a refusal", err)
	}
	if _, err := OpenHome(filepath.Join(homes, "mallory")); err == nil {
		t.Error("OpenHome followed a symlinked home")
	}
	// Nothing was written through the link.
	if ents, _ := os.ReadDir(bob); len(ents) != 0 {
		t.Errorf("bob's home was written to: %v", ents)
	}
	for _, bad := range []string{"", ".", "..", "a/b"} {
		if _, err := EnsureHome(homes, bad, NoOwner); err == nil {
			t.Errorf("EnsureHome(%q) succeeded", bad)
		}
	}
}

func TestListOrder(t *testing.T) {
	dir, h := newHome(t)
	for _, d := range []string{"zeta", "Alpha", "beta"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"b.py", "A.txt", "c.py", "a.py", "B.py"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("beta", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}

	for _, rel := range []string{"", "."} {
		es, err := h.List(rel)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"Alpha", "beta", "zeta", "a.py", "A.txt", "B.py", "b.py", "c.py", "link", "welcome.py"}
		if got := names(es); !slices.Equal(got, want) {
			t.Errorf("List(%q) = %v, want %v", rel, got, want)
		}
		for _, e := range es {
			if e.Name == "link" && (!e.Symlink || e.IsDir) {
				t.Errorf("link entry = %+v, want a symlink not followed", e)
			}
			if e.Name == "a.py" && (e.Size != 1 || e.ModTime.IsZero()) {
				t.Errorf("a.py entry = %+v", e)
			}
		}
	}

	if err := os.WriteFile(filepath.Join(dir, "beta", "inner.py"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	es, err := h.List("beta")
	if err != nil || !slices.Equal(names(es), []string{"inner.py"}) {
		t.Errorf("List(beta) = %v, %v", names(es), err)
	}
	// A symlink that stays inside the home is allowed to be followed by name.
	es, err = h.List("link")
	if err != nil || !slices.Equal(names(es), []string{"inner.py"}) {
		t.Errorf("List(link) = %v, %v", names(es), err)
	}
}

func TestListRefusesEscapes(t *testing.T) {
	dir, h := newHome(t)
	// A neighbour's home and a link to /etc, both must stay unreachable.
	if err := os.Mkdir(filepath.Join(filepath.Dir(dir), "bob"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(dir, "etc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../bob", filepath.Join(dir, "bob")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}

	for _, rel := range []string{"..", "../bob", "sub/../..", "/etc", "/", dir, "etc", "etc/ssh", "bob", "sub/../etc"} {
		es, err := h.List(rel)
		if !errors.Is(err, ErrOutsideHome) {
			t.Errorf("List(%q) = %v, %v; want ErrOutsideHome", rel, names(es), err)
		}
	}
	// Lexical ".." that stays inside is fine.
	if _, err := h.List("sub/.."); err != nil {
		t.Errorf("List(sub/..) = %v", err)
	}
	// A missing folder is an ordinary error, not an escape.
	if _, err := h.List("nope"); err == nil || errors.Is(err, ErrOutsideHome) {
		t.Errorf("List(nope) = %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir, _ := newHome(t)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	if err := writeFileAtomic(root, WelcomeFile, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, WelcomeFile)); string(got) != "new\n" {
		t.Errorf("content = %q", got)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "pw")); err != nil {
		t.Fatal(err)
	}
	// Replacing a symlink replaces the link, never its target.
	if err := writeFileAtomic(root, "pw", []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "pw")); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("pw is still a link: %v %v", fi, err)
	}
	for _, bad := range []string{"../x.py", "/tmp/x.py", "etc/../../x.py", "."} {
		if err := writeFileAtomic(root, bad, []byte("x"), 0o644); err == nil {
			t.Errorf("writeFileAtomic(%q) succeeded", bad)
		}
	}
	if err := os.Symlink("/tmp", filepath.Join(dir, "tmp")); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(root, "tmp/x.py", []byte("x"), 0o644); !errors.Is(err, ErrOutsideHome) {
		t.Errorf("write through a link out: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestEnsureHomeConcurrent(t *testing.T) {
	homes := filepath.Join(t.TempDir(), "homes")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := EnsureHome(homes, "alice", NoOwner)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(homes, "alice", WelcomeFile)); err != nil {
		t.Error(err)
	}
}

func TestUsageCountsFilesNotLinks(t *testing.T) {
	dir, h := newHome(t)
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]int{"top.py": 100, "a/one.txt": 1000, "a/b/two.bin": 10000} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A link to a big file outside the home must not count (nor be followed).
	big := filepath.Join(t.TempDir(), "big")
	os.WriteFile(big, make([]byte, 1<<20), 0o600)
	if err := os.Symlink(big, filepath.Join(dir, "a", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", filepath.Join(dir, "rootlink")); err != nil {
		t.Fatal(err)
	}
	got, err := h.Usage()
	if err != nil {
		t.Fatal(err)
	}
	welcome, err := os.Stat(filepath.Join(dir, WelcomeFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := 11100 + welcome.Size(); got != want {
		t.Errorf("Usage = %d, want %d", got, want)
	}
}

func TestIsTempOf(t *testing.T) {
	for _, c := range []struct {
		entry, base string
		want        bool
	}{
		{".a.py.tmp-0123456789ab", "a.py", true},
		{".a.py.tmp-0123456789ab", "", true},
		{".a.py.tmp-0123456789ab", "b.py", false},
		{".a.py.tmp-0123456789", "a.py", false},   // not 12 digits
		{".a.py.tmp-0123456789AB", "a.py", false}, // not ours: upper case
		{"a.py.tmp-0123456789ab", "", false},      // not hidden
		{"a.py", "a.py", false},
		{".x.tmp-0123456789ab.py", "", false},
	} {
		if got := isTempOf(c.entry, c.base); got != c.want {
			t.Errorf("isTempOf(%q, %q) = %v, want %v", c.entry, c.base, got, c.want)
		}
	}
}
