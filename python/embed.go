// Package python embeds the Python that runs inside sandboxes: the grading
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
