package files

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames from to to (both cleaned, inside the home), failing
// with an error matching fs.ErrExist if to exists. It uses renameat2 with
// RENAME_NOREPLACE on the two parent folders, opened through the root; the
// last elements are single names, and rename never follows a link there.
func (h *Home) renameNoReplace(from, to string) error {
	src, err := h.root.Open(filepath.Dir(from))
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := h.root.Open(filepath.Dir(to))
	if err != nil {
		return err
	}
	defer dst.Close()
	errno := withFD(src, func(srcFD int) error {
		return withFD(dst, func(dstFD int) error {
			return unix.Renameat2(srcFD, filepath.Base(from), dstFD, filepath.Base(to), unix.RENAME_NOREPLACE)
		})
	})
	switch {
	case errno == nil:
		return nil
	case errors.Is(errno, unix.EINVAL), errors.Is(errno, unix.ENOSYS), errors.Is(errno, unix.EOPNOTSUPP):
		// A filesystem without RENAME_NOREPLACE (EINVAL is also the word for
		// a folder moved into itself; the plain rename says it again then).
		return h.renameFallback(from, to)
	}
	return &os.LinkError{Op: "rename", Old: from, New: to, Err: errno}
}

// withFD runs fn with f's descriptor, without Fd's side effects.
func withFD(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
