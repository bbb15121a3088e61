package files

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// world is a homes folder with alice (the home under test), her neighbour
// bob, and a secret outside every home, with links from alice's home to each.
type world struct {
	dir    string // alice's home
	h      *Home
	bob    string // bob's home
	secret string // a file outside the homes
}

func newWorld(t *testing.T, opts Options) world {
	t.Helper()
	homes := filepath.Join(t.TempDir(), "homes")
	dir, err := EnsureHome(homes, "alice", NoOwner)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := EnsureHome(homes, "bob", NoOwner)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(bob, "bob.py"), "print('bob')\n")
	secret := filepath.Join(t.TempDir(), "secret.txt")
	mustWrite(t, secret, "root's secret\n")
	for link, target := range map[string]string{
		"secret":   secret,          // absolute, outside
		"bobs":     "../bob",        // relative, into the neighbour's home
		"bobfile":  "../bob/bob.py", // a file in the neighbour's home
		"outdir":   filepath.Dir(secret),
		"welcome2": WelcomeFile, // inside: fine to follow
		"dangling": "nowhere",
		"loop":     "loop",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	h, err := OpenHomeWith(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return world{dir: dir, h: h, bob: bob, secret: secret}
}

// untouched checks that nothing outside alice's home changed.
func (w world) untouched(t *testing.T) {
	t.Helper()
	if got, err := os.ReadFile(w.secret); err != nil || string(got) != "root's secret\n" {
		t.Errorf("the secret outside the home changed: %q, %v", got, err)
	}
	ents, err := os.ReadDir(w.bob)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "bob.py,welcome.py" {
		t.Errorf("bob's home changed: %v", names)
	}
	if got, _ := os.ReadFile(filepath.Join(w.bob, "bob.py")); string(got) != "print('bob')\n" {
		t.Errorf("bob.py changed: %q", got)
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// escapes are names that must never reach outside alice's home.
var escapes = []string{"..", "../bob/bob.py", "../bob", "sub/../../bob/bob.py", "/etc/passwd", "/", "secret", "bobs/bob.py", "bobfile", "outdir/secret.txt"}

func noTemps(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

func TestReadFile(t *testing.T) {
	w := newWorld(t, Options{})
	got, err := w.h.ReadFile(WelcomeFile)
	if err != nil || !strings.Contains(string(got), "Hello, alice!") {
		t.Fatalf("ReadFile(welcome.py) = %q, %v", got, err)
	}
	// A link that stays inside is followed.
	if got2, err := w.h.ReadFile("welcome2"); err != nil || !bytes.Equal(got, got2) {
		t.Errorf("ReadFile(welcome2) = %q, %v", got2, err)
	}
	mustWrite(t, filepath.Join(w.dir, "empty.py"), "")
	if got, err := w.h.ReadFile("empty.py"); err != nil || len(got) != 0 {
		t.Errorf("ReadFile(empty.py) = %q, %v", got, err)
	}
	mustWrite(t, filepath.Join(w.dir, "utf8.py"), "print('héllo ✓ 日本')\n")
	if _, err := w.h.ReadFile("utf8.py"); err != nil {
		t.Errorf("ReadFile(utf8.py) = %v", err)
	}
	for _, rel := range escapes {
		if _, err := w.h.ReadFile(rel); !errors.Is(err, ErrOutsideHome) {
			t.Errorf("ReadFile(%q) = %v, want ErrOutsideHome", rel, err)
		}
	}
	if _, err := w.h.ReadFile("nope.py"); !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(nope.py) = %v, want ErrNotFound", err)
	}
	if _, err := w.h.ReadFile("dangling"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadFile(dangling) = %v, want ErrNotFound", err)
	}
}

func TestReadFileRefusals(t *testing.T) {
	w := newWorld(t, Options{})
	big := bytes.Repeat([]byte("x = 1\n"), 3355443/6+1) // 3.2 MiB
	os.WriteFile(filepath.Join(w.dir, "big.py"), big, 0o644)
	os.WriteFile(filepath.Join(w.dir, "limit.py"), bytes.Repeat([]byte("a"), 1<<20), 0o644)
	os.WriteFile(filepath.Join(w.dir, "prog.pyc"), append([]byte("abc"), 0, 1, 2), 0o644)
	os.WriteFile(filepath.Join(w.dir, "latin1.txt"), []byte("caf\xe9\n"), 0o644)
	os.Mkdir(filepath.Join(w.dir, "lab1"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(w.dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := w.h.ReadFile("limit.py"); err != nil {
		t.Errorf("a file of exactly 1 MiB: %v", err)
	}
	for _, c := range []struct {
		rel  string
		kind error
		says string
	}{
		{"big.py", ErrTooLarge, "big.py is 3.2 MiB; the editor opens files up to 1 MiB"},
		{"prog.pyc", ErrBinary, "not a text file"},
		{"latin1.txt", ErrNotUTF8, "not UTF-8"},
		{"lab1", ErrIsFolder, "lab1 is a folder"},
		{".", ErrIsFolder, "your home folder is a folder"},
		{"pipe", ErrNotRegular, "pipe"}, // and it does not block
	} {
		data, err := w.h.ReadFile(c.rel)
		if !errors.Is(err, c.kind) || data != nil {
			t.Errorf("ReadFile(%q) = %d bytes, %v; want %v", c.rel, len(data), err, c.kind)
			continue
		}
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("ReadFile(%q) says %q, want %q", c.rel, err, c.says)
		}
	}
	// The distinct refusals are distinct.
	_, err := w.h.ReadFile("prog.pyc")
	if errors.Is(err, ErrNotUTF8) || errors.Is(err, ErrTooLarge) {
		t.Errorf("binary also matches other sentinels: %v", err)
	}

	// A NUL after the first 8 KiB is not sniffed; it is still not... valid
	// text? NUL is valid UTF-8, so such a file opens.
	late := append(bytes.Repeat([]byte("a"), sniffBytes), 0)
	os.WriteFile(filepath.Join(w.dir, "late.txt"), late, 0o644)
	if _, err := w.h.ReadFile("late.txt"); err != nil {
		t.Errorf("NUL after 8 KiB: %v", err)
	}

	// The limit is an option.
	small, err := OpenHomeWith(w.dir, Options{MaxEditBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	if _, err := small.ReadFile(WelcomeFile); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "up to 100 bytes") {
		t.Errorf("with a 100-byte limit: %v", err)
	}
}

func TestWriteFile(t *testing.T) {
	w := newWorld(t, Options{})
	if err := w.h.WriteFile("new.py", []byte("x = 21\n")); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, filepath.Join(w.dir, "new.py")); got != "x = 21\n" {
		t.Errorf("new.py = %q", got)
	}
	// An existing file keeps its mode, whatever the umask.
	for _, mode := range []os.FileMode{0o600, 0o755, 0o640} {
		p := filepath.Join(w.dir, "mode.py")
		os.WriteFile(p, []byte("old"), 0o644)
		os.Chmod(p, mode)
		if err := w.h.WriteFile("mode.py", []byte("new")); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != mode || mustRead(t, p) != "new" {
			t.Errorf("after save: mode %v (want %v), content %q", fi.Mode().Perm(), mode, mustRead(t, p))
		}
	}
	// Into a subfolder, and through a link to a folder inside the home.
	os.Mkdir(filepath.Join(w.dir, "lab1"), 0o755)
	os.Symlink("lab1", filepath.Join(w.dir, "lablink"))
	if err := w.h.WriteFile("lablink/a.py", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, filepath.Join(w.dir, "lab1", "a.py")); got != "a" {
		t.Errorf("lab1/a.py = %q", got)
	}
	// A link is replaced, never written through, even one inside the home.
	if err := w.h.WriteFile("welcome2", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(filepath.Join(w.dir, "welcome2")); !fi.Mode().IsRegular() {
		t.Errorf("welcome2 is still a link: %v", fi.Mode())
	}
	if strings.Contains(mustRead(t, filepath.Join(w.dir, WelcomeFile)), "mine") {
		t.Error("saving a link wrote its target")
	}
	// Links out are replaced too: the secret and bob's file stay as they are.
	for _, link := range []string{"secret", "bobfile"} {
		if err := w.h.WriteFile(link, []byte("overwritten")); err != nil {
			t.Errorf("WriteFile(%s): %v", link, err)
		}
	}
	w.untouched(t)

	// Refusals.
	for _, rel := range []string{"..", "../bob/bob.py", "/tmp/x.py", "sub/../../x.py", "bobs/x.py", "outdir/x.py"} {
		if err := w.h.WriteFile(rel, []byte("x")); !errors.Is(err, ErrOutsideHome) {
			t.Errorf("WriteFile(%q) = %v, want ErrOutsideHome", rel, err)
		}
	}
	if err := w.h.WriteFile("lab1", []byte("x")); !errors.Is(err, ErrIsFolder) {
		t.Errorf("WriteFile(lab1) = %v, want ErrIsFolder", err)
	}
	if err := w.h.WriteFile("", []byte("x")); !errors.Is(err, ErrIsFolder) {
		t.Errorf("WriteFile(\"\") = %v, want ErrIsFolder", err)
	}
	err := w.h.WriteFile("gone/a.py", []byte("x"))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "the folder gone no longer exists") {
		t.Errorf("WriteFile(gone/a.py) = %v", err)
	}
	if err := w.h.WriteFile("lab1/bad\tname.py", []byte("x")); !errors.Is(err, ErrInvalidName) {
		t.Errorf("a new file with a tab in its name: %v", err)
	}
	// An existing file with such a name (a program made it) can be saved.
	mustWrite(t, filepath.Join(w.dir, "odd\tname.py"), "old")
	if err := w.h.WriteFile("odd\tname.py", []byte("new")); err != nil {
		t.Errorf("saving an existing oddly named file: %v", err)
	}
	if err := w.h.WriteFile("welcome.py/x", []byte("x")); !errors.Is(err, ErrNotFolder) {
		t.Errorf("WriteFile(welcome.py/x) = %v, want ErrNotFolder", err)
	}
	w.untouched(t)
	noTemps(t, w.dir)
}

func TestWriteFileAtomicOnFailure(t *testing.T) {
	w := newWorld(t, Options{})
	p := filepath.Join(w.dir, "prog.py")
	mustWrite(t, p, "old\n")

	// A crash between writing the temporary file and the rename.
	w.h.beforeRename = func() error { return errors.New("simulated crash") }
	if err := w.h.WriteFile("prog.py", []byte("new\n")); err == nil {
		t.Fatal("the save did not fail")
	}
	if got := mustRead(t, p); got != "old\n" {
		t.Errorf("after a failed save: %q, want the old content", got)
	}
	noTemps(t, w.dir)

	// The target becomes a folder (a program did it) just before the rename:
	// the rename fails and the folder is intact.
	w.h.beforeRename = func() error {
		os.Remove(p)
		mustWrite(t, filepath.Join(p, "inside.txt"), "keep")
		return nil
	}
	err := w.h.WriteFile("prog.py", []byte("new\n"))
	if !errors.Is(err, ErrIsFolder) {
		t.Fatalf("a save over a folder: %v, want ErrIsFolder", err)
	}
	if got := mustRead(t, filepath.Join(p, "inside.txt")); got != "keep" {
		t.Errorf("the folder's content changed: %q", got)
	}
	noTemps(t, w.dir)
	w.h.beforeRename = nil

	// A folder the daemon cannot write to (only without root: root can).
	if os.Geteuid() != 0 {
		ro := filepath.Join(w.dir, "ro")
		mustWrite(t, filepath.Join(ro, "a.py"), "old\n")
		os.Chmod(ro, 0o500)
		defer os.Chmod(ro, 0o700)
		err := w.h.WriteFile("ro/a.py", []byte("new\n"))
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("save in a read-only folder: %v", err)
		}
		if got := mustRead(t, filepath.Join(ro, "a.py")); got != "old\n" {
			t.Errorf("after a failed save: %q", got)
		}
	}
}

func TestWriteFileKeepsOwner(t *testing.T) {
	needRoot(t)
	homes := filepath.Join(t.TempDir(), "homes")
	student := Owner{UID: 212347, GID: 212347}
	dir, err := EnsureHome(homes, "carol", student)
	if err != nil {
		t.Fatal(err)
	}
	h, err := OpenHome(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	// Saving welcome.py (the student's) keeps it the student's.
	if err := h.WriteFile(WelcomeFile, []byte("print(1)\n")); err != nil {
		t.Fatal(err)
	}
	if got := ownerOf(t, filepath.Join(dir, WelcomeFile)); got != student {
		t.Errorf("welcome.py owned by %v after save, want %v", got, student)
	}
	// A file with another owner than its folder keeps that owner.
	other := Owner{UID: 212348, GID: 212349}
	p := filepath.Join(dir, "shared.py")
	mustWrite(t, p, "old")
	os.Lchown(p, other.UID, other.GID)
	os.Chmod(p, 0o640)
	if err := h.WriteFile("shared.py", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got := ownerOf(t, p); got != other {
		t.Errorf("shared.py owned by %v after save, want %v", got, other)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Errorf("shared.py mode %v, want 0640", fi.Mode().Perm())
	}
	// New files, folders and copies take the folder's owner.
	if err := h.WriteFile("new.py", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := h.NewFile("empty.py"); err != nil {
		t.Fatal(err)
	}
	if err := h.NewFolder("lab"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "lab", "in.py"), "x") // root's, like an old file
	os.Symlink("in.py", filepath.Join(dir, "lab", "link"))
	cp, err := h.Duplicate("lab")
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"new.py", "empty.py", "lab", cp, cp + "/in.py", cp + "/link"} {
		if got := ownerOf(t, filepath.Join(dir, rel)); got != student {
			t.Errorf("%s owned by %v, want %v", rel, got, student)
		}
	}
}

func TestQuota(t *testing.T) {
	w := newWorld(t, Options{})
	base, err := w.h.Usage()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_000_000, 0)
	h, err := OpenHomeWith(w.dir, Options{QuotaBytes: base + 1000, UsageMaxAge: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	h.nowFunc = func() time.Time { return now }

	if err := h.WriteFile("a.py", make([]byte, 600)); err != nil {
		t.Fatal(err)
	}
	if used, limit, err := h.Quota(); err != nil || used != base+600 || limit != base+1000 {
		t.Errorf("Quota() = %d, %d, %v; want %d, %d", used, limit, err, base+600, base+1000)
	}
	// Growing a.py by 500 goes over: refused, old content kept.
	err = h.WriteFile("a.py", make([]byte, 1100))
	if !errors.Is(err, ErrQuota) {
		t.Fatalf("save over quota = %v, want ErrQuota", err)
	}
	for _, says := range []string{"a.py was not saved", "of your", "quota", "would add 500 bytes", "delete files"} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("quota message %q does not say %q", err, says)
		}
	}
	if fi, _ := os.Stat(filepath.Join(w.dir, "a.py")); fi.Size() != 600 {
		t.Errorf("a.py is %d bytes after a refused save, want the old 600", fi.Size())
	}
	noTemps(t, w.dir)
	// A new file that fits is fine; one that does not is refused.
	if err := h.WriteFile("b.py", make([]byte, 400)); err != nil {
		t.Errorf("a save that fits exactly: %v", err)
	}
	if err := h.WriteFile("c.py", []byte("x")); !errors.Is(err, ErrQuota) {
		t.Errorf("one byte over: %v", err)
	}
	if _, err := os.Stat(filepath.Join(w.dir, "c.py")); err == nil {
		t.Error("c.py was created despite the quota")
	}

	// A program writes 2000 bytes behind the Home's back: the cache does
	// not see it yet (so no walk per save)...
	mustWrite(t, filepath.Join(w.dir, "out.bin"), strings.Repeat("z", 2000))
	if used, _, _ := h.Quota(); used != base+1000 {
		t.Errorf("cached usage = %d, want %d until it is refreshed", used, base+1000)
	}
	// ...until it is a few seconds old.
	now = now.Add(6 * time.Second)
	if used, _, _ := h.Quota(); used != base+3000 {
		t.Errorf("refreshed usage = %d, want %d", used, base+3000)
	}
	// Over quota, a save that shrinks a file still goes through, and so
	// does deleting.
	if err := h.WriteFile("a.py", make([]byte, 10)); err != nil {
		t.Errorf("a shrinking save over quota: %v", err)
	}
	if err := h.Delete("out.bin"); err != nil {
		t.Fatal(err)
	}
	if used, _, _ := h.Quota(); used != base+410 {
		t.Errorf("usage after delete = %d, want %d", used, base+410)
	}
	// Duplicate respects the quota: one copy of b.py fits, a second does not.
	if _, err := h.Duplicate("b.py"); err != nil {
		t.Errorf("Duplicate within quota: %v", err)
	}
	if _, err := h.Duplicate("b.py"); !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "b.py was not duplicated") {
		t.Errorf("Duplicate over quota = %v", err)
	}
	if _, err := os.Stat(filepath.Join(w.dir, "b copy 2.py")); err == nil {
		t.Error("the refused copy exists")
	}

	// No quota: anything goes.
	if err := w.h.WriteFile("huge.bin", make([]byte, 1<<20)); err != nil {
		t.Errorf("no quota: %v", err)
	}
}

func TestOpenReadOnly(t *testing.T) {
	course := filepath.Join(t.TempDir(), "course")
	mustWrite(t, filepath.Join(course, "lab1", "task.py"), "print('task')\n")
	mustWrite(t, filepath.Join(course, "readme.txt"), "hello\n")
	// The administrator may point the course folder elsewhere with a link.
	link := filepath.Join(t.TempDir(), "course-link")
	if err := os.Symlink(course, link); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{course, link} {
		h, err := OpenReadOnly(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !h.ReadOnly() {
			t.Error("ReadOnly() = false")
		}
		es, err := h.List("")
		if err != nil || len(es) != 2 {
			t.Errorf("List = %v, %v", names(es), err)
		}
		if got, err := h.ReadFile("lab1/task.py"); err != nil || string(got) != "print('task')\n" {
			t.Errorf("ReadFile = %q, %v", got, err)
		}
		if s, err := h.Describe("lab1"); err != nil || s.Files != 1 {
			t.Errorf("Describe = %+v, %v", s, err)
		}
		for what, err := range map[string]error{
			"WriteFile": h.WriteFile("readme.txt", []byte("changed")),
			"NewFile":   h.NewFile("new.py"),
			"NewFolder": h.NewFolder("new"),
			"Rename":    h.Rename("readme.txt", "other.txt"),
			"Move":      h.Move("readme.txt", "lab1"),
			"Delete":    h.Delete("lab1"),
		} {
			if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "read-only") {
				t.Errorf("%s = %v, want ErrReadOnly", what, err)
			}
		}
		if _, err := h.Duplicate("lab1"); !errors.Is(err, ErrReadOnly) {
			t.Errorf("Duplicate = %v, want ErrReadOnly", err)
		}
		if _, err := h.ReadFile("../course-link"); !errors.Is(err, ErrOutsideHome) {
			t.Errorf("escape from the course folder: %v", err)
		}
		h.Close()
	}
	ents, _ := os.ReadDir(course)
	if len(ents) != 2 || mustRead(t, filepath.Join(course, "readme.txt")) != "hello\n" {
		t.Errorf("the course folder changed: %v", ents)
	}
	// A home, unlike the course folder, must not be a link.
	if _, err := OpenHomeWith(link, Options{ReadOnly: true}); err == nil {
		t.Error("OpenHomeWith followed a symlinked folder")
	}
}
