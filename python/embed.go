// Package python embeds the Python that runs inside sandboxes: the
// matplotlib backend (classroomd_figures.py) and the grading
// harness (classroomd_harness: the pytest plugin with the `student` fixture
// and the `visible` / `points(n)` markers, the runner, and the worker that
// runs a student's code in a process of its own). Its own tests live in
// python/tests and run with Debian's python3-pytest (see harness_test.go).
package python

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed classroomd_harness/*.py
var harness embed.FS

// FiguresBackend is the source of classroomd_figures, the matplotlib backend
// the REPL's Python uses (MPLBACKEND=module://classroomd_figures): plt.show()
// saves the figure in ~/figures and tells the server with a private OSC
// marker (see the module's docstring). The REPL hands it to Python as part
// of its start-up code, so nothing in the home can replace it.
//
//go:embed classroomd_figures.py
var FiguresBackend string

// FiguresModule is the backend's module name.
const FiguresModule = "classroomd_figures"

// Harness returns the package's files (classroomd_harness/*.py).
func Harness() fs.FS { return harness }

// Package is the import name of the harness.
const Package = "classroomd_harness"

// WriteHarness writes the harness under dir (dir/classroomd_harness/*.py),
// files 0444 and folders 0555, for a sandbox to mount read-only with dir on
// its PYTHONPATH. dir is created if missing.
func WriteHarness(dir string) error {
	return fs.WalkDir(harness, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := fs.ReadFile(harness, p)
		if err != nil {
			return err
		}
		tmp := dst + ".tmp"
		os.Remove(tmp)
		if err := os.WriteFile(tmp, b, 0o444); err != nil {
			return fmt.Errorf("write the grading harness: %w", err)
		}
		return os.Rename(tmp, dst)
	})
}
