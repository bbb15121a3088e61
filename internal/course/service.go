package course

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/store"
)

// Runner starts a program in a fresh sandbox for a student. It is the
// narrow view course has of internal/sandbox: cmd/classroomd implements it
// with sandbox.Start (the student's uid, namespaces, cgroup, rlimits).
type Runner interface {
	Start(ctx context.Context, spec RunSpec) (Proc, error)
}

// RunSpec is what Runner.Start needs. Paths are host paths; inside the
// sandbox Home is /home/Username (the working directory) and CourseDir is
// /course, read-only.
type RunSpec struct {
	Username    string
	Owner       files.Owner
	Home        string
	CourseDir   string
	Command     []string
	Env         []string
	MemoryBytes int64
	Stdin       io.Reader
	Stdout      io.Writer
	Stderr      io.Writer
}

// Proc is a started sandbox.
type Proc interface {
	Wait() (int, error)
	Kill() error
	Close() error
}

// Actor is who does something, for the audit log.
type Actor struct {
	Name   string // username, or "cli:<os user>"
	Remote string // remote address, or "local"
}

// Service runs the course's assignments. Build it in cmd/classroomd.
type Service struct {
	Store   store.Store
	DataDir string // assignments/, submissions/, grading/ and harness/ live here, never in a home
	// HomesDir holds every student's home (DATA_DIR/homes).
	HomesDir string
	// Owner returns a user's host uid/gid (files.NoOwner without root).
	Owner  func(store.User) files.Owner
	Runner Runner
	Python string // the interpreter inside sandboxes (/usr/bin/python3)
	Now    func() time.Time

	live liveChecks // the latest checks, for the class grid (live.go)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (s *Service) python() string {
	if s.Python == "" {
		return "/usr/bin/python3"
	}
	return s.Python
}

func (s *Service) audit(ctx context.Context, by Actor, action, target, outcome, detail string) {
	remote := by.Remote
	if remote == "" {
		remote = "local"
	}
	// The entry must outlive a caller that hung up right after acting.
	ctx = context.WithoutCancel(ctx)
	s.Store.AppendAudit(ctx, store.AuditEntry{At: s.now(), Actor: by.Name, Action: action, Target: target, Remote: remote, Outcome: outcome, Detail: detail})
}

// Daemon-only folders under the data dir: 0700, owned by the daemon, never
// mounted into a student's sandbox.
func (s *Service) privateDir(parts ...string) (string, error) {
	dir := filepath.Join(append([]string{s.DataDir}, parts...)...)
	top := filepath.Join(s.DataDir, parts[0])
	if err := os.MkdirAll(top, 0o700); err != nil {
		return "", err
	}
	if err := os.Chmod(top, 0o700); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

func randomName() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ErrClosed is wrapped by Submit's error after a student's deadline (and late_until).
var ErrClosed = errors.New("closed")

// ErrNotReleased means the assignment was not released yet.
var ErrNotReleased = errors.New("not released")

// Deadline is a student's own deadline for an assignment: an extension's
// date if they have one, else the due date plus their standing extra days.
// Late submissions are accepted until LateUntil (zero: none), shifted by the same amount.
type Deadline struct {
	Due       time.Time
	LateUntil time.Time
	Extended  bool // by an extension for this assignment
	ExtraDays int  // standing accommodation
}

// deadlines computes every student's deadline for a.
func (s *Service) deadlines(ctx context.Context, a store.Assignment) (map[string]Deadline, error) {
	exts, err := s.Store.ListExtensions(ctx, a.Name)
	if err != nil {
		return nil, err
	}
	accs, err := s.Store.ListAccommodations(ctx)
	if err != nil {
		return nil, err
	}
	m := map[string]Deadline{}
	for _, ac := range accs {
		m[ac.Username] = Deadline{ExtraDays: ac.ExtraDays, Due: a.Due.Add(time.Duration(ac.ExtraDays) * 24 * time.Hour)}
	}
	for _, e := range exts {
		d := m[e.Username]
		d.Due, d.Extended = e.Until, true
		m[e.Username] = d
	}
	for u, d := range m {
		if !a.LateUntil.IsZero() {
			d.LateUntil = a.LateUntil.Add(d.Due.Sub(a.Due))
		}
		m[u] = d
	}
	return m, nil
}

func deadlineOf(a store.Assignment, m map[string]Deadline, username string) Deadline {
	if d, ok := m[username]; ok {
		return d
	}
	return Deadline{Due: a.Due, LateUntil: a.LateUntil}
}

// StudentDeadline returns username's own deadline for assignment name.
func (s *Service) StudentDeadline(ctx context.Context, name, username string) (Deadline, error) {
	a, err := s.Store.AssignmentByName(ctx, name)
	if err != nil {
		return Deadline{}, err
	}
	m, err := s.deadlines(ctx, a)
	if err != nil {
		return Deadline{}, err
	}
	return deadlineOf(a, m, username), nil
}

// students returns the enabled students, by username.
func (s *Service) students(ctx context.Context) ([]store.User, error) {
	us, err := s.Store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.User
	for _, u := range us {
		if u.Role == store.RoleStudent && !u.Disabled {
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *Service) owner(u store.User) files.Owner {
	if s.Owner == nil {
		return files.NoOwner
	}
	return s.Owner(u)
}
