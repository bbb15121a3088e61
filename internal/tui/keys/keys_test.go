package keys

import "testing"

func TestEveryKeyBoundOnce(t *testing.T) {
	km := Default()
	seen := map[string]string{}
	for _, group := range km.FullHelp() {
		for _, b := range group {
			h := b.Help()
			if h.Key == "" || h.Desc == "" || len(b.Keys()) == 0 {
				t.Errorf("binding %+v lacks keys or help", h)
			}
			for _, k := range b.Keys() {
				if other, dup := seen[k]; dup {
					t.Errorf("key %q bound to both %q and %q", k, other, h.Desc)
				}
				seen[k] = h.Desc
			}
		}
	}
	// The full help covers every binding of the keymap.
	for _, k := range []string{"q", "ctrl+c", "r", "up", "k", "down", "j", "enter", "home", "end", "left", "right", "pgup", "pgdown"} {
		if _, ok := seen[k]; !ok {
			t.Errorf("key %q missing from the help", k)
		}
	}
	if short := km.ShortHelp(); len(short) == 0 || short[0].Help().Desc != "quit" {
		t.Error("the help bar does not lead with quit")
	}
}
