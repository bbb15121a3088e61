package sshd

import (
	"errors"
	"strings"
	"time"

	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/store"
)

// The students' assignment commands: check, submit, submissions, grades
// (#14). They run only when Options.Course is set.
func assignmentCommands() map[string]command {
	return map[string]command{
		"check":       {usage: "check ASSIGNMENT", summary: "run the visible tests on your current files", run: cmdCheck},
		"submit":      {usage: "submit ASSIGNMENT", summary: "hand in your files now; prints a receipt", run: cmdSubmit},
		"submissions": {usage: "submissions", summary: "list what you handed in, with receipts", run: cmdSubmissions},
		"grades":      {usage: "grades", summary: "show your results once your professor releases them", run: cmdGrades},
	}
}

func (c *cmdContext) courseActor() course.Actor {
	return course.Actor{Name: c.by.Name, Remote: c.by.Remote}
}

func oneAssignment(c *cmdContext, verb string) (string, bool) {
	if len(c.args) != 1 {
		c.fail("give the assignment's name: ssh HOST %s hw1", verb)
		return "", false
	}
	if err := course.ValidName(c.args[0]); err != nil {
		c.fail("there is no assignment %q", c.args[0])
		return "", false
	}
	return c.args[0], true
}

func studentMessage(err error) string {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "there is no such assignment"
	case errors.Is(err, course.ErrClosed), errors.Is(err, course.ErrNotReleased), errors.Is(err, course.ErrTooLarge), errors.Is(err, course.ErrTooManyChecks):
		return err.Error()
	}
	return "it could not be done (" + err.Error() + "); try again, or tell your professor"
}

func cmdCheck(s *Server, c *cmdContext) int {
	if s.opts.Course == nil {
		return c.fail("assignments are not set up on this server")
	}
	name, ok := oneAssignment(c, "check")
	if !ok {
		return 1
	}
	c.printf("Running the visible tests of %s on your files in ~/%s ...\n", name, name)
	res, err := s.opts.Course.Check(c.ctx, c.courseActor(), name, c.user.Username)
	if err != nil {
		return c.fail("%s", studentMessage(err))
	}
	if res.Error != "" {
		return c.fail("the tests could not run: %s", res.Error)
	}
	passed := 0
	for _, t := range res.Tests {
		mark := "FAIL"
		if t.Status == "passed" {
			mark, passed = "pass", passed+1
		}
		c.printf("  %s  %s (%g/%g)\n", mark, shortTestName(t.Name), t.Score, t.MaxScore)
		if t.Status != "passed" && t.Output != "" {
			for _, line := range strings.Split(strings.TrimSpace(t.Output), "\n") {
				c.printf("        %s\n", line)
			}
		}
	}
	c.printf("%d of %d visible tests pass (%g/%g points). Hidden tests run when it is graded.\n", passed, len(res.Tests), res.Score, res.MaxScore)
	if passed < len(res.Tests) {
		return 1
	}
	return 0
}

func shortTestName(n string) string {
	if i := strings.LastIndex(n, "::"); i >= 0 {
		return n[i+2:]
	}
	return n
}

func cmdSubmit(s *Server, c *cmdContext) int {
	if s.opts.Course == nil {
		return c.fail("assignments are not set up on this server")
	}
	name, ok := oneAssignment(c, "submit")
	if !ok {
		return 1
	}
	sub, err := s.opts.Course.Submit(c.ctx, c.courseActor(), name, c.user.Username)
	if err != nil {
		return c.fail("%s", studentMessage(err))
	}
	c.printf("Submitted %s: %d files, %d bytes, at %s.\n", name, sub.Files, sub.Bytes, sub.SubmittedAt.Format(time.RFC3339))
	if sub.Late {
		c.printf("This submission is late.\n")
	}
	c.printf("receipt: sha256 %s\n", sub.SHA256)
	return 0
}

func cmdSubmissions(s *Server, c *cmdContext) int {
	if s.opts.Course == nil {
		return c.fail("assignments are not set up on this server")
	}
	subs, err := s.opts.Course.Submissions(c.ctx, c.user.Username)
	if err != nil {
		return c.fail("%s", studentMessage(err))
	}
	if len(subs) == 0 {
		c.printf("You have not submitted anything yet.\n")
		return 0
	}
	for _, sub := range subs {
		how := ""
		if sub.Automatic {
			how = " (collected at your deadline)"
		} else if sub.Late {
			how = " (late)"
		}
		c.printf("%-12s %s  %d files  sha256 %s%s\n", sub.Assignment, sub.SubmittedAt.Format(time.RFC3339), sub.Files, sub.SHA256, how)
	}
	return 0
}

func cmdGrades(s *Server, c *cmdContext) int {
	if s.opts.Course == nil {
		return c.fail("assignments are not set up on this server")
	}
	gs, err := s.opts.Course.StudentGrades(c.ctx, c.user.Username)
	if err != nil {
		return c.fail("%s", studentMessage(err))
	}
	if len(gs) == 0 {
		c.printf("No results have been released yet.\n")
		return 0
	}
	for _, g := range gs {
		c.printf("%s: %g/%g (%s)\n", g.Assignment, g.Grade.Score, g.Grade.MaxScore, g.Grade.Status)
		for _, t := range g.Results.Tests {
			mark := "FAIL"
			if t.Status == "passed" {
				mark = "pass"
			}
			c.printf("  %s  %s (%g/%g)\n", mark, shortTestName(t.Name), t.Score, t.MaxScore)
		}
	}
	return 0
}
