package loadgen

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is a whole run, as written to --json.
type Report struct {
	Started time.Time `json:"started"`
	Machine Machine   `json:"machine"`
	Args    []string  `json:"args"` // the command line (which never holds a password)
	Results []Result  `json:"results"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs     int    `json:"cpus"`
	Model    string `json:"cpu_model"`
	MemBytes uint64 `json:"memory_bytes"`
	Kernel   string `json:"kernel"`
	LoadAvg  string `json:"load_average_at_start"`
	Go       string `json:"go"`
}

// ThisMachine reads the machine's description from /proc.
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				m.MemBytes = kb * 1024
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// WriteTable writes one level's result for a person.
func WriteTable(w io.Writer, r Result) {
	var roles []string
	for _, k := range []string{"typing", "cpu", "idle"} {
		if n := r.Roles[k]; n > 0 {
			roles = append(roles, fmt.Sprintf("%d %s", n, k))
		}
	}
	when := fmt.Sprintf("ramp %s, hold %s", time.Duration(r.Ramp), time.Duration(r.Hold))
	if r.Hold == 0 {
		when = fmt.Sprintf("logins spread over %s, the server's use measured over them", time.Duration(r.Ramp))
	}
	fmt.Fprintf(w, "\n%s: %d students (%s), %s; %d logged in with Python\n",
		r.Target, r.Students, strings.Join(roles, ", "), when, r.Connected)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  measure\tn\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	for _, m := range MeasureOrder {
		st, ok := r.Measures[m]
		if !ok {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t\n", m, st.N, ms(st.P50), ms(st.P95), ms(st.P99), ms(st.Max))
	}
	tw.Flush()
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "  errors: none")
	} else {
		kinds := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		fmt.Fprintln(w, "  errors:")
		for _, k := range kinds {
			fmt.Fprintf(w, "    %5d  %s (first: %s)\n", r.Errors[k].Count, k, oneLine(r.Errors[k].First, 160))
		}
	}
	u := r.Usage
	if u.ServerPID > 0 {
		fmt.Fprintf(w, "  server (pid %d): CPU %.0f%% on average, %.0f%% at most over 1 s (100%% = one core); RSS %s on average, %s at most, %s idle",
			u.ServerPID, u.ServerCPUAvg, u.ServerCPUMax, mib(u.ServerRSS), mib(u.ServerRSSMax), mib(u.ServerRSSIdle))
		if r.Connected > 0 && u.ServerRSSIdle > 0 {
			fmt.Fprintf(w, ": (most - idle) / students = %s per student", mib(uint64(max(u.PerStudentBytes, 0))))
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  below the server: %d processes, RSS summed %s", u.SandboxProcs, mib(u.SandboxRSS))
		if u.SandboxCgroups > 0 {
			fmt.Fprintf(w, "; %d sandbox cgroups use %s (page cache included)", u.SandboxCgroups, mib(u.SandboxCgroupBytes))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  this generator: CPU %.0f%%; the whole machine: %.0f%% busy (of all cores)\n", u.GeneratorCPUAvg, u.MachineCPUBusy)
	if r.ConsoleLive > 0 {
		fmt.Fprintf(w, "  the console's Live page showed %d students connected\n", r.ConsoleLive)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func ms(d Duration) string { return strconv.FormatFloat(d.Ms(), 'f', 1, 64) }

func mib(b uint64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB" }

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// UnmarshalJSON reads milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("a duration in milliseconds: %w", err)
	}
	*d = Duration(f * float64(time.Millisecond))
	return nil
}
