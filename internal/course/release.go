package course

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/store"
)

// Released is what a release did for one student.
type Released struct {
	Username string
	Copied   []string // relative to the home: hw1/fib.py
	Kept     []string // already there: the student's file was left as it is
	Err      error
}

// Release copies the starter code into ~/NAME/ of every enabled student and
// marks the assignment released (students added later get it through
// ReleaseTo at their next login). A file the student already has is never
// overwritten: it is listed in Kept.
func (s *Service) Release(ctx context.Context, by Actor, name string) ([]Released, error) {
	a, err := s.loaded(name)
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.MarkAssignmentReleased(ctx, name, s.now()); err != nil {
		return nil, err
	}
	students, err := s.students(ctx)
	if err != nil {
		return nil, err
	}
	var out []Released
	copied, kept, failed := 0, 0, 0
	for _, u := range students {
		r := s.releaseTo(ctx, a, u)
		copied += len(r.Copied)
		kept += len(r.Kept)
		if r.Err != nil {
			failed++
		}
		out = append(out, r)
	}
	s.audit(ctx, by, "assignment.release", name, "ok", fmt.Sprintf("%d students, %d files copied, %d kept, %d failed", len(students), copied, kept, failed))
	return out, nil
}

// ReleaseTo gives username the starter code of every released assignment
// they have not had yet (a student added after a release, at their login).
func (s *Service) ReleaseTo(ctx context.Context, username string) ([]Released, error) {
	u, err := s.Store.UserByName(ctx, username)
	if err != nil {
		return nil, err
	}
	if u.Role != store.RoleStudent {
		return nil, nil
	}
	as, err := s.Store.ListAssignments(ctx)
	if err != nil {
		return nil, err
	}
	var out []Released
	for _, sa := range as {
		if sa.ReleasedAt.IsZero() {
			continue
		}
		got, err := s.Store.ReleasedTo(ctx, sa.Name)
		if err != nil {
			return out, err
		}
		if contains(got, username) {
			continue
		}
		a, err := s.loaded(sa.Name)
		if err != nil {
			return out, err
		}
		r := s.releaseTo(ctx, a, u)
		s.audit(ctx, Actor{Name: "classroomd"}, "assignment.release", username, outcome(r.Err), fmt.Sprintf("%s: at login, %d files copied, %d kept", sa.Name, len(r.Copied), len(r.Kept)))
		out = append(out, r)
	}
	return out, nil
}

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (s *Service) releaseTo(ctx context.Context, a *Assignment, u store.User) Released {
	r := Released{Username: u.Username}
	owner := s.owner(u)
	home, err := files.EnsureHome(s.HomesDir, u.Username, owner)
	if err != nil {
		r.Err = err
		return r
	}
	root, err := os.OpenRoot(home)
	if err != nil {
		r.Err = err
		return r
	}
	defer root.Close()
	chown := func(name string) error {
		if owner.UID > 0 && os.Geteuid() == 0 {
			return root.Lchown(name, owner.UID, owner.GID)
		}
		return nil
	}
	mkdir := func(dir string) error {
		// One level at a time, so that each new folder is the student's.
		cur := ""
		for _, part := range splitPath(dir) {
			cur = path.Join(cur, part)
			err := root.Mkdir(cur, 0o755)
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			if err != nil {
				return err
			}
			if err := chown(cur); err != nil {
				return err
			}
		}
		return nil
	}
	if err := mkdir(a.Name); err != nil {
		r.Err = fmt.Errorf("make ~/%s for %s: %w", a.Name, u.Username, err)
		return r
	}
	for _, f := range a.Starter {
		rel := path.Join(a.Name, f)
		if err := mkdir(path.Dir(rel)); err != nil {
			r.Err = fmt.Errorf("release %s to %s: %w", rel, u.Username, err)
			return r
		}
		b, err := os.ReadFile(filepath.Join(a.Dir, "starter", filepath.FromSlash(f)))
		if err != nil {
			r.Err = err
			return r
		}
		// O_EXCL: never replace what the student has (nor follow a link they made).
		fh, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			r.Kept = append(r.Kept, rel)
			continue
		}
		if err != nil {
			r.Err = fmt.Errorf("release %s to %s: %w", rel, u.Username, err)
			return r
		}
		_, werr := fh.Write(b)
		if cerr := fh.Close(); werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = chown(rel)
		}
		if werr != nil {
			r.Err = fmt.Errorf("release %s to %s: %w", rel, u.Username, werr)
			return r
		}
		r.Copied = append(r.Copied, rel)
	}
	if _, err := s.Store.RecordRelease(ctx, a.Name, u.Username, s.now()); err != nil {
		r.Err = err
	}
	return r
}

func splitPath(p string) []string {
	var parts []string
	for p != "." && p != "" && p != "/" {
		parts = append([]string{path.Base(p)}, parts...)
		p = path.Dir(p)
	}
	return parts
}
