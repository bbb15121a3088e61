package files

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/classroomd/classroomd/internal/metrics"
)

// Every editor save is timed, a failed one too, and failures are counted.
func TestSavesAreTimed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "alice")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	h, err := OpenHomeWith(dir, Options{Metrics: metrics.New(reg)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.WriteFile("a.py", []byte("x = 1\n")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "lab"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := h.WriteFile("lab", []byte("no")); err == nil {
		t.Fatal("saving over a folder succeeded")
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if hist := m.GetHistogram(); hist != nil {
				got[mf.GetName()] = float64(hist.GetSampleCount())
			} else if c := m.GetCounter(); c != nil {
				got[mf.GetName()] = c.GetValue()
			}
		}
	}
	if got["classroomd_file_save_duration_seconds"] != 2 || got["classroomd_file_save_errors_total"] != 1 {
		t.Errorf("after a save and a failed one: %v saves timed, %v failures counted; want 2 and 1",
			got["classroomd_file_save_duration_seconds"], got["classroomd_file_save_errors_total"])
	}
}
