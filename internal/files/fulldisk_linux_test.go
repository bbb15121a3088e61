package files

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classroomd/classroomd/internal/testkit"
)

// #16 case 3: on a full disk a save fails with a sentence saying so, the
// file keeps its old content and no partial copy is left; once there is
// room the same save succeeds. The disk is a 1 MiB tmpfs.
func TestSaveOnAFullDisk(t *testing.T) {
	dir := testkit.SmallDisk(t, "1m")

	h, err := OpenHome(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := []byte("print('the old version')\n")
	if err := h.WriteFile("a.py", old); err != nil {
		t.Fatal(err)
	}
	// Fill the disk.
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := filler.Write(chunk); err != nil {
			break
		}
	}
	filler.Close()

	edit := []byte(strings.Repeat("x = 1\n", 20000)) // 120 KB: no room
	err = h.WriteFile("a.py", edit)
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("save on a full disk: %v, want ErrDiskFull", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "disk is full") {
		t.Errorf("the error does not say the disk is full: %q", msg)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.py")); string(got) != string(old) {
		t.Errorf("a.py changed by the failed save: %d bytes", len(got))
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("the failed save left %s", e.Name())
		}
	}

	// Room again: the same save goes through.
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	if err := h.WriteFile("a.py", edit); err != nil {
		t.Fatalf("the save once there is room: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.py")); string(got) != string(edit) {
		t.Errorf("a.py after the save: %d bytes, want %d", len(got), len(edit))
	}
}
