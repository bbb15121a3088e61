package tui_test

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/tui"
)

// ctrl+F4 chooses how this terminal draws figures, in the order the help
// gives, and says so; the key never reaches a pane.
func TestFigureSettingCycles(t *testing.T) {
	d := drive(t, newSpace(t, nil), 120, 40)
	ctrlF4 := tea.KeyPressMsg{Code: tea.KeyF4, Mod: tea.ModCtrl}
	for _, want := range []string{"Figures: blocks", "Figures: kitty", "Figures: iterm2", "Figures: sixel",
		"Figures: off, the rows name the PNG in ~/figures", "Figures: auto (this terminal: blocks)"} {
		d.press(ctrlF4)
		if st := d.status(); !strings.HasPrefix(st, want) || !strings.Contains(st, "ctrl+F4 to change") {
			t.Errorf("status %q, want %q…", st, want)
		}
	}
	if strings.Contains(d.screen(), "Python: starting") {
		t.Errorf("ctrl+F4 reached the Python pane")
	}
	d.press(tea.KeyPressMsg{Code: tea.KeyF1})
	if !strings.Contains(d.screen(), "ctrl+F4") || !strings.Contains(d.screen(), "figures: auto, blocks, kitty, iterm2, sixel, off") {
		t.Errorf("the full help does not explain ctrl+F4:\n%s", d.screen())
	}
}

// A client that knows its protocol (Options.Graphics: the browser's page)
// gets it without asking the terminal, and the student's own choice wins
// over it: with "iterm2", plt.show() draws an OSC 1337 image over the
// frame; with ctrl+F4 on blocks, the same figure is half blocks and no
// image.
func TestGraphicsOptionDrawsWithoutDetection(t *testing.T) {
	needSandbox(t)
	sp := newSpace(t, nil)
	d := &driver{t: t, msgs: make(chan tea.Msg, 64), w: 200, h: 50}
	d.m = tui.New(tui.Options{Username: "alice", Role: "student", Home: sp.home, Workspace: sp.ws, Graphics: "iterm2",
		ChangePassword: func(string, string) error { return nil }})
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: d.w, Height: d.h})
	d.exec(d.m.Init())
	d.shows("welcome.py")
	d.press(tea.KeyPressMsg{Code: tea.KeyF4})
	d.shows(">>>") // wide: Python beside the editor, its whole height
	d.typeText("import matplotlib.pyplot as plt; plt.plot([1, 3, 2]); plt.show()\n")
	d.shows("[figure saved: ~/figures/python-1.png]")
	d.until("the figure drawn as an iTerm2 image over the frame", func(string) bool {
		return strings.Contains(d.m.View().Overlay, "\x1b]1337;File=inline=1;")
	})
	if strings.Contains(d.raw(), "▀") {
		t.Errorf("half blocks under an iTerm2 image")
	}
	d.press(tea.KeyPressMsg{Code: tea.KeyF4, Mod: tea.ModCtrl}) // the student's choice: blocks
	d.until("the figure in half blocks", func(string) bool { return strings.Count(d.raw(), "▀") > 100 })
	if v := d.m.View(); v.Overlay != "" {
		t.Errorf("an image over half blocks: %q", v.Overlay[:min(len(v.Overlay), 40)])
	}
}
