package python

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// systemPython is the interpreter sandboxes run (internal/sandbox.DefaultPython).
const systemPython = "/usr/bin/python3"

// needPytest skips without the system pytest, except under CI=true, where
// .ci/run installs python3-pytest and its absence is a failure.
func needPytest(t *testing.T) {
	t.Helper()
	if err := exec.Command(systemPython, "-c", "import pytest").Run(); err != nil {
		msg := "the system python has no pytest (apt-get install python3-pytest): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// TestHarnessPytest runs python/tests with the system pytest: the harness
// against correct, wrong, looping, crashing and forging submissions.
func TestHarnessPytest(t *testing.T) {
	needPytest(t)
	cmd := exec.Command(systemPython, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pytest python/tests: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "passed") {
		t.Fatalf("pytest ran no test:\n%s", out)
	}
}

// TestWriteHarness checks that the embedded copy is complete and read-only.
func TestWriteHarness(t *testing.T) {
	dir := t.TempDir()
	if err := WriteHarness(dir); err != nil {
		t.Fatal(err)
	}
	if err := WriteHarness(dir); err != nil { // again, over read-only files
		t.Fatalf("second WriteHarness: %v", err)
	}
	for _, f := range []string{"__init__.py", "plugin.py", "broker.py", "run.py", "worker.py"} {
		fi, err := os.Stat(filepath.Join(dir, Package, f))
		if err != nil {
			t.Errorf("embedded harness lacks %s: %v", f, err)
			continue
		}
		if fi.Mode().Perm() != 0o444 {
			t.Errorf("%s has mode %v, want read-only 0444", f, fi.Mode().Perm())
		}
	}
}

// TestFiguresBackendEmbedded checks that the embedded backend is the module
// python/tests/test_figures.py runs (pytest runs it in TestHarnessPytest).
func TestFiguresBackendEmbedded(t *testing.T) {
	b, err := os.ReadFile(FiguresModule + ".py")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != FiguresBackend || !strings.Contains(FiguresBackend, "7708;figure=") {
		t.Fatal("the embedded backend is not classroomd_figures.py, or has no marker")
	}
}
