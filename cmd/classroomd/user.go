package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/roster"
	"github.com/classroomd/classroomd/internal/store"
)

func (a *app) userCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Add, change, list and import users",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.userAddCmd(), a.userPasswdCmd(), a.userDisableCmd(true), a.userDisableCmd(false), a.userListCmd(), a.userImportCmd(), a.userSetCmd())
	return cmd
}

// withAccounts runs fn with the account service and closes the store afterwards.
func (a *app) withAccounts(ctx context.Context, fn func(*accounts.Service) error) error {
	svc, st, err := a.accounts(ctx, slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), config.DefaultThrottle(), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(svc)
}

// readPasswordLine reads one password from standard input (a trailing newline is dropped).
func (a *app) readPasswordLine() (string, error) {
	line, err := bufio.NewReader(io.LimitReader(a.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", fmt.Errorf("--password-stdin was given but standard input held no password")
	}
	return pw, nil
}

func (a *app) userAddCmd() *cobra.Command {
	var nu accounts.NewUser
	var role string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "add USERNAME",
		Short: "Add a user (a readable password is generated and printed unless --password-stdin)",
		Example: `  classroomd user add alice --name "Alice Liddell" --email alice@example.edu
  echo 'a long passphrase' | classroomd user add bob --password-stdin
  classroomd user add carol --role professor`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			nu.Username, nu.Role = args[0], store.Role(role)
			if fromStdin {
				pw, err := a.readPasswordLine()
				if err != nil {
					return err
				}
				nu.Password = pw
			}
			return a.withAccounts(cmd.Context(), func(svc *accounts.Service) error {
				u, generated, err := svc.AddUser(cmd.Context(), cliActor(), nu)
				if u.Username == "" {
					return err
				}
				fmt.Fprintf(a.stdout, "Added %s %q with home %s.\n", u.Role, u.Username, a.cfg.HomesDir()+"/"+u.Username)
				if generated != "" {
					fmt.Fprintf(a.stdout, "Password (shown only once; they choose their own at first login): %s\n", generated)
				}
				return err
			})
		},
	}
	cmd.Flags().StringVar(&role, "role", "student", "student or professor")
	cmd.Flags().StringVar(&nu.FullName, "name", "", "full name")
	cmd.Flags().StringVar(&nu.Email, "email", "", "email address")
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func (a *app) userPasswdCmd() *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "passwd USERNAME",
		Short: "Set a user's password (a readable one is generated and printed unless --password-stdin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw := ""
			if fromStdin {
				var err error
				if pw, err = a.readPasswordLine(); err != nil {
					return err
				}
			}
			return a.withAccounts(cmd.Context(), func(svc *accounts.Service) error {
				generated, err := svc.SetPassword(cmd.Context(), cliActor(), args[0], pw)
				if err != nil {
					return err
				}
				if generated != "" {
					fmt.Fprintf(a.stdout, "New password for %s (shown only once; they choose their own at next login): %s\n", args[0], generated)
				} else {
					fmt.Fprintf(a.stdout, "Password for %s changed.\n", args[0])
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func (a *app) userDisableCmd(disable bool) *cobra.Command {
	verb, short := "enable", "Let a disabled user log in again"
	if disable {
		verb, short = "disable", "Stop a user from logging in (their files are kept)"
	}
	return &cobra.Command{
		Use:   verb + " USERNAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withAccounts(cmd.Context(), func(svc *accounts.Service) error {
				if err := svc.SetDisabled(cmd.Context(), cliActor(), args[0], disable); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "User %s is %sd.\n", args[0], verb)
				return nil
			})
		},
	}
}

// userJSON is the --json form of a user: never the password hash.
type userJSON struct {
	Username    string     `json:"username"`
	FullName    string     `json:"full_name"`
	Email       string     `json:"email"`
	Role        string     `json:"role"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

func (a *app) userListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			users, err := st.ListUsers(cmd.Context())
			if err != nil {
				return fmt.Errorf("list users: %w", err)
			}
			if asJSON {
				out := make([]userJSON, 0, len(users))
				for _, u := range users {
					j := userJSON{Username: u.Username, FullName: u.FullName, Email: u.Email, Role: string(u.Role), Disabled: u.Disabled, CreatedAt: u.CreatedAt}
					if !u.LastLoginAt.IsZero() {
						t := u.LastLoginAt
						j.LastLoginAt = &t
					}
					out = append(out, j)
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USERNAME\tROLE\tSTATUS\tNAME\tEMAIL\tLAST LOGIN")
			for _, u := range users {
				status, last := "active", "never"
				if u.Disabled {
					status = "disabled"
				}
				if !u.LastLoginAt.IsZero() {
					last = u.LastLoginAt.Local().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.Role, status, accounts.Printable(u.FullName), accounts.Printable(u.Email), last)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "%d user(s)\n", len(users))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

func (a *app) userImportCmd() *cobra.Command {
	var skipInvalid bool
	var outFile string
	cmd := &cobra.Command{
		Use:   "import ROSTER.csv",
		Short: "Create or update users from a CSV roster (- reads standard input)",
		Long: `Create or update users from a CSV roster.

The first line is a header naming any of these columns, in any order:
  username,full_name,email,role,password,password_hash
Only username is required. role is student (the default) or professor.
password_hash takes bcrypt hashes ($2a$, $2b$, $2y$; cost 4-14) from another system
as they are, so students keep their passwords. New users with neither get a
generated password, printed at the end (or written to --out).

Re-importing updates names, emails and roles; an existing password changes only
when the row gives one. Every row is checked first: if any is invalid, nothing is
written and each bad line is named (unless --skip-invalid).`,
		Example: `  classroomd user import roster.csv
  classroomd user import roster.csv --out passwords.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rows, err := a.readRoster(args[0])
			if err != nil {
				return err
			}
			var out *os.File
			if outFile != "" {
				// Created before anything is imported, so passwords always have somewhere to go.
				out, err = os.OpenFile(outFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return fmt.Errorf("--out: %w (choose a new file name; an existing file is never overwritten)", err)
				}
				defer out.Close()
			}
			return a.withAccounts(cmd.Context(), func(svc *accounts.Service) error {
				rep, err := svc.Import(cmd.Context(), cliActor(), rows, accounts.ImportOptions{SkipInvalid: skipInvalid, Progress: a.progress("Hashing passwords")})
				for _, le := range rep.Invalid {
					fmt.Fprintf(a.stderr, "%s: %v\n", args[0], le)
				}
				if len(rep.Created)+len(rep.Updated) == 0 {
					if out != nil {
						os.Remove(outFile)
					}
					return err
				}
				fmt.Fprintf(a.stdout, "Imported %s: %d created, %d updated", args[0], len(rep.Created), len(rep.Updated))
				if len(rep.Invalid) > 0 {
					fmt.Fprintf(a.stdout, ", %d invalid row(s) skipped", len(rep.Invalid))
				}
				fmt.Fprintln(a.stdout, ".")
				if len(rep.Generated) > 0 {
					if out != nil {
						if werr := roster.WritePasswords(out, rep.Generated); werr != nil {
							return fmt.Errorf("write %s: %w", outFile, werr)
						}
						fmt.Fprintf(a.stdout, "Generated passwords for %d new user(s) written to %s.\n", len(rep.Generated), outFile)
					} else {
						fmt.Fprintf(a.stdout, "Generated passwords (shown only once; each student chooses their own at first login):\n")
						tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
						fmt.Fprintln(tw, "USERNAME\tPASSWORD")
						for _, g := range rep.Generated {
							fmt.Fprintf(tw, "%s\t%s\n", g.Username, g.Password)
						}
						tw.Flush()
					}
				} else if out != nil {
					os.Remove(outFile)
				}
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&skipInvalid, "skip-invalid", false, "import the valid rows even when some rows are invalid")
	cmd.Flags().StringVar(&outFile, "out", "", "write generated passwords to this new CSV file (mode 0600) instead of printing them")
	return cmd
}

func (a *app) readRoster(path string) ([]roster.Row, error) {
	if path == "-" {
		return roster.Parse(a.stdin)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open roster: %w", err)
	}
	defer f.Close()
	rows, err := roster.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// progress returns a callback that shows "label done/total" on stderr: updated in
// place on a terminal, every 10% otherwise.
func (a *app) progress(label string) func(done, total int) {
	tty := isTerminal(a.stderr)
	lastTenth := -1
	return func(done, total int) {
		switch {
		case tty:
			fmt.Fprintf(a.stderr, "\r%s %d/%d", label, done, total)
			if done == total {
				fmt.Fprintln(a.stderr)
			}
		case done*10/total != lastTenth:
			lastTenth = done * 10 / total
			fmt.Fprintf(a.stderr, "%s %d/%d\n", label, done, total)
		}
	}
}
