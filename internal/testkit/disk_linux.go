package testkit

import (
	"syscall"
	"testing"
)

// SmallDisk mounts a tmpfs of size (as mount's size= option: "1m") on a new
// temporary folder and returns it; it is unmounted when the test ends. It
// needs root: see NeedRoot.
func SmallDisk(t testing.TB, size string) string {
	t.Helper()
	NeedRoot(t, "mounting a small disk")
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size); err != nil {
		t.Fatalf("mount a %s tmpfs: %v", size, err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}
