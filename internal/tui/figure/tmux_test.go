package figure

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi/kitty"
)

func TestTmuxPassthroughIsExact(t *testing.T) {
	got := TmuxPassthrough("\x1b_Ga=d,d=I,i=5,q=2\x1b\\")
	if want := "\x1bPtmux;\x1b\x1b_Ga=d,d=I,i=5,q=2\x1b\x1b\\\x1b\\"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := TmuxPassthrough("no escape"); got != "\x1bPtmux;no escape\x1b\\" {
		t.Errorf("got %q", got)
	}
	// Three in a row, each in its own wrapper.
	seq := "\x1b_Ga=1;AA\x1b\\\x1b_Gm=1;BB\x1b\\\x1b_Gm=0;CC\x1b\\"
	want := TmuxPassthrough("\x1b_Ga=1;AA\x1b\\") + TmuxPassthrough("\x1b_Gm=1;BB\x1b\\") + TmuxPassthrough("\x1b_Gm=0;CC\x1b\\")
	if got := tmuxEach(seq); got != want {
		t.Errorf("tmuxEach: %q, want %q", got, want)
	}
}

// unwrap reads seq as tmux does: a run of passthrough wrappers, each
// giving back its escape; ok is false if anything else is there.
func unwrap(seq string) (escapes []string, ok bool) {
	for seq != "" {
		rest, found := strings.CutPrefix(seq, "\x1bPtmux;")
		if !found {
			return escapes, false
		}
		var b strings.Builder
		for {
			if rest == "" {
				return escapes, false
			}
			if strings.HasPrefix(rest, "\x1b\x1b") {
				b.WriteByte('\x1b')
				rest = rest[2:]
				continue
			}
			if strings.HasPrefix(rest, "\x1b\\") {
				rest = rest[2:]
				break
			}
			if rest[0] == '\x1b' {
				return escapes, false // a lone ESC would end tmux's DCS
			}
			b.WriteByte(rest[0])
			rest = rest[1:]
		}
		escapes = append(escapes, b.String())
		seq = rest
	}
	return escapes, true
}

// Inside tmux a kitty view's transmission, new placement and deletion are
// the same escapes as outside, each wrapped on its own; the placeholder
// cells are not wrapped.
func TestKittyThroughTmux(t *testing.T) {
	src := &goneLater{oneFigure: readyFigure(t, 64, 48)}
	plain := NewPainter(NewDrawer(src), nil, 3)
	defer plain.Close()
	plain.SetProtocol(Kitty, 0, 0)
	wrapped := NewPainter(NewDrawer(src), nil, 3)
	defer wrapped.Close()
	wrapped.SetProtocol(Kitty, 0, 0)
	wrapped.SetTmux(true)

	check := func(what string, f func(p *Painter) string) {
		t.Helper()
		want, got := f(plain), f(wrapped)
		escapes, ok := unwrap(got)
		if !ok || want == "" || strings.Join(escapes, "") != want {
			t.Fatalf("%s: not the same escapes in tmux's passthrough: %q…", what, got[:min(len(got), 80)])
		}
		for i, e := range escapes {
			if !strings.HasPrefix(e, "\x1b_G") || strings.Count(e, "\x1b") != 2 || len(e) > 4096+100 {
				t.Errorf("%s: wrapper %d holds %d bytes, not one kitty escape: %q…", what, i, len(e), e[:min(len(e), 40)])
			}
		}
	}
	var sent []Sent
	check("the transmission", func(p *Painter) string { seq, s := p.Transmit(rowsOf(7, 0, 5), 40); sent = s; return seq })
	wrapped.Confirm(sent)
	check("a new placement", func(p *Painter) string { seq, s := p.Transmit(rowsOf(7, 0, 5), 30); sent = s; return seq })
	wrapped.Confirm(sent)
	lines := blank(6, 30)
	wrapped.Lines(lines, rowsOf(7, 0, 5), 30)
	if !strings.Contains(lines[0], string(kitty.Placeholder)) || strings.Contains(strings.Join(lines, ""), "\x1bP") {
		t.Errorf("placeholders inside tmux: %q", lines[0][:min(len(lines[0]), 40)])
	}
	src.gone = true
	check("the deletion", func(p *Painter) string { seq, _ := p.Transmit(nil, 30); return seq })

	// Learning it is tmux only later sends the images again, wrapped.
	src.gone = false
	late := NewPainter(NewDrawer(src), nil, 3)
	defer late.Close()
	late.SetProtocol(Kitty, 0, 0)
	if seq, _ := late.Transmit(rowsOf(7, 0, 5), 40); strings.HasPrefix(seq, "\x1bP") {
		t.Fatalf("wrapped before tmux was known")
	}
	late.SetTmux(true)
	if seq, _ := late.Transmit(rowsOf(7, 0, 5), 40); !strings.HasPrefix(seq, "\x1bPtmux;\x1b\x1b_Ga=T,") {
		t.Errorf("not sent again through tmux: %q", seq[:min(len(seq), 40)])
	}
}

func TestDetectionInsideTmux(t *testing.T) {
	kittyOK := uv.KittyGraphicsEvent{Options: kitty.Options{ID: kittyQueryID}, Payload: []byte("OK")}
	wrappedQuery := TmuxPassthrough(kittyQuery)
	cases := []struct {
		name    string
		env     []string
		answers []tea.Msg
		want    Protocol
	}{
		{"TERM tmux-256color, kitty outside answers OK", []string{"TERM=tmux-256color"},
			[]tea.Msg{tea.TerminalVersionMsg{Name: "tmux 3.3a"}, uv.PrimaryDeviceAttributesEvent{1, 2}, kittyOK}, Kitty},
		{"TERM screen-256color, no answer to the query", []string{"TERM=screen-256color"},
			[]tea.Msg{tea.TerminalVersionMsg{Name: "tmux 3.3a"}, uv.PrimaryDeviceAttributesEvent{1, 2}}, Blocks},
		{"TERM_PROGRAM tmux", []string{"TERM=xterm-256color", "TERM_PROGRAM=tmux"}, []tea.Msg{kittyOK}, Kitty},
		{"GNU screen's TERM", []string{"TERM=screen"}, nil, Blocks},
		{"an iTerm2 outside: LC_TERMINAL is not believed", []string{"TERM=tmux-256color", "LC_TERMINAL=iTerm2"}, nil, Blocks},
		{"tmux built with sixel says so in its DA1", []string{"TERM=tmux-256color"}, []tea.Msg{uv.PrimaryDeviceAttributesEvent{1, 2, 4}}, Sixel},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var d Detector
			q := d.Env(tea.EnvMsg(c.env))
			if want := "\x1b[>0q\x1b[16t" + wrappedQuery + "\x1b[c"; q != want {
				t.Errorf("queries %q, want %q", q, want)
			}
			if !d.Tmux() {
				t.Errorf("not taken for tmux")
			}
			for _, a := range c.answers {
				if ok, next := d.Observe(a); !ok || next != "" {
					t.Errorf("%T: answer %v, next queries %q", a, ok, next)
				}
			}
			if got := d.Protocol(); got != c.want {
				t.Errorf("protocol %s, want %s", got, c.want)
			}
		})
	}
}

// A tmux that TERM does not reveal (a TERM set by hand) is found by its
// XTVERSION: kitty's query goes out wrapped then, once.
func TestXTVersionNamingTmuxAsksThroughIt(t *testing.T) {
	var d Detector
	if q := d.Env(tea.EnvMsg{"TERM=xterm-256color"}); strings.Contains(q, "\x1bP") || d.Tmux() {
		t.Fatalf("an xterm taken for tmux: %q", q)
	}
	_, next := d.Observe(tea.TerminalVersionMsg{Name: "tmux 3.3a"})
	if want := TmuxPassthrough(kittyQuery) + "\x1b[c"; next != want || !d.Tmux() {
		t.Errorf("after XTVERSION tmux: %q (tmux %v), want %q", next, d.Tmux(), want)
	}
	if _, again := d.Observe(tea.TerminalVersionMsg{Name: "tmux 3.3a"}); again != "" {
		t.Errorf("asked twice: %q", again)
	}
	d.Observe(uv.KittyGraphicsEvent{Options: kitty.Options{ID: kittyQueryID}, Payload: []byte("OK")})
	if got := d.Protocol(); got != Kitty {
		t.Errorf("protocol %s after the OK through tmux", got)
	}
	// Not tmux: a plain terminal's environment asks nothing through it.
	for _, env := range [][]string{{"TERM=xterm-256color"}, {"TERM=xterm-kitty"}, {"TERM=linux", "TERM_PROGRAM=vscode"}} {
		var d Detector
		if q := d.Env(tea.EnvMsg(env)); strings.Contains(q, "tmux;") || d.Tmux() {
			t.Errorf("%v: %q", env, q)
		}
	}
}
