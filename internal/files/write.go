package files

import (
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"
	"time"
)

// WriteFile is the editor's save: it replaces rel with data atomically (a
// temporary file in the same folder, fsync, rename, fsync of the folder), so
// a crash leaves the old content or the new, never a mix. An existing file
// keeps its mode and owner; a new one gets the owner of its folder, and its
// name must pass ValidName. If rel is a symlink, the link is replaced by the
// file (its target is never written, even inside the home).
//
// With a quota, a save that would make the home's files grow past it fails
// with ErrQuota and leaves the old content; a save that does not grow the
// home always goes through.
func (h *Home) WriteFile(rel string, data []byte) error {
	start := time.Now()
	err := h.writeFile(rel, data)
	h.metrics.FileSaved(time.Since(start), err)
	return err
}

func (h *Home) writeFile(rel string, data []byte) error {
	const op = "save"
	name, err := h.mutable(op, rel)
	if err != nil {
		return err
	}
	if name == "." {
		return newError(op, name, ErrIsFolder, nil, "%s is a folder; give the file a name", h.disp(name))
	}
	h.mu.Lock()
	defer h.mu.Unlock()

	var oldSize int64
	attrs := saveAttrs{beforeRename: h.beforeRename}
	fi, err := h.root.Lstat(name)
	switch {
	case err == nil && fi.IsDir():
		return newError(op, name, ErrIsFolder, nil, "%s is a folder, so the file cannot be saved under that name; choose another name", h.disp(name))
	case err == nil && fi.Mode().IsRegular():
		oldSize = fi.Size()
		attrs.keep = true
		attrs.mode = fi.Mode().Perm()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			attrs.uid, attrs.gid = int(st.Uid), int(st.Gid)
		}
	case err == nil:
		// A symlink or something special: replaced like a new file.
	case errors.Is(err, fs.ErrNotExist):
		// A new file: its name was typed by the student ("save as").
		if err := ValidName(filepath.Base(name)); err != nil {
			return err
		}
		if dir := filepath.Dir(name); dir != "." {
			if _, derr := h.root.Stat(dir); derr != nil {
				if errors.Is(derr, fs.ErrNotExist) {
					return newError(op, name, ErrNotFound, derr, "the folder %s no longer exists, so %s cannot be saved there; save it under another name", h.disp(dir), h.disp(name))
				}
				return h.fail(op, name, derr)
			}
		}
	default:
		return h.fail(op, name, err)
	}

	if !h.swept[name] {
		// A save the daemon's kill -9 broke off left its temporary file
		// (saves of one file are serialised by h.mu, so any other is stale).
		if len(h.swept) >= maxSwept || h.swept == nil {
			h.swept = map[string]bool{}
		}
		removeStaleTemps(h.root, name)
		h.swept[name] = true
	}
	grow := int64(len(data)) - oldSize
	if err := h.checkQuota(op, name, grow); err != nil {
		return err
	}
	if err := writeAtomic(h.root, name, data, filePerm, attrs); err != nil {
		if fi, serr := h.root.Lstat(name); serr == nil && fi.IsDir() {
			// A program made a folder of that name meanwhile.
			return newError(op, name, ErrIsFolder, err, "%s is now a folder, so the file cannot be saved under that name; save it under another name", h.disp(name))
		}
		return h.fail(op, name, err)
	}
	h.grew(grow)
	return nil
}

// mutable cleans rel for an operation that changes something, refusing it
// in a read-only home.
func (h *Home) mutable(op, rel string) (string, error) {
	name, err := localName(rel)
	if err != nil {
		return "", h.fail(op, rel, err)
	}
	if h.readOnly {
		return "", newError(op, name, ErrReadOnly, nil, "%s is read-only; you can open it but not change it (copy what you need into your own files)", h.disp(name))
	}
	return name, nil
}

// Quota reports the home's usage as the quota check sees it (cached, at most
// a few seconds old) and the quota (0: none).
func (h *Home) Quota() (used, limit int64, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	used, err = h.cachedUsage()
	return used, h.quota, err
}

// checkQuota refuses growing the home by grow bytes past the quota. The
// caller holds h.mu.
func (h *Home) checkQuota(op, name string, grow int64) error {
	if h.quota <= 0 || grow <= 0 {
		return nil
	}
	used, err := h.cachedUsage()
	if err != nil {
		return err
	}
	if used+grow <= h.quota {
		return nil
	}
	what := "this save would add"
	switch op {
	case "duplicate":
		what = "the copy would add"
	}
	return newError(op, name, ErrQuota, nil,
		"%s was not %s: your files use %s of your %s quota and %s %s; delete files you no longer need, then try again",
		h.disp(name), done(op), FormatSize(used), FormatSize(h.quota), what, FormatSize(grow))
}

func done(op string) string {
	switch op {
	case "save":
		return "saved"
	case "duplicate":
		return "duplicated"
	}
	return op + "d"
}

// cachedUsage returns the usage, measuring it again when the cached value is
// older than maxAge. The caller holds h.mu.
func (h *Home) cachedUsage() (int64, error) {
	now := h.nowFunc()
	if !h.usedAt.IsZero() && now.Sub(h.usedAt) < h.maxAge {
		return h.used, nil
	}
	n, err := h.measure()
	if err != nil {
		return 0, err
	}
	h.used, h.usedAt = n, now
	return n, nil
}

// grew records a change of the home's size made by the Home itself. The
// caller holds h.mu.
func (h *Home) grew(delta int64) {
	if !h.usedAt.IsZero() {
		h.used = max(h.used+delta, 0)
	}
}

// forgetUsage makes the next quota check measure again. The caller holds h.mu.
func (h *Home) forgetUsage() { h.usedAt = time.Time{} }
