package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"

	"github.com/charmbracelet/x/term"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/sandbox"
)

func (a *app) sandboxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Check the isolation students' programs get, or run a command in a student's sandbox",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.sandboxCheckCmd(), a.sandboxExecCmd())
	return cmd
}

func (a *app) sandboxCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Print the isolation level this machine gives students' programs, and each mechanism's status",
		Long: `Prints the isolation level (full, partial or none) and, for each mechanism
(root, namespaces, cgroup controllers, Landlock, seccomp, a trial sandbox),
whether it is available here and why not. Exits with status 1 at level none.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := sandbox.Probe()
			fmt.Fprintf(a.stdout, "isolation level: %s\n\n", r.Level)
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			for _, m := range r.Mechanisms {
				status := "ok"
				if !m.OK {
					status = "MISSING"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", status, m.Name, m.Detail)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if r.Level == sandbox.None {
				return errors.New("students' programs cannot be isolated on this machine: run classroomd as root on a Linux host with namespaces (in a container: privileged, or with user namespaces and an unmasked /proc allowed)")
			}
			return nil
		},
	}
}

func (a *app) sandboxExecCmd() *cobra.Command {
	var course string
	var student config.Student
	cmd := &cobra.Command{
		Use:   "exec USERNAME -- CMD [ARGS...]",
		Short: "Run a command in a student's sandbox, as their REPL would run (for support and tests)",
		Long: `Runs CMD for USERNAME in the same sandbox their REPL gets: their home
(DATA_DIR/homes/USERNAME, created if missing) at /home/USERNAME, the course
folder read-only at /course, their uid, the default limits. Standard input,
output and error are passed through (through a pty when standard input is a
terminal) and the command's exit status is returned. Interrupting or killing
this command ends the sandbox. USERNAME must be in the roster; their uid is
--uid-base plus their user id.`,
		Example: `  classroomd sandbox exec alice -- python3 -c 'import os; print(os.getuid())'
  classroomd sandbox exec alice -- python3`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return errors.New("give the username, then -- and the command: classroomd sandbox exec alice -- python3")
			}
			username, err := accounts.NormalizeUsername(args[0])
			if err != nil {
				return err
			}
			var home string
			var owner files.Owner
			err = a.withAccounts(cmd.Context(), func(svc *accounts.Service) error {
				u, err := svc.User(cmd.Context(), username)
				if err != nil {
					return err
				}
				owner = svc.Owner(u)
				home, err = svc.EnsureHome(cmd.Context(), username)
				return err
			})
			if err != nil {
				return err
			}

			if !cmd.Flags().Changed("course") {
				course = filepath.Join(a.cfg.DataDir, "course")
				if fi, err := os.Stat(course); err != nil || !fi.IsDir() {
					course = ""
				}
			}
			if err := student.Validate(); err != nil {
				return err
			}
			limits, quota := studentLimits(student)
			spec := sandbox.Spec{
				Username:   username,
				UID:        owner.UID,
				GID:        owner.GID,
				Home:       home,
				CourseDir:  course,
				Command:    args[1:],
				Limits:     limits,
				QuotaBytes: quota,
			}
			code, err := a.runSandbox(cmd, spec)
			if err != nil {
				return err
			}
			if code != 0 {
				// The command's own status, after every deferred clean-up
				// above has run.
				os.Exit(code)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&course, "course", "", "host folder shown read-only at /course (default: DATA_DIR/course when it exists)")
	// The limits of serve's REPLs, with the same flags and defaults: the
	// same sandbox means the same limits (the home quota included).
	student.RegisterStudentFlags(cmd.Flags())
	return cmd
}

// runSandbox runs spec with the command's standard streams and returns the
// program's exit status. The sandbox ends when the command's context does
// (ctrl+c or SIGTERM on classroomd when there is no pty).
func (a *app) runSandbox(cmd *cobra.Command, spec sandbox.Spec) (int, error) {
	ctx := cmd.Context()
	in, tty := a.stdin.(*os.File)
	tty = tty && isatty.IsTerminal(in.Fd())
	if !tty {
		spec.Stdin, spec.Stdout, spec.Stderr = a.stdin, a.stdout, a.stderr
		p, err := sandbox.Start(ctx, spec)
		if err != nil {
			return 0, err
		}
		defer p.Close()
		return p.Wait()
	}

	fd := in.Fd()
	if w, h, err := term.GetSize(fd); err == nil {
		spec.Rows, spec.Cols = uint16(h), uint16(w)
	}
	p, err := sandbox.Start(ctx, spec)
	if err != nil {
		return 0, err
	}
	defer p.Close()
	state, err := term.MakeRaw(fd)
	if err != nil {
		return 0, fmt.Errorf("set the terminal to raw mode: %w", err)
	}
	defer term.Restore(fd, state)

	winch := make(chan os.Signal, 1)
	signal.Notify(winch, sigWINCH)
	defer signal.Stop(winch)
	go func() {
		for {
			select {
			case <-winch:
				if w, h, err := term.GetSize(fd); err == nil {
					p.Resize(uint16(h), uint16(w))
				}
			case <-p.Done():
				return
			}
		}
	}()
	// Keys go to the sandbox's pty (ctrl+c included: it interrupts the
	// program, not this command). This copy stays blocked on the terminal
	// after the program ends; the process exits soon after.
	go io.Copy(p, in)
	io.Copy(a.stdout, p)
	return p.Wait()
}

// sigWINCH is SIGWINCH (28 on Linux and the BSDs), spelled as a number so
// that this file also builds where syscall has no such name.
const sigWINCH = syscall.Signal(0x1c)
