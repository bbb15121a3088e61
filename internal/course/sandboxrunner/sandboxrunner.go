// Package sandboxrunner implements course.Runner with internal/sandbox: each
// Start is a fresh sandbox as the student's own uid, with pipes for its
// standard streams. It is the only place where course meets the sandbox, so
// that internal/course itself depends on nothing but the narrow interface.
package sandboxrunner

import (
	"context"
	"fmt"

	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/sandbox"
)

// Runner starts sandboxes with Limits (sandbox.DefaultLimits when zero),
// the memory limit replaced by the spec's when it sets one.
type Runner struct {
	Limits sandbox.Limits
}

// Start starts spec in a new sandbox.
func (r Runner) Start(ctx context.Context, spec course.RunSpec) (course.Proc, error) {
	lim := r.Limits
	if lim == (sandbox.Limits{}) {
		lim = sandbox.DefaultLimits()
	}
	if spec.MemoryBytes > 0 {
		lim.MemoryBytes = spec.MemoryBytes
	}
	if spec.Owner.UID <= 0 {
		return nil, fmt.Errorf("grading %s needs their own host uid: run classroomd as root with --uid-base", spec.Username)
	}
	p, err := sandbox.Start(ctx, sandbox.Spec{
		Username: spec.Username, UID: spec.Owner.UID, GID: spec.Owner.GID,
		Home: spec.Home, CourseDir: spec.CourseDir, Command: spec.Command, Env: spec.Env,
		Limits: lim, Stdin: spec.Stdin, Stdout: spec.Stdout, Stderr: spec.Stderr,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
