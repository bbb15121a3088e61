package repl

import "bytes"

// Prompt marks: boot.py gives Python's prompts OSC 133 semantic-prompt marks
// (as shells' integrations do for terminals) and makes input() announce
// itself, so the server knows, from the output's own order, when Python waits
// for a line. That tells the student whether their program still runs, and
// when keys typed during a start may be handed to Python (see holdInput).
const (
	markPrompt = "\x1b]133;A\x07"     // sys.ps1
	markMore   = "\x1b]133;A;k=s\x07" // sys.ps2: a block goes on
	markInput  = "\x1b]133;A;k=i\x07" // input() waits
	markIntro  = "\x1b]133;"          // what every mark starts with
	markMax    = len(markInput) + 1   // longer than any mark: not one
)

// mark is what a chunk of output said of Python's state.
type mark int

const (
	noMark mark = iota
	promptMark
	inputMark
)

// markScanner finds the marks in Python's output, across reads: a mark
// split between two reads is still found. It keeps at most markMax bytes.
type markScanner struct {
	tail []byte // the end of the last chunk, when it may begin a mark
}

// scan returns the last mark in p (noMark if none).
func (s *markScanner) scan(p []byte) mark {
	last := noMark
	if len(s.tail) > 0 {
		// Only a mark that began in the tail needs the joint of the two.
		starts := len(s.tail)
		joint := append(s.tail, p[:min(len(p), markMax)]...)
		last, _ = scanMarks(joint, starts)
		s.tail = s.tail[:0]
	}
	m, rest := scanMarks(p, len(p))
	if m != noMark {
		last = m
	}
	s.tail = append(s.tail, rest...)
	return last
}

// scanMarks returns the last whole mark in p that starts before starts, and
// the end of p when it may be the beginning of a mark.
func scanMarks(p []byte, starts int) (mark, []byte) {
	last := noMark
	for i := 0; i < starts; i++ {
		j := bytes.IndexByte(p[i:starts], 0x1b)
		if j < 0 {
			break
		}
		i += j
		rem := p[i:]
		switch {
		case bytes.HasPrefix(rem, []byte(markPrompt)), bytes.HasPrefix(rem, []byte(markMore)):
			last = promptMark
		case bytes.HasPrefix(rem, []byte(markInput)):
			last = inputMark
		case len(rem) < markMax && (bytes.HasPrefix([]byte(markInput), rem) || bytes.HasPrefix([]byte(markMore), rem)):
			return last, rem // the next read may complete it
		}
	}
	return last, nil
}
