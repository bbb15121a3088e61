package metrics

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/classroomd/classroomd/internal/store"
)

func TestNilMetricsRecordNothingAndDoNotPanic(t *testing.T) {
	var m *Metrics
	m.SessionStarted("ssh")()
	m.PasswordLogin(LoginOK, time.Millisecond)
	m.KeyLogin()
	m.Keystroke(time.Millisecond)
	m.FileSaved(time.Millisecond, errors.New("disk full"))
	m.REPLStarted(nil)
	m.SandboxKilled(KillMemory)
	m.LimitHit(LimitQuota)
	m.StoreError("Ping", errors.New("down"))
	m.SetReady(true)
	m.SandboxLevel("full")
	m.ShutdownTold(3)
	var st store.Store = fakeStore{}
	if got := m.CountErrors(st); got != st {
		t.Errorf("nil Metrics wrapped the store: %T", got)
	}
}

func TestRecordedValuesAreExposed(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)

	end := m.SessionStarted("ssh")
	m.SessionStarted("web")
	end()
	end() // a second call changes nothing
	m.PasswordLogin(LoginOK, 80*time.Millisecond)
	m.PasswordLogin(LoginWrongPassword, 90*time.Millisecond)
	m.PasswordLogin(LoginAbandoned, 5*time.Second)
	m.KeyLogin()
	m.Keystroke(2 * time.Millisecond)
	m.FileSaved(3*time.Millisecond, nil)
	m.FileSaved(time.Millisecond, errors.New("over quota"))
	m.REPLStarted(nil)
	m.REPLStarted(errors.New("no namespaces"))
	m.SandboxKilled(KillMemory)
	m.SandboxKilled(KillIdle)
	m.LimitHit(LimitQuota)
	m.SetReady(true)
	m.SandboxLevel("none")
	m.SandboxLevel("partial")
	m.ShutdownTold(2)
	LiveWorkspaces(reg, func() int { return 7 })

	for _, c := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{m.sessions.WithLabelValues("ssh"), 0},
		{m.sessions.WithLabelValues("web"), 1},
		{m.logins.WithLabelValues(MethodPassword, LoginOK), 1},
		{m.logins.WithLabelValues(MethodPassword, LoginWrongPassword), 1},
		{m.logins.WithLabelValues(MethodPassword, LoginAbandoned), 1},
		{m.logins.WithLabelValues(MethodPublicKey, LoginOK), 1},
		{m.saveErrors, 1},
		{m.replStarts, 1},
		{m.replFailures, 1},
		{m.kills.WithLabelValues(KillMemory), 1},
		{m.kills.WithLabelValues(KillIdle), 1},
		{m.kills.WithLabelValues(KillSignal), 0},
		{m.limitHits.WithLabelValues(LimitQuota), 1},
		{m.ready, 1},
		{m.sandbox.WithLabelValues("partial"), 1},
		{m.shutdownTells, 2},
	} {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("%s = %v, want %v", describe(c.c), got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.sandbox); n != 1 {
		t.Errorf("classroomd_sandbox_info has %d levels, want only the last one", n)
	}
	// An abandoned login (the client left while throttled) is no latency.
	if n := testutil.CollectAndCount(m.loginSeconds); n != 1 {
		t.Errorf("login histogram: %d series", n)
	}
	text := gatherText(t, reg)
	for _, want := range []string{
		"classroomd_login_duration_seconds_count 2",
		"classroomd_keystroke_duration_seconds_count 1",
		"classroomd_file_save_duration_seconds_count 2",
		"classroomd_workspaces 7",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the exposition lacks %q:\n%s", want, text)
		}
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "classroomd_") {
			t.Errorf("metric %s: %s", p.Metric, p.Text)
		}
	}
}

func describe(c prometheus.Collector) string {
	ch := make(chan *prometheus.Desc, 1)
	c.Describe(ch)
	return (<-ch).String()
}

func gatherText(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			switch {
			case mt.Gauge != nil:
				fmt.Fprintf(&b, "%s %v\n", mf.GetName(), mt.Gauge.GetValue())
			case mt.Histogram != nil:
				fmt.Fprintf(&b, "%s_count %d\n", mf.GetName(), mt.Histogram.GetSampleCount())
			case mt.Counter != nil:
				fmt.Fprintf(&b, "%s %v\n", mf.GetName(), mt.Counter.GetValue())
			}
		}
	}
	return b.String()
}

func TestIsStoreFailure(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{fmt.Errorf("user alice: %w", store.ErrNotFound), false},
		{fmt.Errorf("user alice: %w", store.ErrConflict), false},
		{fmt.Errorf("query: %w", context.Canceled), false},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), true},
		{errors.New("connection refused"), true},
	} {
		if got := IsStoreFailure(c.err); got != c.want {
			t.Errorf("IsStoreFailure(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// fakeStore fails Ping and answers UserByName with not found; every other
// method panics (through the nil embedded Store) if called.
type fakeStore struct{ store.Store }

func (fakeStore) Ping(context.Context) error { return errors.New("connection refused") }
func (fakeStore) UserByName(context.Context, string) (store.User, error) {
	return store.User{}, store.ErrNotFound
}

func TestCountErrorsCountsFailuresByOperation(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	st := m.CountErrors(fakeStore{})
	ctx := context.Background()
	for range 2 {
		if err := st.Ping(ctx); err == nil {
			t.Fatal("the wrapper swallowed Ping's error")
		}
	}
	if _, err := st.UserByName(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UserByName: %v, want the store's ErrNotFound passed on", err)
	}
	if got := testutil.ToFloat64(m.storeErrors.WithLabelValues("Ping")); got != 2 {
		t.Errorf("Ping errors = %v, want 2", got)
	}
	if got := testutil.CollectAndCount(m.storeErrors); got != 1 {
		t.Errorf("%d error series, want only Ping's (not found is an answer)", got)
	}
}

// Every method of store.Store must be wrapped in store.go, or its failures
// go uncounted (it still works, through the embedded interface).
func TestCountErrorsWrapsEveryStoreMethod(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "store.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := map[string]bool{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 {
			continue
		}
		if star, ok := fd.Recv.List[0].Type.(*ast.StarExpr); ok {
			if id, ok := star.X.(*ast.Ident); ok && id.Name == "countingStore" {
				wrapped[fd.Name.Name] = true
			}
		}
	}
	it := reflect.TypeFor[store.Store]()
	for i := range it.NumMethod() {
		if name := it.Method(i).Name; !wrapped[name] {
			t.Errorf("store.Store.%s is not wrapped by countingStore in store.go: add it, so its failures are counted", name)
		}
	}
}
