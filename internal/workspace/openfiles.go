package workspace

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/workspace/buffer"
)

// CoursePrefix starts the paths of the course folder's files: "/course/lab1.py".
// A home path is relative and can never start with "/", so the two never
// meet; and inside the sandbox the course folder is mounted at /course, so
// Python finds a course file under the very same path.
const CoursePrefix = "/course"

// InCourse reports whether p names the course folder or something in it.
func InCourse(p string) bool { return p == CoursePrefix || strings.HasPrefix(p, CoursePrefix+"/") }

// ErrNoCourse means a course path was named but the course has no folder.
var ErrNoCourse = errors.New("there is no course folder")

// HasCourse reports whether the course has a folder to show.
func (w *Workspace) HasCourse() bool { return w.course != nil }

// homeFor returns the folder p lives in and p relative to it.
func (w *Workspace) homeFor(p string) (*files.Home, string, error) {
	if !InCourse(p) {
		return w.home, p, nil
	}
	if w.course == nil {
		return nil, "", ErrNoCourse
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p, CoursePrefix), "/")
	if rel == "" {
		rel = "."
	}
	return w.course, rel, nil
}

// List lists a folder of the home, or of the course folder under CoursePrefix
// (the file list shows both).
func (w *Workspace) List(p string) ([]files.Entry, error) {
	h, rel, err := w.homeFor(p)
	if err != nil {
		return nil, err
	}
	return h.List(rel)
}

// Watch reports changes in the home folders rels (course paths are left out:
// the course changes rarely, and a refresh lists it again).
func (w *Workspace) Watch(ctx context.Context, rels []string) (<-chan struct{}, error) {
	return w.home.Watch(ctx, slices.DeleteFunc(slices.Clone(rels), InCourse))
}

// Place is where a view was when it left: the file of its current tab and
// the pane that had the keys. Cursors are kept by the buffers themselves.
type Place struct {
	File   string
	Pane   string
	Cursor buffer.CursorID // the view's cursor in File's buffer (0: none)
}

// SetPlace records where a view is, for the next view to attach (a
// reconnection lands where the student was).
func (w *Workspace) SetPlace(p Place) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.place = p
}

// LastPlace is the place SetPlace last recorded.
func (w *Workspace) LastPlace() Place {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.place
}

// Changes returns a channel that receives a signal when the open files change
// (one opened, closed, renamed or deleted by any view), so that every view
// shows the same tabs; stop ends the subscription. A signal is never blocked
// on a slow view: it coalesces.
func (w *Workspace) Changes() (ch <-chan struct{}, stop func()) {
	c := make(chan struct{}, 1)
	w.mu.Lock()
	w.subs[c] = struct{}{}
	w.mu.Unlock()
	return c, func() {
		w.mu.Lock()
		delete(w.subs, c)
		w.mu.Unlock()
	}
}

func (w *Workspace) notifyLocked() {
	for c := range w.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// under reports whether p is dir or inside it.
func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// Rename renames or moves the file or folder from to the path to (a new name
// in the same folder renames; another folder moves, then renames if the name
// changes too). Open files under it follow it. Files with unsaved changes
// under it must be saved first: the journal knows them by their path. It
// returns where the file is now, which is not to when the move worked but
// the rename failed.
func (w *Workspace) Rename(from, to string) (string, error) {
	if InCourse(from) || InCourse(to) {
		return from, errCourseReadOnly
	}
	for _, f := range w.Files() {
		if under(f.Path(), from) && f.Buf.Modified() {
			return from, &UnsavedError{Path: f.Path()}
		}
	}
	cur := from
	if path.Dir(to) != path.Dir(from) {
		if err := w.home.Move(from, path.Dir(to)); err != nil {
			return from, err
		}
		cur = path.Join(path.Dir(to), path.Base(from))
		w.follow(from, cur)
	}
	if path.Base(to) != path.Base(cur) {
		if err := w.home.Rename(cur, path.Base(to)); err != nil {
			return cur, err
		}
		w.follow(cur, to)
		cur = to
	}
	return cur, nil
}

// follow gives the open files under from their paths under to.
func (w *Workspace) follow(from, to string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range w.files {
		if p := f.Path(); under(p, from) {
			np := to + strings.TrimPrefix(p, from)
			f.path.Store(&np)
		}
	}
	w.notifyLocked()
}

// Delete deletes a file or folder; the open files under it are closed, their
// unsaved changes discarded (the caller asked first).
func (w *Workspace) Delete(rel string) error {
	if InCourse(rel) {
		return errCourseReadOnly
	}
	if err := w.home.Delete(rel); err != nil {
		return err
	}
	for _, f := range w.Files() {
		if under(f.Path(), rel) {
			w.CloseFile(f)
		}
	}
	return nil
}

// errCourseReadOnly refuses to change the course folder, whose files are the
// professor's.
var errCourseReadOnly error = courseReadOnly{}

type courseReadOnly struct{}

func (courseReadOnly) Error() string {
	return "the course folder is read-only; duplicate a file of it to get your own copy in your home folder"
}

func (courseReadOnly) Is(target error) bool { return target == files.ErrReadOnly }

// Duplicate copies a file or folder beside itself and returns the copy's
// path; a file of the course folder is copied into the home instead, so a
// student can start from the professor's material.
func (w *Workspace) Duplicate(p string) (string, error) {
	if !InCourse(p) {
		return w.home.Duplicate(p)
	}
	h, rel, err := w.homeFor(p)
	if err != nil {
		return "", err
	}
	data, err := h.ReadFile(rel)
	if err != nil {
		return "", err
	}
	ext := path.Ext(rel)
	stem := strings.TrimSuffix(path.Base(rel), ext)
	for n := 1; n <= 100; n++ {
		name := stem + ext
		if n > 1 {
			name = fmt.Sprintf("%s-%d%s", stem, n, ext)
		}
		err := w.home.NewFile(name)
		if errors.Is(err, files.ErrExists) {
			continue
		}
		if err != nil {
			return "", err
		}
		if err := w.home.WriteFile(name, data); err != nil {
			return "", err
		}
		return name, nil
	}
	return "", fmt.Errorf("%w: your home folder already has 100 copies of %s; rename some", files.ErrExists, path.Base(rel))
}

// UnsavedError refuses to rename or move a file with unsaved changes.
type UnsavedError struct{ Path string }

func (e *UnsavedError) Error() string {
	return e.Path + " has unsaved changes: save it (ctrl+s) or close it first"
}
