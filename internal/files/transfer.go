package files

// File transfer: what the SFTP subsystem (and the browser's upload and
// download, which ride on it) need beyond the editor's whole-file saves.
//
// What we need: files that arrive in pieces, at offsets, perhaps in
// parallel (an SFTP client keeps many writes in flight), perhaps never
// finished (the connection drops), within the home's quota and with the
// student's own uid; files read in pieces; folder listings with each
// entry's mode, owner and size. What we do:
//
//   - An upload that replaces a file (SFTP's O_TRUNC, which scp and sftp's
//     put send) or creates one is written into a temporary file beside its
//     target and renamed over it when the client closes it: the old content
//     stays whole until then, and a transfer that breaks off leaves nothing
//     (Abort removes the temporary file). An upload into an existing file
//     without O_TRUNC (a resumed transfer, sftp's reput) writes in place,
//     as the client asked.
//   - The quota is the Home's own (Options.QuotaBytes, the usage cache the
//     editor's saves check): every write that makes the file longer than
//     it was is checked before it is made and counted when it is. While a
//     replacement is being written, the file it replaces still counts; it
//     is credited, so a new version of a file that fits can always be sent,
//     and for that while the home may hold up to the old file's size over
//     its quota.
//   - Nothing here follows a link out of the home (os.Root), and a new name
//     must pass ValidName, as in the file browser.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// UploadOptions say how an upload opens its file.
type UploadOptions struct {
	// Truncate replaces the file's content (atomically, at Commit). Without
	// it an existing file is written in place; a new file is made either way.
	Truncate bool
	// Exclusive fails with ErrExists if the name is taken.
	Exclusive bool
	// Mode is the permission of a new file (0: 0644). Only the rwx bits
	// count, and the owner can always read and write it. An existing file
	// keeps its own mode.
	Mode fs.FileMode
}

// Upload is a file being received. WriteAt may be called concurrently; Commit
// or Abort ends it (Commit of an upload that failed removes what it wrote).
type Upload struct {
	h       *Home
	name    string // the target, cleaned
	tmp     string // the temporary file; "" when writing in place
	f       *os.File
	credit  int64 // the size of the file a replacement will remove
	onDisk  int64 // what the quota has been told the file holds
	written int64 // bytes written, for the audit

	mu       sync.Mutex
	mode     fs.FileMode // to set at Commit (0: leave)
	mtime    time.Time   // to set at Commit (zero: leave)
	atime    time.Time
	ended    bool
	writeErr error
}

// Upload opens rel for an upload.
func (h *Home) Upload(rel string, o UploadOptions) (*Upload, error) {
	const op = "upload"
	name, err := h.mutable(op, rel)
	if err != nil {
		return nil, err
	}
	if name == "." {
		return nil, newError(op, name, ErrIsFolder, nil, "%s is a folder; give the file a name", h.disp(name))
	}
	mode := o.Mode.Perm()
	if mode == 0 {
		mode = filePerm
	}
	mode |= 0o600
	fi, err := h.root.Lstat(name)
	switch {
	case err == nil && o.Exclusive:
		return nil, newError(op, name, ErrExists, fs.ErrExist, "%s already exists; choose another name", h.disp(name))
	case err == nil && fi.IsDir():
		return nil, newError(op, name, ErrIsFolder, nil, "%s is a folder, so a file cannot be sent under that name", h.disp(name))
	case err == nil && fi.Mode().IsRegular() && !o.Truncate:
		return h.uploadInPlace(name, fi)
	case err == nil && fi.Mode().IsRegular():
		u := &Upload{h: h, name: name, credit: fi.Size()}
		attrs := saveAttrs{keep: true, mode: fi.Mode().Perm()}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			attrs.uid, attrs.gid = int(st.Uid), int(st.Gid)
		}
		return u, u.createTemp(attrs)
	case err == nil && fi.Mode()&fs.ModeSymlink == 0:
		return nil, newError(op, name, ErrNotRegular, nil, "%s is a pipe, socket or device; a file cannot be sent under that name", h.disp(name))
	case err == nil:
		// A symlink: replaced by the file, as a save does; its target is never written.
	case errors.Is(err, fs.ErrNotExist):
		if err := ValidName(filepath.Base(name)); err != nil {
			return nil, err
		}
		if err := h.parentExists(op, name, filepath.Dir(name)); err != nil {
			return nil, err
		}
	default:
		return nil, h.fail(op, name, err)
	}
	u := &Upload{h: h, name: name}
	return u, u.createTemp(saveAttrs{keep: true, mode: mode, uid: -1, gid: -1})
}

// createTemp opens the temporary file beside the target, with attrs' mode
// and owner (uid -1: the folder's owner).
func (u *Upload) createTemp(attrs saveAttrs) error {
	h := u.h
	dir, base := filepath.Split(u.name)
	if dir == "" {
		dir = "."
	}
	tmp, f, err := createTemp(h.root, dir, base, 0o600)
	if err != nil {
		return h.fail("upload", u.name, err)
	}
	err = f.Chmod(attrs.mode)
	if err == nil && attrs.uid >= 0 && os.Geteuid() == 0 {
		err = f.Chown(attrs.uid, attrs.gid)
	} else if err == nil && attrs.uid < 0 {
		err = inheritOwner(h.root, dir, f)
	}
	if err != nil {
		f.Close()
		h.root.Remove(tmp)
		return h.fail("upload", u.name, err)
	}
	u.tmp, u.f = tmp, f
	return nil
}

func (h *Home) uploadInPlace(name string, fi fs.FileInfo) (*Upload, error) {
	f, err := h.root.OpenFile(name, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, h.fail("upload", name, err)
	}
	st, err := f.Stat()
	if err == nil && (!os.SameFile(fi, st) || !st.Mode().IsRegular()) {
		err = errChanged
	}
	if err != nil {
		f.Close()
		return nil, h.fail("upload", name, err)
	}
	return &Upload{h: h, name: name, f: f, onDisk: st.Size()}, nil
}

// Name is the upload's target, relative to the home.
func (u *Upload) Name() string { return filepath.ToSlash(u.name) }

// Written is how many bytes WriteAt has written.
func (u *Upload) Written() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.written
}

// WriteAt writes p at off. A write that would take the home past its quota
// fails with ErrQuota and writes nothing.
func (u *Upload) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, newError("upload", u.name, nil, nil, "could not write %s: a negative offset", u.h.disp(u.name))
	}
	end := off + int64(len(p))
	u.mu.Lock()
	if u.ended {
		u.mu.Unlock()
		return 0, os.ErrClosed
	}
	if u.writeErr != nil {
		err := u.writeErr
		u.mu.Unlock()
		return 0, err
	}
	if grow := end - u.onDisk; grow > 0 {
		h := u.h
		h.mu.Lock()
		err := h.checkUpload(u.name, grow, u.credit)
		if err == nil {
			h.grew(grow)
		}
		h.mu.Unlock()
		if err != nil {
			u.writeErr = err // the file is incomplete: never commit it
			u.mu.Unlock()
			return 0, err
		}
		u.onDisk = end
	}
	u.mu.Unlock()
	n, err := u.f.WriteAt(p, off)
	u.mu.Lock()
	u.written += int64(n)
	if err != nil && u.writeErr == nil {
		u.writeErr = u.h.fail("upload", u.name, err)
		err = u.writeErr
	}
	u.mu.Unlock()
	return n, err
}

// checkUpload is checkQuota for an upload: credit is what the file it
// replaces will free. The caller holds h.mu.
func (h *Home) checkUpload(name string, grow, credit int64) error {
	if h.quota <= 0 {
		return nil
	}
	used, err := h.cachedUsage()
	if err != nil {
		return err
	}
	if used+grow <= h.quota+credit {
		return nil
	}
	return newError("upload", name, ErrQuota, nil,
		"%s was not received: your files use %s of your %s quota; delete files you no longer need, then send it again",
		h.disp(name), FormatSize(used), FormatSize(h.quota))
}

// SetMode asks for the file's permission bits (rwx only; the owner keeps
// read and write) to be set: at once when writing in place, else at Commit.
func (u *Upload) SetMode(mode fs.FileMode) error {
	mode = mode.Perm() | 0o600
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.tmp == "" {
		return u.h.fail("change", u.name, u.f.Chmod(mode))
	}
	u.mode = mode
	return nil
}

// Truncate sets the size of the file being received (OpenSSH's put ends
// with an fsetstat of the size it sent). Growing it is checked against the
// quota as a write is.
func (u *Upload) Truncate(size int64) error {
	if size < 0 {
		return newError("upload", u.name, nil, nil, "could not change %s: a negative size", u.h.disp(u.name))
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ended {
		return os.ErrClosed
	}
	if u.writeErr != nil {
		return u.writeErr
	}
	h := u.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if grow := size - u.onDisk; grow > 0 {
		if err := h.checkUpload(u.name, grow, u.credit); err != nil {
			return err
		}
	}
	if err := u.f.Truncate(size); err != nil {
		return h.fail("upload", u.name, err)
	}
	h.grew(size - u.onDisk)
	u.onDisk = size
	return nil
}

// SetTimes asks for the file's access and modification times (sftp -p, scp -p).
func (u *Upload) SetTimes(atime, mtime time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.atime, u.mtime = atime, mtime
}

// Commit ends the upload: the data is synced and a replacement renamed over
// its target. An upload whose writes failed is aborted instead, and its
// error returned.
func (u *Upload) Commit() error {
	u.mu.Lock()
	if u.ended {
		u.mu.Unlock()
		return nil
	}
	failed := u.writeErr
	u.mu.Unlock()
	if failed != nil {
		u.Abort()
		return failed
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.ended = true
	h := u.h
	err := u.f.Sync()
	if err == nil && u.mode != 0 {
		err = u.f.Chmod(u.mode)
	}
	if cerr := u.f.Close(); err == nil {
		err = cerr
	}
	renamed := false
	if err == nil && u.tmp != "" {
		if !u.mtime.IsZero() {
			err = h.root.Chtimes(u.tmp, u.atime, u.mtime)
		}
		if err == nil {
			if fi, lerr := h.root.Lstat(u.name); lerr == nil && fi.IsDir() {
				err = newError("upload", u.name, ErrIsFolder, nil, "%s is now a folder, so the file cannot be put there; send it under another name", h.disp(u.name))
			}
		}
		if err == nil {
			err = h.replace(u.tmp, u.name)
			renamed = err == nil
		}
		if err == nil {
			err = syncDir(h.root, filepath.Dir(u.name))
		}
	} else if err == nil && !u.mtime.IsZero() {
		err = h.root.Chtimes(u.name, u.atime, u.mtime)
	}
	if err != nil {
		if u.tmp != "" && !renamed {
			h.root.Remove(u.tmp)
			h.mu.Lock()
			h.grew(-u.onDisk)
			h.mu.Unlock()
		}
		return h.fail("upload", u.name, err)
	}
	return nil
}

// replace renames tmp over name, a regular file, a link or nothing, and
// counts the bytes of the file it replaced as gone.
func (h *Home) replace(tmp, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var old int64
	if fi, err := h.root.Lstat(name); err == nil && fi.Mode().IsRegular() {
		old = fi.Size()
	}
	if err := h.root.Rename(tmp, name); err != nil {
		return classify(err)
	}
	h.grew(-old)
	return nil
}

// Abort ends an upload without keeping it: a replacement's temporary file is
// removed (the target is untouched); what was written in place stays.
func (u *Upload) Abort() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ended {
		return
	}
	u.ended = true
	u.f.Close()
	if u.tmp != "" {
		u.h.root.Remove(u.tmp)
		u.h.mu.Lock()
		u.h.grew(-u.onDisk)
		u.h.mu.Unlock()
	}
}

// Open opens rel for reading: a regular file, through links that stay inside
// the home. Pipes, sockets and devices are refused (opening one could block
// or act).
func (h *Home) Open(rel string) (*os.File, error) {
	const op = "open"
	name, err := localName(rel)
	if err != nil {
		return nil, h.fail(op, rel, err)
	}
	fi, err := h.root.Stat(name)
	if err != nil {
		return nil, h.fail(op, name, err)
	}
	if fi.IsDir() {
		return nil, newError(op, name, ErrIsFolder, nil, "%s is a folder", h.disp(name))
	}
	if !fi.Mode().IsRegular() {
		return nil, newError(op, name, ErrNotRegular, nil, "%s is a pipe, socket or device; only files can be read", h.disp(name))
	}
	f, err := h.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, h.fail(op, name, err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, newError(op, name, ErrNotRegular, err, "%s is not a regular file; only files can be read", h.disp(name))
	}
	return f, nil
}

// Lstat describes rel without following a final link.
func (h *Home) Lstat(rel string) (fs.FileInfo, error) {
	name, err := localName(rel)
	if err != nil {
		return nil, h.fail("open", rel, err)
	}
	fi, err := h.root.Lstat(name)
	if err != nil {
		return nil, h.fail("open", name, err)
	}
	return fi, nil
}

// StatFollow describes rel, following links as long as they stay inside the home.
func (h *Home) StatFollow(rel string) (fs.FileInfo, error) {
	name, err := localName(rel)
	if err != nil {
		return nil, h.fail("open", rel, err)
	}
	fi, err := h.root.Stat(name)
	if err != nil {
		return nil, h.fail("open", name, err)
	}
	return fi, nil
}

// Readlink returns the text of the link rel (never followed).
func (h *Home) Readlink(rel string) (string, error) {
	name, err := localName(rel)
	if err != nil {
		return "", h.fail("open", rel, err)
	}
	target, err := h.root.Readlink(name)
	if err != nil {
		return "", h.fail("open", name, err)
	}
	return target, nil
}

// ListInfo lists the folder rel with each entry's Lstat (mode, owner, size),
// in name order; entries removed meanwhile are left out.
func (h *Home) ListInfo(rel string) ([]fs.FileInfo, error) {
	name, err := localName(rel)
	if err != nil {
		return nil, h.fail("list", rel, err)
	}
	fi, err := h.root.Stat(name)
	if err != nil {
		return nil, h.fail("list", name, err)
	}
	if !fi.IsDir() {
		return nil, newError("list", name, ErrNotFolder, nil, "%s is not a folder", h.disp(name))
	}
	f, err := h.root.Open(name)
	if err != nil {
		return nil, h.fail("list", name, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, h.fail("list", name, err)
	}
	out := make([]fs.FileInfo, 0, len(names))
	for _, n := range names {
		ci, err := h.root.Lstat(filepath.Join(name, n))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, h.fail("list", name, err)
		}
		out = append(out, ci)
	}
	return out, nil
}

// RemoveFile removes the file or link rel (never a folder, never a link's
// target).
func (h *Home) RemoveFile(rel string) error {
	const op = "delete"
	name, fi, err := h.movable(op, rel)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return newError(op, name, ErrIsFolder, nil, "%s is a folder; remove it as a folder (rmdir) once it is empty", h.disp(name))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	dir, err := h.root.Open(filepath.Dir(name))
	if err != nil {
		return h.fail(op, name, err)
	}
	defer dir.Close()
	// unlinkat without AT_REMOVEDIR: a folder swapped in meanwhile is refused.
	err = withFD(dir, func(fd int) error { return unix.Unlinkat(fd, filepath.Base(name), 0) })
	if err != nil {
		h.forgetUsage()
		return h.fail(op, name, &fs.PathError{Op: "unlink", Path: name, Err: err})
	}
	if fi.Mode().IsRegular() {
		h.grew(-fi.Size())
	}
	return h.fail(op, name, dir.Sync())
}

// RemoveFolder removes the empty folder rel.
func (h *Home) RemoveFolder(rel string) error {
	const op = "delete"
	name, fi, err := h.movable(op, rel)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return newError(op, name, ErrNotFolder, nil, "%s is not a folder", h.disp(name))
	}
	dir, err := h.root.Open(filepath.Dir(name))
	if err != nil {
		return h.fail(op, name, err)
	}
	defer dir.Close()
	err = withFD(dir, func(fd int) error { return unix.Unlinkat(fd, filepath.Base(name), unix.AT_REMOVEDIR) })
	if err != nil {
		return h.fail(op, name, &fs.PathError{Op: "rmdir", Path: name, Err: err})
	}
	return h.fail(op, name, dir.Sync())
}

// MoveTo renames or moves from to the path to, anywhere in the home. The new
// name must pass ValidName and its folder exist. With replace false nothing
// is ever overwritten (ErrExists); with replace true a file or link at to is
// replaced (never a folder), as POSIX rename does.
func (h *Home) MoveTo(from, to string, replace bool) error {
	const op = "rename"
	name, fi, err := h.movable(op, from)
	if err != nil {
		return err
	}
	dest, err := h.mutable(op, to)
	if err != nil {
		return err
	}
	if dest == "." {
		return newError(op, name, ErrExists, nil, "%s already exists; choose another name", h.disp(dest))
	}
	if dest == name {
		return nil
	}
	if err := ValidName(filepath.Base(dest)); err != nil {
		return err
	}
	if err := h.parentExists(op, dest, filepath.Dir(dest)); err != nil {
		return err
	}
	if fi.IsDir() && len(dest) > len(name) && dest[:len(name)+1] == name+string(filepath.Separator) {
		return h.intoItself(name)
	}
	if !replace {
		if err := h.renameNoReplace(name, dest); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return newError(op, dest, ErrExists, err, "%s already exists; choose another name", h.disp(dest))
			}
			return h.fail(op, name, err)
		}
		return syncDir(h.root, filepath.Dir(dest))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var old int64
	if ti, err := h.root.Lstat(dest); err == nil {
		if ti.IsDir() {
			return newError(op, dest, ErrIsFolder, nil, "%s is a folder; it cannot be replaced", h.disp(dest))
		}
		if err := h.checkProtected(op, dest, ti); err != nil {
			return err
		}
		if ti.Mode().IsRegular() {
			old = ti.Size()
		}
	}
	if err := h.root.Rename(name, dest); err != nil {
		return h.fail(op, name, err)
	}
	h.grew(-old)
	return syncDir(h.root, filepath.Dir(dest))
}

// Chmod sets the permission bits of rel (rwx only; the owner keeps read and
// write, and folders stay searchable by their owner). A link is never
// followed.
func (h *Home) Chmod(rel string, mode fs.FileMode) error {
	const op = "change"
	name, err := h.mutable(op, rel)
	if err != nil {
		return err
	}
	fi, err := h.root.Lstat(name)
	if err != nil {
		return h.fail(op, name, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil // a link's mode means nothing on Linux
	}
	mode = mode.Perm() | 0o600
	if fi.IsDir() {
		mode |= 0o100
	}
	return h.fail(op, name, h.root.Chmod(name, mode))
}

// Chtimes sets the access and modification times of rel.
func (h *Home) Chtimes(rel string, atime, mtime time.Time) error {
	const op = "change"
	name, err := h.mutable(op, rel)
	if err != nil {
		return err
	}
	if fi, err := h.root.Lstat(name); err != nil {
		return h.fail(op, name, err)
	} else if fi.Mode()&fs.ModeSymlink != 0 {
		return nil
	}
	return h.fail(op, name, h.root.Chtimes(name, atime, mtime))
}

// Truncate sets the size of the regular file rel; growing it is checked
// against the quota.
func (h *Home) Truncate(rel string, size int64) error {
	const op = "change"
	name, err := h.mutable(op, rel)
	if err != nil {
		return err
	}
	if size < 0 {
		return newError(op, name, nil, nil, "could not change %s: a negative size", h.disp(name))
	}
	fi, err := h.root.Lstat(name)
	if err != nil {
		return h.fail(op, name, err)
	}
	if !fi.Mode().IsRegular() {
		return newError(op, name, ErrNotRegular, nil, "%s is not a regular file; only a file's size can be changed", h.disp(name))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.checkUpload(name, size-fi.Size(), 0); err != nil {
		return err
	}
	f, err := h.root.OpenFile(name, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return h.fail(op, name, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !os.SameFile(fi, st) {
		return h.fail(op, name, errChanged)
	}
	if err := f.Truncate(size); err != nil {
		return h.fail(op, name, err)
	}
	h.grew(size - fi.Size())
	return nil
}

// Space is what a file transfer client is told about free space (statvfs):
// the quota and what is left of it, or, without a quota, the disk's.
type Space struct {
	Total, Free int64
	NameMax     int64
}

// Space reports the room left in the home: the quota less the usage (as the
// quota check sees it), and never more than the disk holding the home has free.
func (h *Home) Space() (Space, error) {
	d, err := h.root.Open(".")
	if err != nil {
		return Space{}, h.fail("measure", ".", err)
	}
	defer d.Close()
	var st unix.Statfs_t
	if err := withFD(d, func(fd int) error { return unix.Fstatfs(fd, &st) }); err != nil {
		return Space{}, h.fail("measure", ".", err)
	}
	disk := Space{Total: int64(st.Blocks) * st.Bsize, Free: int64(st.Bavail) * st.Bsize, NameMax: MaxNameBytes}
	used, limit, err := h.Quota()
	if err != nil {
		return Space{}, err
	}
	if limit <= 0 {
		return disk, nil
	}
	return Space{Total: limit, Free: min(max(limit-used, 0), disk.Free), NameMax: MaxNameBytes}, nil
}

// String is for logs and tests.
func (s Space) String() string {
	return fmt.Sprintf("%s free of %s", FormatSize(s.Free), FormatSize(s.Total))
}
