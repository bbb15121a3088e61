package figure

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
)

// Detection of a view's pixel protocol (#15).
//
// What we need: each view (each terminal) draws figures in the best
// protocol its terminal has, and a terminal that never claimed a protocol
// is never sent its escapes (they would print as garbage or worse).
//
// What we do: a view starts with the half-block picture. From the
// client's environment (TERM, TERM_PROGRAM, LC_TERMINAL, which OpenSSH
// sends with `SendEnv LC_*`, Debian's and macOS's default) it knows only
// a few terminals for sure; then it asks the terminal, with the standard
// queries every terminal answers or ignores: XTVERSION (CSI > 0 q, the
// terminal's name), the cell size in pixels (CSI 16 t, for sixel), kitty's
// graphics query (only where TERM or XTVERSION says kitty or Ghostty:
// other terminals print its payload) and last DA1 (CSI c: every terminal
// answers it, and a 4 in the answer claims sixel). Each answer upgrades the
// view. Bubble Tea parses the answers into their own messages, early or
// late, so none is ever taken for a typed key.
//
// What claims what: kitty graphics needs the terminal's OK to the query;
// iTerm2's inline images need LC_TERMINAL=iTerm2, TERM_PROGRAM naming iTerm2
// or WezTerm, or an XTVERSION naming iTerm2, WezTerm, mintty or Konsole;
// sixel needs a 4 in DA1. When several are claimed, kitty wins (its images
// are cells), then iTerm2 (the PNG as it is), then sixel. Inside tmux the
// kitty query goes through tmux's passthrough and iTerm2 is never claimed
// (tmux.go).

// kittyQueryID is the image id of kitty's graphics query.
const kittyQueryID = 31

// kittyQuery asks kitty whether it draws images sent in the escape itself.
const kittyQuery = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"

// Default cell size in pixels, until the terminal says (smallish: a sixel
// sized for cells smaller than the real ones stays within its rows).
const defaultCellW, defaultCellH = 8, 16

// Detector follows one terminal's answers. It is a value owned by one
// view's model (not safe for concurrent use).
type Detector struct {
	term, program, lcTerminal string
	version                   string
	kittyAsked, kittyOK       bool
	tmux                      bool // inside tmux (tmux.go)
	kittyWrapped              bool // kitty's query went out in tmux's passthrough
	sixel, da1Seen            bool
	cellW, cellH              int
}

// Env reads the client's environment (Bubble Tea's EnvMsg at the start)
// and returns the queries to write to the terminal.
func (d *Detector) Env(env tea.EnvMsg) string {
	d.term = env.Getenv("TERM")
	d.program = env.Getenv("TERM_PROGRAM")
	d.lcTerminal = env.Getenv("LC_TERMINAL")
	q := "\x1b[>0q\x1b[16t" // XTVERSION, the cell size
	d.tmux = inTmux(d.term, d.program)
	switch {
	case d.tmux: // the outer terminal's name is hidden: ask it through tmux
		q += TmuxPassthrough(kittyQuery)
		d.kittyAsked, d.kittyWrapped = true, true
	case d.kittyish(d.term) || d.kittyish(d.program):
		q += kittyQuery
		d.kittyAsked = true
	}
	return q + ansi.RequestPrimaryDeviceAttributes
}

func (d *Detector) kittyish(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "kitty") || strings.Contains(s, "ghostty")
}

// Observe takes a message that may be an answer: it reports whether it
// was one (the caller need not pass it on), and returns the queries to
// write next (kitty's, when XTVERSION names kitty after all).
func (d *Detector) Observe(msg tea.Msg) (answer bool, next string) {
	switch msg := msg.(type) {
	case tea.TerminalVersionMsg:
		d.version = msg.Name
		if strings.HasPrefix(strings.ToLower(msg.Name), "tmux") && !d.kittyWrapped {
			// tmux answered, though TERM did not say: ask through it.
			d.tmux, d.kittyAsked, d.kittyWrapped = true, true, true
			return true, TmuxPassthrough(kittyQuery) + ansi.RequestPrimaryDeviceAttributes
		}
		if d.kittyish(msg.Name) && !d.kittyAsked {
			d.kittyAsked = true
			return true, kittyQuery + ansi.RequestPrimaryDeviceAttributes
		}
		return true, ""
	case uv.PrimaryDeviceAttributesEvent:
		d.da1Seen = true
		for _, a := range msg {
			if a == 4 {
				d.sixel = true
			}
		}
		return true, ""
	case uv.CellSizeEvent:
		if msg.Width > 0 && msg.Height > 0 && msg.Width < 1000 && msg.Height < 1000 {
			d.cellW, d.cellH = msg.Width, msg.Height
		}
		return true, ""
	case uv.KittyGraphicsEvent:
		if msg.Options.ID == kittyQueryID && d.kittyAsked {
			d.kittyOK = strings.HasPrefix(string(msg.Payload), "OK")
		}
		return true, ""
	}
	return false, ""
}

// Protocol is the best protocol the terminal claimed so far.
func (d *Detector) Protocol() Protocol {
	switch {
	case d.kittyOK:
		return Kitty
	case d.iterm2():
		return ITerm2
	case d.sixel:
		return Sixel
	}
	return Blocks
}

func (d *Detector) iterm2() bool {
	if d.tmux {
		return false // tmux swallows OSC 1337; LC_TERMINAL may be the outer shell's
	}
	if strings.EqualFold(d.lcTerminal, "iTerm2") {
		return true
	}
	switch strings.ToLower(d.program) {
	case "iterm.app", "wezterm":
		return true
	}
	v := strings.ToLower(d.version)
	for _, name := range []string{"iterm2", "wezterm", "mintty", "konsole"} {
		if strings.HasPrefix(v, name) {
			return true
		}
	}
	return false
}

// CellSize is the terminal's cell in pixels (a common default until it
// says).
func (d *Detector) CellSize() (w, h int) {
	if d.cellW == 0 {
		return defaultCellW, defaultCellH
	}
	return d.cellW, d.cellH
}

// Tmux reports whether the terminal is tmux (or screen): kitty's escapes
// must then be wrapped in its passthrough (tmux.go).
func (d *Detector) Tmux() bool { return d.tmux }
