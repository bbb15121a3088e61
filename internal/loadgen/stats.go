package loadgen

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"
)

// What is measured. Each is a time from a key (or the TCP connect) to the
// moment the output that shows its effect arrives.
const (
	MeasureLogin      = "login"            // TCP connect → the first frame showing the workspace
	MeasureREPLStart  = "repl start"       // F4 → Python's prompt, with the cursor on it
	MeasureNewFile    = "new file"         // enter on the name → the new file open in the editor
	MeasureEchoEditor = "echo (editor)"    // a printable key → the character in the editor and its column in the status bar
	MeasureEchoREPL   = "echo (python)"    // a printable key → the character at Python's prompt, the cursor after it
	MeasureSave       = "save"             // ctrl+s → "Saved NAME." (the server has fsynced and renamed)
	MeasureRun        = "run to output"    // F5 → the program's marker line
	MeasureEval       = "python result"    // enter on an expression → its value
	MeasureInterrupt  = "ctrl+c to prompt" // ctrl+c in `while True: pass` → KeyboardInterrupt and a fresh prompt
)

// MeasureOrder is the order of the report's rows.
var MeasureOrder = []string{MeasureLogin, MeasureREPLStart, MeasureNewFile, MeasureEchoEditor, MeasureEchoREPL,
	MeasureSave, MeasureRun, MeasureEval, MeasureInterrupt, MeasureConsoleLogin, MeasureConsolePage, MeasureBurstResult}

// windowed says which measures count only when their key was sent during
// the hold; logins and Python's first start happen during the ramp.
func windowed(measure string) bool {
	return measure != MeasureLogin && measure != MeasureREPLStart && measure != MeasureConsoleLogin && measure != MeasureBurstResult
}

// Recorder collects the samples and errors of one level. Samples of the
// windowed measures count only when their key was sent between Open and
// Close; errors count from the start until Close (what fails after the hold
// is the run stopping, not the server).
type Recorder struct {
	mu       sync.Mutex
	from, to time.Time
	samples  map[string][]time.Duration
	errors   map[string]int
	first    map[string]string // the first message of each kind
}

// NewRecorder returns an empty recorder whose window is not open yet.
func NewRecorder() *Recorder {
	return &Recorder{samples: map[string][]time.Duration{}, errors: map[string]int{}, first: map[string]string{}}
}

// Open starts the hold: windowed samples sent from now on count.
func (r *Recorder) Open(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.from = at
}

// Close ends the hold: nothing sent or failing later counts.
func (r *Recorder) Close(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.to = at
}

// Add records that what was sent at sent showed after d.
func (r *Recorder) Add(measure string, sent time.Time, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.to.IsZero() && sent.After(r.to) {
		return
	}
	if windowed(measure) && (r.from.IsZero() || sent.Before(r.from)) {
		return
	}
	r.samples[measure] = append(r.samples[measure], d)
	if sampleLog != nil {
		fmt.Fprintf(sampleLog, "%d %q %d\n", sent.UnixMicro(), measure, d.Microseconds())
	}
}

// sampleLog, when set, gets every sample that counts as a line: the time
// its key was sent (µs since the epoch), the measure, and the time it took
// (µs). With them, slow samples can be lined up with what else happened
// (#13: slow echoes came in clusters, each during a Python start).
var sampleLog io.Writer

// LogSamples makes every recorder write its samples to w (nil: none). Call
// it before a run; writes are serialised by the recorders' locks only, so w
// must be safe for concurrent use (an *os.File is).
func LogSamples(w io.Writer) { sampleLog = w }

// Fail counts an error of a kind ("save: not shown within 15s"), with the
// first full message of each kind kept for the report.
func (r *Recorder) Fail(kind, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.to.IsZero() && time.Now().After(r.to) {
		return
	}
	r.errors[kind]++
	if _, ok := r.first[kind]; !ok {
		r.first[kind] = msg
	}
}

// Summary returns the statistics of every measure with samples, and the
// errors by kind.
func (r *Recorder) Summary() (map[string]Stats, map[string]ErrorCount) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := map[string]Stats{}
	for m, d := range r.samples {
		st[m] = Summarize(d)
	}
	errs := map[string]ErrorCount{}
	for k, n := range r.errors {
		errs[k] = ErrorCount{Count: n, First: r.first[k]}
	}
	return st, errs
}

// ErrorCount is how often one kind of error happened, and its first message.
type ErrorCount struct {
	Count int    `json:"count"`
	First string `json:"first"`
}

// Stats summarises one measure's samples.
type Stats struct {
	N    int      `json:"n"`
	Mean Duration `json:"mean_ms"`
	P50  Duration `json:"p50_ms"`
	P95  Duration `json:"p95_ms"`
	P99  Duration `json:"p99_ms"`
	Max  Duration `json:"max_ms"`
}

// Summarize computes the statistics of d (which it sorts). Percentiles are
// nearest-rank: the smallest sample that at least p% of the samples do not
// exceed, so p99 of 100 samples is the 99th smallest and never interpolated.
func Summarize(d []time.Duration) Stats {
	if len(d) == 0 {
		return Stats{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return Stats{
		N: len(d), Mean: Duration(sum / time.Duration(len(d))),
		P50: Duration(Percentile(d, 50)), P95: Duration(Percentile(d, 95)), P99: Duration(Percentile(d, 99)),
		Max: Duration(d[len(d)-1]),
	}
}

// Percentile is the nearest-rank p-th percentile of sorted.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Duration is a time.Duration written to JSON as milliseconds.
type Duration time.Duration

// MarshalJSON writes milliseconds with microsecond precision.
func (d Duration) MarshalJSON() ([]byte, error) {
	ms := math.Round(float64(d)/float64(time.Microsecond)) / 1000
	return []byte(formatFloat(ms)), nil
}

// Ms is the duration in milliseconds.
func (d Duration) Ms() float64 { return float64(d) / float64(time.Millisecond) }
