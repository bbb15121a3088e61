package course

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadAssignment feeds arbitrary assignment.toml files to Load, as a
// professor's typo (or a hostile file) could be: no panic; either an error
// or an assignment whose settings pass validation, whose file globs can be
// matched, and which loads again to the same digest (#16 case 6).
func FuzzLoadAssignment(f *testing.F) {
	for _, seed := range []string{
		"title = \"Lab 1\"\ndue = 2026-03-02T09:30:00Z\nfiles = [\"*.py\"]\n",
		"title = \"Lab 2\"\ndue = 2026-03-02T09:30:00Z\nlate_until = 2026-03-05T09:30:00Z\nlate_penalty = 0.1\nfiles = [\"src/**/*.py\", \"README.md\"]\nmax_checks_per_hour = 5\n[limits]\nseconds = 10\nmemory_mb = 256\nmax_files = 50\nmax_bytes = 1000000\n",
		"title = \"\\u001b]0;pwned\\u0007\"\ndue = 2026-03-02T09:30:00Z\nfiles = [\"../../etc/passwd\"]\n",
		"files = [\"[\"]\n",
		"titel = \"typo\"\n",
		"late_penalty = -1e400\n",
		"due = 1979-05-27\n",
		"[limits]\nseconds = 9223372036854775807\n",
		"= broken",
	} {
		f.Add(seed)
	}
	dir := filepath.Join(f.TempDir(), "lab1")
	if err := os.MkdirAll(filepath.Join(dir, "tests"), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tests", "test_lab.py"), []byte("def test_x(student):\n    assert True\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, toml string) {
		if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := Load(dir)
		if err != nil {
			if a != nil {
				t.Fatalf("Load returned an assignment with an error: %v", err)
			}
			return
		}
		if problems := a.Config.validate(); len(problems) > 0 {
			t.Fatalf("Load accepted settings that do not validate: %s", strings.Join(problems, "; "))
		}
		for _, rel := range []string{"main.py", "src/a/b.py", "../x.py", "", "README.md"} {
			_ = a.Config.Matches(rel)
		}
		again, err := Load(dir)
		if err != nil {
			t.Fatalf("a second Load of the same folder: %v", err)
		}
		if again.Digest != a.Digest {
			t.Fatalf("a second Load of the same folder: digest %q, first %q", again.Digest, a.Digest)
		}
	})
}
