package sshd

import (
	"bytes"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// A test terminal for the figure benchmark (#15): what it says it is, and
// what it answers to the queries it sees.
type figureTerminal struct {
	name, term string
	env        map[string]string
	answers    map[string]string
	image      *regexp.Regexp // the figure's image bytes, whole (nil: half blocks)
	kitty      bool           // image matches each chunk of a transmission
}

var figureTerminals = []figureTerminal{
	{name: "kitty", term: "xterm-kitty", answers: map[string]string{
		"\x1b_Gi=31,": "\x1b_Gi=31;OK\x1b\\", "\x1b[>0q": "\x1bP>|kitty(0.39.1)\x1b\\", "\x1b[16t": "\x1b[6;20;10t"},
		// Its chunks, with the frames of other output between them.
		image: regexp.MustCompile("\x1b_G[^\x1b]*\x1b\\\\"), kitty: true},
	{name: "iTerm2", term: "xterm-256color", env: map[string]string{"LC_TERMINAL": "iTerm2"},
		image: regexp.MustCompile("\x1b\\]1337;File=inline=1;[^\a]*\a")},
	{name: "sixel", term: "xterm-256color", answers: map[string]string{
		"\x1b[c": "\x1b[?62;4;22c", "\x1b[16t": "\x1b[6;20;10t"},
		image: regexp.MustCompile("\x1bP0;1q[^\x1b]*\x1b\\\\")},
	{name: "blocks", term: "xterm-256color"},
}

// answering collects a session's output, answers the queries in answers
// as they appear, and notes when output last arrived.
type answering struct {
	mu      sync.Mutex
	b       bytes.Buffer
	last    time.Time
	answers map[string]string
	reply   func(string)
}

func (a *answering) Write(p []byte) (int, error) {
	a.mu.Lock()
	from := max(0, a.b.Len()-16)
	a.b.Write(p)
	a.last = time.Now()
	seen := a.b.Bytes()[from:]
	var replies []string
	for q, ans := range a.answers {
		for i := 0; ; {
			j := bytes.Index(seen[i:], []byte(q))
			if j < 0 {
				break
			}
			if from+i+j+len(q) > a.b.Len()-len(p) { // ends in this write: new
				replies = append(replies, ans)
			}
			i += j + len(q)
		}
	}
	a.mu.Unlock()
	for _, r := range replies {
		a.reply(r)
	}
	return len(p), nil
}

func (a *answering) since(off int) (string, time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.b.String()[off:], a.last
}

// BenchmarkFigureToScreen is a figure's way to a terminal over SSH (#15),
// for each protocol: from the Enter that runs plt.figure(); plt.plot(…);
// plt.show() in the student's Python (matplotlib draws and saves the PNG,
// the server reads, decodes and encodes it for this terminal) to the last
// byte of the image on the client: the whole kitty transmission, OSC 1337
// or sixel, or, for half blocks, the output's last byte before it is quiet
// (less the 150 ms of quiet); and the server's share of it, from the line
// Python prints once the PNG is saved (the marker goes just before it) to
// that last byte. Also the image's own bytes per figure, all
// the output per figure (echo, frames and image; the pane is cleared of
// the last figure before each), and after the run the
// workspace's figure store and the process's heap growth (run with
// -benchtime=10x: ten figures).
func BenchmarkFigureToScreen(b *testing.B) {
	for _, k := range figureTerminals {
		b.Run(k.name, func(b *testing.B) { benchFigure(b, k) })
	}
}

func benchFigure(b *testing.B, k figureTerminal) {
	ts := startServer(b, 4, testConfig())
	ts.addUser(b, "alice", "rabbit hole 42")
	c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	for name, v := range k.env {
		if err := sess.Setenv(name, v); err != nil {
			b.Fatal(err)
		}
	}
	in, err := sess.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	var inMu sync.Mutex
	write := func(s string) {
		inMu.Lock()
		defer inMu.Unlock()
		_, _ = in.Write([]byte(s))
	}
	out := &answering{answers: k.answers, reply: write}
	sess.Stdout = out
	if err := sess.RequestPty(k.term, 50, 200, gossh.TerminalModes{}); err != nil {
		b.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		b.Fatal(err)
	}
	wait := func(what string, cond func(string) bool) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			if s, _ := out.since(0); cond(s) {
				return
			}
			if time.Now().After(deadline) {
				s, _ := out.since(0)
				b.Fatalf("no %s; output tail %q", what, s[max(0, len(s)-2000):])
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	has := func(w string) func(string) bool { return func(s string) bool { return strings.Contains(s, w) } }
	wait("file list", has("welcome.py"))
	write("\x1bOS") // F4
	wait("prompt", has(">>>"))
	write("import matplotlib.pyplot as plt\r")
	wait("matplotlib", func(s string) bool { return strings.Count(s, ">>>") >= 2 })
	quietFor(out, 500*time.Millisecond)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var took, served []time.Duration
	var imageBytes, allBytes int
	n := 0
	var last time.Time
	for b.Loop() {
		n++
		// The figure store draws a burst of 5 figures, then one a second
		// (a flood is told, not drawn): a student shows one at a time.
		// And the last figure is scrolled off first, so that the image
		// looked for is this one's (an image on screen is drawn again
		// when its figure moves).
		b.StopTimer()
		write("print('\\n' * 60)\r")
		quietFor(out, 300*time.Millisecond)
		time.Sleep(time.Until(last.Add(1100 * time.Millisecond)))
		b.StartTimer()
		off := len(out.String())
		start := time.Now()
		last = start
		write(fmt.Sprintf("plt.figure(); plt.plot([%d, 3, 1, 4]); plt.show()\r", n))
		name := fmt.Sprintf("figures/python-%d.png", n)
		wait("the figure's line", has(name))
		saved := time.Now() // plt.show() has saved the PNG and printed the marker and the line
		var img string
		var at time.Time
		deadline := time.Now().Add(30 * time.Second)
		for {
			s, last := out.since(off)
			if k.kitty {
				if n, done := kittyImage(k.image, s); done {
					img, at = strings.Repeat("x", n), time.Now()
					break
				}
			} else if k.image != nil {
				if loc := k.image.FindStringIndex(s); loc != nil {
					img, at = s[loc[0]:loc[1]], time.Now()
					break
				}
			} else if strings.Contains(s, "▀") && time.Since(last) > 150*time.Millisecond {
				img, at = "", last
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("figure %d never reached the %s terminal; output %q", n, k.name, s[max(0, len(s)-2000):])
			}
			time.Sleep(time.Millisecond)
		}
		took = append(took, at.Sub(start))
		served = append(served, max(at.Sub(saved), 0))
		imageBytes += len(img)
		quietFor(out, 300*time.Millisecond)
		allBytes += len(out.String()) - off
	}
	b.StopTimer()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	slices.Sort(took)
	slices.Sort(served)
	b.ReportMetric(float64(served[len(served)/2].Microseconds())/1000, "ms-p50/saved-to-screen")
	b.ReportMetric(float64(served[len(served)-1].Microseconds())/1000, "ms-max/saved-to-screen")
	b.ReportMetric(float64(took[len(took)/2].Milliseconds()), "ms-p50/show-to-screen")
	b.ReportMetric(float64(took[len(took)-1].Milliseconds()), "ms-max/show-to-screen")
	b.ReportMetric(float64(imageBytes)/float64(n), "image-bytes/figure")
	b.ReportMetric(float64(allBytes)/float64(n), "output-bytes/figure")
	if ws := ts.spaces.Lookup("alice"); ws != nil && ws.Figures() != nil {
		b.ReportMetric(float64(ws.Figures().Bytes())/1024, "KiB-store")
	}
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1024, "KiB-heap-growth")
}

// String is the output so far.
func (a *answering) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.b.String()
}

// quietFor waits until out has not grown for d.
func quietFor(out *answering, d time.Duration) {
	for {
		_, last := out.since(0)
		if time.Since(last) >= d {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kittyImage adds up the chunks of the first kitty transmission in s
// (a=T, then m=1 chunks up to the one with m=0) and reports whether it is
// whole.
func kittyImage(chunk *regexp.Regexp, s string) (n int, done bool) {
	start := strings.Index(s, "\x1b_Ga=T,")
	if start < 0 {
		return 0, false
	}
	for _, c := range chunk.FindAllString(s[start:], -1) {
		n += len(c)
		if strings.Contains(c, "m=0;") {
			return n, true
		}
	}
	return n, false
}
