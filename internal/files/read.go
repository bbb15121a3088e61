package files

import (
	"bytes"
	"io"
	"os"
	"syscall"
	"unicode/utf8"
)

// sniffBytes is how much of a file is searched for a NUL byte to tell binary
// files from text (as git and grep do).
const sniffBytes = 8 << 10

// ReadFile returns the content of rel for the editor. A symlink is followed
// only while it stays inside the home. It refuses, each with its own
// sentinel: a folder (ErrIsFolder), a pipe, socket or device (ErrNotRegular),
// a file over the editor's size limit (ErrTooLarge), a binary file, one with
// a NUL byte in its first 8 KiB (ErrBinary), and text that is not UTF-8
// (ErrNotUTF8).
func (h *Home) ReadFile(rel string) ([]byte, error) {
	const op = "open"
	name, err := localName(rel)
	if err != nil {
		return nil, h.fail(op, rel, err)
	}
	// Look before opening: opening a pipe would block, a device could act.
	fi, err := h.root.Stat(name)
	if err != nil {
		return nil, h.fail(op, name, err)
	}
	if err := h.editable(name, fi); err != nil {
		return nil, err
	}
	// O_NONBLOCK in case it became a pipe since: the open returns at once,
	// and the check below refuses it.
	f, err := h.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, h.fail(op, name, err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, h.fail(op, name, err)
	}
	if err := h.editable(name, fi); err != nil {
		return nil, err
	}
	// Read at most one byte past the limit: the file may be growing.
	data, err := io.ReadAll(io.LimitReader(f, h.maxEdit+1))
	if err != nil {
		return nil, h.fail(op, name, err)
	}
	if int64(len(data)) > h.maxEdit {
		return nil, h.tooLarge(name, max(int64(len(data)), fi.Size()))
	}
	if bytes.IndexByte(data[:min(len(data), sniffBytes)], 0) >= 0 {
		return nil, newError(op, name, ErrBinary, nil, "%s is not a text file (it looks like binary data); the editor opens text files only", h.disp(name))
	}
	if !utf8.Valid(data) {
		return nil, newError(op, name, ErrNotUTF8, nil, "%s is not UTF-8 text; the editor opens UTF-8 files only (save it as UTF-8 in the program that made it)", h.disp(name))
	}
	return data, nil
}

// editable refuses what the editor cannot open, judging by fi alone.
func (h *Home) editable(name string, fi os.FileInfo) error {
	const op = "open"
	switch {
	case fi.IsDir():
		return newError(op, name, ErrIsFolder, nil, "%s is a folder; open a file inside it", h.disp(name))
	case !fi.Mode().IsRegular():
		return newError(op, name, ErrNotRegular, nil, "%s is not a regular file (it is a pipe, socket or device); the editor opens text files only", h.disp(name))
	case fi.Size() > h.maxEdit:
		return h.tooLarge(name, fi.Size())
	}
	return nil
}

func (h *Home) tooLarge(name string, size int64) error {
	return newError("open", name, ErrTooLarge, nil, "%s is %s; the editor opens files up to %s", h.disp(name), FormatSize(size), FormatSize(h.maxEdit))
}
