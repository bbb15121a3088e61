// Package files is the only way classroomd touches a student's files. Every
// name a student can supply is resolved through an os.Root opened on their
// home, so no path, ".." or symlink can reach outside it.
package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ErrOutsideHome is wrapped by every error caused by a name that would leave
// the home: "..", an absolute path, or a symlink pointing elsewhere.
var ErrOutsideHome = errors.New("path is outside your home folder")

// Entry is one item of a folder listing.
type Entry struct {
	Name    string
	IsDir   bool // false for symlinks, even to folders: they are never followed
	Symlink bool
	Size    int64
	ModTime time.Time
}

// Home is a student's home folder, confined by an os.Root. It is safe for
// concurrent use (os.Root is).
type Home struct {
	root *os.Root
}

// OpenHome opens dir as a home. dir itself must be a real directory, not a
// symlink, for the same reason EnsureHome refuses one: a home that is a link
// could be pointed at someone else's files.
func OpenHome(dir string) (*Home, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("open home %s: %w", dir, err)
	}
	if err := checkHomeDir(dir, fi); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open home %s: %w", dir, err)
	}
	// Make sure what we opened is what we checked (the directory could have
	// been swapped for a symlink between Lstat and OpenRoot).
	opened, err := root.Stat(".")
	if err != nil || !os.SameFile(fi, opened) {
		root.Close()
		return nil, fmt.Errorf("open home %s: the folder changed while it was being opened", dir)
	}
	return &Home{root: root}, nil
}

// Close releases the home's directory handle.
func (h *Home) Close() error {
	return h.root.Close()
}

// List returns the entries of the folder rel inside the home ("" or "." is the
// home itself): folders first, then by name ignoring case. Symlinks are listed
// with Symlink set and are not followed, so their Size and ModTime are the
// link's own.
func (h *Home) List(rel string) ([]Entry, error) {
	name, err := localName(rel)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", rel, err)
	}
	f, err := h.root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", name, classify(err))
	}
	defer f.Close()
	des, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", name, classify(err))
	}
	entries := make([]Entry, 0, len(des))
	for _, de := range des {
		// Lstat through the root rather than DirEntry.Info, which stats by
		// absolute path outside the root's protection.
		fi, err := h.root.Lstat(filepath.Join(name, de.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", name, classify(err))
		}
		entries = append(entries, Entry{
			Name:    de.Name(),
			IsDir:   fi.IsDir(),
			Symlink: fi.Mode()&fs.ModeSymlink != 0,
			Size:    fi.Size(),
			ModTime: fi.ModTime(),
		})
	}
	sortEntries(entries)
	return entries, nil
}

// sortEntries puts folders first, then orders by name ignoring case, with the
// exact name as a tie-break so the order is stable across listings.
func sortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int {
		if a.IsDir != b.IsDir {
			if a.IsDir {
				return -1
			}
			return 1
		}
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// localName turns a name a student supplied into a clean relative name, or
// fails with ErrOutsideHome. os.Root would refuse these too, but checking
// lexically first gives the caller a sentinel to test for.
func localName(rel string) (string, error) {
	if rel == "" {
		return ".", nil
	}
	if filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
		return "", ErrOutsideHome
	}
	return filepath.Clean(rel), nil
}

// classify maps os.Root's escape error onto ErrOutsideHome. The os package
// does not export that error, so its text is the only handle; the symlink
// tests catch a change in a future Go release.
func classify(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == "path escapes from parent" {
		return fmt.Errorf("%w (%s)", ErrOutsideHome, pe.Path)
	}
	return err
}

// Usage is the total size in bytes of the regular files in the home, walked
// through the root (symlinks are counted as links, never followed).
func (h *Home) Usage() (int64, error) {
	var total int64
	var walk func(dir string) error
	walk = func(dir string) error {
		f, err := h.root.Open(dir)
		if err != nil {
			return classify(err)
		}
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			return classify(err)
		}
		for _, name := range names {
			rel := path.Join(dir, name)
			fi, err := h.root.Lstat(rel)
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed while we walked
			} else if err != nil {
				return classify(err)
			}
			switch {
			case fi.IsDir():
				if err := walk(rel); err != nil {
					return err
				}
			case fi.Mode().IsRegular():
				total += fi.Size()
			}
		}
		return nil
	}
	if err := walk("."); err != nil {
		return 0, fmt.Errorf("measure home: %w", err)
	}
	return total, nil
}
