package repl

import (
	_ "embed"
	"encoding/json"
	"maps"
	"strconv"
	"strings"

	"github.com/classroomd/classroomd/internal/sandbox"
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

// figuresDir is where every Python in the sandbox finds the backend: the
// REPL gives the sandbox the module as a read-only file there and puts the
// folder on PYTHONPATH. A program the student starts from Python
// (`subprocess.run(["python3", "demo.py"])`, `os.system`) inherits
// MPLBACKEND and PYTHONPATH, so its plt.show() draws in the pane too: its
// marker comes through the same pty. (For such a program a file named
// classroomd_figures.py in its own folder comes first on sys.path and
// would stand in for the backend: it can only fool that student's own
// figures, which the server checks anyway.)
const figuresDir = sandbox.EtcFilesDir + "/python"

// withFiguresBackend is files (the sandbox's, not modified) with the
// backend's module added under figuresDir.
func withFiguresBackend(files map[string]string) map[string]string {
	out := make(map[string]string, len(files)+1)
	maps.Copy(out, files)
	out[strings.TrimPrefix(figuresDir, sandbox.EtcFilesDir+"/")+"/"+python.FiguresModule+".py"] = python.FiguresBackend
	return out
}

// bootCode is what `python3 -c` runs: an import hook that makes the figures
// backend importable from the embedded source (first on sys.meta_path, so
// no file in the home stands in for it, even one beside the file run with
// F5), then boot.py. The backend, and matplotlib with it, is imported only
// when matplotlib asks for it: a start that plots nothing pays nothing.
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
