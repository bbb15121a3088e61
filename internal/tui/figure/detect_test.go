package figure

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi/kitty"
)

func TestDetection(t *testing.T) {
	kittyOK := uv.KittyGraphicsEvent{Options: kitty.Options{ID: kittyQueryID}, Payload: []byte("OK")}
	cases := []struct {
		name       string
		env        []string
		answers    []tea.Msg
		kittyQuery bool
		want       Protocol
	}{
		{"a plain xterm-256color", []string{"TERM=xterm-256color"}, []tea.Msg{uv.PrimaryDeviceAttributesEvent{62, 1, 6, 22}}, false, Blocks},
		{"no answers at all", []string{"TERM=xterm-256color"}, nil, false, Blocks},
		{"a 4 in DA1", []string{"TERM=xterm-256color"}, []tea.Msg{uv.PrimaryDeviceAttributesEvent{62, 4, 22}}, false, Sixel},
		{"LC_TERMINAL", []string{"TERM=xterm-256color", "LC_TERMINAL=iTerm2"}, nil, false, ITerm2},
		{"TERM_PROGRAM WezTerm, with sixel too", []string{"TERM=xterm-256color", "TERM_PROGRAM=WezTerm"}, []tea.Msg{uv.PrimaryDeviceAttributesEvent{65, 4}}, false, ITerm2},
		{"XTVERSION mintty", []string{"TERM=xterm"}, []tea.Msg{tea.TerminalVersionMsg{Name: "mintty 3.7.0"}}, false, ITerm2},
		{"kitty's TERM and its OK", []string{"TERM=xterm-kitty"}, []tea.Msg{kittyOK, uv.PrimaryDeviceAttributesEvent{62, 4}}, true, Kitty},
		{"kitty's TERM, no OK", []string{"TERM=xterm-kitty"}, []tea.Msg{uv.PrimaryDeviceAttributesEvent{62}}, true, Blocks},
		{"Ghostty", []string{"TERM=xterm-ghostty"}, []tea.Msg{kittyOK}, true, Kitty},
		{"an OK nobody asked for", []string{"TERM=xterm-256color"}, []tea.Msg{kittyOK}, false, Blocks},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d Detector
			q := d.Env(tea.EnvMsg(c.env))
			if got := strings.Contains(q, "\x1b_G"); got != c.kittyQuery {
				t.Errorf("kitty's query sent: %v, want %v (%q)", got, c.kittyQuery, q)
			}
			if !strings.HasPrefix(q, "\x1b[>0q") || !strings.HasSuffix(q, "\x1b[c") {
				t.Errorf("queries %q: XTVERSION first, DA1 last", q)
			}
			for _, a := range c.answers {
				if ok, _ := d.Observe(a); !ok {
					t.Errorf("%T not taken as an answer", a)
				}
			}
			if got := d.Protocol(); got != c.want {
				t.Errorf("protocol %s, want %s", got, c.want)
			}
		})
	}
}

func TestXTVersionNamingKittyAsksKitty(t *testing.T) {
	var d Detector
	if q := d.Env(tea.EnvMsg{"TERM=xterm-256color"}); strings.Contains(q, "\x1b_G") {
		t.Fatalf("asked kitty's query of an xterm: %q", q)
	}
	_, next := d.Observe(tea.TerminalVersionMsg{Name: "kitty(0.39.1)"})
	if !strings.HasPrefix(next, kittyQuery) || !strings.HasSuffix(next, "\x1b[c") {
		t.Errorf("after XTVERSION kitty: %q", next)
	}
	if ok, _ := d.Observe(tea.KeyPressMsg{Code: 'a', Text: "a"}); ok {
		t.Errorf("a key taken for an answer")
	}
	d.Observe(uv.CellSizeEvent{Width: 9, Height: 19})
	if w, h := d.CellSize(); w != 9 || h != 19 {
		t.Errorf("cell %dx%d", w, h)
	}
}
