package keys

import (
	"strings"
	"testing"
)

func TestEveryKeyBoundOnce(t *testing.T) {
	km := Default()
	for name, bindings := range km.Contexts() {
		seen := map[string]string{}
		for _, b := range bindings {
			h := b.Help()
			if h.Key == "" || h.Desc == "" || len(b.Keys()) == 0 {
				t.Errorf("%s: binding %+v lacks keys or help", name, h)
			}
			for _, k := range b.Keys() {
				if other, dup := seen[k]; dup {
					t.Errorf("%s: key %q bound to both %q and %q", name, k, other, h.Desc)
				}
				seen[k] = h.Desc
			}
		}
	}

	// The full help covers every binding of the keymap.
	seen := map[string]bool{}
	for _, group := range km.FullHelp() {
		for _, b := range group {
			for _, k := range b.Keys() {
				seen[k] = true
			}
		}
	}
	for _, k := range []string{"q", "ctrl+c", "ctrl+q", "r", "up", "k", "down", "j", "enter", "home", "end",
		"left", "right", "pgup", "pgdown", "tab", "shift+tab", "esc", "f1", "f8"} {
		if !seen[k] {
			t.Errorf("key %q missing from the help", k)
		}
	}
	if short := km.ShortHelp(); len(short) == 0 || short[0].Help().Desc != "quit" {
		t.Error("the help bar does not lead with quit")
	}
	if forced := km.FormHelp(false); forced[0].Help().Desc != "quit" {
		t.Error("a forced password form's help bar does not lead with quit")
	}
}

// The password form's fields take text: no form key, and no key that acts
// while the form has focus, may be a printable character.
func TestFormKeysAreNotText(t *testing.T) {
	for _, b := range Default().Contexts()["form"] {
		for _, k := range b.Keys() {
			if len([]rune(k)) == 1 || k == "space" {
				t.Errorf("form key %q would be typed into a field", k)
			}
		}
	}
}

// The editor takes text too: no editor key is a printable character.
func TestEditorKeysAreNotText(t *testing.T) {
	for _, ctx := range []string{"editor", "editor prompt"} {
		for _, b := range Default().Contexts()[ctx] {
			for _, k := range b.Keys() {
				if len([]rune(k)) == 1 || k == "space" {
					t.Errorf("%s key %q would be typed", ctx, k)
				}
			}
		}
	}
	// Every editor binding is in the full help (the editor's part, or the
	// workspace's for the keys that act in every pane) or is a selecting
	// move (summed up by one entry) or a prompt key.
	inHelp := map[string]bool{}
	for _, g := range Default().Groups() {
		for _, e := range g.Entries {
			for _, k := range e.Binding.Keys() {
				inHelp[k] = true
			}
		}
	}
	for _, b := range Default().Contexts()["editor"] {
		for _, k := range b.Keys() {
			if !inHelp[k] && !strings.Contains(k, "shift+") && k != "f1" {
				t.Errorf("editor key %q missing from the editor's help", k)
			}
		}
	}
}

func TestAccountGroup(t *testing.T) {
	for _, g := range Default().Groups() {
		if g.Title != "Account" {
			continue
		}
		for _, e := range g.Entries {
			if e.Binding.Help().Key == "F8" && strings.Contains(e.Description(), "change password") {
				return
			}
		}
	}
	t.Error(`no "Account" group with "F8 change password"`)
}
