package files

import (
	"io/fs"
	"os"
)

// renameFallback is rename without replacing, where the kernel cannot do it
// in one step: look, then rename. A program that creates to in between can
// still lose it; the Linux path (renameat2) has no such window.
func (h *Home) renameFallback(from, to string) error {
	if _, err := h.root.Lstat(to); err == nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: fs.ErrExist}
	}
	return h.root.Rename(from, to)
}
