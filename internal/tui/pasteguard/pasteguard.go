// Package pasteguard cleans a terminal's input on its way to Bubble Tea
// inside bracketed pastes (ESC [ 200 ~ ... ESC [ 201 ~), where the client
// sends the pasted bytes as they are.
//
// Two things go wrong there without it. The input decoder keeps a paste in
// memory until its end marker arrives, with no bound: a client that starts
// a paste and sends on forever grows the server without end. And a pasted
// binary blob holds escape sequences: an OSC, DCS or APC string started by
// the blob (ESC ], ESC P, ESC _, or their 8-bit forms) runs on until its
// terminator, so it swallows the paste's end marker, and every key typed
// afterwards lands in a paste that never ends: the session looks frozen.
// Many terminals strip control characters from what they paste, but not
// all do, and a hostile client never does.
//
// So inside a paste the guard drops every ESC that does not begin the end
// marker, and every byte of 0x80-0xBF that does not continue a UTF-8
// character (a lone C1 control is an 8-bit escape; the decoder drops invalid
// UTF-8 from a paste anyway); and it passes at most Limit bytes of one
// paste, dropping the rest until the end marker. Outside pastes the input
// passes untouched (keys are escape sequences).
package pasteguard

import "io"

// DefaultLimit is the most of one paste passed on: more than any pane takes
// (they refuse larger pastes with a sentence), so that a cut paste is still
// refused rather than taken in part.
const DefaultLimit = 4 << 20

const (
	start = "\x1b[200~"
	end   = "\x1b[201~"
)

// Reader is the guard over a terminal's input. It never holds back a byte
// outside a paste (a lone ESC is the Esc key, and must not wait).
type Reader struct {
	r     io.Reader
	limit int

	inPaste bool
	match   int    // bytes of the marker looked for (start outside, end inside) seen last
	cont    int    // UTF-8 continuation bytes still expected, inside a paste
	passed  int    // bytes of this paste passed on
	buf     []byte // for reading
	pending []byte // passed bytes p had no room for
}

// New guards r, passing at most limit bytes of one paste (0: DefaultLimit).
func New(r io.Reader, limit int) *Reader {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Reader{r: r, limit: limit}
}

// Read reads from the terminal and returns what the guard lets through. It
// may return 0 bytes and no error (a read that was all dropped).
func (g *Reader) Read(p []byte) (int, error) {
	if len(g.pending) > 0 {
		n := copy(p, g.pending)
		g.pending = g.pending[n:]
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	if cap(g.buf) < len(p) {
		g.buf = make([]byte, len(p))
	}
	n, err := g.r.Read(g.buf[:len(p)])
	out := g.filter(p[:0], g.buf[:n]) // the end marker may outgrow p
	k := copy(p, out)
	g.pending = append(g.pending, out[k:]...)
	return k, err
}

// filter appends to out what of b passes.
func (g *Reader) filter(out, b []byte) []byte {
	for _, c := range b {
		if !g.inPaste {
			out = append(out, c)
			switch {
			case c == start[g.match]:
				g.match++
				if g.match == len(start) {
					g.inPaste, g.match, g.cont, g.passed = true, 0, 0, 0
				}
			case c == 0x1b:
				g.match = 1
			default:
				g.match = 0
			}
			continue
		}
		if g.match > 0 {
			if c == end[g.match] {
				g.match++
				if g.match == len(end) {
					out = append(out, end...)
					g.inPaste, g.match = false, 0
				}
				continue
			}
			// Not the end marker after all: its ESC goes, the text
			// after it stays.
			held := end[1:g.match]
			g.match = 0
			for i := 0; i < len(held); i++ {
				out = g.content(out, held[i])
			}
		}
		if c == 0x1b {
			g.match = 1 // the end marker, or an escape that goes
			continue
		}
		out = g.content(out, c)
	}
	return out
}

// content appends the paste's byte c unless it goes: a byte of 0x80-0xBF
// that continues no character (a C1 control is an 8-bit escape), or
// anything past the limit.
func (g *Reader) content(out []byte, c byte) []byte {
	switch {
	case c >= 0x80 && c < 0xc0:
		if g.cont == 0 {
			return out
		}
		g.cont--
	case c >= 0xc0:
		g.cont = utf8Continuations(c)
	default:
		g.cont = 0
	}
	if g.passed >= g.limit {
		return out
	}
	g.passed++
	return append(out, c)
}

// utf8Continuations is how many continuation bytes the lead byte c wants.
func utf8Continuations(c byte) int {
	switch {
	case c >= 0xf8 || c < 0xc2: // never valid leads
		return 0
	case c >= 0xf0:
		return 3
	case c >= 0xe0:
		return 2
	}
	return 1
}
