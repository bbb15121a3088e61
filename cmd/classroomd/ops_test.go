package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Go's profiles are served on the metrics address only when asked for.
func TestMetricsServerPprofOnlyWhenAsked(t *testing.T) {
	for _, withPprof := range []bool{false, true} {
		srv, ln, err := metricsServer("127.0.0.1:0", prometheus.NewRegistry(), withPprof, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		base := "http://" + ln.Addr().String()
		get := func(path string) (int, string) {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		code, body := get("/debug/pprof/heap?debug=1")
		switch {
		case withPprof && (code != http.StatusOK || !strings.Contains(body, "heap profile")):
			t.Errorf("--pprof: /debug/pprof/heap = %d %.80q, want a heap profile", code, body)
		case !withPprof && code != http.StatusNotFound:
			t.Errorf("without --pprof: /debug/pprof/heap = %d, want 404", code)
		}
		if code, _ := get("/debug/pprof/cmdline"); code == http.StatusOK {
			t.Errorf("/debug/pprof/cmdline is served; the command line may hold --database-url's password")
		}
		if code, _ := get("/metrics"); code != http.StatusOK {
			t.Errorf("/metrics = %d", code)
		}
		srv.Close()
	}
}
