package files

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// writeFileAtomic replaces name inside root with data so that a crash leaves
// either the old or the new content, never a torn file: write a temporary
// file in the same folder, fsync it, rename it over name, fsync the folder.
// If name is a symlink, the link itself is replaced (never its target).
// perm is filtered by the umask, as with os.WriteFile.
func writeFileAtomic(root *os.Root, name string, data []byte, perm fs.FileMode) error {
	return writeAtomic(root, name, data, perm, saveAttrs{})
}

// saveAttrs adjust writeAtomic for the editor's save.
type saveAttrs struct {
	// keep, when set, gives the new file exactly this mode (not filtered by
	// the umask) and, as root, this owner: those of the file it replaces.
	keep         bool
	mode         fs.FileMode
	uid, gid     int
	beforeRename func() error // tests: a failure just before the rename
}

func writeAtomic(root *os.Root, name string, data []byte, perm fs.FileMode, attrs saveAttrs) (err error) {
	clean, err := localName(name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if clean == "." {
		return fmt.Errorf("write %q: not a file name", name)
	}
	name = clean
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}

	tmp, f, err := createTemp(root, dir, base, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, classify(err))
	}
	defer func() {
		if err != nil {
			f.Close() // harmless if already closed
			root.Remove(tmp)
		}
	}()
	if attrs.keep {
		// A saved file keeps what it had: its mode and (as root) its owner.
		if err = f.Chmod(attrs.mode); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if os.Geteuid() == 0 {
			if err = f.Chown(attrs.uid, attrs.gid); err != nil {
				return fmt.Errorf("write %s: %w", name, err)
			}
		}
	} else if err = inheritOwner(root, dir, f); err != nil {
		// A file the daemon writes belongs to whoever owns its folder (the
		// student), as if their own program had written it.
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if attrs.beforeRename != nil {
		if err = attrs.beforeRename(); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	if err = root.Rename(tmp, name); err != nil {
		return fmt.Errorf("write %s: %w", name, classify(err))
	}
	if err = syncDir(root, dir); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// createTemp makes a new, exclusive temporary file next to base in dir. The
// leading dot keeps it out of the way if a crash leaves it behind.
func createTemp(root *os.Root, dir, base string, perm fs.FileMode) (string, *os.File, error) {
	for range 10 {
		var b [6]byte
		rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
		tmp := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(b[:]))
		f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return tmp, f, err
	}
	return "", nil, fmt.Errorf("could not create a temporary file in %s", dir)
}

// tempSuffix is what createTemp puts after ".NAME.tmp-": 12 hex digits.
const tempSuffix = 12

// maxSwept bounds Home.swept; it is emptied when full (a sweep again costs
// one folder listing).
const maxSwept = 4096

// isTempOf reports whether entry is a temporary file createTemp made for
// base (".BASE.tmp-" and 12 hex digits); base "" matches any.
func isTempOf(entry, base string) bool {
	var rest string
	if base != "" {
		var ok bool
		if rest, ok = strings.CutPrefix(entry, "."+base+".tmp-"); !ok {
			return false
		}
	} else {
		i := strings.LastIndex(entry, ".tmp-")
		if i < 1 || entry[0] != '.' {
			return false
		}
		rest = entry[i+len(".tmp-"):]
	}
	if len(rest) != tempSuffix {
		return false
	}
	for _, c := range rest {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// removeStaleTemps removes the temporary files of name's saves that a kill
// broke off (they hold a partial copy, hidden, and count against the
// quota). The caller makes sure no save of name is under way. Errors are
// ignored: what is left is tried again at the next sweep.
func removeStaleTemps(root *os.Root, name string) {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	removeTemps(root, dir, base)
}

// removeTemps removes the temporary files createTemp made in dir for base
// ("": for any name).
func removeTemps(root *os.Root, dir, base string) {
	d, err := root.Open(dir)
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		if isTempOf(n, base) {
			_ = root.Remove(filepath.Join(dir, n))
		}
	}
}

// RemoveTemps removes the temporary files of broken-off atomic writes from
// the folder dir of root, for a folder only the caller writes to (the
// journal, when it is opened).
func RemoveTemps(root *os.Root, dir string) { removeTemps(root, dir, "") }

// syncDir fsyncs the folder dir inside root so that a rename or a new entry
// in it survives a crash.
func syncDir(root *os.Root, dir string) error {
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteAtomic replaces name inside root with data, atomically (temp file, fsync,
// rename, fsync of the folder), for files the daemon keeps for itself, such as the
// journal of unsaved edits.
func WriteAtomic(root *os.Root, name string, data []byte, perm fs.FileMode) error {
	return writeFileAtomic(root, name, data, perm)
}
