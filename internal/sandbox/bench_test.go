package sandbox

import (
	"context"
	"io"
	"testing"
	"time"
)

// BenchmarkStartPhases splits a sandbox's cost into Start (until the program
// runs), Wait (/bin/true exits, the init reaps and exits) and Close.
func BenchmarkStartPhases(b *testing.B) {
	needSandbox(b)
	s := testSpec(b, "alice", aliceUID, "/bin/true")
	s.Stdout = io.Discard
	var st, wt, ct time.Duration
	for b.Loop() {
		t0 := time.Now()
		p, err := Start(context.Background(), s)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		p.Wait()
		t2 := time.Now()
		p.Close()
		t3 := time.Now()
		st += t1.Sub(t0)
		wt += t2.Sub(t1)
		ct += t3.Sub(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(st.Microseconds())/n, "us-start")
	b.ReportMetric(float64(wt.Microseconds())/n, "us-wait")
	b.ReportMetric(float64(ct.Microseconds())/n, "us-close")
}
