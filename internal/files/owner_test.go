package files

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("ownership tests need root, and CI runs as root")
		}
		t.Skip("giving files to another uid needs root")
	}
}

func ownerOf(t *testing.T, path string) Owner {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return Owner{UID: int(st.Uid), GID: int(st.Gid)}
}

func TestHomeBelongsToTheStudent(t *testing.T) {
	needRoot(t)
	student := Owner{UID: 212345, GID: 212345}
	homes := filepath.Join(t.TempDir(), "homes")
	dir, err := EnsureHome(homes, "alice", student)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, WelcomeFile)} {
		if got := ownerOf(t, p); got != student {
			t.Errorf("%s owned by %v, want %v", p, got, student)
		}
	}
	// A file the daemon saves (the editor, later) stays the student's.
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if err := writeFileAtomic(root, "saved.py", []byte("x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ownerOf(t, filepath.Join(dir, "saved.py")); got != student {
		t.Errorf("saved file owned by %v, want %v", got, student)
	}
}

func TestOldRootOwnedHomeIsRepairedWithoutFollowingLinks(t *testing.T) {
	needRoot(t)
	homes := filepath.Join(t.TempDir(), "homes")
	dir, err := EnsureHome(homes, "bob", NoOwner) // as made before uids existed
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "sub"), 0o700)
	os.WriteFile(filepath.Join(dir, "sub", "notes.txt"), []byte("hi"), 0o600)
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("root's"), 0o600)
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	student := Owner{UID: 212346, GID: 212346}
	if _, err := EnsureHome(homes, "bob", student); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, "sub"), filepath.Join(dir, "sub", "notes.txt"), filepath.Join(dir, "link"), filepath.Join(dir, WelcomeFile)} {
		if got := ownerOf(t, p); got != student {
			t.Errorf("%s owned by %v after repair, want %v", p, got, student)
		}
	}
	if got := ownerOf(t, outside); got.UID != 0 {
		t.Errorf("the link's target outside the home was given away: %v", got)
	}
}
