package main

import (
	"os"
	"testing"
)

const (
	tessPassword = "first lab at ten 10"
	theoPassword = "late bus again 12"
)

// 9b. The start of a class (#13), over OpenSSH: keys typed while Python
// starts reach it, in order (they were dropped), and a start whose
// connection hung up at once neither fails nor is lost for the next login
// ("Python could not start: context canceled" was seen).
func (s *scenario) startOfClass(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("Python runs in a sandbox, which this test expects as root")
	}
	h, o := s.h, sshOpts{knownHosts: s.knownHosts}
	for user, pw := range map[string]string{"tess": tessPassword, "theo": theoPassword} {
		h.cli(t, cliOpts{stdin: pw + "\n"}, append([]string{"user", "add", user, "--password-stdin"}, s.b.flags()...)...).mustSucceed(t)
	}
	const cols, rows = 100, 30

	// F4 and a whole line in one write: Python cannot have started yet.
	tess := h.vtLogin(t, s.srv, o, "tess's terminal", "tess", tessPassword, cols, rows)
	tess.waitScreen("welcome.py", "Python: not started")
	tess.typ(keyF4 + `print("T" + str(6*7))` + "\r")
	tess.waitScreen(`>>> print("T" + str(6*7))`, "T42", ">>>")

	// theo presses F4 and his Wi-Fi drops straight away, while Python
	// starts (the unit test TestStartOutlivesTheCallerThatAskedForIt makes
	// that moment certain; here it is as a class has it).
	gone := h.vtLogin(t, s.srv, o, "theo's first terminal", "theo", theoPassword, cols, rows)
	gone.waitScreen("welcome.py", "Python: not started")
	gone.typ(keyF4)
	gone.waitUntil("take F4", func(sc vtScreen) bool { return !sc.contains("Python: not started") })
	gone.kill()
	// He logs in again: the start went on, and his Python answers.
	back := h.vtLogin(t, s.srv, o, "theo's second terminal", "theo", theoPassword, cols, rows)
	back.waitScreen("welcome.py")
	back.typ(keyF4 + `print("U" + str(5*5))` + "\r")
	back.waitScreen(`>>> print("U" + str(5*5))`, "U25", ">>>")
	if sc := back.screen(); sc.contains("could not start") {
		t.Errorf("after the first connection left, Python says it could not start:\n%s", sc)
	}
}
