package course

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadValid(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hw1")
	writeFiles(t, dir, map[string]string{
		"assignment.toml":    "title = \"Fibonacci\"\ndue = 2026-03-02T23:59:00-05:00\nlate_until = 2026-03-04T23:59:00-05:00\nlate_penalty = 0.1\nfiles = [\"fib.py\", \"extra/*.py\"]\n[limits]\nseconds = 3\n",
		"README.md":          "# hw1\n",
		"starter/fib.py":     "def fib(n): ...\n",
		"tests/test_fib.py":  "def test_a(student): pass\n",
		"tests/conftest.py":  "",
		"tests/data/in.txt":  "1\n",
		"starter/extra/a.py": "",
	})
	a, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "hw1" || a.Config.Title != "Fibonacci" || a.Config.Limits.Seconds != 3 || a.Config.Limits.MemoryMB != DefaultMemoryMB {
		t.Errorf("loaded %+v", a.Config)
	}
	if got := strings.Join(a.Starter, ","); got != "extra/a.py,fib.py" {
		t.Errorf("starter = %s", got)
	}
	if !a.Config.Matches("fib.py") || !a.Config.Matches("extra/x.py") || a.Config.Matches("other.py") || a.Config.Matches("extra/sub/x.py") {
		t.Error("file patterns match the wrong files")
	}
	if len(a.Digest) != 64 {
		t.Errorf("digest %q", a.Digest)
	}
	b, _ := Load(dir)
	writeFiles(t, dir, map[string]string{"tests/test_fib.py": "def test_b(student): pass\n"})
	c, _ := Load(dir)
	if a.Digest != b.Digest || a.Digest == c.Digest {
		t.Error("the digest does not follow the tests' content")
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hw2")
	writeFiles(t, dir, map[string]string{
		"assignment.toml": "due = 2026-03-02T23:59:00Z\nlate_until = 2026-03-01T00:00:00Z\nlate_penalty = 2.0\nfiles = [\"../etc/passwd\", \"/abs\"]\ntypo = 1\n[limits]\nseconds = 9999\n",
		"tests/helper.py": "",
	})
	_, err := Load(dir)
	if err == nil {
		t.Fatal("Load accepted an invalid assignment")
	}
	for _, want := range []string{"title is missing", "late_until", "late_penalty is 2", `"../etc/passwd"`, `"/abs"`, `unknown setting "typo"`, "limits.seconds is 9999", "no test_*.py"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestLoadRefusesLinksAndBadNames(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "hw3")
	writeFiles(t, dir, map[string]string{
		"assignment.toml": "title = \"t\"\ndue = 2026-03-02T23:59:00Z\nfiles = [\"a.py\"]\n",
		"tests/test_a.py": "",
		"starter/a.py":    "",
	})
	if err := os.Symlink("/etc/shadow", filepath.Join(dir, "starter", "leak.py")); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Load with a symlink in starter/ = %v, want a refusal", err)
	}
	bad := filepath.Join(base, "Bad Name")
	writeFiles(t, bad, map[string]string{"assignment.toml": ""})
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "cannot name an assignment") {
		t.Errorf("Load(%q) = %v", bad, err)
	}
	if _, err := Load(filepath.Join(base, "missing")); err == nil {
		t.Error("Load of a missing folder succeeded")
	}
}
