package tui_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/tui"
)

var (
	keyTab      = tea.KeyPressMsg{Code: tea.KeyTab}
	keyShiftTab = tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	keyEsc      = tea.KeyPressMsg{Code: tea.KeyEscape}
	keyF1       = tea.KeyPressMsg{Code: tea.KeyF1}
	keyF8       = tea.KeyPressMsg{Code: tea.KeyF8}
	keyCtrlQ    = tea.KeyPressMsg{Code: 'q', Mod: tea.ModCtrl}
	keyBack     = tea.KeyPressMsg{Code: tea.KeyBackspace}
)

// changer records the calls of a ChangePassword callback.
type changer struct {
	mu    sync.Mutex
	calls [][2]string
	err   error
}

func (c *changer) change(current, next string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, [2]string{current, next})
	return c.err
}

func (c *changer) called() [][2]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][2]string(nil), c.calls...)
}

func forcedOpts(c *changer) tui.Options {
	return tui.Options{Username: "alice", FullName: "Alice", Role: "student", Home: sampleHome(),
		MustChangePassword: true, ChangePassword: c.change}
}

// typeText types s one key at a time, as a terminal sends it.
func (hs *harness) typeText(s string) {
	for _, r := range s {
		hs.press(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// fill types the three fields, moving on with tab, and submits with enter.
func (hs *harness) fill(current, next, again string) {
	hs.typeText(current)
	hs.press(keyTab)
	hs.typeText(next)
	hs.press(keyTab)
	hs.typeText(again)
	hs.press(keyEnter)
}

func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

// oneLine is the screen with its lines joined, for sentences that wrap.
func (hs *harness) oneLine() string {
	return strings.Join(strings.Fields(hs.screen()), " ")
}

// fieldLine is the screen line naming a field (inline layout, wide terminals).
func (hs *harness) fieldLine(label string) string {
	for _, l := range hs.lines() {
		if strings.Contains(l, label) && !strings.Contains(l, label+" again") {
			return l
		}
	}
	hs.t.Fatalf("no %q field on screen:\n%s", label, hs.screen())
	return ""
}

func TestForcedChangeShowsOnlyTheForm(t *testing.T) {
	c := &changer{}
	hs := start(t, forcedOpts(c), 80, 24)
	scr := hs.oneLine()
	for _, want := range []string{"Choose your own password",
		"Your password was generated for you. Choose your own before your workspace opens.",
		"Current password", "New password", "New password again", "alice"} {
		if !strings.Contains(scr, want) {
			t.Errorf("forced form lacks %q:\n%s", want, hs.screen())
		}
	}
	// Nothing of the workspace, whatever is pressed that would open it.
	hs.press(keyEsc, keyF1, keyF8, keyEnd, keyR)
	for _, gone := range []string{"welcome.py", "lessons", "Your files"} {
		if strings.Contains(hs.screen(), gone) {
			t.Errorf("%q shown before the password was changed:\n%s", gone, hs.screen())
		}
	}
	if !strings.Contains(hs.screen(), "Choose your own password") {
		t.Errorf("the forced form was left:\n%s", hs.screen())
	}
	if len(c.called()) != 0 {
		t.Error("the callback was called with nothing submitted")
	}
}

func TestMismatchIsCaughtBeforeTheCallback(t *testing.T) {
	c := &changer{}
	hs := start(t, forcedOpts(c), 80, 24)
	hs.fill("generated-1", "my new secret", "my new secrte")
	if !strings.Contains(hs.oneLine(), "The new passwords do not match.") {
		t.Errorf("no mismatch sentence:\n%s", hs.screen())
	}
	if n := len(c.called()); n != 0 {
		t.Errorf("callback called %d times for mismatching passwords", n)
	}
	// Empty new passwords are not sent either.
	hs.press(keyTab, keyEnter) // on "again", both new fields empty
	if !strings.Contains(hs.oneLine(), "Type a new password.") {
		t.Errorf("no sentence for an empty new password:\n%s", hs.screen())
	}
	if n := len(c.called()); n != 0 {
		t.Errorf("callback called %d times for an empty password", n)
	}
}

func TestCallbackErrorIsShown(t *testing.T) {
	c := &changer{err: errors.New("the current password is wrong")}
	hs := start(t, forcedOpts(c), 80, 24)
	hs.fill("not-it", "my new secret", "my new secret")
	if !strings.Contains(hs.screen(), "The current password is wrong.") {
		t.Errorf("error not shown as a sentence:\n%s", hs.screen())
	}
	if strings.Contains(hs.screen(), "welcome.py") {
		t.Errorf("the workspace opened after a failed change:\n%s", hs.screen())
	}
	if l := hs.fieldLine("Current password"); strings.Contains(l, "•") || !strings.HasPrefix(l, "▸") {
		t.Errorf("the current password is not cleared and focused: %q", l)
	}
	if l := hs.fieldLine("New password again"); !strings.Contains(l, "•") {
		t.Errorf("the new password was lost: %q", l)
	}

	// Typing the right one now submits from the first field: all are filled.
	c.mu.Lock()
	c.err = nil
	c.mu.Unlock()
	hs.typeText("generated-1")
	hs.press(keyEnter)
	if got := c.called(); len(got) != 2 || got[1] != [2]string{"generated-1", "my new secret"} {
		t.Errorf("calls %q", got)
	}
	if !strings.Contains(hs.screen(), "welcome.py") {
		t.Errorf("workspace not shown after success:\n%s", hs.screen())
	}
}

func TestSuccessOpensTheWorkspace(t *testing.T) {
	c := &changer{}
	hs := start(t, forcedOpts(c), 80, 24)
	hs.typeText("generated-1")
	hs.press(keyTab)
	hs.typeText("my new secret")
	hs.press(keyTab)
	hs.typeText("my new secret")

	// The callback runs in a command, not in Update: meanwhile, "Checking…".
	cmd := hs.send(keyEnter)
	if len(c.called()) != 0 {
		t.Fatal("the callback ran inside Update")
	}
	if !strings.Contains(hs.screen(), "Checking…") {
		t.Errorf("no progress shown:\n%s", hs.screen())
	}
	hs.typeText("x") // ignored while checking
	hs.press(keyEsc)
	hs.run(cmd)

	if got := c.called(); len(got) != 1 || got[0] != [2]string{"generated-1", "my new secret"} {
		t.Fatalf("calls %q", got)
	}
	if got := hs.status(); got != "Password changed." {
		t.Errorf("status %q, want %q", got, "Password changed.")
	}
	scr := hs.screen()
	if !strings.Contains(scr, "welcome.py") || strings.Contains(scr, "Choose your own") {
		t.Errorf("workspace not shown after success:\n%s", scr)
	}
	hs.press(keyDown) // the notice lasts until the next key
	if got := hs.status(); !strings.HasPrefix(got, "projects/") {
		t.Errorf("status %q after a key", got)
	}
	// The form is gone for good: q quits again.
	if !quits(hs.send(keyQ)) {
		t.Error("q does not quit the workspace after the change")
	}
}

func TestCallbackGetsExactlyWhatWasTyped(t *testing.T) {
	c := &changer{}
	hs := start(t, forcedOpts(c), 80, 24)
	hs.typeText("q r j k ") // the letters that are commands in the file list
	hs.press(keyBack)       // and a correction
	hs.press(keyDown)       // down moves between fields too
	hs.send(tea.PasteMsg{Content: "Mot de passe ü 42 ✓\n"})
	hs.press(keyTab, keyShiftTab, keyTab) // back and forth
	hs.typeText("Mot de passe ü 42 ✓")
	hs.press(keyUp, keyUp) // to the first field: all filled, so enter submits
	hs.press(keyEnter)
	want := [2]string{"q r j k", "Mot de passe ü 42 ✓"}
	if got := c.called(); len(got) != 1 || got[0] != want {
		t.Errorf("callback got %q, want %q", got, want)
	}
}

func TestTypedCharactersNeverShown(t *testing.T) {
	// Characters that appear nowhere else on the screen.
	const secret = "Жß#Ж€"
	for _, sz := range [][2]int{{80, 24}, {40, 12}, {25, 8}, {20, 5}} {
		c := &changer{err: errors.New("the new password is too short: use at least 10 characters")}
		hs := start(t, forcedOpts(c), sz[0], sz[1])
		check := func(when string) {
			t.Helper()
			for _, r := range secret {
				if strings.ContainsRune(hs.raw(), r) {
					t.Fatalf("%dx%d %s: %q appears on screen:\n%s", sz[0], sz[1], when, r, hs.screen())
				}
			}
		}
		for _, r := range secret {
			hs.typeText(string(r))
			check("typing")
		}
		hs.press(keyTab)
		hs.send(tea.PasteMsg{Content: secret})
		check("pasted")
		hs.press(keyTab)
		hs.typeText(secret)
		cmd := hs.send(keyEnter)
		check("checking")
		hs.run(cmd)
		check("after an error")
		if got := c.called(); len(got) != 1 || got[0] != [2]string{secret, secret} {
			t.Errorf("%dx%d: calls %q", sz[0], sz[1], got)
		}
	}
}

func TestEscCancelsOnlyTheUnforcedForm(t *testing.T) {
	forced := start(t, forcedOpts(&changer{}), 80, 24)
	forced.typeText("abc")
	forced.press(keyEsc)
	if !strings.Contains(forced.screen(), "Choose your own password") {
		t.Errorf("esc left a forced change:\n%s", forced.screen())
	}

	c := &changer{}
	hs := start(t, tui.Options{Username: "alice", Home: sampleHome(), ChangePassword: c.change}, 80, 24)
	if !strings.Contains(hs.screen(), "F8 password") {
		t.Errorf("the help bar does not offer F8:\n%s", hs.screen())
	}
	hs.press(keyF8)
	scr := hs.screen()
	if !strings.Contains(scr, "Change your password") || strings.Contains(scr, "welcome.py") {
		t.Fatalf("F8 does not open the form:\n%s", scr)
	}
	if !strings.Contains(scr, "esc cancel") {
		t.Errorf("the help bar does not say esc cancels:\n%s", scr)
	}
	hs.typeText("half typed")
	hs.press(keyEsc)
	if !strings.Contains(hs.screen(), "welcome.py") {
		t.Fatalf("esc did not close the form:\n%s", hs.screen())
	}
	if len(c.called()) != 0 {
		t.Error("cancelling called the callback")
	}
	hs.press(keyF8) // a fresh form: nothing kept from before
	if l := hs.fieldLine("Current password"); strings.Contains(l, "•") {
		t.Errorf("the form kept what was typed before it was cancelled: %q", l)
	}
	hs.fill("old", "new one", "new one")
	if got := hs.status(); got != "Password changed." {
		t.Errorf("status %q after changing from the workspace", got)
	}
}

func TestPasswordUnavailable(t *testing.T) {
	hs := start(t, tui.Options{Username: "alice", Home: sampleHome()}, 100, 24)
	hs.press(keyF8)
	if got := hs.status(); !strings.Contains(got, "not available") || !strings.HasSuffix(got, ".") {
		t.Errorf("status %q, want a sentence saying changing is unavailable", got)
	}
	if !strings.Contains(hs.screen(), "welcome.py") {
		t.Errorf("the workspace was left:\n%s", hs.screen())
	}

	// Forced with no way to change: the workspace stays closed and says why.
	hs = start(t, tui.Options{Username: "alice", Home: sampleHome(), MustChangePassword: true}, 100, 24)
	hs.fill("a", "b", "b")
	if !strings.Contains(hs.oneLine(), "not available") || strings.Contains(hs.screen(), "welcome.py") {
		t.Errorf("forced change without a callback:\n%s", hs.screen())
	}
}

func TestHelpScreen(t *testing.T) {
	hs := start(t, tui.Options{Username: "alice", Home: sampleHome(), ChangePassword: (&changer{}).change}, 80, 24)
	if !strings.Contains(hs.screen(), "F1 help") {
		t.Errorf("the help bar does not offer F1:\n%s", hs.screen())
	}
	for _, closeKey := range []tea.KeyPressMsg{keyEsc, keyF1} {
		hs.press(keyF1)
		scr := hs.screen()
		// The workspace's keys come first; the rest is a scroll away.
		for _, want := range []string{"Workspace", "F2", "ctrl+s", "ctrl+p", "Files"} {
			if !strings.Contains(scr, want) {
				t.Errorf("help screen lacks %q:\n%s", want, scr)
			}
		}
		all := hs.helpText()
		for _, want := range []string{"Account", "F8", "change password", "ctrl+q"} {
			if !strings.Contains(all, want) {
				t.Errorf("help screen lacks %q:\n%s", want, all)
			}
		}
		hs.press(keyEnd)
		if !strings.Contains(hs.screen(), "Files in and out") {
			t.Errorf("help screen's end lacks how to copy files in and out:\n%s", hs.screen())
		}
		hs.press(keyHome)
		if strings.Contains(scr, "welcome.py") {
			t.Errorf("help screen shows the files:\n%s", scr)
		}
		if quits(hs.send(keyQ)) {
			t.Error("q quits from the help screen")
		}
		hs.press(closeKey)
		if !strings.Contains(hs.screen(), "welcome.py") {
			t.Errorf("%s did not close the help:\n%s", closeKey, hs.screen())
		}
	}

	// From the form, the help returns to the form with what was typed.
	hs.press(keyF8)
	hs.typeText("abc")
	hs.press(keyF1)
	if all := hs.helpText(); !strings.Contains(all, "change password") {
		t.Errorf("F1 in the form does not show the help:\n%s", all)
	}
	hs.send(tea.PasteMsg{Content: "lost"}) // not into a hidden field
	hs.press(keyEsc)
	if l := hs.fieldLine("Current password"); !strings.Contains(l, "•••") || strings.Contains(l, "••••") {
		t.Errorf("the form changed behind the help: %q", l)
	}
}

func TestLettersTypeInTheForm(t *testing.T) {
	hs := start(t, tui.Options{Username: "alice", Home: sampleHome(), ChangePassword: (&changer{}).change}, 80, 24)
	hs.press(keyF8)
	for _, k := range []tea.KeyPressMsg{keyQ, keyR, keyJ, keyK} {
		if quits(hs.send(k)) {
			t.Fatalf("%s quits from the form", k)
		}
	}
	if l := hs.fieldLine("Current password"); !strings.Contains(l, "••••") {
		t.Errorf("q, r, j and k were not typed: %q", l)
	}
	if !strings.Contains(hs.screen(), "Change your password") {
		t.Errorf("a letter left the form:\n%s", hs.screen())
	}

	forced := start(t, forcedOpts(&changer{}), 80, 24)
	if quits(forced.send(keyQ)) {
		t.Error("q quits from the forced form")
	}
}

func TestForceQuitEverywhere(t *testing.T) {
	slow := func(string, string) error { return nil }
	modes := map[string]func(t *testing.T) *harness{
		"workspace": func(t *testing.T) *harness {
			return start(t, tui.Options{Username: "alice", Home: sampleHome()}, 80, 24)
		},
		"help": func(t *testing.T) *harness {
			hs := start(t, tui.Options{Username: "alice", Home: sampleHome()}, 80, 24)
			hs.press(keyF1)
			return hs
		},
		"form": func(t *testing.T) *harness {
			hs := start(t, tui.Options{Username: "alice", Home: sampleHome(), ChangePassword: slow}, 80, 24)
			hs.press(keyF8)
			hs.typeText("abc")
			return hs
		},
		"forced": func(t *testing.T) *harness {
			return start(t, forcedOpts(&changer{}), 80, 24)
		},
		"checking": func(t *testing.T) *harness {
			hs := start(t, forcedOpts(&changer{}), 80, 24)
			hs.typeText("a")
			hs.press(keyTab)
			hs.typeText("b")
			hs.press(keyTab)
			hs.typeText("b")
			hs.send(keyEnter) // the check is not run: still "Checking…"
			return hs
		},
	}
	for name, open := range modes {
		for _, k := range []tea.KeyPressMsg{keyCtrlC, keyCtrlQ} {
			t.Run(name+"/"+k.String(), func(t *testing.T) {
				if hs := open(t); !quits(hs.send(k)) {
					t.Errorf("%s does not quit:\n%s", k, hs.screen())
				}
			})
		}
	}
}
