package tui_test

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
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
