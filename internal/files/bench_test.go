package files

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkWriteFile is the server's share of an editor save: a 2 KB
// program written to a temporary file, fsynced, renamed over the old one,
// and the folder fsynced (what classroomd_file_save_duration_seconds
// measures), with a quota set as in production. It reports the
// percentiles; the disk decides them.
func BenchmarkWriteFile(b *testing.B) {
	h, err := OpenHomeWith(b.TempDir(), Options{QuotaBytes: 200 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	var took []time.Duration
	i := 0
	for b.Loop() {
		data := fmt.Appendf(nil, "# save %d\n%s", i, make([]byte, 2048))
		i++
		start := time.Now()
		if err := h.WriteFile("program.py", data); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) }
	b.ReportMetric(at(0.5), "µs-p50")
	b.ReportMetric(at(0.99), "µs-p99")
}
