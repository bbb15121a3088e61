package course

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// snapshotFile is one collected file.
type snapshotFile struct {
	rel  string // relative to ~/NAME
	data []byte
}

// gather reads the files of ~/NAME that cfg collects, through os.Root (no
// link or .. leaves the home; links and special files are skipped), within
// the size and count limits.
func (s *Service) gather(username string, a *Assignment) ([]snapshotFile, error) {
	home := filepath.Join(s.HomesDir, username)
	root, err := os.OpenRoot(home)
	if err != nil {
		return nil, fmt.Errorf("open the home of %s: %w", username, err)
	}
	defer root.Close()
	sub, err := root.OpenRoot(a.Name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // nothing to collect: an empty snapshot
	}
	if err != nil {
		return nil, fmt.Errorf("open ~/%s of %s: %w", a.Name, username, err)
	}
	defer sub.Close()
	lim := a.Config.Limits
	var out []snapshotFile
	var total int64
	err = fs.WalkDir(sub.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "__pycache__" || p != "." && d.Name()[0] == '.' {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !a.Config.Matches(p) {
			return nil
		}
		if len(out) >= lim.MaxFiles {
			return fmt.Errorf("%w: more than %d files match %q in ~/%s", ErrTooLarge, lim.MaxFiles, a.Config.Files, a.Name)
		}
		f, err := sub.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, int64(lim.MaxBytes)-total+1))
		if err != nil {
			return err
		}
		if total += int64(len(b)); total > int64(lim.MaxBytes) {
			return fmt.Errorf("%w: the files of ~/%s take more than %d bytes", ErrTooLarge, a.Name, lim.MaxBytes)
		}
		out = append(out, snapshotFile{rel: p, data: b})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out, nil
}

// ErrTooLarge is wrapped when a submission is over its size or file-count limit.
var ErrTooLarge = errors.New("submission too large")

// receipt is the SHA-256 over the files' names and contents, in order.
func receipt(fs []snapshotFile) string {
	h := sha256.New()
	for _, f := range fs {
		fmt.Fprintf(h, "%d:%s\n%d:", len(f.rel), f.rel, len(f.data))
		h.Write(f.data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// snapshot gathers and stores username's files as a submission.
func (s *Service) snapshot(ctx context.Context, a *Assignment, username string, at time.Time, automatic, late bool) (store.Submission, error) {
	files, err := s.gather(username, a)
	if err != nil {
		return store.Submission{}, err
	}
	dir, err := s.privateDir("submissions", a.Name, username)
	if err != nil {
		return store.Submission{}, err
	}
	name := at.Format("20060102T150405.000000Z") + "-" + randomName()
	tmp := filepath.Join(dir, "."+name)
	if err := writeTree(tmp, files, 0o444); err != nil {
		os.RemoveAll(tmp)
		return store.Submission{}, err
	}
	final := filepath.Join(dir, name)
	if err := os.Rename(tmp, final); err != nil {
		return store.Submission{}, err
	}
	var bytes int64
	for _, f := range files {
		bytes += int64(len(f.data))
	}
	rel, _ := filepath.Rel(s.DataDir, final)
	sub := store.Submission{Assignment: a.Name, Username: username, SubmittedAt: at, SHA256: receipt(files),
		Files: len(files), Bytes: bytes, Automatic: automatic, Late: late, Path: filepath.ToSlash(rel)}
	if err := s.Store.AddSubmission(ctx, &sub); err != nil {
		os.RemoveAll(final)
		return store.Submission{}, err
	}
	return sub, nil
}

// writeTree writes files under dir (created), read-only, folders 0555 once filled.
func writeTree(dir string, files []snapshotFile, perm fs.FileMode) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var dirs []string
	for _, f := range files {
		dst := filepath.Join(dir, filepath.FromSlash(f.rel))
		if d := filepath.Dir(dst); d != dir {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			dirs = append(dirs, d)
		}
		if err := os.WriteFile(dst, f.data, perm); err != nil {
			return err
		}
	}
	if perm&0o200 == 0 {
		sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
		for _, d := range append(dirs, dir) {
			if err := os.Chmod(d, 0o555); err != nil {
				return err
			}
		}
	}
	return nil
}

// readSnapshot reads a stored submission's files back.
func (s *Service) readSnapshot(sub store.Submission) ([]snapshotFile, error) {
	dir := filepath.Join(s.DataDir, filepath.FromSlash(sub.Path))
	var out []snapshotFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, snapshotFile{rel: filepath.ToSlash(rel), data: b})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	if err == nil && receipt(out) != sub.SHA256 {
		err = fmt.Errorf("submission %d of %s: its files no longer match their receipt", sub.ID, sub.Username)
	}
	return out, err
}

// Submit snapshots username's files for assignment name now and returns the
// submission (its SHA256 is the receipt). After the student's deadline it is
// marked late until late_until, and refused after that.
func (s *Service) Submit(ctx context.Context, by Actor, name, username string) (store.Submission, error) {
	sa, err := s.Store.AssignmentByName(ctx, name)
	if err != nil {
		return store.Submission{}, fmt.Errorf("there is no assignment %q", name)
	}
	if sa.ReleasedAt.IsZero() {
		return store.Submission{}, fmt.Errorf("%s is not released yet: %w", name, ErrNotReleased)
	}
	d, err := s.StudentDeadline(ctx, name, username)
	if err != nil {
		return store.Submission{}, err
	}
	now := s.now()
	late := now.After(d.Due)
	if late && (d.LateUntil.IsZero() || now.After(d.LateUntil)) {
		closed := d.Due
		if !d.LateUntil.IsZero() {
			closed = d.LateUntil
		}
		err := fmt.Errorf("%s closed at %s: submissions are no longer accepted (your files as they were at your deadline were collected): %w",
			name, closed.Format("Mon 2 Jan 2006 15:04 MST"), ErrClosed)
		s.audit(ctx, by, "assignment.submit", username, "denied", name+": closed")
		return store.Submission{}, err
	}
	a, err := s.loaded(name)
	if err != nil {
		return store.Submission{}, err
	}
	sub, err := s.snapshot(ctx, a, username, now, false, late)
	if err != nil {
		s.audit(ctx, by, "assignment.submit", username, "error", name+": "+err.Error())
		return store.Submission{}, err
	}
	s.audit(ctx, by, "assignment.submit", username, "ok", fmt.Sprintf("%s: %d files, %d bytes, sha256 %s, late %v", name, sub.Files, sub.Bytes, sub.SHA256, late))
	return sub, nil
}

// Submissions lists username's submissions of every assignment, oldest first.
func (s *Service) Submissions(ctx context.Context, username string) ([]store.Submission, error) {
	as, err := s.Store.ListAssignments(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.Submission
	for _, a := range as {
		subs, err := s.Store.ListSubmissions(ctx, a.Name, username)
		if err != nil {
			return nil, err
		}
		out = append(out, subs...)
	}
	return out, nil
}

// CollectDue snapshots, for every released assignment, each student whose
// own deadline has passed and who never submitted: nobody loses work for
// forgetting. It returns the submissions it made. The daemon calls it
// periodically; grading calls it too.
func (s *Service) CollectDue(ctx context.Context, only string) ([]store.Submission, error) {
	as, err := s.Store.ListAssignments(ctx)
	if err != nil {
		return nil, err
	}
	students, err := s.students(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var made []store.Submission
	var errs []error
	for _, sa := range as {
		if sa.ReleasedAt.IsZero() || only != "" && sa.Name != only {
			continue
		}
		m, err := s.deadlines(ctx, sa)
		if err != nil {
			return made, err
		}
		subs, err := s.Store.ListSubmissions(ctx, sa.Name, "")
		if err != nil {
			return made, err
		}
		has := map[string]bool{}
		for _, sub := range subs {
			has[sub.Username] = true
		}
		var a *Assignment
		for _, u := range students {
			if has[u.Username] || !now.After(deadlineOf(sa, m, u.Username).Due) {
				continue
			}
			if a == nil {
				if a, err = s.loaded(sa.Name); err != nil {
					return made, err
				}
			}
			sub, err := s.snapshot(ctx, a, u.Username, now, true, false)
			if err != nil {
				errs = append(errs, fmt.Errorf("collect %s of %s: %w", sa.Name, u.Username, err))
				s.audit(ctx, Actor{Name: "classroomd"}, "assignment.collect", u.Username, "error", sa.Name+": "+err.Error())
				continue
			}
			s.audit(ctx, Actor{Name: "classroomd"}, "assignment.collect", u.Username, "ok", fmt.Sprintf("%s: at the deadline, %d files, sha256 %s", sa.Name, sub.Files, sub.SHA256))
			made = append(made, sub)
		}
	}
	return made, errors.Join(errs...)
}
