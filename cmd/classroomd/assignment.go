package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/course/sandboxrunner"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/store"
)

// newCourse builds the course service on an open store and account service.
func (a *app) newCourse(st store.Store, svc *accounts.Service) *course.Service {
	return &course.Service{
		Store: st, DataDir: a.cfg.DataDir, HomesDir: a.cfg.HomesDir(),
		Owner: svc.Owner, Runner: sandboxrunner.Runner{}, Python: sandbox.DefaultPython,
	}
}

// withCourse runs fn with the course service and closes the store afterwards.
func (a *app) withCourse(ctx context.Context, fn func(*course.Service) error) error {
	svc, st, err := a.accounts(ctx, slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), config.DefaultThrottle(), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(a.newCourse(st, svc))
}

func courseActor() course.Actor {
	c := cliActor()
	return course.Actor{Name: c.Name, Remote: c.Remote}
}

func (a *app) assignmentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "assignment",
		Short: "Add, release, extend, grade and export assignments",
		Long: `An assignment is a folder: assignment.toml (title, due, late_until,
late_penalty, files, limits), README.md, starter/ (copied into every
student's ~/NAME/ on release) and tests/ (pytest files using the student
fixture and the visible / points(n) markers; never readable by a student).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.assignmentAddCmd(), a.assignmentListCmd(), a.assignmentShowCmd(), a.assignmentReleaseCmd(),
		a.assignmentExtendCmd(), a.assignmentCollectCmd(), a.assignmentGradeCmd(), a.assignmentGradesCmd(), a.assignmentFeedbackCmd())
	return cmd
}

func (a *app) assignmentAddCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "add DIR",
		Short: "Add (or update) the assignment in folder DIR; its name is the folder's name",
		Long: `Validates assignment.toml, checks that the tests collect (pytest runs their
collection with the harness, as you), keeps a copy of the folder under the
data dir, and stores the assignment. Adding it again updates it and says what changed.`,
		Example: "  classroomd assignment add ./hw1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCourse(cmd.Context(), func(c *course.Service) error {
				res, err := c.Add(cmd.Context(), courseActor(), args[0])
				if err != nil {
					return err
				}
				as := res.Assignment
				if res.Created {
					fmt.Fprintf(a.stdout, "added %s (%q), due %s\n", as.Name, as.Title, as.Due.Format(time.RFC3339))
				} else {
					fmt.Fprintf(a.stdout, "updated %s: %s\n", as.Name, strings.Join(res.Changes, "; "))
				}
				var pts float64
				visible := 0
				for _, t := range res.Tests {
					pts += t.MaxScore
					if t.Visibility == "visible" {
						visible++
					}
				}
				fmt.Fprintf(a.stdout, "%d tests (%d visible), %g points\n", len(res.Tests), visible, pts)
				return nil
			})
		},
	}
}

func (a *app) assignmentListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the assignments with their counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withCourse(cmd.Context(), func(c *course.Service) error {
				ss, err := c.List(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tTITLE\tDUE\tRELEASED\tSUBMITTED\tLATE\tGRADED")
				for _, s := range ss {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%d\t%d\n", s.Assignment.Name, s.Assignment.Title, s.Assignment.Due.Format(time.RFC3339),
						s.Counts.Released, s.Counts.Students, s.Counts.Submitted, s.Counts.Late, s.Counts.Graded)
				}
				return tw.Flush()
			})
		},
	}
}

func (a *app) assignmentShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show an assignment: its times and counts (released, checked, submitted, late, graded)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCourse(cmd.Context(), func(c *course.Service) error {
				s, err := c.Show(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				as, n := s.Assignment, s.Counts
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "name\t%s\ntitle\t%s\ndue\t%s\nlate until\t%s\nlate penalty\t%g per day\n", as.Name, as.Title, as.Due.Format(time.RFC3339), timeOrNone(as.LateUntil), as.LatePenalty)
				fmt.Fprintf(tw, "released\t%s\nfeedback\t%s\n", timeOrNone(as.ReleasedAt), timeOrNone(as.FeedbackReleasedAt))
				fmt.Fprintf(tw, "students\t%d\nreleased to\t%d\nchecked\t%d\nsubmitted\t%d\nlate\t%d\nextended\t%d\ngraded\t%d\n",
					n.Students, n.Released, n.Checked, n.Submitted, n.Late, n.Extended, n.Graded)
				return tw.Flush()
			})
		},
	}
}

func timeOrNone(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func (a *app) assignmentReleaseCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "release NAME",
		Short: "Copy starter/ into ~/NAME/ of every student (never overwriting a file they have)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCourse(cmd.Context(), func(c *course.Service) error {
				rs, err := c.Release(cmd.Context(), courseActor(), args[0])
				if err != nil {
					return err
				}
				var failed []error
				copied := 0
				for _, r := range rs {
					copied += len(r.Copied)
					for _, k := range r.Kept {
						fmt.Fprintf(a.stdout, "kept %s's own %s (not overwritten)\n", r.Username, k)
					}
					if r.Err != nil {
						failed = append(failed, r.Err)
					}
				}
				fmt.Fprintf(a.stdout, "released %s to %d students (%d files copied)\n", args[0], len(rs)-len(failed), copied)
				return errors.Join(failed...)
			})
		},
	}
}

func (a *app) assignmentExtendCmd() *cobra.Command {
	var until string
	var days int
	cmd := &cobra.Command{
		Use:   "extend NAME USERNAME (--until TIME | --days N)",
		Short: "Give a student their own deadline for an assignment (they see it)",
		Example: `  classroomd assignment extend hw1 alice --until 2026-03-09T23:59:00-05:00
  classroomd assignment extend hw1 alice --days 2`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (until == "") == (days == 0) {
				return errors.New("give either --until TIME (RFC 3339) or --days N")
			}
			return a.withCourse(cmd.Context(), func(c *course.Service) error {
				var t time.Time
				if until != "" {
					var err error
					if t, err = time.Parse(time.RFC3339, until); err != nil {
						return fmt.Errorf("--until %q: give an RFC 3339 time such as 2026-03-09T23:59:00-05:00", until)
					}
				} else {
					as, err := c.Store.AssignmentByName(cmd.Context(), args[0])
					if err != nil {
						return err
					}
					t = as.Due.Add(time.Duration(days) * 24 * time.Hour)
				}
				if err := c.Extend(cmd.Context(), courseActor(), args[0], args[1], t); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s's deadline for %s is now %s\n", args[1], args[0], t.Format(time.RFC3339))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&until, "until", "", "the student's own deadline (RFC 3339)")
	cmd.Flags().IntVar(&days, "days", 0, "days after the assignment's due time")
	return cmd
}

func (a *app) assignmentCollectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "collect [NAME]",
		Short: "Snapshot every student whose deadline passed and who never submitted (serve does this on its own)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			only := ""
			if len(args) == 1 {
				only = args[0]
			}
			return a.withCourse(cmd.Context(), func(c *course.Service) error {
				made, err := c.CollectDue(cmd.Context(), only)
				for _, s := range made {
					fmt.Fprintf(a.stdout, "collected %s of %s: %d files, sha256 %s\n", s.Assignment, s.Username, s.Files, s.SHA256)
				}
				return err
			})
		},
	}
}

func (a *app) assignmentGradeCmd() *cobra.Command {
	var opt course.GradeOptions
	cmd := &cobra.Command{
		Use:   "grade NAME",
		Short: "Grade every student whose own deadline has passed, in fresh sandboxes, several at once",
		Long: `Grades the last submission of every student whose own deadline (with
extensions) has passed; students who never submitted are collected first.
Each student's tests run in fresh sandboxes as their uid; re-running re-grades.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCourse(cmd.Context(), func(c *course.Service) error {
				show := a.progress("graded")
				opt.Progress = func(done, total int, _ course.GradeRow) { show(done, total) }
				rows, err := c.Grade(cmd.Context(), courseActor(), args[0], opt)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "USERNAME\tSCORE\tSTATUS")
				for _, r := range rows {
					fmt.Fprintf(tw, "%s\t%g/%g\t%s\n", r.Username, r.Score, r.MaxScore, r.Status)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&opt.User, "user", "", "grade only this student")
	cmd.Flags().IntVar(&opt.Parallel, "parallel", 0, "students graded at once (default: the number of cores)")
	return cmd
}

func (a *app) assignmentGradesCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "grades NAME",
		Short: "Export the grades: one row per student (username,full_name,email,score,max_score,late,submitted_at,receipt,status)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withCourse(cmd.Context(), func(c *course.Service) error {
				rows, err := c.Grades(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return course.WriteGrades(a.stdout, rows, format)
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "csv", "csv or json")
	return cmd
}

func (a *app) assignmentFeedbackCmd() *cobra.Command {
	var release, hide bool
	cmd := &cobra.Command{
		Use:   "feedback NAME (--release | --hide)",
		Short: "Let students see their results (ssh host grades), or hide them again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if release == hide {
				return errors.New("give --release or --hide")
			}
			return a.withCourse(cmd.Context(), func(c *course.Service) error {
				if err := c.ReleaseFeedback(cmd.Context(), courseActor(), args[0], release); err != nil {
					return err
				}
				if release {
					fmt.Fprintf(a.stdout, "students now see their results for %s\n", args[0])
				} else {
					fmt.Fprintf(a.stdout, "results for %s are hidden from students\n", args[0])
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&release, "release", false, "show students their results")
	cmd.Flags().BoolVar(&hide, "hide", false, "hide them again")
	return cmd
}

// userSetCmd is "user set USERNAME --extra-days N": a standing accommodation.
func (a *app) userSetCmd() *cobra.Command {
	var days int
	cmd := &cobra.Command{
		Use:     "set USERNAME --extra-days N",
		Short:   "Set a standing accommodation: N extra days on every assignment's deadline (0 removes it)",
		Example: "  classroomd user set alice --extra-days 2",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("extra-days") {
				return errors.New("give --extra-days N")
			}
			return a.withCourse(cmd.Context(), func(c *course.Service) error {
				if err := c.SetExtraDays(cmd.Context(), courseActor(), args[0], days); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s has %d extra days on every deadline\n", args[0], days)
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&days, "extra-days", 0, "extra days on every deadline (0-365)")
	return cmd
}
