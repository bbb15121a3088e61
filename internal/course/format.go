// Package course runs a course's assignments: the folder format, release of
// the starter code, extensions, submissions (snapshots with their SHA-256),
// each student's own deadline, grading in fresh sandboxes and the grades.
//
// It imports the store, files and a narrow sandbox interface (Runner), never
// the TUI, the SSH server or the web: cmd/classroomd wires a Runner that starts
// internal/sandbox processes, and tests wire one of their own.
package course

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// ConfigFile is the name of an assignment's description in its folder.
const ConfigFile = "assignment.toml"

// Limits of the folder format.
const (
	MaxTestSeconds    = 600
	DefaultSeconds    = 10
	DefaultMemoryMB   = 256
	MaxMemoryMB       = 4096
	DefaultMaxFiles   = 100
	DefaultMaxBytes   = 10 << 20
	maxFolderBytes    = 64 << 20 // starter/ and tests/ together
	maxConfigBytes    = 64 << 10
	maxAssignmentName = 64
)

// Config is assignment.toml.
type Config struct {
	Title            string    `toml:"title"`
	Due              time.Time `toml:"due"`
	LateUntil        time.Time `toml:"late_until"`
	LatePenalty      float64   `toml:"late_penalty"` // fraction of the score per day late
	Files            []string  `toml:"files"`        // globs relative to ~/NAME: what is collected
	MaxChecksPerHour int       `toml:"max_checks_per_hour"`
	Limits           struct {
		Seconds  int `toml:"seconds"`   // per test (each call into the student's code)
		MemoryMB int `toml:"memory_mb"` // of the student's process
		MaxFiles int `toml:"max_files"` // per submission
		MaxBytes int `toml:"max_bytes"` // per submission
	} `toml:"limits"`
}

// Assignment is a validated assignment folder.
type Assignment struct {
	Name   string // the folder's name
	Dir    string // the folder, absolute
	Config Config
	Raw    string // assignment.toml as read
	README string
	// Starter and Tests list the files (slash-separated, relative to
	// starter/ and tests/), sorted.
	Starter, Tests []string
	Digest         string // SHA-256 over the config, README, starter and tests
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// ValidName reports whether name can name an assignment (it becomes a
// folder in every home and an ssh command's argument).
func ValidName(name string) error {
	if len(name) > maxAssignmentName || !validName.MatchString(name) {
		return fmt.Errorf("%q cannot name an assignment: use lower-case letters, digits, - and _ (at most %d, starting with a letter or digit)", name, maxAssignmentName)
	}
	return nil
}

// Load reads and validates the assignment folder dir. Every problem found
// is reported, one per line, so that a professor fixes them in one go.
func Load(dir string) (*Assignment, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	a := &Assignment{Name: filepath.Base(abs), Dir: abs}
	if err := ValidName(a.Name); err != nil {
		return nil, fmt.Errorf("assignment folder %s: %w", abs, err)
	}
	raw, err := readSmall(filepath.Join(abs, ConfigFile), maxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("assignment %s: %w", a.Name, err)
	}
	a.Raw = string(raw)
	md, err := toml.Decode(a.Raw, &a.Config)
	if err != nil {
		return nil, fmt.Errorf("assignment %s: %s: %w", a.Name, ConfigFile, err)
	}
	var problems []string
	if keys := md.Undecoded(); len(keys) > 0 {
		for _, k := range keys {
			problems = append(problems, fmt.Sprintf("unknown setting %q (a typo?)", k.String()))
		}
	}
	problems = append(problems, a.Config.validate()...)

	if b, err := readSmall(filepath.Join(abs, "README.md"), maxConfigBytes); err == nil {
		a.README = string(b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		problems = append(problems, err.Error())
	}
	if a.Starter, err = listTree(filepath.Join(abs, "starter")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		problems = append(problems, err.Error())
	}
	a.Tests, err = listTree(filepath.Join(abs, "tests"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		problems = append(problems, "no tests/ folder: put the pytest files there")
	case err != nil:
		problems = append(problems, err.Error())
	default:
		hasTest := false
		for _, t := range a.Tests {
			base := path.Base(t)
			if strings.HasPrefix(base, "test_") && strings.HasSuffix(base, ".py") || strings.HasSuffix(base, "_test.py") {
				hasTest = true
			}
		}
		if !hasTest {
			problems = append(problems, "tests/ has no test_*.py file")
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("assignment %s (%s) is not valid:\n  %s", a.Name, filepath.Join(abs, ConfigFile), strings.Join(problems, "\n  "))
	}
	if a.Digest, err = a.digest(); err != nil {
		return nil, fmt.Errorf("assignment %s: %w", a.Name, err)
	}
	return a, nil
}

func (c *Config) validate() []string {
	var p []string
	if strings.TrimSpace(c.Title) == "" {
		p = append(p, "title is missing")
	}
	if c.Due.IsZero() {
		p = append(p, `due is missing: give an RFC 3339 time with its zone, e.g. due = 2026-03-02T23:59:00-05:00`)
	}
	if !c.LateUntil.IsZero() && !c.LateUntil.After(c.Due) {
		p = append(p, fmt.Sprintf("late_until (%s) is not after due (%s)", c.LateUntil.Format(time.RFC3339), c.Due.Format(time.RFC3339)))
	}
	if c.LatePenalty < 0 || c.LatePenalty > 1 {
		p = append(p, fmt.Sprintf("late_penalty is %v: give a fraction per day between 0 and 1", c.LatePenalty))
	}
	if c.LatePenalty > 0 && c.LateUntil.IsZero() {
		p = append(p, "late_penalty is set but late_until is not: without late_until no late submission is accepted")
	}
	if len(c.Files) == 0 {
		p = append(p, `files is missing: list what is collected, e.g. files = ["fib.py"]`)
	}
	for _, g := range c.Files {
		if err := checkGlob(g); err != nil {
			p = append(p, err.Error())
		}
	}
	if c.MaxChecksPerHour < 0 {
		p = append(p, "max_checks_per_hour is negative")
	}
	l := &c.Limits
	if l.Seconds == 0 {
		l.Seconds = DefaultSeconds
	}
	if l.Seconds < 1 || l.Seconds > MaxTestSeconds {
		p = append(p, fmt.Sprintf("limits.seconds is %d: give 1 to %d seconds per test", l.Seconds, MaxTestSeconds))
	}
	if l.MemoryMB == 0 {
		l.MemoryMB = DefaultMemoryMB
	}
	if l.MemoryMB < 16 || l.MemoryMB > MaxMemoryMB {
		p = append(p, fmt.Sprintf("limits.memory_mb is %d: give 16 to %d", l.MemoryMB, MaxMemoryMB))
	}
	if l.MaxFiles == 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxFiles < 1 || l.MaxBytes < 1 {
		p = append(p, "limits.max_files and limits.max_bytes must be positive")
	}
	return p
}

// checkGlob accepts a relative, slash-separated pattern that stays inside ~/NAME.
func checkGlob(g string) error {
	if g == "" || strings.HasPrefix(g, "/") || strings.Contains(g, "\\") {
		return fmt.Errorf("files: %q must be a relative path or pattern inside the assignment's folder", g)
	}
	for _, part := range strings.Split(g, "/") {
		if part == ".." || part == "." || part == "" {
			return fmt.Errorf("files: %q may not contain empty, . or .. parts", g)
		}
	}
	if _, err := path.Match(g, ""); err != nil {
		return fmt.Errorf("files: %q is not a valid pattern: %v", g, err)
	}
	return nil
}

// Matches reports whether rel (slash-separated, relative to ~/NAME) is
// collected by one of the patterns.
func (c *Config) Matches(rel string) bool {
	for _, g := range c.Files {
		if ok, _ := path.Match(g, rel); ok {
			return true
		}
	}
	return false
}

func readSmall(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, max)
	}
	return os.ReadFile(name)
}

// listTree lists the regular files under root (slash-separated, sorted). A
// symlink or special file is an error: the folder is copied into homes and
// sandboxes, and must say exactly what it contains.
func listTree(root string) ([]string, error) {
	if _, err := os.Lstat(root); err != nil {
		return nil, err
	}
	var out []string
	var total int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file (symlinks and special files are refused)", p)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if total += fi.Size(); total > maxFolderBytes {
			return fmt.Errorf("%s holds more than %d bytes", root, maxFolderBytes)
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(out)
	return out, err
}

// digest hashes what students and the grader will see, so that re-adding
// an unchanged folder is recognised.
func (a *Assignment) digest() (string, error) {
	h := sha256.New()
	add := func(name string, b []byte) {
		fmt.Fprintf(h, "%d:%s\n%d:", len(name), name, len(b))
		h.Write(b)
	}
	add(ConfigFile, []byte(a.Raw))
	add("README.md", []byte(a.README))
	for _, sub := range []struct {
		dir   string
		files []string
	}{{"starter", a.Starter}, {"tests", a.Tests}} {
		for _, f := range sub.files {
			b, err := os.ReadFile(filepath.Join(a.Dir, sub.dir, filepath.FromSlash(f)))
			if err != nil {
				return "", err
			}
			add(sub.dir+"/"+f, b)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
