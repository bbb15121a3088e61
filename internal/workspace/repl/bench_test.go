package repl

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cursorX is the emulator's cursor column.
func (r *REPL) cursorX() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.term.emu.CursorPosition().X
}

// BenchmarkKeystroke is a key's round trip: typed into the REPL, through
// the pty to Python's readline, echoed back and drawn by the emulator (the
// view is told through Subscribe). Keys alternate between a letter and a
// backspace so that the line never grows.
func BenchmarkKeystroke(b *testing.B) {
	needSandbox(b)
	r := started(b, testConfig(b, nil))
	ch, cancel := r.Subscribe()
	defer cancel()
	x0 := r.cursorX()
	keys := [][]byte{[]byte("a"), []byte("\x7f")}
	i := 0
	for b.Loop() {
		want := x0 + 1 - i%2
		if _, err := r.Write(keys[i%2]); err != nil {
			b.Fatal(err)
		}
		for r.cursorX() != want {
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
				b.Fatalf("key %d not echoed; screen:\n%s", i, text(r))
			}
		}
		i++
	}
}

// BenchmarkRender is the cost of drawing a full 120x40 screen of styled
// Python output for a view: "changed" after each output (the cache is
// empty), "cached" when nothing changed since the last frame.
func BenchmarkRender(b *testing.B) {
	r := fakeREPL(b, 120, 40)
	for i := range 60 {
		r.feedString(fmt.Sprintf("\x1b[1;3%dm%3d\x1b[0m %s \x1b[2mdim\x1b[0m\r\n", i%8, i, strings.Repeat("text ", 20)))
	}
	r.feedString(">>> ")
	for _, plain := range []bool{false, true} {
		name := "styled"
		if plain {
			name = "plain"
		}
		b.Run(name+"/changed", func(b *testing.B) {
			for b.Loop() {
				r.mu.Lock()
				r.changedLocked()
				r.mu.Unlock()
				r.render(120, 40, 0, plain)
			}
		})
		b.Run(name+"/cached", func(b *testing.B) {
			for b.Loop() {
				r.render(120, 40, 0, plain)
			}
		})
	}
}

// BenchmarkOutput is the emulator's throughput on Python's typical floods
// (CPU time in the output goroutine per byte).
func BenchmarkOutput(b *testing.B) {
	for name, line := range map[string]string{
		"short-lines":     "12345\r\n",
		"1000-char-lines": strings.Repeat("x", 1000) + "\r\n",
		"coloured-lines":  "\x1b[31mred\x1b[0m and some more text here\r\n",
	} {
		b.Run(name, func(b *testing.B) {
			r := fakeREPL(b, 100, 30)
			chunk := []byte(strings.Repeat(line, max(1, 4096/len(line))))
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				r.mu.Lock()
				r.term.write(chunk)
				r.changedLocked()
				r.mu.Unlock()
			}
		})
	}
}

// BenchmarkIdleREPLMemory starts 20 REPLs and reports what one idle REPL
// costs: Go heap (emulator, buffers) and goroutines in the daemon, and the
// resident memory of its sandbox's processes (the init and Python).
func BenchmarkIdleREPLMemory(b *testing.B) {
	needSandbox(b)
	const n = 20
	var heap, rss, goroutines float64
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap0, g0 := ms.HeapAlloc, runtime.NumGoroutine()
		var rs []*REPL
		for range n {
			r := New(testConfig(b, nil))
			if err := r.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			waitScreen(b, r, ">>>")
			rs = append(rs, r)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap = float64(ms.HeapAlloc-heap0) / n
		goroutines = float64(runtime.NumGoroutine()-g0) / n
		rss = 0
		for _, r := range rs {
			pid := r.cur.proc.Pid()
			for _, p := range append([]int{pid}, children(pid)...) {
				rss += vmRSS(p)
			}
		}
		rss /= n
		for _, r := range rs {
			r.Close()
		}
	}
	b.ReportMetric(heap/(1<<20), "MiB-heap/REPL")
	b.ReportMetric(rss/(1<<20), "MiB-RSS/REPL")
	b.ReportMetric(goroutines, "goroutines/REPL")
}

// children lists the host pids of pid's descendants.
func children(pid int) []int {
	var out []int
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
				out = append(out, children(c)...)
			}
		}
	}
	return out
}

func vmRSS(pid int) float64 {
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(st), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb * 1024
		}
	}
	return 0
}
