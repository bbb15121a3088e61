package main

// A student's figure choice outlives the connection (#15), end to end over
// OpenSSH, on both stores:
//
//	first login                  nothing said about figures (no choice yet)
//	ctrl+F4                      "Figures: blocks, remembered for your ssh logins"
//	ctrl+q, log in again         the status says blocks is remembered
//	ctrl+F4                      kitty, the one after blocks (not blocks again)
//	ctrl+q, log in again         kitty is remembered

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/classroomd/classroomd/internal/store/postgres/pgtest"
)

const (
	keyCtrlF4            = "\x1b[1;5S" // as xterm sends it
	figureChoicePassword = "inky blocks at noon 5"
)

func TestRememberedFigureChoice(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests start real servers and ssh clients; skipped with -short")
	}
	if _, err := os.Stat(sshClientPath); err != nil {
		msg := fmt.Sprintf("the end-to-end tests need OpenSSH's %s: %v", sshClientPath, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	h := newHarness(t)
	backends := []struct {
		name string
		new  func(t *testing.T) backend
	}{
		{"sqlite", func(t *testing.T) backend { return backend{dataDir: t.TempDir(), uidBase: 420000} }},
		{"postgres", func(t *testing.T) backend {
			return backend{dataDir: t.TempDir(), dbURL: pgtest.NewDatabase(t), uidBase: 425000}
		}},
	}
	for _, bc := range backends {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			h.figureChoiceScenario(t, bc.new(t))
		})
	}
}

func (h *harness) figureChoiceScenario(t *testing.T, b backend) {
	h.cli(t, cliOpts{stdin: figureChoicePassword + "\n"}, append([]string{"user", "add", "ines", "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	srv := h.startServer(t, b)
	o := sshOpts{knownHosts: filepath.Join(t.TempDir(), "known_hosts")}
	login := func(name string) *vtTerm {
		c := h.vtLogin(t, srv, o, name, "ines", figureChoicePassword, 100, 30)
		c.waitScreen("welcome.py")
		return c
	}

	first := login("ines's first login")
	if first.screen().contains("Figures:") {
		t.Errorf("a first login speaks of a figure choice:\n%s", first.screen())
	}
	first.typ(keyCtrlF4)
	first.waitScreen("Figures: blocks, remembered for your ssh logins (ctrl+F4 to change).")
	quitTerm(t, first)

	second := login("ines's second login")
	second.waitScreen("Figures: blocks, remembered for your ssh logins")
	second.typ(keyCtrlF4)
	second.waitScreen("Figures: kitty, remembered for your ssh logins")
	quitTerm(t, second)

	third := login("ines's third login")
	third.waitScreen("Figures: kitty, remembered for your ssh logins")
	quitTerm(t, third)
}
