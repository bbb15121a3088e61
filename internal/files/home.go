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
	"sync"
	"time"

	"github.com/classroomd/classroomd/internal/metrics"
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

// DefaultMaxEditBytes is the largest file ReadFile returns unless
// Options.MaxEditBytes says otherwise.
const DefaultMaxEditBytes = 1 << 20

// DefaultUsageMaxAge is how old the cached usage the quota check relies on
// may get before it is measured again (programs in the REPL write too).
const DefaultUsageMaxAge = 5 * time.Second

// Options tune a Home. The zero value is a writable home with no quota, the
// default editor size limit and nothing protected.
type Options struct {
	// ReadOnly makes every method that would change something fail with
	// ErrReadOnly (the course folder; a professor's view of a home).
	ReadOnly bool
	// MaxEditBytes is the largest file ReadFile returns (0: 1 MiB).
	MaxEditBytes int64
	// QuotaBytes is how much the regular files in the home may hold in
	// total (0: no quota). Only growth is refused: a student over quota can
	// still save a file that gets smaller, and delete.
	QuotaBytes int64
	// Protected are names, relative to the home, that cannot be deleted,
	// renamed or moved, nor can a folder holding one. The home itself is
	// always protected. Give real paths, not paths through symlinks.
	Protected []string
	// UsageMaxAge is how old the cached usage may get (0: 5 seconds).
	UsageMaxAge time.Duration
	// PollInterval is how often Watch checks folders when it cannot use
	// inotify (0: 1 second).
	PollInterval time.Duration
	// Label names the folder in messages (default "your home folder", or
	// "this folder" for a read-only one).
	Label string
	// Metrics get the latency of every WriteFile (the editor's save); nil
	// records nothing.
	Metrics *metrics.Metrics
}

// Home is a student's home folder, confined by an os.Root. It is safe for
// concurrent use (os.Root is; the usage cache has its own lock).
type Home struct {
	root      *os.Root
	readOnly  bool
	maxEdit   int64
	quota     int64
	protected []string
	maxAge    time.Duration
	poll      time.Duration
	label     string
	metrics   *metrics.Metrics

	// mu serialises the changes that move usage (so that two saves cannot
	// both pass the quota check) and guards the cached usage.
	mu      sync.Mutex
	used    int64
	usedAt  time.Time // zero: not measured (or invalidated)
	nowFunc func() time.Time
	swept   map[string]bool // files whose broken-off saves' temporary files were removed

	// beforeRename, when set (tests), runs in a save between writing the
	// temporary file and renaming it over the target.
	beforeRename func() error
	// noInotify makes Watch poll (tests).
	noInotify bool
}

// OpenHome opens dir as a home. dir itself must be a real directory, not a
// symlink, for the same reason EnsureHome refuses one: a home that is a link
// could be pointed at someone else's files.
func OpenHome(dir string) (*Home, error) {
	return OpenHomeWith(dir, Options{})
}

// OpenHomeWith is OpenHome with options (a quota, protected names, ...).
func OpenHomeWith(dir string, opts Options) (*Home, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("open home %s: %w", dir, err)
	}
	if err := checkHomeDir(dir, fi); err != nil {
		return nil, err
	}
	return openRoot(dir, fi, opts)
}

// OpenReadOnly opens dir (the course folder) for reading: List, ReadFile,
// Stat, Describe, Usage and Watch work, everything else fails with
// ErrReadOnly. Unlike a home, dir may be a symlink: the administrator chose
// it, and students cannot replace it. Inside, the same confinement applies.
func OpenReadOnly(dir string) (*Home, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("open %s: not a folder", dir)
	}
	return openRoot(dir, fi, Options{ReadOnly: true})
}

func openRoot(dir string, fi fs.FileInfo, opts Options) (*Home, error) {
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
	h := &Home{
		root:     root,
		readOnly: opts.ReadOnly,
		maxEdit:  opts.MaxEditBytes,
		quota:    max(opts.QuotaBytes, 0),
		maxAge:   opts.UsageMaxAge,
		poll:     opts.PollInterval,
		label:    opts.Label,
		metrics:  opts.Metrics,
		nowFunc:  time.Now,
	}
	if h.maxEdit <= 0 {
		h.maxEdit = DefaultMaxEditBytes
	}
	if h.maxAge <= 0 {
		h.maxAge = DefaultUsageMaxAge
	}
	if h.poll <= 0 {
		h.poll = time.Second
	}
	if h.label == "" {
		h.label = "your home folder"
		if h.readOnly {
			h.label = "this folder"
		}
	}
	for _, p := range opts.Protected {
		clean, err := localName(p)
		if err != nil || clean == "." {
			root.Close()
			return nil, fmt.Errorf("open home %s: protected name %q is not inside the home", dir, p)
		}
		h.protected = append(h.protected, clean)
	}
	return h, nil
}

// ReadOnly reports whether the home was opened read-only.
func (h *Home) ReadOnly() bool { return h.readOnly }

// MaxEditBytes is the largest file ReadFile returns.
func (h *Home) MaxEditBytes() int64 { return h.maxEdit }

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
		return nil, h.fail("list", rel, err)
	}
	f, err := h.root.Open(name)
	if err != nil {
		return nil, h.fail("list", name, err)
	}
	defer f.Close()
	des, err := f.ReadDir(-1)
	if err != nil {
		return nil, h.fail("list", name, err)
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
			return nil, h.fail("list", name, err)
		}
		entries = append(entries, entryOf(de.Name(), fi))
	}
	sortEntries(entries)
	return entries, nil
}

func entryOf(name string, fi fs.FileInfo) Entry {
	return Entry{
		Name:    name,
		IsDir:   fi.IsDir(),
		Symlink: fi.Mode()&fs.ModeSymlink != 0,
		Size:    fi.Size(),
		ModTime: fi.ModTime(),
	}
}

// Stat describes rel without following it if it is a symlink (Name is its
// last element; "." is the home).
func (h *Home) Stat(rel string) (Entry, error) {
	name, err := localName(rel)
	if err != nil {
		return Entry{}, h.fail("open", rel, err)
	}
	fi, err := h.root.Lstat(name)
	if err != nil {
		return Entry{}, h.fail("open", name, err)
	}
	return entryOf(filepath.Base(name), fi), nil
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
// through the root (symlinks are counted as links, never followed). It also
// refreshes the usage the quota check keeps.
func (h *Home) Usage() (int64, error) {
	at := h.nowFunc()
	n, err := h.measure()
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	h.used, h.usedAt = n, at
	h.mu.Unlock()
	return n, nil
}

func (h *Home) measure() (int64, error) {
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
		return 0, h.fail("measure", ".", err)
	}
	return total, nil
}
