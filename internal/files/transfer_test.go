package files

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func upload(t *testing.T, h *Home, name string, o UploadOptions, data []byte) error {
	t.Helper()
	u, err := h.Upload(name, o)
	if err != nil {
		return err
	}
	if _, err := u.WriteAt(data, 0); err != nil {
		u.Abort()
		return err
	}
	return u.Commit()
}

// noTemp fails when a temporary file of an upload is left in dir.
func noTemp(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("a temporary file was left behind: %s", e.Name())
		}
	}
}

func TestUploadIsAtomicAndParallel(t *testing.T) {
	w := newWorld(t, Options{})
	mustWrite(t, filepath.Join(w.dir, "data.csv"), "old\n")
	u, err := w.h.Upload("data.csv", UploadOptions{Truncate: true, Mode: 0o640})
	if err != nil {
		t.Fatal(err)
	}
	// An SFTP client keeps many writes in flight, in any order.
	chunk := bytes.Repeat([]byte("x"), 1000)
	var wg sync.WaitGroup
	for i := 9; i >= 0; i-- {
		wg.Go(func() {
			c := bytes.Repeat([]byte{byte('0' + i)}, len(chunk))
			if _, err := u.WriteAt(c, int64(i*len(chunk))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := readString(t, filepath.Join(w.dir, "data.csv")); got != "old\n" {
		t.Errorf("before Commit the target holds %q, want the old content", got)
	}
	if err := u.Commit(); err != nil {
		t.Fatal(err)
	}
	got := readString(t, filepath.Join(w.dir, "data.csv"))
	if len(got) != 10000 || got[0] != '0' || got[9999] != '9' {
		t.Errorf("after Commit the file holds %d bytes %q...%q", len(got), got[:1], got[len(got)-1:])
	}
	fi, _ := os.Stat(filepath.Join(w.dir, "data.csv"))
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("a replaced file's mode = %v, want the old file's 0644", fi.Mode().Perm())
	}
	noTemp(t, w.dir)

	// A new file gets the mode asked for, the owner's rw always.
	if err := upload(t, w.h, "new.txt", UploadOptions{Truncate: true, Mode: 0o400}, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(w.dir, "new.txt")); fi.Mode().Perm() != 0o600 {
		t.Errorf("new file mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestUploadAbortLeavesNothing(t *testing.T) {
	w := newWorld(t, Options{QuotaBytes: 1 << 20})
	mustWrite(t, filepath.Join(w.dir, "keep.txt"), "keep\n")
	before, _, _ := w.h.Quota()
	for _, name := range []string{"keep.txt", "fresh.txt"} {
		u, err := w.h.Upload(name, UploadOptions{Truncate: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.WriteAt([]byte("half a file"), 0); err != nil {
			t.Fatal(err)
		}
		u.Abort() // the connection dropped
		if err := u.Commit(); err != nil {
			t.Errorf("Commit after Abort: %v", err)
		}
	}
	if got := readString(t, filepath.Join(w.dir, "keep.txt")); got != "keep\n" {
		t.Errorf("an aborted replacement changed the file: %q", got)
	}
	if _, err := os.Lstat(filepath.Join(w.dir, "fresh.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an aborted new file exists: %v", err)
	}
	noTemp(t, w.dir)
	if after, _, _ := w.h.Quota(); after != before {
		t.Errorf("usage after aborted uploads = %d, want %d as before", after, before)
	}
}

func TestUploadQuota(t *testing.T) {
	w := newWorld(t, Options{QuotaBytes: 64 << 10})
	used, _ := w.h.Usage()
	room := (64 << 10) - used

	// Past the quota: refused with ErrQuota, nothing kept, the home under quota.
	err := upload(t, w.h, "big.bin", UploadOptions{Truncate: true}, make([]byte, room+1))
	if !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "quota") {
		t.Fatalf("upload past the quota: %v, want ErrQuota", err)
	}
	if _, err := os.Lstat(filepath.Join(w.dir, "big.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused upload left big.bin: %v", err)
	}
	noTemp(t, w.dir)
	if n, _ := w.h.Usage(); n > 64<<10 {
		t.Errorf("the home holds %d bytes, over its quota", n)
	}

	// Exactly what fits goes through; then a new version of that file too
	// (the old one is credited), but not one byte more anywhere.
	if err := upload(t, w.h, "fits.bin", UploadOptions{Truncate: true}, make([]byte, room)); err != nil {
		t.Fatalf("an upload that fits: %v", err)
	}
	if err := upload(t, w.h, "fits.bin", UploadOptions{Truncate: true}, bytes.Repeat([]byte("v"), int(room))); err != nil {
		t.Fatalf("a new version of the same size: %v", err)
	}
	if err := upload(t, w.h, "one.bin", UploadOptions{Truncate: true}, []byte("x")); !errors.Is(err, ErrQuota) {
		t.Errorf("one byte past a full quota: %v, want ErrQuota", err)
	}
	if n, _ := w.h.Usage(); n != 64<<10 {
		t.Errorf("usage = %d, want exactly the quota %d", n, 64<<10)
	}
	// Growing a file in place or by truncate is checked too.
	u, err := w.h.Upload("fits.bin", UploadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt([]byte("x"), room); !errors.Is(err, ErrQuota) {
		t.Errorf("appending past the quota in place: %v", err)
	}
	u.Abort()
	if err := w.h.Truncate("fits.bin", room+1); !errors.Is(err, ErrQuota) {
		t.Errorf("truncate past the quota: %v", err)
	}
	// Deleting frees room.
	if err := w.h.RemoveFile("fits.bin"); err != nil {
		t.Fatal(err)
	}
	if err := upload(t, w.h, "one.bin", UploadOptions{Truncate: true}, []byte("x")); err != nil {
		t.Errorf("after a delete: %v", err)
	}
	sp, err := w.h.Space()
	if err != nil || sp.Total != 64<<10 || sp.Free != room-1 {
		t.Errorf("Space = %+v, %v; want total %d, free %d", sp, err, 64<<10, room-1)
	}
}

func TestTransferStaysInsideTheHome(t *testing.T) {
	w := newWorld(t, Options{})
	for _, name := range []string{"../bob/bob.py", "/etc/passwd", "bobfile", "secret", "bobs/bob.py", "outdir/secret.txt"} {
		if f, err := w.h.Open(name); err == nil {
			data, _ := io.ReadAll(f)
			f.Close()
			t.Errorf("Open(%q) read %q", name, data)
		} else if !errors.Is(err, ErrOutsideHome) {
			t.Errorf("Open(%q): %v, want ErrOutsideHome", name, err)
		}
		if _, err := w.h.StatFollow(name); !errors.Is(err, ErrOutsideHome) {
			t.Errorf("StatFollow(%q): %v, want ErrOutsideHome", name, err)
		}
	}
	for _, name := range []string{"../bob/new.py", "bobs/new.py", "outdir/new.txt", "/tmp/new.txt"} {
		if err := upload(t, w.h, name, UploadOptions{Truncate: true}, []byte("x")); !errors.Is(err, ErrOutsideHome) {
			t.Errorf("Upload(%q): %v, want ErrOutsideHome", name, err)
		}
		if err := w.h.MoveTo(WelcomeFile, name, false); !errors.Is(err, ErrOutsideHome) {
			t.Errorf("MoveTo(%q): %v, want ErrOutsideHome", name, err)
		}
	}
	// An upload onto a link replaces the link, never writes its target.
	if err := upload(t, w.h, "bobfile", UploadOptions{Truncate: true}, []byte("mine")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(w.dir, "bobfile")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("bobfile after the upload: %v %v, want a regular file", fi, err)
	}
	// Removing a link removes the link only.
	if err := w.h.RemoveFile("secret"); err != nil {
		t.Fatal(err)
	}
	w.untouched(t)
	if err := w.h.RemoveFile("."); !errors.Is(err, ErrProtected) {
		t.Errorf("RemoveFile(.): %v", err)
	}
	if err := upload(t, w.h, "bad\nname", UploadOptions{Truncate: true}, nil); !errors.Is(err, ErrInvalidName) {
		t.Errorf("a name with a line break: %v", err)
	}
}

func TestMoveRemoveAndFolders(t *testing.T) {
	_, h := newHome(t)
	if err := h.NewFolder("lab"); err != nil {
		t.Fatal(err)
	}
	if err := h.MoveTo(WelcomeFile, "lab/w.py", false); err != nil {
		t.Fatal(err)
	}
	if err := upload(t, h, "w.py", UploadOptions{Truncate: true}, []byte("other")); err != nil {
		t.Fatal(err)
	}
	if err := h.MoveTo("w.py", "lab/w.py", false); !errors.Is(err, ErrExists) {
		t.Errorf("rename onto a file without replace: %v, want ErrExists", err)
	}
	if err := h.MoveTo("w.py", "lab/w.py", true); err != nil {
		t.Errorf("posix rename onto a file: %v", err)
	}
	if err := h.MoveTo("lab", "lab/inner", false); !errors.Is(err, ErrIntoItself) {
		t.Errorf("a folder into itself: %v", err)
	}
	if err := h.RemoveFile("lab"); !errors.Is(err, ErrIsFolder) {
		t.Errorf("RemoveFile of a folder: %v, want ErrIsFolder", err)
	}
	if err := h.RemoveFolder("lab"); err == nil {
		t.Error("RemoveFolder of a folder that is not empty succeeded")
	}
	if err := h.RemoveFile("lab/w.py"); err != nil {
		t.Fatal(err)
	}
	if err := h.RemoveFolder("lab"); err != nil {
		t.Errorf("RemoveFolder of the empty folder: %v", err)
	}
	infos, err := h.ListInfo(".")
	if err != nil || len(infos) != 0 {
		t.Errorf("ListInfo after removing everything: %v %v", infos, err)
	}
	if err := upload(t, h, "t.txt", UploadOptions{Truncate: true}, []byte("t")); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := h.Chtimes("t.txt", when, when); err != nil {
		t.Fatal(err)
	}
	if err := h.Chmod("t.txt", 0o4777); err != nil {
		t.Fatal(err)
	}
	fi, err := h.Lstat("t.txt")
	if err != nil || !fi.ModTime().Equal(when) || fi.Mode() != 0o777 {
		t.Errorf("after Chtimes and Chmod: %v %v %v (no setuid bit wanted)", fi.ModTime(), fi.Mode(), err)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// OpenSSH's put ends with an fsetstat of the size it sent: it applies to the
// upload, and growing that way is checked against the quota like a write.
func TestUploadTruncate(t *testing.T) {
	w := newWorld(t, Options{QuotaBytes: 64 << 10})
	used, _ := w.h.Usage()
	room := (64 << 10) - used
	u, err := w.h.Upload("t.bin", UploadOptions{Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt([]byte("0123456789"), 0); err != nil {
		t.Fatal(err)
	}
	if err := u.Truncate(4); err != nil {
		t.Fatalf("shrink: %v", err)
	}
	if err := u.Truncate(room + 1); !errors.Is(err, ErrQuota) {
		t.Errorf("growing past the quota by truncate: %v, want ErrQuota", err)
	}
	if err := u.Truncate(-1); err == nil {
		t.Error("a negative size was accepted")
	}
	if err := u.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(w.dir, "t.bin"))
	if err != nil || string(got) != "0123" {
		t.Errorf("t.bin = %q, %v; want 0123", got, err)
	}
	if n, _ := w.h.Usage(); n != used+4 {
		t.Errorf("usage = %d, want %d", n, used+4)
	}
	if err := u.Truncate(1); !errors.Is(err, os.ErrClosed) {
		t.Errorf("truncate after commit: %v, want ErrClosed", err)
	}
}
