package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/classroomd/classroomd/internal/metrics"
)

// fakeStore's Ping fails while down is set, and hangs until its context
// ends while slow is set.
type fakeStore struct{ down, slow atomic.Bool }

func (s *fakeStore) Ping(ctx context.Context) error {
	if s.slow.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	if s.down.Load() {
		return errors.New("dial tcp 10.0.0.5:5432: connect: connection refused (user=secret_user)")
	}
	return nil
}

func get(t *testing.T, h http.Handler, path string) (int, Report, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var r Report
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("GET %s: not JSON: %v\n%s", path, err, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("GET %s: Cache-Control %q, want no-store (a proxy must not cache health)", path, cc)
	}
	return rec.Code, r, rec.Body.String()
}

func TestReadyWhileTheStoreAnswersAndNotStopping(t *testing.T) {
	st := &fakeStore{}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	c := New(Options{Store: st, Sandbox: "full", Metrics: m, PingTimeout: 50 * time.Millisecond})
	h := c.Handler()

	code, r, _ := get(t, h, "/readyz")
	if code != http.StatusOK || !r.Ready() || r.Store != "ok" || r.Sandbox != "full" || !r.AcceptingLogins || len(r.Problems) != 0 {
		t.Errorf("ready server: %d %+v", code, r)
	}
	if v := gauge(t, reg, "classroomd_ready"); v != 1 {
		t.Errorf("classroomd_ready = %v, want 1", v)
	}

	st.down.Store(true)
	code, r, body := get(t, h, "/readyz")
	if code != http.StatusServiceUnavailable || r.Ready() || r.Store != "unreachable" || len(r.Problems) != 1 {
		t.Errorf("store down: %d %+v", code, r)
	}
	if strings.Contains(body, "secret_user") || strings.Contains(body, "10.0.0.5") {
		t.Errorf("/readyz shows the store's error, which may name hosts and users: %s", body)
	}
	// Alive all the same: a database outage must not restart the process.
	if code, r, _ := get(t, h, "/healthz"); code != http.StatusOK || r.Status != StatusOK || r.Sandbox != "full" {
		t.Errorf("/healthz with the store down: %d %+v, want 200 ok", code, r)
	}

	st.down.Store(false)
	st.slow.Store(true) // a hung database: the check gives up at its timeout
	if code, r, _ := get(t, h, "/readyz"); code != http.StatusServiceUnavailable || r.Store != "unreachable" {
		t.Errorf("store hangs: %d %+v", code, r)
	}
}

func TestNotReadyOnceStopping(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	c := New(Options{Store: &fakeStore{}, Sandbox: "partial", Metrics: m})
	c.Stopping()
	code, r, _ := get(t, c.Handler(), "/readyz")
	if code != http.StatusServiceUnavailable || r.Ready() || r.AcceptingLogins || r.Store != "ok" ||
		len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "shutting down") {
		t.Errorf("stopping: %d %+v", code, r)
	}
	if v := gauge(t, reg, "classroomd_ready"); v != 0 {
		t.Errorf("classroomd_ready = %v once stopping, want 0", v)
	}
	if code, r, _ := get(t, c.Handler(), "/healthz"); code != http.StatusOK || r.AcceptingLogins {
		t.Errorf("/healthz while stopping: %d %+v, want 200 and not accepting logins", code, r)
	}
}

func TestOtherMethodsAndPathsAreRefused(t *testing.T) {
	h := New(Options{Store: &fakeStore{}}).Handler()
	for _, c := range []struct{ method, path string }{{http.MethodPost, "/readyz"}, {http.MethodDelete, "/healthz"}, {http.MethodGet, "/readyz/x"}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code == http.StatusOK {
			t.Errorf("%s %s = 200", c.method, c.path)
		}
	}
}

// gauge reads a gathered gauge without labels.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestFetchReadsTheReport(t *testing.T) {
	st := &fakeStore{}
	c := New(Options{Store: st, Sandbox: "full"})
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	ctx := context.Background()

	r, err := Fetch(ctx, srv.Client(), srv.URL)
	if err != nil || !r.Ready() || r.Sandbox != "full" {
		t.Fatalf("Fetch = %+v, %v", r, err)
	}
	st.down.Store(true)
	r, err = Fetch(ctx, srv.Client(), strings.TrimPrefix(srv.URL, "http://")) // host:port as --http-addr takes it
	if err != nil || r.Ready() || r.Store != "unreachable" {
		t.Fatalf("Fetch with the store down = %+v, %v; want a not-ready report and no error", r, err)
	}
}

func TestFetchErrorsSayWhatToDo(t *testing.T) {
	notUs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("<html>hello</html>"))
	}))
	defer notUs.Close()
	ctx := context.Background()
	if _, err := Fetch(ctx, notUs.Client(), notUs.URL); err == nil || !strings.Contains(err.Error(), "not a classroomd readiness report") {
		t.Errorf("a server that is not classroomd: %v", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.URL
	closed.Close()
	if _, err := Fetch(ctx, http.DefaultClient, addr); err == nil || !strings.Contains(err.Error(), "--http-addr") {
		t.Errorf("nobody listening: %v", err)
	}
	if _, err := Fetch(ctx, http.DefaultClient, "http://user:pw@127.0.0.1:1"); err == nil || strings.Contains(err.Error(), "pw") {
		t.Errorf("credentials in the address: %v (must be refused, and never printed)", err)
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		":8080":                     "http://127.0.0.1:8080",
		"0.0.0.0:8080":              "http://127.0.0.1:8080",
		"[::]:8080":                 "http://127.0.0.1:8080",
		"10.1.2.3:8080":             "http://10.1.2.3:8080",
		"https://class.example.edu": "https://class.example.edu",
		"http://127.0.0.1:9/base":   "http://127.0.0.1:9/base",
	} {
		u, err := BaseURL(in)
		if err != nil || u.String() != want {
			t.Errorf("BaseURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "http://", "http://h/?q=1"} {
		if _, err := BaseURL(bad); err == nil {
			t.Errorf("BaseURL(%q) accepted", bad)
		}
	}
}
