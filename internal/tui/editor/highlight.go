package editor

import (
	"strings"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
)

// Classes of highlighted text, each drawn with one style of theme.Code.
const (
	clsText = iota
	clsKeyword
	clsConstant
	clsString
	clsNumber
	clsComment
	clsBuiltin
	clsFunction
	clsDecorator
	numClasses
)

// span is a run of a line's bytes of one class, ending at end.
type span struct {
	end   int
	class uint8
}

// String states at the start of a line: outside any string, or inside a
// triple-quoted one that an earlier line opened.
const (
	stCode uint8 = iota
	stSingle
	stDouble
)

// maxHighlight is the longest line highlighted: longer ones (minified data)
// are drawn plain rather than fed to the lexer.
const maxHighlight = 2000

// maxCached bounds the lines a highlighter remembers.
const maxCached = 4096

type lineKey struct {
	state uint8
	line  string
}

// highlighter colours Python one line at a time, and only the lines a view
// draws. A line's colours depend on its text and on whether an earlier line
// left a triple-quoted string open; the second comes from a cheap scan of
// the lines from the top of the file (scanLine), kept per line and
// recomputed from the first changed line on (buffer.ChangedSince). Lines are
// then lexed by chroma in isolation, prefixed with the open quotes when they
// continue a string, and cached by (state, text): typing re-lexes one line.
//
// The scan knows strings and comments but not a backslash continuing a
// one-quoted string over lines, which Python code rarely does.
type highlighter struct {
	lexer   chroma.Lexer
	cache   map[lineKey][]span
	states  []uint8 // states[i] is the state at the start of line i, for i < len(states)
	version uint64  // the buffer version states belong to
}

func newHighlighter() *highlighter {
	return &highlighter{
		lexer:  lexers.Get("python"),
		cache:  map[lineKey][]span{},
		states: []uint8{stCode},
	}
}

// invalidate forgets the states after line changed (-1: nothing changed).
func (h *highlighter) invalidate(changed int, version uint64) {
	if changed >= 0 && changed+1 < len(h.states) {
		h.states = h.states[:changed+1]
	}
	h.version = version
}

// known returns the first line whose start state is not known yet (all
// lines before it are).
func (h *highlighter) known() int { return len(h.states) - 1 }

// advance computes start states up to line upto, given lines starting at
// line first; it stops where the lines given end.
func (h *highlighter) advance(first int, lines []string, upto int) {
	for len(h.states) <= upto {
		j := len(h.states) - 1 // the line whose end state comes next
		if j < first || j-first >= len(lines) {
			return
		}
		h.states = append(h.states, scanLine(lines[j-first], h.states[j]))
	}
}

// state returns the start state of line i, or stCode when unknown.
func (h *highlighter) state(i int) uint8 {
	if i < len(h.states) {
		return h.states[i]
	}
	return stCode
}

// spans returns the classes of line's bytes when it starts in state st.
func (h *highlighter) spans(line string, st uint8) []span {
	if line == "" {
		return nil
	}
	if len(line) > maxHighlight || h.lexer == nil {
		return []span{{end: len(line), class: clsText}}
	}
	key := lineKey{st, line}
	if s, ok := h.cache[key]; ok {
		return s
	}
	prefix := ""
	switch st {
	case stSingle:
		prefix = "'''"
	case stDouble:
		prefix = `"""`
	}
	out := lex(h.lexer, prefix, line)
	if len(h.cache) >= maxCached {
		clear(h.cache)
	}
	h.cache[key] = out
	return out
}

// lex runs chroma over prefix+line and returns the classes of line's bytes.
func lex(lexer chroma.Lexer, prefix, line string) []span {
	it, err := lexer.Tokenise(nil, prefix+line)
	if err != nil {
		return []span{{end: len(line), class: clsText}}
	}
	var out []span
	pos := -len(prefix) // where the next token starts, relative to line
	for t := it(); t != chroma.EOF; t = it() {
		end := pos + len(t.Value)
		if end > len(line) {
			end = len(line) // the lexer adds a newline at the end
		}
		if end > 0 && end > pos {
			c := classOf(t.Type)
			if n := len(out); n > 0 && out[n-1].class == c {
				out[n-1].end = end
			} else {
				out = append(out, span{end: end, class: c})
			}
		}
		pos += len(t.Value)
	}
	if n := len(out); n == 0 || out[n-1].end < len(line) {
		out = append(out, span{end: len(line), class: clsText})
	}
	return out
}

func classOf(t chroma.TokenType) uint8 {
	switch {
	case t == chroma.KeywordConstant:
		return clsConstant
	case t.InCategory(chroma.Keyword), t == chroma.OperatorWord:
		return clsKeyword
	case t.InCategory(chroma.Comment):
		return clsComment
	case t.InSubCategory(chroma.LiteralString):
		return clsString
	case t.InSubCategory(chroma.LiteralNumber):
		return clsNumber
	case t == chroma.NameBuiltin, t == chroma.NameBuiltinPseudo, t == chroma.NameException:
		return clsBuiltin
	case t == chroma.NameFunction, t == chroma.NameClass, t == chroma.NameFunctionMagic:
		return clsFunction
	case t == chroma.NameDecorator:
		return clsDecorator
	}
	return clsText
}

// scanLine returns the string state at the end of line when it starts in
// state st: whether a triple-quoted string is left open.
func scanLine(line string, st uint8) uint8 {
	for i := 0; i < len(line); {
		if st != stCode {
			q := `"""`
			if st == stSingle {
				q = "'''"
			}
			j := closing(line[i:], q)
			if j < 0 {
				return st
			}
			i += j + 3
			st = stCode
			continue
		}
		switch c := line[i]; c {
		case '#':
			return stCode
		case '\'', '"':
			if strings.HasPrefix(line[i:], strings.Repeat(string(c), 3)) {
				st = stDouble
				if c == '\'' {
					st = stSingle
				}
				i += 3
				continue
			}
			// A one-quoted string ends on its line.
			j := i + 1
			for j < len(line) && line[j] != c {
				if line[j] == '\\' {
					j++
				}
				j++
			}
			i = j + 1
		default:
			i++
		}
	}
	return st
}

// closing returns the index of the unescaped quotes q in s, or -1.
func closing(s, q string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case strings.HasPrefix(s[i:], q):
			return i
		}
	}
	return -1
}
