package sshd

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"charm.land/ssh"
	"golang.org/x/term"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/store"
)

// A command is what `ssh HOST NAME ARGS...` runs instead of the workspace. Output
// is plain text, so it can be piped and read without a terminal.
type command struct {
	usage     string // shown by help
	summary   string
	needsPty  bool
	whileMust bool // allowed while the user must still change a generated password
	run       func(s *Server, c *cmdContext) int
}

// cmdContext is one command invocation.
type cmdContext struct {
	sess ssh.Session
	user store.User
	args []string
	by   accounts.Actor
	ctx  context.Context
}

func (c *cmdContext) printf(format string, a ...any) { fmt.Fprintf(c.sess, format, a...) }

// fail prints a one-line error to stderr and returns exit status 1.
func (c *cmdContext) fail(format string, a ...any) int {
	fmt.Fprintf(c.sess.Stderr(), "error: "+format+"\n", a...)
	return 1
}

func commands() map[string]command {
	cmds := map[string]command{
		"help":   {usage: "help", summary: "list these commands", whileMust: true, run: cmdHelp},
		"whoami": {usage: "whoami", summary: "show who you are logged in as", whileMust: true, run: cmdWhoami},
		"passwd": {usage: "passwd", summary: "change your password (needs ssh -t)", needsPty: true, whileMust: true, run: cmdPasswd},
		"quota":  {usage: "quota", summary: "show how much of your home's space you use", run: cmdQuota},
		"keys": {usage: "keys add < KEY.pub | keys list | keys remove FINGERPRINT",
			summary: "manage the SSH keys you log in with", run: cmdKeys},
	}
	// Legacy scp (scp -O) runs `scp -t` or `scp -f` as a command: refused
	// with a sentence, since files travel over SFTP only (sftp.go).
	cmds["scp"] = command{whileMust: true, run: cmdLegacySCP}
	for n, c := range assignmentCommands() {
		cmds[n] = c
	}
	return cmds
}

// runCommand dispatches `ssh HOST NAME ARGS...` and ends the session with its exit status.
func (s *Server) runCommand(sess ssh.Session) {
	args := sess.Command()
	c := &cmdContext{sess: sess, args: args[1:], ctx: sess.Context(),
		by: accounts.Actor{Name: sess.User(), Remote: sess.RemoteAddr().String()}}
	cmd, ok := commands()[args[0]]
	if !ok {
		sess.Exit(c.fail("unknown command %q; `ssh HOST help` lists the commands", accounts.Printable(args[0])))
		return
	}
	u, err := s.opts.Accounts.User(c.ctx, sess.User())
	if err != nil {
		sess.Exit(c.fail("your account could not be read; try again in a moment"))
		return
	}
	c.user = u
	if u.MustChangePassword && !cmd.whileMust {
		sess.Exit(c.fail("your password was generated for you: choose your own first with `ssh -t HOST passwd`"))
		return
	}
	if _, _, hasPty := sess.Pty(); cmd.needsPty && !hasPty {
		sess.Exit(c.fail("%s needs a terminal: run `ssh -t HOST %s`", args[0], args[0]))
		return
	}
	sess.Exit(cmd.run(s, c))
}

func cmdHelp(_ *Server, c *cmdContext) int {
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		if cmds[n].usage != "" { // scp: not a command one types
			names = append(names, n)
		}
	}
	sort.Strings(names)
	c.printf("Connect without a command to open your workspace. Commands:\n\n")
	for _, n := range names {
		c.printf("  ssh HOST %-55s %s\n", cmds[n].usage, cmds[n].summary)
	}
	return 0
}

func cmdWhoami(_ *Server, c *cmdContext) int {
	u := c.user
	c.printf("%s", u.Username)
	if u.FullName != "" {
		c.printf(" (%s)", accounts.Printable(u.FullName))
	}
	c.printf(", %s\n", u.Role)
	return 0
}

func cmdQuota(s *Server, c *cmdContext) int {
	home, err := files.OpenHome(s.homeDir(c.user.Username))
	if err != nil {
		return c.fail("your home folder could not be opened; please tell your professor")
	}
	defer home.Close()
	used, err := home.Usage()
	if err != nil {
		return c.fail("your home's size could not be measured; try again in a moment")
	}
	limit := int64(s.opts.Config.HomeQuotaMiB) << 20
	c.printf("Your home uses %s of %s (%.1f%%).\n", humanBytes(used), humanBytes(limit), 100*float64(used)/float64(limit))
	if used >= limit {
		c.printf("It is full: delete files you no longer need before saving more.\n")
	}
	return 0
}

func cmdPasswd(s *Server, c *cmdContext) int {
	if len(c.args) > 0 {
		return c.fail("passwd takes no arguments: it asks for the passwords")
	}
	t := term.NewTerminal(c.sess, "")
	ask := func(prompt string) (string, bool) {
		pw, err := t.ReadPassword(prompt)
		return pw, err == nil // ctrl+c, ctrl+d or a dropped connection
	}
	c.printf("Changing the password of %s.\n", c.user.Username)
	current, ok := ask("Current password: ")
	if !ok {
		return c.fail("cancelled; nothing was changed")
	}
	next, ok := ask("New password: ")
	if !ok {
		return c.fail("cancelled; nothing was changed")
	}
	again, ok := ask("New password again: ")
	if !ok {
		return c.fail("cancelled; nothing was changed")
	}
	if next != again {
		return c.fail("the new passwords do not match; nothing was changed")
	}
	if err := s.opts.Accounts.ChangeOwnPassword(c.ctx, c.user.Username, current, next, c.by.Remote); err != nil {
		return c.fail("%v; nothing was changed", err)
	}
	c.printf("Password changed. Use the new one from now on.\n")
	return 0
}

func cmdKeys(s *Server, c *cmdContext) int {
	sub := ""
	if len(c.args) > 0 {
		sub = c.args[0]
	}
	switch {
	case sub == "add" && len(c.args) == 1:
		// The key arrives on stdin; 16 KiB is far more than any public key.
		data, err := io.ReadAll(io.LimitReader(c.sess, 16<<10+1))
		if err != nil {
			return c.fail("could not read the key: %v", err)
		}
		k, err := s.opts.Accounts.AddKey(c.ctx, c.by, c.user.Username, data)
		if err != nil {
			return c.fail("%v", err)
		}
		c.printf("Added key %s %s. You can now log in with it, without a password.\n", k.Fingerprint, k.Comment)
		return 0
	case sub == "list" && len(c.args) == 1:
		keys, err := s.opts.Accounts.Keys(c.ctx, c.user.Username)
		if err != nil {
			return c.fail("your keys could not be read; try again in a moment")
		}
		if len(keys) == 0 {
			c.printf("You have no keys. Add one with: ssh HOST keys add < ~/.ssh/id_ed25519.pub\n")
			return 0
		}
		for _, k := range keys {
			c.printf("%s  %s  %s  added %s\n", k.Fingerprint, keyType(k.Key), accounts.Printable(k.Comment), k.CreatedAt.Format("2006-01-02"))
		}
		return 0
	case sub == "remove" && len(c.args) == 2:
		if err := s.opts.Accounts.RemoveKey(c.ctx, c.by, c.user.Username, c.args[1]); err != nil {
			return c.fail("%v", err)
		}
		c.printf("Removed key %s.\n", c.args[1])
		return 0
	}
	return c.fail("usage: ssh HOST %s", commands()["keys"].usage)
}

func keyType(authorized string) string {
	t, _, _ := strings.Cut(authorized, " ")
	return t
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func cmdLegacySCP(_ *Server, c *cmdContext) int {
	return c.fail("legacy scp (scp -O) is not supported here; use scp without -O (it uses SFTP), or sftp")
}
