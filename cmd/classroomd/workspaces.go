package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/metrics"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/workspace"
	"github.com/classroomd/classroomd/internal/workspace/figures"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// studentLimits are a student's sandbox's limits and home quota, the same
// wherever their programs run (serve's REPLs, sandbox exec).
func studentLimits(st config.Student) (sandbox.Limits, int64) {
	limits := sandbox.DefaultLimits()
	limits.MemoryBytes = int64(st.LimitMemoryMiB) << 20
	limits.Pids = st.LimitPids
	limits.CPUPercent = st.LimitCPUPercent
	limits.FileSizeBytes = int64(st.LimitFileMiB) << 20
	limits.OutputBytesPerSec = int64(st.LimitOutputKiBps) << 10
	limits.OutputBurstBytes = limits.OutputBytesPerSec
	return limits, int64(st.HomeQuotaMiB) << 20
}

// workspaces builds the manager of live workspaces: for each student, their home
// (with the quota), a REPL in their sandbox (started when first needed) and their
// journal of unsaved edits.
func (a *app) workspaces(cfg config.Server, svc *accounts.Service, log *slog.Logger, m *metrics.Metrics) (*workspace.Manager, *sandbox.CPUGovernor) {
	limits, quota := studentLimits(cfg.Student)
	// Pythons start a few at a time, in order of asking, however many
	// students press F4 at once (see repl.StartQueue).
	starts := repl.NewStartQueue(max(2, runtime.NumCPU()))
	// A Python that keeps a core busy weighs little against the others
	// while it does (see sandbox.CPUGovernor); serve stops it last.
	cpu := sandbox.NewCPUGovernor(sandbox.GovernorOptions{})
	// Figures (plt.show()) are decoded a few at a time, for every workspace.
	figureSlots := figures.NewSlots(max(1, runtime.NumCPU()/2))
	open := func(ctx context.Context, username string) (*workspace.Workspace, error) {
		u, err := svc.User(ctx, username)
		if err != nil {
			return nil, err
		}
		dir, err := svc.EnsureHome(ctx, u.Username)
		if err != nil {
			return nil, err
		}
		home, err := files.OpenHomeWith(dir, files.Options{QuotaBytes: quota, Metrics: m})
		if err != nil {
			return nil, err
		}
		course := a.cfg.CourseDir()
		if fi, err := os.Stat(course); err != nil || !fi.IsDir() {
			course = ""
		}
		var courseHome *files.Home
		if course != "" {
			if courseHome, err = files.OpenReadOnly(course); err != nil {
				log.Warn("course folder not shown", "dir", course, "err", err)
			}
		}
		owner := svc.Owner(u)
		r := repl.New(repl.Config{
			Spec: sandbox.Spec{
				Username: u.Username, UID: owner.UID, GID: owner.GID, Home: dir, CourseDir: course,
				Cols: 80, Rows: 24, Limits: limits, QuotaBytes: quota,
			},
			Python:  cfg.Python,
			Log:     log.With("user", u.Username),
			Metrics: m,
			Starts:  starts,
			CPU:     cpu,
		})
		ws, err := workspace.New(workspace.Options{
			Username: u.Username, Home: home, Course: courseHome, REPL: r,
			JournalDir: filepath.Join(a.cfg.JournalDir(), u.Username), JournalEvery: cfg.JournalEvery, IdleREPL: cfg.REPLIdle, Log: log,
			FigureSlots: figureSlots,
		})
		if err != nil {
			errs := []error{err, r.Close(), home.Close()}
			if courseHome != nil {
				errs = append(errs, courseHome.Close())
			}
			return nil, errors.Join(errs...)
		}
		return ws, nil
	}
	return workspace.NewManager(open, cfg.WorkspaceGrace, log), cpu
}
