package tui

import (
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// A paste larger than its pane takes is refused whole, with a sentence,
// rather than cut: part of a program is worse than none (Python would run
// the first half). The editor takes what it could open again from the file
// (files.DefaultMaxEditBytes); Python what its input queue holds before it
// would drop input (repl.MaxPaste).
const (
	maxEditorPaste = files.DefaultMaxEditBytes
	maxPythonPaste = repl.MaxPaste
)

// pasteRefusal is the sentence for a paste of n bytes into a pane that
// takes at most limit, or "" when the pane takes it.
func pasteRefusal(n, limit int, python bool) string {
	if n <= limit {
		return ""
	}
	size, most := files.FormatSize(int64(n)), files.FormatSize(int64(limit))
	if python {
		return "That paste is " + size + "; Python takes at most " + most +
			" at once: paste it in parts, or put it in a file and open that from Python."
	}
	return "That paste is " + size + "; the editor takes at most " + most +
		" at once (the largest file it opens): paste it in parts, or copy the file in (F1)."
}
