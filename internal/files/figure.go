package files

import (
	"io"
	"os"
	"syscall"
)

// ReadLimited returns the content of the regular file rel, confined to the
// home like every read (a symlink is followed only while it stays inside).
// It refuses a folder (ErrIsFolder), a pipe, socket or device
// (ErrNotRegular) and a file of more than limit bytes (ErrTooLarge), reading
// at most limit+1 bytes whatever the file claims. The workspace reads the
// figures Python saved (~/figures/*.png) with it: their names come from
// output a student's code can forge.
func (h *Home) ReadLimited(rel string, limit int64) ([]byte, error) {
	const op = "read"
	name, err := localName(rel)
	if err != nil {
		return nil, h.fail(op, rel, err)
	}
	check := func(fi os.FileInfo) error {
		switch {
		case fi.IsDir():
			return newError(op, name, ErrIsFolder, nil, "%s is a folder", h.disp(name))
		case !fi.Mode().IsRegular():
			return newError(op, name, ErrNotRegular, nil, "%s is not a regular file", h.disp(name))
		case fi.Size() > limit:
			return newError(op, name, ErrTooLarge, nil, "%s is %s, more than %s", h.disp(name), FormatSize(fi.Size()), FormatSize(limit))
		}
		return nil
	}
	fi, err := h.root.Stat(name)
	if err != nil {
		return nil, h.fail(op, name, err)
	}
	if err := check(fi); err != nil {
		return nil, err
	}
	f, err := h.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, h.fail(op, name, err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, h.fail(op, name, err)
	}
	if err := check(fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, h.fail(op, name, err)
	}
	if int64(len(data)) > limit {
		return nil, newError(op, name, ErrTooLarge, nil, "%s is more than %s", h.disp(name), FormatSize(limit))
	}
	return data, nil
}
