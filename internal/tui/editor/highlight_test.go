package editor

import "testing"

func TestScanLine(t *testing.T) {
	for _, tt := range []struct {
		line string
		in   uint8
		want uint8
	}{
		{`x = 1`, stCode, stCode},
		{`"""doc`, stCode, stDouble},
		{`'''doc`, stCode, stSingle},
		{`"""doc"""`, stCode, stCode},
		{`x = f"""{a}`, stCode, stDouble},
		{`# """ in a comment`, stCode, stCode},
		{`s = "# not a comment" + """`, stCode, stDouble},
		{`s = '"""'`, stCode, stCode},
		{`s = "\""  # """`, stCode, stCode},
		{`still inside`, stDouble, stDouble},
		{`ends here""" + x`, stDouble, stCode},
		{`ends here''' + """`, stSingle, stDouble},
		{`''' is not the end`, stDouble, stDouble},
		{`escaped \""" still in`, stDouble, stDouble},
		{`""`, stCode, stCode},
		{`"unterminated`, stCode, stCode},
	} {
		if got := scanLine(tt.line, tt.in); got != tt.want {
			t.Errorf("scanLine(%q, %d) = %d, want %d", tt.line, tt.in, got, tt.want)
		}
	}
}

func TestSpans(t *testing.T) {
	h := newHighlighter()
	check := func(line string, st uint8, want map[string]uint8) {
		t.Helper()
		spans := h.spans(line, st)
		if n := len(spans); n == 0 || spans[n-1].end != len(line) {
			t.Fatalf("%q: spans %v do not cover the line", line, spans)
		}
		for word, cls := range want {
			at := indexOf(line, word)
			for _, s := range spans {
				if at < s.end {
					if s.class != cls {
						t.Errorf("%q: %q is class %d, want %d", line, word, s.class, cls)
					}
					break
				}
			}
		}
	}
	check("def f(x): return None  # c", stCode, map[string]uint8{
		"def": clsKeyword, "f(": clsFunction, "return": clsKeyword, "None": clsConstant, "# c": clsComment})
	check("print(len('a'), 1.5, not x)", stCode, map[string]uint8{
		"print": clsBuiltin, "'a'": clsString, "1.5": clsNumber, "not": clsKeyword})
	check("@property", stCode, map[string]uint8{"@property": clsDecorator})
	check("    if this: is doc", stDouble, map[string]uint8{"if": clsString, "doc": clsString})
	check(`end""" if x else y`, stDouble, map[string]uint8{"end": clsString, "if": clsKeyword})
	// Cached: the same slice comes back.
	a, b := h.spans("x = 1", stCode), h.spans("x = 1", stCode)
	if &a[0] != &b[0] {
		t.Error("a line was lexed twice")
	}
	if s := h.spans(string(make([]byte, maxHighlight+1)), stCode); len(s) != 1 || s[0].class != clsText {
		t.Error("a very long line was lexed")
	}
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
