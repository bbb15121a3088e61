package workspace

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/classroomd/classroomd/internal/files"
)

// journal keeps the unsaved text of a student's open files in a folder of the
// daemon's (DATA_DIR/journal/USERNAME, outside the home: not the student's to
// see and not counted against their quota), so a crash or a kill -9 loses at most
// the last few seconds of typing. An entry is removed once its file is saved or
// its changes are discarded.
type journal struct {
	root *os.Root
}

// Recovered is unsaved work found in the journal, to offer back to the student.
type Recovered struct {
	Path    string // relative to the home
	Text    string
	SavedAt time.Time // when the journal last wrote it
}

type journalEntry struct {
	Path    string    `json:"path"`
	Text    string    `json:"text"`
	SavedAt time.Time `json:"saved_at"`
}

func openJournal(dir string) (*journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	// Entries a kill -9 broke off while being written: only this workspace
	// writes here, and it has just opened.
	files.RemoveTemps(root, ".")
	return &journal{root: root}, nil
}

// entryName maps a home-relative path to one flat file name; hex keeps every
// name safe whatever the student called the file.
func entryName(path string) string { return hex.EncodeToString([]byte(path)) + ".json" }

func (j *journal) write(path, text string, at time.Time) error {
	data, err := json.Marshal(journalEntry{Path: path, Text: text, SavedAt: at})
	if err != nil {
		return err
	}
	if err := files.WriteAtomic(j.root, entryName(path), data, 0o600); err != nil {
		return fmt.Errorf("journal %s: %w", path, err)
	}
	return nil
}

func (j *journal) remove(path string) error {
	if err := j.root.Remove(entryName(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("journal %s: %w", path, err)
	}
	return nil
}

// list returns every recoverable entry, oldest first. Unreadable entries are skipped:
// a torn write cannot happen (writes are atomic), so such a file is not ours.
func (j *journal) list() ([]Recovered, error) {
	f, err := j.root.Open(".")
	if err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	var out []Recovered
	for _, name := range names {
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		data, err := j.root.ReadFile(name)
		if err != nil {
			continue
		}
		var e journalEntry
		if json.Unmarshal(data, &e) != nil || e.Path == "" || entryName(e.Path) != name {
			continue
		}
		out = append(out, Recovered(e))
	}
	sort.Slice(out, func(a, b int) bool { return out[a].SavedAt.Before(out[b].SavedAt) })
	return out, nil
}

func (j *journal) close() error { return j.root.Close() }

// journalDir is where a student's journal lives under the data dir's journal folder.
func journalDir(base, username string) string { return filepath.Join(base, username) }
