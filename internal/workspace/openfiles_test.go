package workspace

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/files"
)

// newTestWorkspace opens a workspace on a fresh home (with lab/a.py and
// notes.txt) and, when course is set, a course folder holding lab1.py.
func newTestWorkspace(t *testing.T, course bool) *Workspace {
	t.Helper()
	dir := t.TempDir()
	homeDir := filepath.Join(dir, "home")
	for name, text := range map[string]string{"lab/a.py": "a = 1\n", "notes.txt": "notes\n"} {
		p := filepath.Join(homeDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	home, err := files.OpenHome(homeDir)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Username: "ann", Home: home, JournalDir: filepath.Join(dir, "journal"), JournalEvery: time.Hour}
	if course {
		cdir := filepath.Join(dir, "course")
		if err := os.MkdirAll(cdir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cdir, "lab1.py"), []byte("print('course')\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if o.Course, err = files.OpenReadOnly(cdir); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// signalled reports whether ch holds a signal, and drains it.
func signalled(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestOtherViewsAreToldOfOpenFileChanges(t *testing.T) {
	ws := newTestWorkspace(t, false)
	ch, stop := ws.Changes()
	defer stop()

	f, err := ws.Open("lab/a.py")
	if err != nil {
		t.Fatal(err)
	}
	if !signalled(ch) {
		t.Error("opening a file sent no signal")
	}
	if _, err := ws.Open("lab/a.py"); err != nil || signalled(ch) {
		t.Errorf("opening an open file again: err %v, or a signal for no change", err)
	}

	if got, err := ws.Rename("lab", "work"); err != nil || got != "work" {
		t.Fatalf("rename the folder: %q, %v", got, err)
	}
	if f.Path() != "work/a.py" || !signalled(ch) {
		t.Errorf("after the folder's rename the open file is %q (signalled: false?)", f.Path())
	}
	if got, err := ws.Rename("work/a.py", "b.py"); err != nil || got != "b.py" || f.Path() != "b.py" {
		t.Errorf("move and rename: %q, %v; the open file is %q", got, err, f.Path())
	}
	if data, err := ws.Home().ReadFile("b.py"); err != nil || string(data) != "a = 1\n" {
		t.Errorf("b.py on disk: %q, %v", data, err)
	}
	signalled(ch)

	// Unsaved changes are refused: the journal knows them by their path.
	f.Buf.InsertText(f.Buf.AddCursor(), "# edit\n")
	var unsaved *UnsavedError
	if _, err := ws.Rename("b.py", "c.py"); !errors.As(err, &unsaved) || f.Path() != "b.py" {
		t.Errorf("renaming an unsaved file: %v; the open file is %q", err, f.Path())
	}

	if err := ws.Delete("b.py"); err != nil {
		t.Fatal(err)
	}
	if len(ws.Files()) != 0 || !signalled(ch) {
		t.Errorf("after deleting it the file is still open (%d open) or no signal", len(ws.Files()))
	}

	stop()
	if _, err := ws.Open("notes.txt"); err != nil {
		t.Fatal(err)
	}
	if signalled(ch) {
		t.Error("a signal after stop")
	}
}

func TestCourseFolderIsReadOnlyAndCopiesIntoTheHome(t *testing.T) {
	ws := newTestWorkspace(t, true)
	if !ws.HasCourse() {
		t.Fatal("HasCourse is false with a course folder")
	}
	es, err := ws.List(CoursePrefix)
	if err != nil || len(es) != 1 || es[0].Name != "lab1.py" {
		t.Fatalf("course listing: %+v, %v", es, err)
	}
	f, err := ws.Open(CoursePrefix + "/lab1.py")
	if err != nil {
		t.Fatal(err)
	}
	if !f.ReadOnly || f.Buf.Text() != "print('course')\n" {
		t.Errorf("course file: read-only %v, text %q", f.ReadOnly, f.Buf.Text())
	}
	if err := ws.Save(f); err == nil {
		t.Error("a course file was saved")
	}
	for name, err := range map[string]error{
		"delete":  ws.Delete(CoursePrefix + "/lab1.py"),
		"rename":  func() error { _, err := ws.Rename(CoursePrefix+"/lab1.py", "x.py"); return err }(),
		"move in": func() error { _, err := ws.Rename("notes.txt", CoursePrefix+"/notes.txt"); return err }(),
	} {
		if !errors.Is(err, files.ErrReadOnly) {
			t.Errorf("%s in the course folder: %v, want read-only", name, err)
		}
	}

	for _, want := range []string{"lab1.py", "lab1-2.py"} {
		got, err := ws.Duplicate(CoursePrefix + "/lab1.py")
		if err != nil || got != want {
			t.Errorf("duplicate from the course: %q, %v; want %q", got, err, want)
		}
	}
	if data, err := ws.Home().ReadFile("lab1-2.py"); err != nil || string(data) != "print('course')\n" {
		t.Errorf("the copy holds %q, %v", data, err)
	}
	// Home paths are never course paths, even a folder named "course".
	if InCourse("course/x.py") || !InCourse("/course/x.py") || InCourse("/coursework") {
		t.Error("InCourse mixes home and course paths")
	}
}

func TestNoCourseFolder(t *testing.T) {
	ws := newTestWorkspace(t, false)
	if ws.HasCourse() {
		t.Error("HasCourse without a course folder")
	}
	if _, err := ws.Open(CoursePrefix + "/lab1.py"); !errors.Is(err, ErrNoCourse) {
		t.Errorf("opening a course file without a course: %v", err)
	}
}

func TestPlaceIsKept(t *testing.T) {
	ws := newTestWorkspace(t, false)
	ws.SetPlace(Place{File: "notes.txt", Pane: "editor"})
	if got := ws.LastPlace(); got != (Place{File: "notes.txt", Pane: "editor"}) {
		t.Errorf("LastPlace = %+v", got)
	}
}
