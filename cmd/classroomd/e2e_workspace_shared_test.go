package main

import (
	"os"
	"testing"
)

const samPassword = "two terminals, one repl"

// 9. Two simultaneous logins of one student share one REPL: what is typed in
// one terminal, and what Python prints, shows in the other, both ways; and
// once both have Python focused, the two windows show the same screen.
func (s *scenario) sharedREPL(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("Python runs in a sandbox, which this test expects as root")
	}
	h, o := s.h, sshOpts{knownHosts: s.knownHosts}
	h.cli(t, cliOpts{stdin: samPassword + "\n"}, append([]string{"user", "add", "sam", "--password-stdin"}, s.b.flags()...)...).mustSucceed(t)

	const cols, rows = 100, 30
	one := h.vtLogin(t, s.srv, o, "sam's first terminal", "sam", samPassword, cols, rows)
	one.waitScreen("welcome.py", "Python")
	two := h.vtLogin(t, s.srv, o, "sam's second terminal", "sam", samPassword, cols, rows)
	two.waitScreen("welcome.py", "Python")

	// The first starts Python and types; "AB"*3 is in neither the code
	// typed nor anywhere else on the screen, only in Python's answer.
	one.typ(keyF4)
	one.waitScreen(">>>")
	one.typ(`print("AB"*3)` + "\r")
	one.waitScreen(`>>> print("AB"*3)`, "ABABAB", ">>>")
	two.waitScreen(`>>> print("AB"*3)`, "ABABAB", ">>>")

	// And the other way round.
	two.typ(keyF4)
	two.typ(`print("CD"*3)` + "\r")
	two.waitScreen(`>>> print("AB"*3)`, "ABABAB", `>>> print("CD"*3)`, "CDCDCD", ">>>")
	one.waitScreen(`>>> print("AB"*3)`, "ABABAB", `>>> print("CD"*3)`, "CDCDCD", ">>>")

	// Same size, same focus: the same screen, cell for cell.
	waitSame(t, one, two, nil)

	one.typ(keyCtrlQ)
	if code := one.exit(); code != 0 {
		t.Errorf("ssh exited %d after ctrl+q in the first terminal", code)
	}
	// The REPL outlives the terminal that started it.
	two.typ(`print("EF"*3)` + "\r")
	two.waitScreen(`>>> print("CD"*3)`, "CDCDCD", `>>> print("EF"*3)`, "EFEFEF", ">>>")
	two.typ(keyCtrlQ)
	if code := two.exit(); code != 0 {
		t.Errorf("ssh exited %d after ctrl+q in the second terminal", code)
	}
}
