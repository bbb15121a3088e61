package repl

import (
	_ "embed"
	"encoding/json"
	"strconv"

	"github.com/classroomd/classroomd/python"
)

// bootPy runs before Python's first prompt: prompt marks and `-i FILE`
// (see boot.py).
//
//go:embed boot.py
var bootPy string

// figuresBackend is MPLBACKEND: matplotlib's backend is the module
// python.FiguresBackend, which bootCode puts in sys.modules before anything
// of the student's runs (so no file in the home can stand in for it).
const figuresBackend = "module://" + python.FiguresModule

// bootCode is what `python3 -c` runs: an import hook that makes the figures
// backend importable from the embedded source (first on sys.meta_path, so
// no file in the home stands in for it), then boot.py. The backend, and
// matplotlib with it, is imported only when matplotlib asks for it: a
// start that plots nothing pays nothing. (A python3 the student starts
// from Python, with subprocess, inherits MPLBACKEND but not the hook: its
// matplotlib cannot find the backend. See #15.)
var bootCode = `def _classroomd_figures(name, src):
    import sys
    import importlib.util

    class Backend:
        def find_spec(self, fullname, path=None, target=None):
            if fullname == name:
                return importlib.util.spec_from_loader(name, self, origin="<classroomd>")
            return None

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            exec(compile(src, "<classroomd>/" + name + ".py", "exec"), module.__dict__)

    sys.meta_path.insert(0, Backend())


_classroomd_figures(` + strconv.Quote(python.FiguresModule) + `, ` + pyString(python.FiguresBackend) + `)
del _classroomd_figures
` + bootPy

// pyString is s as a Python string literal (a JSON string is one, for the
// characters the backend's source has: ASCII, \n, quotes, backslashes).
func pyString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}
