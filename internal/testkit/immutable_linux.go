package testkit

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Unwritable makes the files at paths immutable (chattr +i) and returns a
// function that makes them writable again (also called when the test
// ends). It is how a test takes writes away from a running server: as
// root, a chmod stops nothing, and a read-only remount is refused while the
// server holds its files open for writing. On ext4, xfs and btrfs an
// immutable file refuses writes even through descriptors opened before;
// tmpfs does not, so the folder's file system is checked first and the
// test fails (not skips) where the fault would not happen. It needs root.
//
// Do not pass a file that is mapped for writing (SQLite's -shm): a write to
// such a mapping then gets SIGBUS and kills the process.
func Unwritable(t testing.TB, paths ...string) (restore func()) {
	t.Helper()
	NeedRoot(t, "making a file immutable")
	if len(paths) == 0 {
		t.Fatal("Unwritable: no paths")
	}
	checkImmutableHolds(t, filepath.Dir(paths[0]))
	var set []string
	restore = func() {
		for _, p := range set {
			if err := setImmutable(p, false); err != nil {
				t.Errorf("make %s writable again: %v", p, err)
			}
		}
		set = nil
	}
	t.Cleanup(restore)
	for _, p := range paths {
		if err := setImmutable(p, true); err != nil {
			t.Fatalf("make %s immutable: %v", p, err)
		}
		set = append(set, p)
	}
	return restore
}

// checkImmutableHolds fails the test unless dir's file system refuses a
// write to an immutable file through a descriptor opened before.
func checkImmutableHolds(t testing.TB, dir string) {
	t.Helper()
	f, err := os.CreateTemp(dir, ".immutable-check-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := setImmutable(f.Name(), true); err != nil {
		t.Fatalf("the file system of %s cannot make a file immutable: %v", dir, err)
	}
	_, werr := f.Write([]byte("x"))
	if err := setImmutable(f.Name(), false); err != nil {
		t.Fatal(err)
	}
	if werr == nil {
		t.Fatalf("the file system of %s lets an open descriptor write to an immutable file (tmpfs does): run the test on ext4, xfs or btrfs", dir)
	}
}

func setImmutable(path string, on bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return err
	}
	if on {
		flags |= fsImmutableFL
	} else {
		flags &^= fsImmutableFL
	}
	return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags))
}

// fsImmutableFL is FS_IMMUTABLE_FL of <linux/fs.h> (x/sys/unix does not name it).
const fsImmutableFL = 0x00000010
