package sshd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/bubbletea"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/tui"
	"github.com/classroomd/classroomd/internal/tui/pasteguard"
)

// recoverMiddleware turns a panic in one session into an error for that session
// only; the server and everyone else carry on.
func (s *Server) recoverMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer func() {
			if r := recover(); r != nil {
				s.logFor(sess.Context()).Error("panic in session", "user", sess.User(), "panic", r, "stack", string(debug.Stack()))
				wish.Fatalln(sess, "classroomd hit an internal error and closed this session. Your files are safe; please connect again.")
			}
		}()
		next(sess)
	}
}

// keyLoginAudited marks a connection whose public-key login was already audited:
// one connection may open several sessions.
type keyLoginAudited struct{ once sync.Once }

const keyAudited ctxKey = "classroomd.key-login-audited"

// sessionLimitMiddleware caps concurrent sessions per user and audits completed
// public-key logins (only now is it certain the client held the key).
func (s *Server) sessionLimitMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ctx := sess.Context()
		user := sess.User()
		remote := sess.RemoteAddr().String()
		if fp, ok := ctx.Value(keyFingerprint).(string); ok && sess.PublicKey() != nil {
			ctx.Lock()
			a, _ := ctx.Value(keyAudited).(*keyLoginAudited)
			if a == nil {
				a = &keyLoginAudited{}
				ctx.SetValue(keyAudited, a)
			}
			ctx.Unlock()
			a.once.Do(func() {
				s.logFor(ctx).Info("login", "user", user, "remote", remote, "method", "publickey", "key", fp)
				s.opts.Accounts.RecordKeyLogin(ctx, user, fp, remote)
			})
		}

		limit := s.opts.Config.MaxSessionsPerUser
		s.mu.Lock()
		over := s.sessions[user] >= limit
		if !over {
			s.sessions[user]++
		}
		s.mu.Unlock()
		if over {
			s.opts.Accounts.Audit(context.WithoutCancel(ctx), accounts.Actor{Name: user, Remote: remote}, "session.refused", user, "denied",
				fmt.Sprintf("already %d sessions open", limit))
			wish.Fatalf(sess, "You already have %d sessions open, the most allowed. Close one (or wait a minute for a dropped one to time out) and try again.\n", limit)
			return
		}
		defer func() {
			s.mu.Lock()
			if s.sessions[user]--; s.sessions[user] <= 0 {
				delete(s.sessions, user)
			}
			s.mu.Unlock()
		}()
		transport, start := Transport(ctx), time.Now()
		defer s.opts.Metrics.SessionStarted(transport)()
		log := s.logFor(ctx)
		log.Info("session started", "user", user, "transport", transport, "command", len(sess.Command()) > 0)
		defer func() {
			log.Info("session ended", "user", user, "duration", time.Since(start).Round(time.Millisecond).String())
		}()
		next(sess)
	}
}

// homeMiddleware checks (and if needed recreates) the user's home at login.
func (s *Server) homeMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if _, err := s.opts.Accounts.EnsureHome(sess.Context(), sess.User()); err != nil {
			logFailure(sess.Context(), s.logFor(sess.Context()), "home unavailable", "user", sess.User(), "err", err)
			wish.Fatalln(sess, "Your home folder is unavailable, so the workspace cannot open. Please tell your professor; nothing was changed.")
			return
		}
		if s.opts.Course != nil {
			// A student added after a release gets its starter code now
			// (never overwriting a file they have); a failure does not stop the login.
			if _, err := s.opts.Course.ReleaseTo(sess.Context(), sess.User()); err != nil {
				logFailure(sess.Context(), s.logFor(sess.Context()), "release of starter code at login", "user", sess.User(), "err", err)
			}
		}
		next(sess)
	}
}

// logFailure logs a failure as an error, unless the client hung up: then
// the failure is only its cancelled context, and not the server's fault.
func logFailure(ctx context.Context, log *slog.Logger, msg string, args ...any) {
	if ctx.Err() != nil {
		log.Info(msg+": the client left", args...)
		return
	}
	log.Error(msg, args...)
}

// appMiddleware runs a command (`ssh HOST CMD`) or, on an interactive terminal, the TUI.
func (s *Server) appMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if len(sess.Command()) > 0 {
			s.runCommand(sess)
			return
		}
		if _, _, ok := sess.Pty(); !ok {
			wish.Fatalln(sess, "classroomd needs a terminal: connect with `ssh -t`.")
			return
		}
		s.runTUI(sess)
		next(sess)
	}
}

// maxFPS is Bubble Tea's highest frame rate.
const maxFPS = 120

// The size assumed for a terminal whose client does not say.
const defaultCols, defaultRows = 80, 24

// runTUI runs one Bubble Tea program for the session until it quits or the
// connection drops. It replaces wish's bubbletea middleware, whose resize loop
// spins when the window-change channel is closed.
func (s *Server) runTUI(sess ssh.Session) {
	u, err := s.opts.Accounts.User(sess.Context(), sess.User())
	if err != nil {
		wish.Fatalln(sess, "Your account could not be read; please try again in a moment.")
		return
	}
	ws, detach, err := s.opts.Workspaces.Attach(sess.Context(), u.Username)
	if err != nil {
		logFailure(sess.Context(), s.logFor(sess.Context()), "workspace unavailable", "user", u.Username, "err", err)
		wish.Fatalln(sess, "Your workspace could not be opened; please try again in a moment. Your files are safe.")
		return
	}
	defer detach() // the workspace stays for its grace period

	var ctx context.Context = sess.Context()
	remote := sess.RemoteAddr().String()
	var class tui.Classroom
	if s.opts.Classroom != nil {
		class = s.opts.Classroom.Seat(classroom.Actor{Username: u.Username, Remote: remote})
	}
	var desk tui.Desk
	if s.opts.Console != nil {
		desk = s.opts.Console.As(accounts.Actor{Name: u.Username, Remote: remote})
	}
	var assignments tui.Assignments
	var office *course.Office
	if s.opts.Course != nil {
		if u.Role == store.RoleStudent {
			assignments = s.opts.Course.Seat(course.Actor{Name: u.Username, Remote: remote}, u.Username)
		}
		office = s.opts.Course.Office(course.Actor{Name: u.Username, Remote: remote})
	}
	sshHost, sshPort := s.sshAddress(sess)
	// The view's event loop is woken directly by the REPL (one goroutine
	// hand-off less per key's echo); the program is made after the model.
	var program atomic.Pointer[tea.Program]
	model := tui.New(tui.Options{
		Wake: func() {
			if p := program.Load(); p != nil {
				p.Wake()
			}
		},
		Username: u.Username, FullName: u.FullName, Role: string(u.Role), Workspace: ws, Transport: Transport(sess.Context()),
		SSHHost: sshHost, SSHPort: sshPort, Graphics: bridgedGraphics(Transport(sess.Context()), sess.Environ()),
		Classroom: class, Desk: desk, Assignments: assignments, Office: office,
		MustChangePassword: u.MustChangePassword,
		ChangePassword: func(current, next string) error {
			return s.opts.Accounts.ChangeOwnPassword(ctx, u.Username, current, next, remote)
		},
		Settings: userSettings{acc: s.opts.Accounts, user: u.Username, log: s.log},
	})
	// Whether the student quit or the connection dropped: detach the view
	// from the workspace and end its subscriptions (before detach above).
	defer model.Close()
	pty, windows, _ := sess.Pty()
	opts := bubbletea.MakeOptions(sess)
	if pty.Window.Width <= 0 || pty.Window.Height <= 0 {
		// RFC 4254 6.2: zero dimensions must be ignored. OpenSSH sends them
		// with -tt when its stdin is not a terminal.
		opts = append(opts, tea.WithWindowSize(defaultCols, defaultRows))
	}
	if sess.EmulatedPty() {
		// The program reads keys from and draws frames to the session
		// itself (as MakeOptions set): through the meter instead, and
		// the keys through the paste guard (a paste's size and escapes).
		var in io.Reader = sess
		if s.opts.Metrics != nil {
			meter := newKeystrokeMeter(sess, sess, s.opts.Metrics)
			in = meter
			opts = append(opts, tea.WithOutput(meter))
		}
		opts = append(opts, tea.WithInput(pasteguard.New(in, 0)))
	}
	// The daemon's signals are not this program's: on SIGTERM the server
	// tells each student why it stops (Bubble Tea would quit every session
	// at once, silently, on the first SIGTERM or SIGINT).
	opts = append(opts, tea.WithoutSignals())
	// Our Bubble Tea (third_party/bubbletea) writes a key's frame at once
	// and gathers what changes within 1/FPS s into one frame: at its
	// maximum, 120, a burst of output costs at most 120 frames a second.
	opts = append(opts, tea.WithFPS(maxFPS))
	// A frame the rate allows is written by the event loop itself, one
	// hand-off sooner. A client that stops reading then holds up only its
	// own session's loop, and only once SSH's window (2 MB from OpenSSH)
	// is full, until the connection closes (at the latest --idle-timeout).
	opts = append(opts, tea.WithInlineFrames())
	p := tea.NewProgram(model, opts...)
	program.Store(p)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		sizes := &resizes{every: resizeEvery, send: func(w tea.WindowSizeMsg) { p.Send(w) }}
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		defer timer.Stop()
		for {
			select {
			case <-ctx.Done():
				p.Quit()
				return
			case w, ok := <-windows:
				if !ok {
					// The connection is going: keep waiting for its context,
					// whose end quits the program. Returning here left the
					// program (and the workspace's view) running for good.
					windows = nil
					continue
				}
				if w.Width > 0 && w.Height > 0 {
					now := time.Now()
					if due := sizes.offer(tea.WindowSizeMsg{Width: w.Width, Height: w.Height}, now); !due.IsZero() {
						timer.Reset(due.Sub(now))
					}
				}
			case now := <-timer.C:
				sizes.due(now)
			}
		}
	})
	if _, err := p.Run(); err != nil && ctx.Err() == nil {
		s.logFor(sess.Context()).Error("tui ended with an error", "user", u.Username, "err", err)
	}
	p.Kill()
	cancel()
	wg.Wait()
	if text := model.ExitText(); text != "" {
		wish.Println(sess, "\r\n"+text) // a professor ended the session: say why
	}
}
