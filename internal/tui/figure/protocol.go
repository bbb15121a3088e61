package figure

// Protocol is how a view draws figures: the value of tui.Options.Graphics
// and of the student's setting.
type Protocol string

// The protocols, as the setting and tui.Options.Graphics spell them.
const (
	// Auto detects the terminal's protocol (the default; "" means Auto).
	Auto Protocol = "auto"
	// Blocks draws the half-block picture, which every terminal shows.
	Blocks Protocol = "blocks"
	// Kitty is the kitty graphics protocol with Unicode placeholders
	// (kitty, Ghostty).
	Kitty Protocol = "kitty"
	// ITerm2 is iTerm2's inline images, OSC 1337 (iTerm2, WezTerm, mintty,
	// Konsole, xterm.js's image addon).
	ITerm2 Protocol = "iterm2"
	// Sixel is DEC sixel graphics (foot, xterm, mlterm, Windows Terminal).
	Sixel Protocol = "sixel"
	// Off draws no picture: the figure's rows say where its PNG is.
	Off Protocol = "off"
	// Page is the browser page's own overlay (page.go): the rows are blank
	// and a private OSC tells the page where to lay the PNG, which it
	// fetches once. Only the page claims it (the bridge's graphics=); it is
	// not among the choices a student cycles through.
	Page Protocol = "page"
)

// Protocols are the values a student can choose, in the order the setting
// cycles through them.
var Protocols = []Protocol{Auto, Blocks, Kitty, ITerm2, Sixel, Off}

// ParseProtocol reads a setting or an option ("" is Auto); ok is false for
// anything else.
func ParseProtocol(s string) (p Protocol, ok bool) {
	if s == "" {
		return Auto, true
	}
	if s == string(Page) {
		return Page, true
	}
	for _, p := range Protocols {
		if string(p) == s {
			return p, true
		}
	}
	return Auto, false
}

// Pixels reports whether p draws pixels (not cells): such an image must be
// erased and drawn again by the view as the pane changes.
func (p Protocol) Pixels() bool { return p == ITerm2 || p == Sixel || p == Page }
