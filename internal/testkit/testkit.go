// Package testkit holds what the tests of several packages need; only
// tests import it.
package testkit

import (
	"os"
	"testing"
)

// NeedRoot skips the test unless it runs as root, except under CI=true
// (CI runs as root), where that fails it: what needs root must be tested
// there. why says what needs it.
func NeedRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI runs as root, and %s needs root", why)
	}
	t.Skipf("%s needs root", why)
}
