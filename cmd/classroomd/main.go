// Command classroomd is the classroom server and its administration commands.
// This package parses flags and wires parts together; the logic lives in internal/.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"os/user"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/metrics"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/postgres"
	"github.com/classroomd/classroomd/internal/store/sqlite"
	"github.com/classroomd/classroomd/internal/tui/termtext"
)

func main() {
	// A sandbox's init is this binary re-executed; it must run before anything else.
	sandbox.MaybeRunInit()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdin, os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "classroomd:", err)
		os.Exit(1)
	}
}

// app is what every subcommand shares: the store settings and the standard streams.
type app struct {
	cfg            config.Store
	stdin          io.Reader
	stdout, stderr io.Writer
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "classroomd",
		Short: "A terminal-first classroom server: every student gets a Python workspace over ssh",
		Long: `classroomd serves each student their own sandboxed Python workspace over ssh
(and later in a browser), and gives professors an admin console.

Start it with "classroomd serve"; on first start it creates professor "admin" and prints
the password once. Add students with "classroomd user add" or "classroomd user import".
Every command reads the roster from --data-dir (SQLite) or --database-url (PostgreSQL),
and works while the server is running.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.ApplyEnv(cmd.Flags()); err != nil {
				return err
			}
			return a.cfg.Validate()
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	a.cfg.RegisterStoreFlags(root.PersistentFlags())
	root.AddCommand(a.serveCmd(), a.statusCmd(), a.migrateCmd(), a.userCmd(), a.auditCmd(), a.sandboxCmd(), a.assignmentCmd(), a.probeCmd())
	return root
}

// openUnmigrated opens the configured store: PostgreSQL when a URL is given,
// else SQLite in the data dir.
func (a *app) openUnmigrated(ctx context.Context) (store.Store, error) {
	if a.cfg.DatabaseURL != "" {
		return postgres.Open(ctx, a.cfg.DatabaseURL)
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	return sqlite.Open(ctx, a.cfg.SQLitePath())
}

// openStore opens the store and applies pending migrations, so every command
// works on a fresh data dir.
func (a *app) openStore(ctx context.Context) (store.Store, error) {
	st, err := a.openUnmigrated(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// accounts opens the store and the account service on it. The caller closes the
// store. With metrics (serve), the store's failures and the logins are counted.
func (a *app) accounts(ctx context.Context, log *slog.Logger, throttle config.Throttle, m *metrics.Metrics) (*accounts.Service, store.Store, error) {
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	st = m.CountErrors(st)
	svc, err := accounts.New(accounts.Options{Store: st, HomesDir: a.cfg.HomesDir(), BcryptCost: a.cfg.BcryptCost, UIDBase: a.cfg.UIDBase, Throttle: throttle, Log: log, Metrics: m})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, st, nil
}

// cliActor names the person at the command line in the audit log.
func cliActor() accounts.Actor {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return accounts.Actor{Name: "cli:" + name, Remote: "local"}
}

// newLogger logs JSON when stderr is not a terminal (a service), text when it is.
func newLogger(w io.Writer) *slog.Logger {
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, nil)) // quotes what is not printable
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: escapeHostile}))
}

// escapeHostile writes a logged string's text direction controls, other
// invisible characters and bytes that are not UTF-8 as visible escapes
// (\u202e, \xff; termtext.Name). JSON escapes control characters itself, but
// not these: an override in a file name or username would reorder the line
// for whoever reads the log in a terminal (jq -r, less).
func escapeHostile(_ []string, a slog.Attr) slog.Attr {
	var s string
	switch a.Value.Kind() {
	case slog.KindString:
		s = a.Value.String()
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok && err != nil {
			s = err.Error()
		}
	}
	if s != "" && hidesText(s) {
		a.Value = slog.StringValue(termtext.Name(s))
	}
	return a
}

// hidesText reports whether s holds what JSON leaves as it is but a
// terminal would not show as it is: invalid UTF-8, format characters,
// line and paragraph separators.
func hidesText(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if r >= 0x80 && (unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029') {
			return true
		}
	}
	return false
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}
