package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// maxCopies bounds the search for a free "name copy N" when duplicating.
const maxCopies = 1000

// NewFile creates the empty file rel; it fails with ErrExists if anything
// already has that name (a dangling link included). Its folder must exist.
// The last element of rel must pass ValidName. The file belongs to the
// folder's owner.
func (h *Home) NewFile(rel string) error {
	return h.create("create", rel, false)
}

// NewFolder creates the folder rel, as NewFile does a file.
func (h *Home) NewFolder(rel string) error {
	return h.create("create", rel, true)
}

func (h *Home) create(op, rel string, folder bool) error {
	name, err := h.mutable(op, rel)
	if err != nil {
		return err
	}
	base := filepath.Base(name)
	if name == "." {
		base = rel
	}
	if err := ValidName(base); err != nil {
		return err
	}
	dir := filepath.Dir(name)
	if err := h.parentExists(op, name, dir); err != nil {
		return err
	}
	if folder {
		if err := h.root.Mkdir(name, 0o755); err != nil {
			return h.fail(op, name, err)
		}
		if uid, gid, ok := h.folderOwner(dir); ok {
			if err := h.root.Lchown(name, uid, gid); err != nil {
				return h.fail(op, name, err)
			}
		}
	} else {
		f, err := h.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if err != nil {
			return h.fail(op, name, err)
		}
		err = inheritOwner(h.root, dir, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			h.root.Remove(name)
			return h.fail(op, name, err)
		}
	}
	if err := syncDir(h.root, dir); err != nil {
		return h.fail(op, name, err)
	}
	return nil
}

// parentExists gives a clear message when the folder something is to be
// created in is missing or is not a folder.
func (h *Home) parentExists(op, name, dir string) error {
	fi, err := h.root.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return newError(op, name, ErrNotFound, err, "the folder %s does not exist (it may have been renamed or deleted)", h.disp(dir))
	case err != nil:
		return h.fail(op, dir, err)
	case !fi.IsDir():
		return newError(op, name, ErrNotFolder, nil, "%s is a file, not a folder", h.disp(dir))
	}
	return nil
}

// folderOwner is the owner new entries in dir should get, when the daemon
// runs as root and dir belongs to someone else (the student).
func (h *Home) folderOwner(dir string) (uid, gid int, ok bool) {
	if os.Geteuid() != 0 {
		return 0, 0, false
	}
	fi, err := h.root.Stat(dir)
	if err != nil {
		return 0, 0, false
	}
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat || st.Uid == 0 {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

// Rename gives rel the new name newName in the same folder (newName is a
// single name, checked with ValidName; use Move to change folders). It fails
// with ErrExists if newName is taken: nothing is ever overwritten. A symlink
// is renamed as a link.
func (h *Home) Rename(rel, newName string) error {
	const op = "rename"
	name, _, err := h.movable(op, rel)
	if err != nil {
		return err
	}
	if err := ValidName(newName); err != nil {
		return err
	}
	if newName == filepath.Base(name) {
		return nil
	}
	to := filepath.Join(filepath.Dir(name), newName)
	if err := h.renameNoReplace(name, to); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return newError(op, name, ErrExists, err, "%s already exists; choose another name", h.disp(to))
		}
		return h.fail(op, name, err)
	}
	return nil
}

// Move puts rel into the folder toDir under the same name. It fails with
// ErrExists if toDir already holds that name, ErrNotFolder if toDir is not a
// folder, and ErrIntoItself when a folder would go inside itself.
func (h *Home) Move(rel, toDir string) error {
	const op = "move"
	name, fi, err := h.movable(op, rel)
	if err != nil {
		return err
	}
	dest, err := localName(toDir)
	if err != nil {
		return h.fail(op, toDir, err)
	}
	di, err := h.root.Stat(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return newError(op, name, ErrNotFound, err, "the folder %s does not exist; choose another folder", h.disp(dest))
	case err != nil:
		return h.fail(op, dest, err)
	case !di.IsDir():
		return newError(op, name, ErrNotFolder, nil, "%s is not a folder; choose a folder to move %s into", h.disp(dest), h.disp(name))
	}
	if fi.IsDir() && (dest == name || strings.HasPrefix(dest, name+string(filepath.Separator))) {
		return h.intoItself(name)
	}
	if pi, err := h.root.Stat(filepath.Dir(name)); err == nil && os.SameFile(pi, di) {
		return newError(op, name, ErrExists, nil, "%s is already in %s", h.disp(name), h.disp(dest))
	}
	to := filepath.Join(dest, filepath.Base(name))
	if err := h.renameNoReplace(name, to); err != nil {
		switch {
		case errors.Is(err, fs.ErrExist):
			return newError(op, name, ErrExists, err, "%s already holds something named %s; rename one of them first", h.disp(dest), h.disp(filepath.Base(name)))
		case errors.Is(err, syscall.EINVAL) && fi.IsDir():
			// The kernel's word for a folder moved below itself (through a link).
			return h.intoItself(name)
		}
		return h.fail(op, name, err)
	}
	return nil
}

func (h *Home) intoItself(name string) error {
	return newError("move", name, ErrIntoItself, nil, "%s cannot be moved into itself or into a folder inside it; choose another folder", h.disp(name))
}

// movable checks what Rename, Move and Delete have in common: a writable
// home, not the home itself, something that exists, nothing protected.
func (h *Home) movable(op, rel string) (string, fs.FileInfo, error) {
	name, err := h.mutable(op, rel)
	if err != nil {
		return "", nil, err
	}
	if name == "." {
		return "", nil, newError(op, name, ErrProtected, nil, "%s itself cannot be %s", h.disp(name), pastTense(op))
	}
	fi, err := h.root.Lstat(name)
	if err != nil {
		return "", nil, h.fail(op, name, err)
	}
	if err := h.checkProtected(op, name, fi); err != nil {
		return "", nil, err
	}
	return name, fi, nil
}

func pastTense(op string) string {
	switch op {
	case "move":
		return "moved"
	case "delete":
		return "deleted"
	case "rename":
		return "renamed"
	}
	return op + "d"
}

// checkProtected refuses to delete, rename or move name (whose Lstat is fi)
// when it is a protected entry or a folder above one. It compares files, not
// spellings, so a path through a link inside the home does not get round it.
func (h *Home) checkProtected(op, name string, fi fs.FileInfo) error {
	for _, p := range h.protected {
		for q := p; q != "."; q = filepath.Dir(q) {
			for _, stat := range []func(string) (fs.FileInfo, error){h.root.Lstat, h.root.Stat} {
				qi, err := stat(q)
				if err != nil || !os.SameFile(fi, qi) {
					continue
				}
				if q == p {
					return newError(op, name, ErrProtected, nil, "%s is protected and cannot be %s", h.disp(name), pastTense(op))
				}
				return newError(op, name, ErrProtected, nil, "%s holds %s, which is protected, so it cannot be %s", h.disp(name), h.disp(p), pastTense(op))
			}
		}
	}
	return nil
}

// Delete removes rel: a file, a symlink (the link only, never its target),
// or a folder with everything in it (links inside are removed as links,
// never followed). It refuses the home itself and protected entries (and
// folders holding them) with ErrProtected. Describe tells what it would
// remove.
func (h *Home) Delete(rel string) error {
	const op = "delete"
	name, fi, err := h.movable(op, rel)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if fi.IsDir() {
		err = h.root.RemoveAll(name)
		h.forgetUsage() // what went is unknown without a walk; measure next time
	} else {
		err = h.root.Remove(name)
		if err == nil && fi.Mode().IsRegular() {
			h.grew(-fi.Size())
		}
	}
	if err != nil {
		h.forgetUsage()
		return h.fail(op, name, err)
	}
	if err := syncDir(h.root, filepath.Dir(name)); err != nil {
		return h.fail(op, name, err)
	}
	return nil
}

// Summary is what Describe finds under a name: what Delete would remove, or
// Duplicate copy.
type Summary struct {
	IsDir   bool  // the name is a folder (not a link to one)
	Symlink bool  // the name is a symlink: only the link is concerned
	Files   int   // regular (and special) files, the name itself when it is one
	Folders int   // folders inside, not counting the name itself
	Links   int   // symlinks, counted and never followed
	Bytes   int64 // total size of the regular files
}

// String says what a Summary holds, for a confirmation: "12 files and 2
// folders (48 KiB)", "a link", "an empty folder", "3.2 MiB".
func (s Summary) String() string {
	if s.Symlink {
		return "a link (only the link, not what it points to)"
	}
	if !s.IsDir {
		return FormatSize(s.Bytes)
	}
	var parts []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, "1 "+one)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", n, many))
		}
	}
	add(s.Files, "file", "files")
	add(s.Folders, "folder", "folders")
	add(s.Links, "link", "links")
	switch len(parts) {
	case 0:
		return "an empty folder"
	case 1:
	default:
		parts = []string{strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]}
	}
	return parts[0] + " (" + FormatSize(s.Bytes) + ")"
}

// Describe counts what is under rel without following any link, so the
// browser can ask "Delete folder lab1 with 12 files (48 KiB)?".
func (h *Home) Describe(rel string) (Summary, error) {
	const op = "read"
	name, err := localName(rel)
	if err != nil {
		return Summary{}, h.fail(op, rel, err)
	}
	fi, err := h.root.Lstat(name)
	if err != nil {
		return Summary{}, h.fail(op, name, err)
	}
	s, err := h.describe(name, fi)
	if err != nil {
		return Summary{}, h.fail(op, name, err)
	}
	return s, nil
}

func (h *Home) describe(name string, fi fs.FileInfo) (Summary, error) {
	s := Summary{IsDir: fi.IsDir(), Symlink: fi.Mode()&fs.ModeSymlink != 0}
	err := h.walk(name, fi, func(rel string, fi fs.FileInfo) {
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			s.Links++
		case fi.IsDir():
			if rel != name {
				s.Folders++
			}
		default:
			s.Files++
			if fi.Mode().IsRegular() {
				s.Bytes += fi.Size()
			}
		}
	})
	return s, err
}

// walk calls visit for name and, if it is a real folder, everything below
// it, in name order, never following a link. Entries that vanish while it
// walks are skipped.
func (h *Home) walk(name string, fi fs.FileInfo, visit func(rel string, fi fs.FileInfo)) error {
	visit(name, fi)
	if !fi.IsDir() {
		return nil
	}
	names, err := h.readDir(name, fi)
	if err != nil {
		return err
	}
	for _, n := range names {
		child := filepath.Join(name, n)
		ci, err := h.root.Lstat(child)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		if err := h.walk(child, ci, visit); err != nil {
			return err
		}
	}
	return nil
}

// errChanged reports a folder replaced (by a link, say) while being read.
var errChanged = errors.New("it changed while it was being read; try again")

// readDir lists the folder name, which Lstat described as fi. os.Root would
// follow a link swapped in meanwhile (inside the home), so the folder opened
// is checked to be the one described.
func (h *Home) readDir(name string, fi fs.FileInfo) ([]string, error) {
	f, err := h.root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !os.SameFile(fi, st) {
		return nil, errChanged
	}
	names, err := f.Readdirnames(-1)
	slices.Sort(names)
	return names, err
}

// Duplicate copies rel next to itself as "name copy.py" (then "name copy
// 2.py", ...; "lab1 copy" for a folder) and returns the new name. Folders are
// copied with everything in them; symlinks are copied as links (the same
// target text), never followed; pipes, sockets and devices inside a folder are
// left out. The copy belongs to the folder's owner, and a copy that would
// take the home over its quota fails with ErrQuota.
func (h *Home) Duplicate(rel string) (string, error) {
	const op = "duplicate"
	name, err := h.mutable(op, rel)
	if err != nil {
		return "", err
	}
	if name == "." {
		return "", newError(op, name, ErrProtected, nil, "%s itself cannot be duplicated; duplicate what is inside it", h.disp(name))
	}
	fi, err := h.root.Lstat(name)
	if err != nil {
		return "", h.fail(op, name, err)
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
		return "", newError(op, name, ErrNotRegular, nil, "%s is a pipe, socket or device and cannot be duplicated", h.disp(name))
	}
	sum, err := h.describe(name, fi)
	if err != nil {
		return "", h.fail(op, name, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.checkQuota(op, name, sum.Bytes); err != nil {
		return "", err
	}
	dir, base := filepath.Dir(name), filepath.Base(name)
	uid, gid, own := h.folderOwner(dir)
	c := copier{h: h, uid: uid, gid: gid, own: own}
	for n := 1; n <= maxCopies; n++ {
		to := filepath.Join(dir, copyName(base, fi.IsDir(), n))
		made, err := c.copy(name, fi, to)
		if err == nil {
			h.grew(sum.Bytes)
			if err := syncDir(h.root, dir); err != nil {
				return "", h.fail(op, name, err)
			}
			return filepath.ToSlash(to), nil
		}
		if made {
			h.root.RemoveAll(to)
			h.forgetUsage()
			return "", h.fail(op, name, err)
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", h.fail(op, name, err)
		}
	}
	return "", newError(op, name, ErrExists, nil, "%s has too many copies already; rename or delete some", h.disp(name))
}

type copier struct {
	h        *Home
	uid, gid int
	own      bool // give what is made to uid:gid
}

// copy makes to as a copy of src (described by fi). made says whether
// anything was created (and must be cleaned up after an error): an error
// with made false means to was taken.
func (c copier) copy(src string, fi fs.FileInfo, to string) (made bool, err error) {
	root := c.h.root
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := root.Readlink(src)
		if err != nil {
			return false, err
		}
		if err := root.Symlink(target, to); err != nil {
			return false, err
		}
		return true, c.chown(to)

	case fi.IsDir():
		// Owner-writable while it is filled, its own mode at the end.
		if err := root.Mkdir(to, 0o700); err != nil {
			return false, err
		}
		if err := c.chown(to); err != nil {
			return true, err
		}
		names, err := c.h.readDir(src, fi)
		if err != nil {
			return true, err
		}
		for _, n := range names {
			ci, err := root.Lstat(filepath.Join(src, n))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			} else if err != nil {
				return true, err
			}
			if !ci.IsDir() && !ci.Mode().IsRegular() && ci.Mode()&fs.ModeSymlink == 0 {
				continue // a pipe, socket or device: not copied
			}
			if _, err := c.copy(filepath.Join(src, n), ci, filepath.Join(to, n)); err != nil {
				return true, err
			}
		}
		return true, root.Chmod(to, fi.Mode().Perm())

	default:
		return c.copyFile(src, fi, to)
	}
}

func (c copier) copyFile(src string, fi fs.FileInfo, to string) (made bool, err error) {
	root := c.h.root
	in, err := root.OpenFile(src, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false, err
	}
	defer in.Close()
	if st, err := in.Stat(); err != nil {
		return false, err
	} else if !os.SameFile(fi, st) {
		return false, errChanged
	}
	out, err := root.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, err
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		return true, err
	}
	if err := out.Chmod(fi.Mode().Perm()); err != nil {
		return true, err
	}
	if c.own {
		if err := out.Chown(c.uid, c.gid); err != nil {
			return true, err
		}
	}
	return true, out.Close()
}

func (c copier) chown(name string) error {
	if !c.own {
		return nil
	}
	return c.h.root.Lchown(name, c.uid, c.gid)
}
