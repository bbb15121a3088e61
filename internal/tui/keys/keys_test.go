package keys

import (
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
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

// The console's filter, forms, prompts and pasted text take text: none of
// their keys is printable; and each page's own keys are in the full help.
func TestConsoleKeys(t *testing.T) {
	km := Default()
	ctxs := km.Contexts()
	for _, ctx := range []string{"console filter", "console form", "console prompt", "console text"} {
		if len(ctxs[ctx]) == 0 {
			t.Errorf("no context %q", ctx)
		}
		for _, b := range ctxs[ctx] {
			for _, k := range b.Keys() {
				if len([]rune(k)) == 1 || k == "space" {
					t.Errorf("%s key %q would be typed", ctx, k)
				}
			}
		}
	}
	inHelp := map[string]bool{}
	for _, g := range km.ConsoleGroups() {
		for _, e := range g.Entries {
			for _, k := range e.Binding.Keys() {
				inHelp[k] = true
			}
		}
	}
	for _, page := range []string{ConsoleStudents, ConsoleLive, ConsoleHelpQueue, ConsoleAnnouncements, ConsoleAudit} {
		bs := ctxs["console "+page]
		if len(bs) == 0 {
			t.Fatalf("no context for the console page %q", page)
		}
		for _, b := range bs {
			for _, k := range b.Keys() {
				if !inHelp[k] {
					t.Errorf("console %s key %q missing from the console's help", page, k)
				}
			}
		}
		if bar := km.ConsoleHelp(page); len(bar) < 3 || bar[0].Help().Desc != "quit" {
			t.Errorf("the %s page's help bar does not lead with quit", page)
		}
	}
	for _, b := range []key.Binding{km.SwitchConsole, km.Console.TakeControl, km.Workspace.AskHelp} {
		if len(b.Keys()) == 0 || b.Help().Key == "" {
			t.Errorf("binding %+v lacks keys or help", b.Help())
		}
	}
}
