package figure

import "strings"

// Figures through tmux (#15).
//
// What we need: a student who runs ssh inside tmux (or screen) sees the
// figures their outer terminal can draw, and a terminal that claimed
// nothing is still never sent an image.
//
// What we weighed: tmux is a terminal of its own. It swallows the escapes
// it does not know (kitty's APC, iTerm2's OSC 1337) and answers the
// standard queries itself (XTVERSION names tmux, DA1 is tmux's), so the
// outer terminal's identity is hidden. An escape reaches the outer terminal
// only wrapped in tmux's passthrough, ESC P tmux; <the escape, every ESC
// doubled> ESC \, and only with `set -g allow-passthrough on` (off by
// default since tmux 3.3; tmux then drops the wrapped bytes silently). An
// image passed through lands at the outer terminal's cursor, knowing nothing
// of tmux's panes, scrolling or windows: pixels drawn at a place (iTerm2,
// sixel through passthrough) would be in the wrong place or stay behind.
// kitty's Unicode placeholders are ordinary text, which tmux keeps, scrolls
// and clips with its pane: only the image's transmission and deletion need
// to pass through.
//
// What we do: a view is inside tmux when TERM starts with "tmux" or
// "screen", when TERM_PROGRAM is tmux (tmux sets it in its panes; OpenSSH
// sends it only with SendEnv), or when the XTVERSION answer names tmux.
// There the view starts with half blocks and asks kitty's graphics query
// wrapped in passthrough; tmux forwards the outer terminal's answer to the
// pane (seen with tmux 3.3a), and only an OK upgrades the view to kitty. The
// kitty escapes (transmission, placement, deletion) are then wrapped, one
// wrapper per escape, so that none is longer than a chunk of the image; the
// placeholders are not. iTerm2 is not claimed inside tmux (an LC_TERMINAL
// inherited from the outer shell would only get rows left blank), and a
// sixel only when tmux itself claims sixel in its DA1 (tmux built with
// sixel draws it in its own pane). A student can also choose kitty with
// ctrl+F4.
//
// Limits: without allow-passthrough nothing answers the query and the view
// stays with half blocks; a student who chose kitty then gets empty rows
// (ctrl+F4 back to blocks, or set the option). tmux sends passthrough only
// to the terminal showing the pane's window: an image transmitted while its
// window is hidden is lost (switching ctrl+F4 away and back to kitty sends
// it again). tmux must pass true colour to the outer terminal (the image id
// is the placeholders' foreground colour), as it does when that terminal's
// terminfo or `terminal-features` says RGB.

// TmuxPassthrough wraps seq, one escape sequence, in tmux's passthrough:
// DCS "tmux;", seq with every ESC doubled, ST.
func TmuxPassthrough(seq string) string {
	return "\x1bPtmux;" + strings.ReplaceAll(seq, "\x1b", "\x1b\x1b") + "\x1b\\"
}

// tmuxEach wraps each escape of seq, a run of escapes that each end in ST
// and hold no other ESC (kitty's: base64 payloads), in its own passthrough.
func tmuxEach(seq string) string {
	var b strings.Builder
	for seq != "" {
		i := strings.Index(seq, "\x1b\\")
		if i < 0 {
			b.WriteString(TmuxPassthrough(seq))
			break
		}
		b.WriteString(TmuxPassthrough(seq[:i+2]))
		seq = seq[i+2:]
	}
	return b.String()
}

// inTmux reports whether a terminal whose TERM and TERM_PROGRAM are these
// is tmux (or GNU screen, whose TERM tmux also uses).
func inTmux(term, program string) bool {
	term = strings.ToLower(term)
	return strings.EqualFold(program, "tmux") || strings.HasPrefix(term, "tmux") || strings.HasPrefix(term, "screen")
}
