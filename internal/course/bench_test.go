package course_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/course"
)

// sixTests is a 6-test assignment: four calls into the student's process
// (student.function) and two runs of the program (student.run), the two
// kinds of work a grading does.
const sixTests = `import pytest


@pytest.mark.visible
@pytest.mark.points(2)
def test_small(student):
    assert student.function("fib.py", "fib")(10) == 55


@pytest.mark.points(2)
def test_large(student):
    assert student.function("fib.py", "fib")(30) == 832040


def test_zero(student):
    assert student.function("fib.py", "fib")(0) == 0


def test_one(student):
    assert student.function("fib.py", "fib")(1) == 1


@pytest.mark.visible
def test_program(student):
    r = student.run("fib.py", stdin="7\n", timeout=5)
    assert r.stdout.strip().endswith("13")


def test_program_zero(student):
    r = student.run("fib.py", stdin="0\n", timeout=5)
    assert r.stdout.strip().endswith("0")
`

// BenchmarkGrade200 grades 200 submissions of a 6-test assignment in real
// sandboxes, as many at once as there are cores (GradeOptions' default).
// Run it with -benchtime=1x: one op is the whole class.
//
//	go test ./internal/course -run '^$' -bench Grade200 -benchtime=1x
func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkGrade200(b *testing.B) {
	needSandbox(b)
	const n = 200
	students := make([]string, n)
	for i := range students {
		students[i] = fmt.Sprintf("s%03d", i)
	}
	f := newFixture(b, students...)
	ctx := b.Context()
	dir := filepath.Join(b.TempDir(), "hw1")
	copyDir(b, filepath.Join(repo, "hw1"), dir)
	must(b, os.WriteFile(filepath.Join(dir, "assignment.toml"), []byte(hwToml), 0o644))
	must(b, os.WriteFile(filepath.Join(dir, "tests", "test_fib.py"), []byte(sixTests), 0o644))
	res, err := f.svc.Add(ctx, by, dir)
	if err != nil || len(res.Tests) != 6 {
		b.Fatalf("Add = %+v, %v; want 6 tests", res, err)
	}
	if _, err := f.svc.Release(ctx, by, "hw1"); err != nil {
		b.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(repo, "subs", "good", "fib.py"))
	must(b, err)
	for _, u := range students {
		must(b, os.WriteFile(filepath.Join(f.svc.HomesDir, u, "hw1", "fib.py"), good, 0o644))
		if _, err := f.svc.Submit(ctx, course.Actor{Name: u}, "hw1", u); err != nil {
			b.Fatal(err)
		}
	}
	f.clock.Set(due.Add(time.Minute))
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		rows, err := f.svc.Grade(ctx, by, "hw1", course.GradeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		for _, r := range rows {
			if r.Status != course.StatusGraded || r.Score != r.MaxScore || r.MaxScore != 8 {
				b.Fatalf("%s: %+v, want graded 8/8", r.Username, r)
			}
		}
		b.ReportMetric(wall.Seconds(), "s/class")
		b.ReportMetric(wall.Seconds()/n*1000, "ms/student")
	}
}
