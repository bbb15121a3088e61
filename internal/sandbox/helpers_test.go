package sandbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	MaybeRunInit()
	os.Exit(m.Run())
}

var probeOnce = sync.OnceValue(Probe)

// needSandbox skips the test where sandboxes cannot run, except under CI=true
// where that is a failure: CI runs as root with namespaces.
func needSandbox(t testing.TB) {
	t.Helper()
	r := probeOnce()
	if r.Level == None {
		msg := "sandboxes are not available here: missing " + strings.Join(r.Missing(), ", ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

const (
	aliceUID = 201001
	bobUID   = 201002
)

// newHome makes a home directory for username under a fresh temp dir.
func newHome(t testing.TB, username string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "homes", username)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func testSpec(t testing.TB, username string, uid int, cmd ...string) Spec {
	return Spec{Username: username, UID: uid, GID: uid, Home: newHome(t, username), Command: cmd, Limits: DefaultLimits()}
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs s with pipes to completion (bounded by timeout) and returns its output.
func run(t testing.TB, s Spec, stdin string, timeout time.Duration) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out, errb syncBuffer
	s.Stdout, s.Stderr = &out, &errb
	if stdin != "" {
		s.Stdin = strings.NewReader(stdin)
	}
	p, err := Start(ctx, s)
	if err != nil {
		t.Fatalf("start %v: %v", s.Command, err)
	}
	defer p.Close()
	code, err := p.Wait()
	if err != nil {
		t.Fatalf("wait %v: %v", s.Command, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%v did not finish within %v; stdout %q stderr %q", s.Command, timeout, out.String(), errb.String())
	}
	if err := p.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return result{out.String(), errb.String(), code}
}

// python runs a python program in alice's sandbox (home given).
func python(t testing.TB, s Spec, prog string) result {
	t.Helper()
	s.Command = []string{DefaultPython, "-c", prog}
	return run(t, s, "", 20*time.Second)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
