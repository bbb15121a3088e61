package deploy_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// A reader for the YAML this folder uses, and no more: block mappings and
// sequences, plain and quoted scalars, flow sequences of scalars, comments
// and "---" between documents. Anything else (tabs, anchors, block scalars,
// flow mappings other than {}, a key given twice, bad indentation) is an
// error, so that a file this reads is also read the same way by Docker
// Compose, kubectl and Prometheus. (The module has no YAML library, and these
// files do not justify adding one.)

type yline struct {
	no     int // 1-based, for messages
	indent int
	text   string // without indentation and comment
}

// parseYAML returns the documents of src: map[string]any, []any, string or nil.
func parseYAML(src string) ([]any, error) {
	var docs [][]yline
	var cur []yline
	for i, raw := range strings.Split(src, "\n") {
		if strings.TrimSpace(raw) == "---" {
			docs = append(docs, cur)
			cur = nil
			continue
		}
		body := strings.TrimLeft(raw, " ")
		if strings.HasPrefix(body, "\t") || strings.Contains(raw[:len(raw)-len(body)], "\t") {
			return nil, fmt.Errorf("line %d: a tab in the indentation", i+1)
		}
		text, err := stripComment(body)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if text = strings.TrimRight(text, " \t\r"); text == "" {
			continue
		}
		cur = append(cur, yline{no: i + 1, indent: len(raw) - len(body), text: text})
	}
	docs = append(docs, cur)
	var out []any
	for _, d := range docs {
		if len(d) == 0 {
			continue
		}
		p := &yparser{lines: d}
		v, err := p.block(d[0].indent)
		if err != nil {
			return nil, err
		}
		if p.i < len(d) {
			return nil, fmt.Errorf("line %d: unexpected indentation", d[p.i].no)
		}
		out = append(out, v)
	}
	return out, nil
}

// stripComment cuts a comment: "#" at the start or after a space, outside quotes.
func stripComment(s string) (string, error) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			if i == 0 || strings.ContainsRune(" :-[,", rune(s[i-1])) {
				quote = c
			}
		case c == '#' && (i == 0 || s[i-1] == ' '):
			return s[:i], nil
		}
	}
	if quote != 0 {
		return "", fmt.Errorf("an unterminated quoted string")
	}
	return s, nil
}

type yparser struct {
	lines []yline
	i     int
}

func (p *yparser) block(indent int) (any, error) {
	if p.i >= len(p.lines) {
		return nil, nil
	}
	l := p.lines[p.i]
	if l.indent != indent {
		return nil, fmt.Errorf("line %d: indentation %d, want %d", l.no, l.indent, indent)
	}
	if l.text == "-" || strings.HasPrefix(l.text, "- ") {
		return p.sequence(indent)
	}
	return p.mapping(indent)
}

func (p *yparser) sequence(indent int) ([]any, error) {
	var out []any
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent != indent || !(l.text == "-" || strings.HasPrefix(l.text, "- ")) {
			if l.indent > indent {
				return nil, fmt.Errorf("line %d: unexpected indentation", l.no)
			}
			break
		}
		rest := strings.TrimLeft(strings.TrimPrefix(l.text, "-"), " ")
		switch {
		case rest == "":
			p.i++
			if p.i < len(p.lines) && p.lines[p.i].indent > indent {
				v, err := p.block(p.lines[p.i].indent)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			} else {
				out = append(out, nil)
			}
		case isMappingLine(rest):
			// "- key: value": a mapping whose keys line up after "- ".
			col := indent + len(l.text) - len(rest)
			p.lines[p.i] = yline{no: l.no, indent: col, text: rest}
			v, err := p.mapping(col)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		default:
			v, err := scalarOrFlow(rest, l.no)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			p.i++
		}
	}
	return out, nil
}

func isMappingLine(s string) bool {
	k, _, ok := splitKey(s)
	return ok && k != ""
}

// splitKey splits "key: value" (or "key:"), the key plain or quoted.
func splitKey(s string) (key, value string, ok bool) {
	if s == "" || s[0] == '[' || s[0] == '{' {
		return "", "", false
	}
	if s[0] == '"' || s[0] == '\'' {
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return "", "", false
		}
		rest := s[end+2:]
		if rest != ":" && !strings.HasPrefix(rest, ": ") {
			return "", "", false
		}
		k, err := unquote(s[:end+2])
		return k, strings.TrimSpace(strings.TrimPrefix(rest, ":")), err == nil
	}
	if i := strings.Index(s, ": "); i >= 0 {
		return s[:i], strings.TrimSpace(s[i+2:]), true
	}
	if strings.HasSuffix(s, ":") {
		return s[:len(s)-1], "", true
	}
	return "", "", false
}

func (p *yparser) mapping(indent int) (map[string]any, error) {
	out := map[string]any{}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation", l.no)
		}
		key, value, ok := splitKey(l.text)
		if !ok {
			if l.text == "-" || strings.HasPrefix(l.text, "- ") {
				break // a sequence at the parent key's indentation ends this mapping
			}
			return nil, fmt.Errorf("line %d: %q is not key: value", l.no, l.text)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: key %q given twice", l.no, key)
		}
		p.i++
		switch {
		case value != "":
			v, err := scalarOrFlow(value, l.no)
			if err != nil {
				return nil, err
			}
			out[key] = v
		case p.i < len(p.lines) && p.lines[p.i].indent > indent:
			v, err := p.block(p.lines[p.i].indent)
			if err != nil {
				return nil, err
			}
			out[key] = v
		case p.i < len(p.lines) && p.lines[p.i].indent == indent && (p.lines[p.i].text == "-" || strings.HasPrefix(p.lines[p.i].text, "- ")):
			v, err := p.sequence(indent)
			if err != nil {
				return nil, err
			}
			out[key] = v
		default:
			out[key] = nil
		}
	}
	return out, nil
}

func scalarOrFlow(s string, no int) (any, error) {
	switch {
	case s == "{}":
		return map[string]any{}, nil
	case strings.HasPrefix(s, "{"):
		return nil, fmt.Errorf("line %d: flow mappings are not used here; write a block mapping", no)
	case strings.HasPrefix(s, "["):
		if !strings.HasSuffix(s, "]") {
			return nil, fmt.Errorf("line %d: an unterminated flow sequence", no)
		}
		inner := strings.TrimSpace(s[1 : len(s)-1])
		out := []any{}
		if inner == "" {
			return out, nil
		}
		for _, item := range splitFlow(inner) {
			v, err := scalar(strings.TrimSpace(item), no)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case s == "|" || s == ">" || strings.HasPrefix(s, "|") || strings.HasPrefix(s, ">"):
		return nil, fmt.Errorf("line %d: block scalars are not used here", no)
	case strings.HasPrefix(s, "&") || strings.HasPrefix(s, "*") || strings.HasPrefix(s, "!"):
		return nil, fmt.Errorf("line %d: anchors, aliases and tags are not used here", no)
	}
	return scalar(s, no)
}

// splitFlow splits a flow sequence's items at commas outside quotes.
func splitFlow(s string) []string {
	var out []string
	var quote byte
	start := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == ',':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func scalar(s string, no int) (any, error) {
	if s == "" {
		return nil, nil
	}
	if s[0] == '"' || s[0] == '\'' {
		v, err := unquote(s)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", no, err)
		}
		return v, nil
	}
	if strings.Contains(s, ": ") || strings.HasSuffix(s, ":") {
		return nil, fmt.Errorf("line %d: a plain scalar with \": \" in it (%q); quote it", no, s)
	}
	return s, nil
}

func unquote(s string) (string, error) {
	if len(s) < 2 || s[len(s)-1] != s[0] {
		return "", fmt.Errorf("bad quoted string %s", s)
	}
	if s[0] == '\'' {
		inner := s[1 : len(s)-1]
		if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return "", fmt.Errorf("bad quoted string %s", s)
		}
		return strings.ReplaceAll(inner, "''", "'"), nil
	}
	return strconv.Unquote(s)
}

// The reader must refuse what it does not understand rather than misread it.
func TestYAMLReader(t *testing.T) {
	docs, err := parseYAML(`# a comment
a: 1 # trailing
b:
  - x
  - k: "v # not a comment"
    n: 'it''s'
c:
- [p, "q, r"]
d: {}
---
e: f
`)
	if err != nil {
		t.Fatal(err)
	}
	want := `[map[a:1 b:[x map[k:v # not a comment n:it's]] c:[[p q, r]] d:map[]] map[e:f]]`
	if got := fmt.Sprint(docs); got != want {
		t.Errorf("parsed\n%s\nwant\n%s", got, want)
	}
	for name, bad := range map[string]string{
		"tab":        "a:\n\tb: 1\n",
		"twice":      "a: 1\na: 2\n",
		"indent":     "a: 1\n  b: 2\n",
		"block":      "a: |\n  text\n",
		"anchor":     "a: &x 1\n",
		"flow map":   "a: {b: 1}\n",
		"colon":      "a: b: c\n",
		"unfinished": "a: \"b\n",
		"not a key":  "just text\n",
	} {
		if _, err := parseYAML(bad); err == nil {
			t.Errorf("%s: %q was accepted", name, bad)
		}
	}
}
