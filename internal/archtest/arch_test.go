// Package archtest checks the arrows DESIGN.md says must never exist.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/classroomd/classroomd/"

// deps lists the packages pkg depends on, itself excluded.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", mod+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	var ds []string
	for _, d := range strings.Fields(string(out)) {
		if d != mod+pkg {
			ds = append(ds, d)
		}
	}
	return ds
}

var sqlDrivers = []string{"modernc.org/sqlite", "github.com/jackc/pgx/v5", "github.com/lib/pq"}

func TestArrowsThatMustNeverExist(t *testing.T) {
	for _, rule := range []struct {
		pkg       string
		allowed   []string // packages of ours it may use; nil: none
		forbidden []string // checked instead of allowed when set
		noSQL     bool
	}{
		// The TUI renders a workspace for a terminal of a given size; it never
		// knows about SSH, the web or SQL (directly or through what it imports).
		{pkg: "internal/tui", forbidden: []string{"internal/sshd", "web", "cmd/", "internal/store/sqlite", "internal/store/postgres"}, noSQL: true},
		// The sandbox imports nothing of ours.
		{pkg: "internal/sandbox"},
		// Each store backend: the interfaces and the migrations, nothing else.
		{pkg: "internal/store/sqlite", allowed: []string{"internal/store", "migrations"}},
		{pkg: "internal/store/postgres", allowed: []string{"internal/store", "migrations"}},
		// The course reaches the sandbox only through its narrow Runner interface
		// (course/sandboxrunner implements it), and never the TUI, SSH or the web.
		{pkg: "internal/course", allowed: []string{"internal/store", "internal/files", "internal/metrics", "internal/csvtext", "python"}, noSQL: true}, // metrics: through files
		// The web reaches sessions only through the SSH server (a dial function cmd wires): never the TUI, the workspaces or SQL.
		{pkg: "web", forbidden: []string{"internal/sshd", "internal/tui", "internal/workspace", "internal/sandbox", "internal/store/sqlite", "internal/store/postgres", "cmd/"}, noSQL: true},
	} {
		for _, d := range deps(t, rule.pkg) {
			if rule.noSQL {
				for _, drv := range sqlDrivers {
					if d == drv || strings.HasPrefix(d, drv+"/") {
						t.Errorf("%s depends on the SQL driver %s", rule.pkg, d)
					}
				}
			}
			ours, ok := strings.CutPrefix(d, mod)
			if !ok || strings.HasPrefix(ours, rule.pkg+"/") {
				continue
			}
			if rule.forbidden != nil {
				for _, f := range rule.forbidden {
					if ours == f || strings.HasPrefix(ours, strings.TrimSuffix(f, "/")+"/") {
						t.Errorf("%s must not depend on %s (DESIGN.md: the arrows that must never exist)", rule.pkg, ours)
					}
				}
				continue
			}
			allowed := false
			for _, a := range rule.allowed {
				if ours == a || strings.HasSuffix(a, "/") && strings.HasPrefix(ours, a) || strings.HasPrefix(ours, a+"/") {
					allowed = true
				}
			}
			if !allowed {
				t.Errorf("%s must not depend on %s (DESIGN.md: the arrows that must never exist)", rule.pkg, ours)
			}
		}
	}
}
