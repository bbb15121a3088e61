package loadgen

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

func ms2(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentileNearestRank(t *testing.T) {
	// 1..100 ms: the p-th percentile of 100 samples is the p-th smallest.
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, ms2(i))
	}
	st := Summarize(d)
	for name, c := range map[string]struct{ got, want Duration }{
		"p50": {st.P50, Duration(ms2(50))}, "p95": {st.P95, Duration(ms2(95))}, "p99": {st.P99, Duration(ms2(99))},
		"max": {st.Max, Duration(ms2(100))}, "mean": {st.Mean, Duration(50500 * time.Microsecond)},
	} {
		if c.got != c.want {
			t.Errorf("%s of 1..100 ms = %v, want %v", name, time.Duration(c.got), time.Duration(c.want))
		}
	}
	if st.N != 100 {
		t.Errorf("N = %d", st.N)
	}

	for _, c := range []struct {
		samples []int
		p       float64
		want    int
	}{
		{[]int{7}, 50, 7}, {[]int{7}, 99, 7},
		{[]int{1, 2}, 50, 1}, {[]int{1, 2}, 51, 2}, // rank ceil(0.51*2) = 2
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 95, 10}, // never interpolated: 10, not 9.55
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
	} {
		var s []time.Duration
		for _, x := range c.samples {
			s = append(s, ms2(x))
		}
		if got := Percentile(s, c.p); got != ms2(c.want) {
			t.Errorf("p%g of %v = %v, want %v", c.p, c.samples, got, ms2(c.want))
		}
	}
	if (Summarize(nil) != Stats{}) || Percentile(nil, 50) != 0 {
		t.Errorf("no samples give non-zero statistics")
	}
}

// Over random samples, the percentiles are ordered and each is a sample
// that at least p% of the samples do not exceed, while fewer than p% are
// below it.
func TestPercentileProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := 1 + r.IntN(500)
		d := make([]time.Duration, n)
		for i := range d {
			d[i] = time.Duration(r.IntN(1000)) * time.Microsecond
		}
		st := Summarize(d) // sorts d
		if !(st.P50 <= st.P95 && st.P95 <= st.P99 && st.P99 <= st.Max) {
			t.Fatalf("unordered: %+v", st)
		}
		for _, p := range []float64{50, 95, 99} {
			v := Percentile(d, p)
			var le, lt int
			for _, x := range d {
				if x <= v {
					le++
				}
				if x < v {
					lt++
				}
			}
			if float64(le) < p/100*float64(n) || float64(lt) >= p/100*float64(n) {
				t.Fatalf("p%g = %v of %d samples: %d are <= it and %d < it", p, v, n, le, lt)
			}
		}
	}
}

// Samples of the windowed measures count only when sent during the hold;
// logins count from the start; nothing counts after the hold.
func TestRecorderWindow(t *testing.T) {
	r := NewRecorder()
	t0 := time.Now()
	r.Add(MeasureLogin, t0, ms2(100))    // during the ramp: counts
	r.Add(MeasureEchoEditor, t0, ms2(1)) // during the ramp: does not
	r.Fail("login: connect", "refused")  // counts
	r.Open(t0.Add(time.Second))
	r.Add(MeasureEchoEditor, t0.Add(2*time.Second), ms2(2))
	r.Add(MeasureSave, t0.Add(500*time.Millisecond), ms2(3)) // sent before the hold
	r.Close(t0.Add(3 * time.Second))
	r.Add(MeasureEchoEditor, t0.Add(4*time.Second), ms2(4)) // after

	st, errs := r.Summary()
	if st[MeasureLogin].N != 1 || st[MeasureEchoEditor].N != 1 || st[MeasureEchoEditor].Max != Duration(ms2(2)) {
		t.Errorf("samples kept: %+v", st)
	}
	if _, ok := st[MeasureSave]; ok {
		t.Errorf("a save sent before the hold counted")
	}
	if errs["login: connect"].Count != 1 || errs["login: connect"].First != "refused" {
		t.Errorf("errors: %+v", errs)
	}
	// An error after the hold is the run stopping, not the server.
	r2 := NewRecorder()
	r2.Close(time.Now().Add(-time.Millisecond))
	r2.Fail("save", "after the hold")
	if _, errs := r2.Summary(); len(errs) != 0 {
		t.Errorf("an error after the hold counted: %+v", errs)
	}
}

func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(Stats{N: 2, P50: Duration(1500 * time.Microsecond), Max: Duration(12345678 * time.Nanosecond)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"n":2,"mean_ms":0,"p50_ms":1.5,"p95_ms":0,"p99_ms":0,"max_ms":12.346}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
	var back Stats
	if err := json.Unmarshal(b, &back); err != nil || back.P50 != Duration(1500*time.Microsecond) {
		t.Errorf("read back: %+v, %v", back, err)
	}
}

func TestAssignRoles(t *testing.T) {
	for _, c := range []struct {
		n              int
		typing, cpu    float64
		wantT, wantCPU int
	}{
		{500, 0.10, 0.05, 50, 25}, {50, 0.10, 0.05, 5, 3}, {3, 0.67, 0.33, 2, 1},
		{1, 0.10, 0.05, 1, 0}, {10, 0, 0, 0, 0}, {10, 1, 0, 10, 0},
	} {
		roles := AssignRoles(c.n, c.typing, c.cpu, 1)
		count := map[Role]int{}
		for _, r := range roles {
			count[r]++
		}
		if len(roles) != c.n || count[Typing] != c.wantT || count[CPU] != c.wantCPU {
			t.Errorf("AssignRoles(%d, %g, %g): %d typing, %d cpu of %d; want %d and %d", c.n, c.typing, c.cpu, count[Typing], count[CPU], len(roles), c.wantT, c.wantCPU)
		}
		again := AssignRoles(c.n, c.typing, c.cpu, 1)
		for i := range roles {
			if roles[i] != again[i] {
				t.Fatalf("AssignRoles is not the same for the same seed")
			}
		}
	}
}
