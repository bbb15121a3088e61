package main

// Figures through tmux (#15), end to end: the real tmux, the real OpenSSH
// client inside it, the real matplotlib in the student's sandbox. Read it
// as a student who works in tmux in a kitty terminal:
//
//	tmux with allow-passthrough on,      the view asks kitty's query through tmux's
//	ssh inside it                        passthrough (TERM is tmux-256color); the
//	                                     outer terminal (this test, answering as
//	                                     kitty does) answers OK, tmux hands it back
//	plt.show()                           the PNG reaches the outer terminal once, as
//	                                     kitty's escapes unwrapped by tmux; the
//	                                     figure's rows are placeholder cells that
//	                                     tmux itself draws, in true colour
//	tmux without allow-passthrough       nothing answers: half blocks, and no image
//	                                     escape reaches the outer terminal

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
)

const (
	tmuxPath     = "/usr/bin/tmux"
	tamPassword  = "plots in panes 11"
	kittyAnswer  = "\x1b_Gi=31;OK\x1b\\"
	kittyQueryAt = "\x1b_Gi=31,"
)

func TestFiguresThroughTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests start real servers, tmux and ssh clients; skipped with -short")
	}
	ci := os.Getenv("CI") == "true"
	for _, tool := range []string{sshClientPath, tmuxPath} {
		if _, err := os.Stat(tool); err != nil {
			if ci {
				t.Fatalf("this test needs %s (.ci/run installs it): %v", tool, err)
			}
			t.Skipf("this test needs %s: %v", tool, err)
		}
	}
	if os.Geteuid() != 0 && !ci {
		t.Skip("Python runs in a sandbox, which this test expects as root")
	}
	h := newHarness(t)
	b := backend{dataDir: t.TempDir(), uidBase: 435000}
	srv := h.startServer(t, b)
	h.cli(t, cliOpts{stdin: tamPassword + "\n"}, append([]string{"user", "add", "tam", "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	o := sshOpts{knownHosts: filepath.Join(t.TempDir(), "known_hosts")}

	t.Run("kitty_outside_with_allow_passthrough", func(t *testing.T) {
		term := h.vtInTmux(t, srv, o, true, "tam", tamPassword, 200, 60)
		term.waitScreen("welcome.py")
		term.typ(keyF4)
		term.waitScreen(">>>")
		term.typ("import matplotlib.pyplot as plt; plt.figure(); plt.plot([1,3,2]); plt.show()  # in tmux\r")
		term.waitScreen("[figure saved: ~/figures/python-1.png]")
		term.waitUntil("show the figure as kitty placeholders, drawn by tmux", func(sc vtScreen) bool {
			return placeholderCells(sc) >= 100
		})
		raw := term.rawTail(1 << 30)
		if !strings.Contains(raw, kittyQueryAt) {
			t.Errorf("kitty's query never reached the outer terminal")
		}
		if !strings.Contains(raw, "\x1b_Ga=T,U=1,f=100,t=d,") {
			t.Errorf("no kitty transmission with a virtual placement reached the outer terminal")
		}
		if n := strings.Count(raw, "\x1b_Ga=T,"); n != 1 {
			t.Errorf("the PNG reached the outer terminal %d times, want once", n)
		}
		if strings.Contains(raw, "tmux;") {
			t.Errorf("a passthrough wrapper reached the outer terminal: tmux did not take it")
		}
		if !strings.Contains(raw, "\x1b[38;2;") {
			t.Errorf("tmux drew the placeholders without a true-colour foreground (the image id)")
		}
		sc := term.screen()
		for _, leak := range []string{"Gi=31", ";OK", "AAAA", "tmux 3"} {
			if sc.contains(leak) {
				t.Errorf("an answer or query leaked into the screen as text: %q\n%s", leak, sc)
			}
		}
		quitTerm(t, term)
	})

	t.Run("no_passthrough_half_blocks", func(t *testing.T) {
		term := h.vtInTmux(t, srv, o, false, "tam", tamPassword, 200, 60)
		term.waitScreen("welcome.py")
		term.typ(keyF4)
		term.waitScreen(">>>")
		term.typ("plt.figure(); plt.plot([3,1,2]); plt.show()  # in tmux, no passthrough\r")
		term.waitScreen("[figure saved: ~/figures/python-2.png]")
		term.waitUntil("draw the figure in half blocks", func(sc vtScreen) bool { return halfBlockRows(sc) >= 8 })
		raw := term.rawTail(1 << 30)
		for name, esc := range map[string]string{"kitty graphics": "\x1b_G", "iTerm2 images": "\x1b]1337", "sixel": "\x1bP0;1q", "a passthrough": "tmux;"} {
			if strings.Contains(raw, esc) {
				t.Errorf("the outer terminal was sent %s", name)
			}
		}
		quitTerm(t, term)
	})
}

// vtInTmux starts a tmux of its own (its own socket and configuration;
// allow-passthrough as asked) in a cols×rows terminal that answers kitty's
// graphics query as kitty does, running ssh to srv as user in its one pane.
func (h *harness) vtInTmux(t *testing.T, srv *server, o sshOpts, passthrough bool, user, password string, cols, rows int) *vtTerm {
	t.Helper()
	dir := t.TempDir()
	conf := []string{
		"set -g status off",                               // the pane has the whole terminal
		"set -g default-terminal tmux-256color",           // what ssh's TERM says inside
		"set -as terminal-features ',xterm-256color:RGB'", // true colour to the outer terminal
		"set -sg escape-time 0",
	}
	if passthrough {
		conf = append(conf, "set -g allow-passthrough on")
	}
	confPath, sock := filepath.Join(dir, "tmux.conf"), filepath.Join(dir, "sock")
	if err := os.WriteFile(confPath, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-u", "-S", sock, "-f", confPath, "new-session", sshClientPath}, sshArgs(srv, o, user, "-tt", "-e", "none")...)
	cmd := exec.Command(tmuxPath, args...)
	var env []string
	for _, kv := range h.sshEnv(password) {
		if k, _, _ := strings.Cut(kv, "="); k != "TMUX" && k != "TMUX_PANE" && k != "TERM" && k != "TERM_PROGRAM" {
			env = append(env, kv) // a test run inside tmux must not nest into it
		}
	}
	cmd.Env = append(env, "TERM=xterm-256color")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		t.Fatalf("start tmux on a pty: %v", err)
	}
	c := &vtTerm{
		t: t, name: "tmux in a kitty terminal", cmd: cmd, ptmx: ptmx,
		exited: make(chan struct{}), readDone: make(chan struct{}), replyDone: make(chan struct{}),
		emu: vt.NewEmulator(cols, rows), received: time.Now(),
	}
	go func() {
		c.exitErr = cmd.Wait()
		close(c.exited)
	}()
	go c.readOutputAnswering(map[string]string{kittyQueryAt: kittyAnswer})
	go c.copyReplies()
	t.Cleanup(func() {
		c.close()
		// The server of this socket only (it ends with its last session).
		_ = exec.Command(tmuxPath, "-S", sock, "kill-server").Run()
	})
	return c
}
