// Package deploy_test checks the deployment files against the code: every
// YAML file reads, every CLASSROOMD_* variable names a real flag, the
// settings that graceful restarts and the sandbox depend on are there, the
// systemd unit passes systemd-analyze, and the Grafana dashboard asks only
// for metrics classroomd exports (and shows every one of them).
package deploy_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/metrics"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readYAML(t *testing.T, path string) []any {
	t.Helper()
	docs, err := parseYAML(read(t, path))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return docs
}

// get walks a parsed document: string keys for mappings, ints for sequences.
func get(t *testing.T, doc any, path ...any) any {
	t.Helper()
	cur := doc
	for i, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("%v: not a mapping at %v", path, path[:i])
			}
			if cur, ok = m[k]; !ok {
				t.Fatalf("%v: no key %q", path, k)
			}
		case int:
			s, ok := cur.([]any)
			if !ok || k >= len(s) {
				t.Fatalf("%v: no item %d at %v", path, k, path[:i])
			}
			cur = s[k]
		}
	}
	return cur
}

func str(t *testing.T, doc any, path ...any) string {
	t.Helper()
	s, ok := get(t, doc, path...).(string)
	if !ok {
		t.Fatalf("%v is not a scalar", path)
	}
	return s
}

// envNames are the variables classroomd reads: one per installation flag.
func envNames() map[string]bool {
	var st config.Store
	var srv config.Server
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	st.RegisterStoreFlags(fs)
	srv.RegisterServerFlags(fs)
	names := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) { names[config.EnvName(f.Name)] = true })
	return names
}

var envRef = regexp.MustCompile(`\bCLASSROOMD_[A-Z0-9_]+\b`)

func TestEveryFileReadsAndNamesRealSettings(t *testing.T) {
	known := envNames()
	var files []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".yml", ".yaml", ".service", ".env", ".md":
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"docker-compose.yml", "systemd/classroomd.service", "kubernetes/deployment.yaml", "README.md"} {
		if !slices.Contains(files, want) {
			t.Errorf("deploy/%s is missing", want)
		}
	}
	for _, f := range files {
		if ext := filepath.Ext(f); ext == ".yml" || ext == ".yaml" {
			if len(readYAML(t, f)) == 0 {
				t.Errorf("%s holds no document", f)
			}
		}
		for _, name := range envRef.FindAllString(read(t, f), -1) {
			if !known[name] && name != "CLASSROOMD_TEST_DATABASE_URL" {
				t.Errorf("%s sets %s, which no flag of classroomd reads", f, name)
			}
		}
	}
}

func duration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return d
}

func TestComposeFile(t *testing.T) {
	doc := readYAML(t, "docker-compose.yml")[0]
	app := get(t, doc, "services", "classroomd")
	if u := str(t, app, "user"); u != "0:0" {
		t.Errorf("classroomd runs as %q; the sandbox needs root (0:0)", u)
	}
	if str(t, app, "privileged") != "true" || str(t, app, "init") != "true" {
		t.Errorf("classroomd must be privileged (the sandbox's full level) with an init (signals, orphans)")
	}
	env := get(t, app, "environment").(map[string]any)
	timeout := duration(t, env["CLASSROOMD_SHUTDOWN_TIMEOUT"].(string))
	if grace := duration(t, str(t, app, "stop_grace_period")); grace <= timeout {
		t.Errorf("stop_grace_period %s must exceed CLASSROOMD_SHUTDOWN_TIMEOUT %s, or Docker kills classroomd mid-shutdown", grace, timeout)
	}
	if url := env["CLASSROOMD_DATABASE_URL"].(string); !strings.HasPrefix(url, "postgres://") || !strings.Contains(url, "${POSTGRES_PASSWORD:?") {
		t.Errorf("CLASSROOMD_DATABASE_URL %q: want postgres:// with the password from the required POSTGRES_PASSWORD", url)
	}
	if hc := get(t, app, "healthcheck", "test").([]any); !slices.Contains(hc, "status") {
		t.Errorf("the healthcheck %v does not run classroomd status", hc)
	}
	for _, p := range get(t, app, "ports").([]any) {
		if strings.HasSuffix(p.(string), ":9100") && !strings.HasPrefix(p.(string), "127.0.0.1:") {
			t.Errorf("metrics port %q is published on every address; publish it on 127.0.0.1 only", p)
		}
	}
	if img := str(t, doc, "services", "db", "image"); img != "postgres:16" {
		t.Errorf("db image %q, want postgres:16", img)
	}
	declared := get(t, doc, "volumes").(map[string]any)
	for _, svc := range []string{"classroomd", "db"} {
		for _, v := range get(t, doc, "services", svc, "volumes").([]any) {
			name, _, _ := strings.Cut(v.(string), ":")
			if _, ok := declared[name]; !ok {
				t.Errorf("service %s mounts volume %q, which is not declared", svc, name)
			}
		}
	}
}

func TestKubernetesManifests(t *testing.T) {
	kinds := map[string]any{}
	for _, r := range get(t, readYAML(t, "kubernetes/kustomization.yaml")[0], "resources").([]any) {
		for _, doc := range readYAML(t, filepath.Join("kubernetes", r.(string))) {
			kinds[str(t, doc, "kind")+"/"+str(t, doc, "metadata", "name")] = doc
		}
	}
	dep, ok := kinds["Deployment/classroomd"]
	if !ok {
		t.Fatalf("no Deployment classroomd among %v", kinds)
	}
	pod := get(t, dep, "spec", "template", "spec")
	c := get(t, pod, "containers", 0)
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"} {
		if got := str(t, c, probe, "httpGet", "path"); got != path {
			t.Errorf("%s on %s, want %s", probe, got, path)
		}
	}
	env := map[string]any{}
	for _, e := range get(t, c, "env").([]any) {
		m := e.(map[string]any)
		env[m["name"].(string)] = m
	}
	timeout := duration(t, str(t, env["CLASSROOMD_SHUTDOWN_TIMEOUT"], "value"))
	if grace := duration(t, str(t, pod, "terminationGracePeriodSeconds")+"s"); grace <= timeout {
		t.Errorf("terminationGracePeriodSeconds %s must exceed CLASSROOMD_SHUTDOWN_TIMEOUT %s", grace, timeout)
	}
	if str(t, env["CLASSROOMD_DATABASE_URL"], "valueFrom", "secretKeyRef", "name") != "classroomd-db" {
		t.Errorf("the database URL must come from the classroomd-db Secret")
	}
	if str(t, c, "securityContext", "runAsUser") != "0" {
		t.Errorf("the container must run as root for the sandbox")
	}
	mounts := map[string]string{}
	for _, m := range get(t, c, "volumeMounts").([]any) {
		mounts[m.(map[string]any)["mountPath"].(string)] = m.(map[string]any)["name"].(string)
	}
	claims := map[string]string{}
	for _, v := range get(t, pod, "volumes").([]any) {
		if pvc, ok := v.(map[string]any)["persistentVolumeClaim"]; ok {
			claims[v.(map[string]any)["name"].(string)] = pvc.(map[string]any)["claimName"].(string)
		}
	}
	if claim := claims[mounts["/data/homes"]]; claim == "" || kinds["PersistentVolumeClaim/"+claim] == nil {
		t.Errorf("/data/homes is not mounted from a PersistentVolumeClaim of these manifests (mounts %v, claims %v)", mounts, claims)
	}
	ports := map[string]string{}
	for _, p := range get(t, c, "ports").([]any) {
		ports[p.(map[string]any)["name"].(string)] = p.(map[string]any)["containerPort"].(string)
	}
	for svc, want := range map[string]struct{ port, target string }{
		"Service/classroomd-ssh":     {"22", "ssh"},
		"Service/classroomd-https":   {"443", "https"},
		"Service/classroomd-metrics": {"9100", "metrics"},
	} {
		s, ok := kinds[svc]
		if !ok {
			t.Errorf("no %s", svc)
			continue
		}
		p := get(t, s, "spec", "ports", 0)
		if str(t, p, "port") != want.port || str(t, p, "targetPort") != want.target || ports[want.target] == "" {
			t.Errorf("%s: port %v -> %v, want %s -> the container's %s port", svc, get(t, p, "port"), get(t, p, "targetPort"), want.port, want.target)
		}
	}
	if str(t, kinds["Service/classroomd-ssh"], "spec", "sessionAffinity") != "ClientIP" {
		t.Errorf("the SSH Service needs ClientIP affinity: a reconnecting student returns to their workspace")
	}
}

// unit reads a systemd unit's directives (the last value of each).
func unit(src string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		out[k] = append(out[k], v)
	}
	return out
}

func TestSystemdUnit(t *testing.T) {
	src := read(t, "systemd/classroomd.service")
	u := unit(src)
	want := map[string]string{"KillMode": "mixed", "Delegate": "yes", "User": "root", "NoNewPrivileges": "yes", "ProtectSystem": "strict"}
	for k, v := range want {
		if got := u[k]; len(got) == 0 || got[len(got)-1] != v {
			t.Errorf("%s=%v, want %s (deploy/README.md says why)", k, got, v)
		}
	}
	// Directives that would break the sandbox.
	for _, k := range []string{"ProtectControlGroups", "RestrictNamespaces", "PrivateDevices", "ProtectKernelTunables", "ProtectProc", "MemoryDenyWriteExecute", "PrivateUsers", "SystemCallFilter"} {
		if _, ok := u[k]; ok {
			t.Errorf("%s is set: it breaks the sandbox (deploy/README.md says why)", k)
		}
	}
	caps := strings.Fields(strings.Join(u["CapabilityBoundingSet"], " "))
	for _, c := range []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETUID", "CAP_SETGID", "CAP_SETFCAP"} {
		if !slices.Contains(caps, c) {
			t.Errorf("CapabilityBoundingSet lacks %s, which the sandbox needs", c)
		}
	}
	var timeout time.Duration
	for _, e := range u["Environment"] {
		if v, ok := strings.CutPrefix(e, "CLASSROOMD_SHUTDOWN_TIMEOUT="); ok {
			timeout = duration(t, v)
		}
	}
	if stop := duration(t, u["TimeoutStopSec"][0]); timeout == 0 || stop <= timeout {
		t.Errorf("TimeoutStopSec %s must exceed CLASSROOMD_SHUTDOWN_TIMEOUT %s", stop, timeout)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI must check the unit with systemd-analyze (package systemd): not found")
		}
		t.Skip("systemd-analyze is not installed")
	}
	// The unit as installed, with ExecStart on a binary that exists here.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "classroomd.service")
	if err := os.WriteFile(copyPath, []byte(strings.ReplaceAll(src, "/usr/local/bin/classroomd", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	// verify exits 0 even for unknown or malformed directives: any output fails.
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// families are the metric families classroomd's /metrics serves.
func families(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	metrics.LiveWorkspaces(reg, func() int { return 0 })
	// Series with labels appear once recorded.
	m.StoreError("Ping", os.ErrDeadlineExceeded)
	m.SandboxLevel("full")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, mf := range mfs {
		out[mf.GetName()] = true
	}
	return out
}

var metricName = regexp.MustCompile(`\b(?:classroomd|go|process)_[a-zA-Z0-9_]+\b`)

func TestGrafanaDashboardAsksForRealMetrics(t *testing.T) {
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(read(t, "grafana/classroomd.json")), &dash); err != nil {
		t.Fatalf("grafana/classroomd.json: %v", err)
	}
	known := families(t)
	used := map[string]bool{}
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, name := range metricName.FindAllString(tg.Expr, -1) {
				family := name
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					if base, ok := strings.CutSuffix(name, suffix); ok && known[base] {
						family = base
					}
				}
				if !known[family] {
					t.Errorf("panel %q asks for %s, which classroomd does not export", p.Title, name)
				}
				used[family] = true
			}
		}
	}
	for name := range known {
		if strings.HasPrefix(name, "classroomd_") && !used[name] {
			t.Errorf("the dashboard does not show %s", name)
		}
	}
}

// The alert rules ask only for metrics that exist: classroomd's own, the
// ones `classroomd probe --textfile` writes, node_exporter's filesystem
// metrics and Prometheus' up; and every alert #16 asks for is there.
func TestAlertRulesAskForRealMetrics(t *testing.T) {
	known := families(t)
	probeSrc := read(t, "../cmd/classroomd/probe.go")
	for _, name := range regexp.MustCompile(`classroomd_probe_[a-z_]+`).FindAllString(probeSrc, -1) {
		known[name] = true
	}
	for _, name := range []string{"node_filesystem_avail_bytes", "node_filesystem_size_bytes", "up"} {
		known[name] = true
	}
	prom := readYAML(t, "prometheus/prometheus.yml")[0]
	if files, _ := get(t, prom, "rule_files").([]any); !slices.Contains(files, any("alerts.yml")) {
		t.Errorf("prometheus.yml does not load alerts.yml: %v", files)
	}
	doc := readYAML(t, "prometheus/alerts.yml")[0]
	rules, _ := get(t, doc, "groups", 0, "rules").([]any)
	names := map[string]bool{}
	word := regexp.MustCompile(`\b[a-z_][a-z0-9_]*\b`)
	for i := range rules {
		alert, _ := get(t, doc, "groups", 0, "rules", i, "alert").(string)
		expr, _ := get(t, doc, "groups", 0, "rules", i, "expr").(string)
		summary, _ := get(t, doc, "groups", 0, "rules", i, "annotations", "summary").(string)
		if alert == "" || expr == "" || summary == "" {
			t.Errorf("rule %d lacks an alert name, an expr or a summary", i)
			continue
		}
		names[alert] = true
		asked := 0
		for _, w := range word.FindAllString(expr, -1) {
			if strings.HasPrefix(w, "classroomd_") || strings.HasPrefix(w, "node_") || w == "up" {
				asked++
				if !known[w] {
					t.Errorf("alert %s asks for %s, which nothing exports", alert, w)
				}
			}
		}
		if asked == 0 {
			t.Errorf("alert %s asks for no metric: %s", alert, expr)
		}
	}
	for _, want := range []string{"ClassroomdDown", "ClassroomdNotReady", "ClassroomdLoginFailuresSurging", "ClassroomdSavesFailing",
		"ClassroomdSandboxKillsSurging", "ClassroomdDiskNearlyFull", "ClassroomdProbeFailing"} {
		if !names[want] {
			t.Errorf("no alert %s", want)
		}
	}
}
