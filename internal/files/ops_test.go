package files

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Lstat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func isLink(t *testing.T, path string) bool {
	t.Helper()
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

func TestNewFileAndFolder(t *testing.T) {
	w := newWorld(t, Options{})
	if err := w.h.NewFile("a.py"); err != nil {
		t.Fatal(err)
	}
	if err := w.h.NewFolder("lab1"); err != nil {
		t.Fatal(err)
	}
	if err := w.h.NewFile("lab1/b.py"); err != nil {
		t.Fatal(err)
	}
	if err := w.h.NewFolder("lab1/data"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(w.dir, "lab1", "b.py")); err != nil || fi.Size() != 0 || !fi.Mode().IsRegular() {
		t.Errorf("lab1/b.py: %v, %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(w.dir, "lab1", "data")); err != nil || !fi.IsDir() {
		t.Errorf("lab1/data: %v, %v", fi, err)
	}

	for _, c := range []struct {
		rel  string
		kind error
	}{
		{"a.py", ErrExists},
		{"lab1", ErrExists},
		{"dangling", ErrExists}, // a dangling link is a name taken
		{"secret", ErrExists},
		{"lab1/b.py", ErrExists},
		{"missing/x.py", ErrNotFound},
		{"a.py/x.py", ErrNotFolder},
		{"", ErrInvalidName},
		{"lab1/ x.py", ErrInvalidName},
		{"bad\nname.py", ErrInvalidName},
		{"..", ErrOutsideHome},
		{"../x.py", ErrOutsideHome},
		{"/tmp/x.py", ErrOutsideHome},
		{"bobs/x.py", ErrOutsideHome},
		{"outdir/x.py", ErrOutsideHome},
	} {
		for _, folder := range []bool{false, true} {
			var err error
			if folder {
				err = w.h.NewFolder(c.rel)
			} else {
				err = w.h.NewFile(c.rel)
			}
			if !errors.Is(err, c.kind) {
				t.Errorf("New(folder=%v, %q) = %v, want %v", folder, c.rel, err, c.kind)
			}
		}
	}
	err := w.h.NewFile("a.py")
	if err.Error() != "a.py already exists; choose another name" {
		t.Errorf("message: %q", err)
	}
	if err := w.h.NewFile("missing/x.py"); !strings.Contains(err.Error(), "the folder missing does not exist") {
		t.Errorf("message: %q", err)
	}
	w.untouched(t)
}

func TestRename(t *testing.T) {
	w := newWorld(t, Options{})
	mustWrite(t, filepath.Join(w.dir, "lab1", "a.py"), "a")
	mustWrite(t, filepath.Join(w.dir, "b.py"), "b")

	if err := w.h.Rename("lab1/a.py", "main.py"); err != nil {
		t.Fatal(err)
	}
	if mustRead(t, filepath.Join(w.dir, "lab1", "main.py")) != "a" || exists(t, filepath.Join(w.dir, "lab1", "a.py")) {
		t.Error("lab1/a.py was not renamed to main.py")
	}
	if err := w.h.Rename("lab1", "lab 1"); err != nil {
		t.Fatal(err)
	}
	if !exists(t, filepath.Join(w.dir, "lab 1", "main.py")) {
		t.Error("lab1 was not renamed")
	}
	if err := w.h.Rename("b.py", "b.py"); err != nil {
		t.Errorf("renaming to the same name: %v", err)
	}
	// A link is renamed as a link; its target (outside) is untouched.
	if err := w.h.Rename("secret", "renamed-link"); err != nil {
		t.Fatal(err)
	}
	if !isLink(t, filepath.Join(w.dir, "renamed-link")) {
		t.Error("the renamed link is not a link")
	}

	for _, c := range []struct {
		from, to string
		kind     error
	}{
		{"b.py", "welcome.py", ErrExists},
		{"b.py", "dangling", ErrExists},
		{"b.py", "lab 1", ErrExists},
		{"nope.py", "x.py", ErrNotFound},
		{"b.py", "", ErrInvalidName},
		{"b.py", "..", ErrInvalidName},
		{"b.py", "../x.py", ErrInvalidName},
		{"b.py", "lab 1/x.py", ErrInvalidName},
		{"b.py", "x.py ", ErrInvalidName},
		{"", "x", ErrProtected},
		{".", "x", ErrProtected},
		{"../bob/bob.py", "x.py", ErrOutsideHome},
		{"bobs/bob.py", "x.py", ErrOutsideHome},
		{"/etc/passwd", "x", ErrOutsideHome},
	} {
		if err := w.h.Rename(c.from, c.to); !errors.Is(err, c.kind) {
			t.Errorf("Rename(%q, %q) = %v, want %v", c.from, c.to, err, c.kind)
		}
	}
	if got := mustRead(t, filepath.Join(w.dir, WelcomeFile)); !strings.Contains(got, "Hello") {
		t.Error("welcome.py was overwritten by a rename")
	}
	w.untouched(t)
}

func TestMove(t *testing.T) {
	w := newWorld(t, Options{})
	mustWrite(t, filepath.Join(w.dir, "lab1", "sub", "a.py"), "a")
	mustWrite(t, filepath.Join(w.dir, "lab2", "a.py"), "other a")
	mustWrite(t, filepath.Join(w.dir, "b.py"), "b")
	os.Symlink("lab1/sub", filepath.Join(w.dir, "sublink"))

	if err := w.h.Move("b.py", "lab1"); err != nil {
		t.Fatal(err)
	}
	if mustRead(t, filepath.Join(w.dir, "lab1", "b.py")) != "b" || exists(t, filepath.Join(w.dir, "b.py")) {
		t.Error("b.py was not moved into lab1")
	}
	if err := w.h.Move("lab1/b.py", ""); err != nil {
		t.Fatal(err)
	}
	if !exists(t, filepath.Join(w.dir, "b.py")) {
		t.Error("b.py was not moved back")
	}
	if err := w.h.Move("lab2", "lab1/sub"); err != nil {
		t.Fatal(err)
	}
	if !exists(t, filepath.Join(w.dir, "lab1", "sub", "lab2", "a.py")) {
		t.Error("lab2 was not moved into lab1/sub")
	}
	// A link moves as a link.
	if err := w.h.Move("secret", "lab1"); err != nil {
		t.Fatal(err)
	}
	if !isLink(t, filepath.Join(w.dir, "lab1", "secret")) {
		t.Error("the moved link is not a link")
	}

	mustWrite(t, filepath.Join(w.dir, "a.py"), "top a")
	for _, c := range []struct {
		from, to string
		kind     error
	}{
		{"a.py", "lab1/sub", ErrExists}, // lab1/sub/a.py exists
		{"a.py", "", ErrExists},         // already there
		{"a.py", "b.py", ErrNotFolder},
		{"a.py", "nope", ErrNotFound},
		{"nope.py", "lab1", ErrNotFound},
		{"lab1", "lab1", ErrIntoItself},
		{"lab1", "lab1/sub", ErrIntoItself},
		{"lab1", "lab1/sub/lab2", ErrIntoItself},
		{"lab1", "sublink", ErrIntoItself}, // through a link: the kernel says no
		{"", "lab1", ErrProtected},
		{"a.py", "..", ErrOutsideHome},
		{"a.py", "../bob", ErrOutsideHome},
		{"a.py", "bobs", ErrOutsideHome},
		{"a.py", "outdir", ErrOutsideHome},
		{"a.py", "/tmp", ErrOutsideHome},
		{"../bob/bob.py", "lab1", ErrOutsideHome},
		{"bobs/bob.py", "lab1", ErrOutsideHome},
	} {
		if err := w.h.Move(c.from, c.to); !errors.Is(err, c.kind) {
			t.Errorf("Move(%q, %q) = %v, want %v", c.from, c.to, err, c.kind)
		}
	}
	if mustRead(t, filepath.Join(w.dir, "lab1", "sub", "a.py")) != "a" || mustRead(t, filepath.Join(w.dir, "a.py")) != "top a" {
		t.Error("a refused move changed a file")
	}
	err := w.h.Move("lab1", "lab1/sub")
	if err == nil || !strings.Contains(err.Error(), "cannot be moved into itself") {
		t.Errorf("message: %v", err)
	}
	w.untouched(t)
}

func TestDuplicate(t *testing.T) {
	w := newWorld(t, Options{})
	mustWrite(t, filepath.Join(w.dir, "prog.py"), "print(1)\n")
	os.Chmod(filepath.Join(w.dir, "prog.py"), 0o755)
	for _, want := range []string{"prog copy.py", "prog copy 2.py", "prog copy 3.py"} {
		got, err := w.h.Duplicate("prog.py")
		if err != nil || got != want {
			t.Fatalf("Duplicate(prog.py) = %q, %v; want %q", got, err, want)
		}
		fi, err := os.Stat(filepath.Join(w.dir, want))
		if err != nil || fi.Mode().Perm() != 0o755 || mustRead(t, filepath.Join(w.dir, want)) != "print(1)\n" {
			t.Errorf("%s: %v %v", want, fi, err)
		}
	}
	if got, err := w.h.Duplicate("prog copy.py"); err != nil || got != "prog copy 4.py" {
		t.Errorf("Duplicate(prog copy.py) = %q, %v", got, err)
	}

	// A folder, recursively; links copied as links, never followed; a
	// symlinked folder is not recursed into.
	lab := filepath.Join(w.dir, "lab1")
	mustWrite(t, filepath.Join(lab, "a.py"), "a")
	mustWrite(t, filepath.Join(lab, "sub", "b.py"), "bb")
	os.Symlink(filepath.Dir(w.secret), filepath.Join(lab, "out")) // a folder outside
	os.Symlink("../../bob", filepath.Join(lab, "sub", "bob"))     // bob's home
	os.Symlink("sub", filepath.Join(lab, "sublink"))              // a folder inside
	os.Symlink(w.secret, filepath.Join(lab, "secret"))            // a file outside
	if err := os.Mkdir(filepath.Join(lab, "empty"), 0o750); err != nil {
		t.Fatal(err)
	}
	got, err := w.h.Duplicate("lab1")
	if err != nil || got != "lab1 copy" {
		t.Fatalf("Duplicate(lab1) = %q, %v", got, err)
	}
	cp := filepath.Join(w.dir, "lab1 copy")
	if mustRead(t, filepath.Join(cp, "a.py")) != "a" || mustRead(t, filepath.Join(cp, "sub", "b.py")) != "bb" {
		t.Error("the folder's files were not copied")
	}
	if fi, err := os.Stat(filepath.Join(cp, "empty")); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("empty folder copy: %v, %v", fi, err)
	}
	for link, target := range map[string]string{
		"out":     filepath.Dir(w.secret),
		"sub/bob": "../../bob",
		"sublink": "sub",
		"secret":  w.secret,
	} {
		p := filepath.Join(cp, link)
		if !isLink(t, p) {
			t.Errorf("%s was not copied as a link", link)
			continue
		}
		if got, _ := os.Readlink(p); got != target {
			t.Errorf("%s -> %q, want %q", link, got, target)
		}
	}
	var all []string
	filepath.WalkDir(cp, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(cp, p)
		all = append(all, rel)
		return nil
	})
	want := []string{".", "a.py", "empty", "out", "secret", "sub", "sub/b.py", "sub/bob", "sublink"}
	if !slices.Equal(all, want) {
		t.Errorf("the copy holds %v, want %v", all, want)
	}
	// A link alone: copied as a link.
	if got, err := w.h.Duplicate("secret"); err != nil || got != "secret copy" || !isLink(t, filepath.Join(w.dir, got)) {
		t.Errorf("Duplicate(secret) = %q, %v", got, err)
	}
	if got, err := w.h.Duplicate("bobs"); err != nil || !isLink(t, filepath.Join(w.dir, got)) {
		t.Errorf("Duplicate(bobs) = %q, %v", got, err)
	}

	for _, c := range []struct {
		rel  string
		kind error
	}{
		{"", ErrProtected},
		{"nope", ErrNotFound},
		{"..", ErrOutsideHome},
		{"../bob/bob.py", ErrOutsideHome},
		{"bobs/bob.py", ErrOutsideHome},
		{"outdir/secret.txt", ErrOutsideHome},
	} {
		if got, err := w.h.Duplicate(c.rel); !errors.Is(err, c.kind) {
			t.Errorf("Duplicate(%q) = %q, %v; want %v", c.rel, got, err, c.kind)
		}
	}
	w.untouched(t)
	noTemps(t, w.dir)
}

func TestStat(t *testing.T) {
	w := newWorld(t, Options{})
	e, err := w.h.Stat(WelcomeFile)
	if err != nil || e.Name != WelcomeFile || e.IsDir || e.Symlink || e.Size == 0 {
		t.Errorf("Stat(welcome.py) = %+v, %v", e, err)
	}
	// A link out is described as a link, not followed.
	if e, err := w.h.Stat("secret"); err != nil || !e.Symlink || e.IsDir {
		t.Errorf("Stat(secret) = %+v, %v", e, err)
	}
	for _, rel := range []string{"..", "../bob/bob.py", "bobs/bob.py", "/etc/passwd"} {
		if _, err := w.h.Stat(rel); !errors.Is(err, ErrOutsideHome) {
			t.Errorf("Stat(%q) = %v", rel, err)
		}
	}
	if _, err := w.h.Stat("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat(nope) = %v", err)
	}
}

func TestDescribe(t *testing.T) {
	w := newWorld(t, Options{})
	lab := filepath.Join(w.dir, "lab1")
	for i, size := range []int{100, 200, 300} {
		mustWrite(t, filepath.Join(lab, "sub", strings.Repeat("f", i+1)), strings.Repeat("x", size))
	}
	mustWrite(t, filepath.Join(lab, "top.py"), strings.Repeat("y", 48*1024-600))
	os.Mkdir(filepath.Join(lab, "empty"), 0o755)
	os.Symlink(filepath.Dir(w.secret), filepath.Join(lab, "out"))
	os.Symlink("../../bob", filepath.Join(lab, "sub", "bob"))
	os.Symlink("sub", filepath.Join(lab, "sublink"))

	s, err := w.h.Describe("lab1")
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{IsDir: true, Files: 4, Folders: 2, Links: 3, Bytes: 48 * 1024}
	if s != want {
		t.Errorf("Describe(lab1) = %+v, want %+v", s, want)
	}
	if got := s.String(); got != "4 files, 2 folders and 3 links (48 KiB)" {
		t.Errorf("String() = %q", got)
	}
	if s, err := w.h.Describe("lab1/top.py"); err != nil || s != (Summary{Files: 1, Bytes: 48*1024 - 600}) {
		t.Errorf("Describe(top.py) = %+v, %v", s, err)
	}
	for _, link := range []string{"lab1/sublink", "outdir", "bobs", "secret"} {
		if s, err := w.h.Describe(link); err != nil || s != (Summary{Symlink: true, Links: 1}) {
			t.Errorf("Describe(%s) = %+v, %v; want a link only", link, s, err)
		}
	}
	if s, _ := w.h.Describe("lab1/empty"); s.String() != "an empty folder" {
		t.Errorf("empty folder: %q", s)
	}
	for _, rel := range []string{"..", "../bob", "bobs/bob.py", "outdir/secret.txt"} {
		if _, err := w.h.Describe(rel); !errors.Is(err, ErrOutsideHome) {
			t.Errorf("Describe(%q) = %v", rel, err)
		}
	}
}

func TestDelete(t *testing.T) {
	w := newWorld(t, Options{})
	lab := filepath.Join(w.dir, "lab1")
	mustWrite(t, filepath.Join(lab, "sub", "a.py"), "a")
	mustWrite(t, filepath.Join(w.dir, "keep", "k.py"), "k")
	os.Symlink(filepath.Dir(w.secret), filepath.Join(lab, "out")) // a folder outside
	os.Symlink("../../bob", filepath.Join(lab, "sub", "bob"))     // bob's home
	os.Symlink("../keep", filepath.Join(lab, "keeplink"))         // a folder inside
	os.Symlink("keep", filepath.Join(w.dir, "keeplink"))

	if err := w.h.Delete("lab1"); err != nil {
		t.Fatal(err)
	}
	if exists(t, lab) {
		t.Error("lab1 still exists")
	}
	if mustRead(t, filepath.Join(w.dir, "keep", "k.py")) != "k" {
		t.Error("deleting lab1 followed a link into keep")
	}
	// A link to a folder: only the link goes.
	if err := w.h.Delete("keeplink"); err != nil {
		t.Fatal(err)
	}
	if exists(t, filepath.Join(w.dir, "keeplink")) || !exists(t, filepath.Join(w.dir, "keep", "k.py")) {
		t.Error("deleting a link removed more than the link")
	}
	for _, link := range []string{"secret", "bobs", "bobfile", "outdir", "dangling", "loop"} {
		if err := w.h.Delete(link); err != nil {
			t.Errorf("Delete(%s): %v", link, err)
		}
		if exists(t, filepath.Join(w.dir, link)) {
			t.Errorf("%s still exists", link)
		}
	}
	if err := w.h.Delete("keep/k.py"); err != nil {
		t.Fatal(err)
	}
	w.untouched(t)

	mustWrite(t, filepath.Join(w.dir, "sub", "x.py"), "x")
	os.Symlink("../bob", filepath.Join(w.dir, "bobs"))
	for _, c := range []struct {
		rel  string
		kind error
	}{
		{"", ErrProtected},
		{".", ErrProtected},
		{"sub/..", ErrProtected},
		{"nope", ErrNotFound},
		{"..", ErrOutsideHome},
		{"../bob", ErrOutsideHome},
		{"../bob/bob.py", ErrOutsideHome},
		{"bobs/bob.py", ErrOutsideHome},
		{"/etc/passwd", ErrOutsideHome},
		{w.dir, ErrOutsideHome},
	} {
		if err := w.h.Delete(c.rel); !errors.Is(err, c.kind) {
			t.Errorf("Delete(%q) = %v, want %v", c.rel, err, c.kind)
		}
	}
	if err := w.h.Delete(""); err.Error() != "your home folder itself cannot be deleted" {
		t.Errorf("message: %q", err)
	}
	w.untouched(t)
	if !exists(t, filepath.Join(w.dir, "sub", "x.py")) {
		t.Error("a refused delete removed something")
	}
}

func TestProtected(t *testing.T) {
	homes := filepath.Join(t.TempDir(), "homes")
	dir, err := EnsureHome(homes, "alice", NoOwner)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "course", "notes", "n.txt"), "n")
	mustWrite(t, filepath.Join(dir, "submit", "s.py"), "s")
	os.Symlink("course", filepath.Join(dir, "clink"))
	h, err := OpenHomeWith(dir, Options{Protected: []string{"course/notes", "submit"}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	for _, rel := range []string{"course/notes", "course", "submit", "clink/notes", "course/./notes", "submit/"} {
		if err := h.Delete(rel); !errors.Is(err, ErrProtected) {
			t.Errorf("Delete(%q) = %v, want ErrProtected", rel, err)
		}
		if err := h.Rename(rel, "x"); !errors.Is(err, ErrProtected) {
			t.Errorf("Rename(%q) = %v, want ErrProtected", rel, err)
		}
		if err := h.Move(rel, "submit"); !errors.Is(err, ErrProtected) {
			t.Errorf("Move(%q) = %v, want ErrProtected", rel, err)
		}
	}
	err = h.Delete("course")
	if err == nil || err.Error() != "course holds course/notes, which is protected, so it cannot be deleted" {
		t.Errorf("message: %v", err)
	}
	err = h.Delete("submit")
	if err == nil || err.Error() != "submit is protected and cannot be deleted" {
		t.Errorf("message: %v", err)
	}
	// What is inside a protected folder is the student's own; the link to
	// a protected folder's parent is only a link.
	if err := h.Delete("course/notes/n.txt"); err != nil {
		t.Error(err)
	}
	if err := h.Delete("clink"); err != nil {
		t.Error(err)
	}
	if _, err := h.Duplicate("submit"); err != nil {
		t.Error(err)
	}
	if !exists(t, filepath.Join(dir, "course", "notes")) || !exists(t, filepath.Join(dir, "submit", "s.py")) {
		t.Error("a protected folder went")
	}
	if _, err := OpenHomeWith(dir, Options{Protected: []string{"../bob"}}); err == nil {
		t.Error("a protected name outside the home was accepted")
	}
}
