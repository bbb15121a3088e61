package repl

import _ "embed"

// bootPy runs before Python's first prompt: prompt marks and `-i FILE`
// (see boot.py).
//
//go:embed boot.py
var bootPy string
