package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `classroomd probe` as a monitoring system runs it: against a running
// server it passes every step (login, a file made, typed, saved, run and
// removed) and leaves nothing in the canary's home; with a wrong host key,
// or the server gone, it fails naming the step.
func TestProbe(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("the probe runs Python in a sandbox, which this test expects as root")
	}
	h := newHarness(t)
	b := backend{dataDir: t.TempDir(), uidBase: 380000}
	h.cli(t, cliOpts{stdin: "blue kite 8871\n"}, append([]string{"user", "add", "canary", "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	srv := h.startServer(t, b)
	out, err := exec.Command("ssh-keygen", "-lf", filepath.Join(b.dataDir, "ssh_host_ed25519_key")).Output()
	if err != nil {
		t.Fatalf("ssh-keygen -lf the host key: %v", err)
	}
	fields := strings.Fields(string(out))
	if len(fields) < 2 {
		t.Fatalf("ssh-keygen -lf printed %q", out)
	}
	fingerprint := fields[1]
	textfile := filepath.Join(t.TempDir(), "probe.prom")
	probe := func(fp string) result {
		return h.cli(t, cliOpts{env: []string{probePasswordEnv + "=blue kite 8871"}}, "probe", "--addr", srv.sshAddr,
			"--user", "canary", "--host-key-fingerprint", fp, "--json", "--textfile", textfile)
	}

	r := probe(fingerprint)
	r.mustSucceed(t)
	var res struct {
		OK    bool
		Steps []struct{ Step, Error string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("probe --json: %v\n%s", err, r.stdout)
	}
	var steps []string
	for _, s := range res.Steps {
		steps = append(steps, s.Step)
	}
	if !res.OK || strings.Join(steps, ",") != "login,new file,type,save,run,close" {
		t.Errorf("probe result: ok %v, steps %v", res.OK, steps)
	}
	entries, _ := os.ReadDir(filepath.Join(b.dataDir, "homes", "canary"))
	for _, e := range entries {
		if strings.Contains(e.Name(), "probe") {
			t.Errorf("the probe left %s in the canary's home", e.Name())
		}
	}
	if prom := readFile(t, textfile); !strings.Contains(prom, "classroomd_probe_success 1") {
		t.Errorf("--textfile after a passing probe:\n%s", prom)
	}

	r = probe("SHA256:AAAAnotthekeyAAAA")
	if r.code != 1 || !strings.Contains(r.stderr, "failed at login") || !strings.Contains(r.stdout, "is it the right server") {
		t.Errorf("probe with a wrong host key: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}

	srv.stop(t)
	r = probe(fingerprint)
	if r.code != 1 || !strings.Contains(r.stderr, "failed at login") {
		t.Errorf("probe of a stopped server: exit %d\n%s", r.code, r.stderr)
	}
	if prom := readFile(t, textfile); !strings.Contains(prom, "classroomd_probe_success 0") {
		t.Errorf("--textfile after a failing probe:\n%s", prom)
	}
}
