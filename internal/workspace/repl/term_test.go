package repl

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// fakeREPL is a REPL with an emulator and no process: output is fed by
// the test. Its reply reader runs, as in a real REPL.
func fakeREPL(t testing.TB, cols, rows int) *REPL {
	t.Helper()
	r := New(Config{Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	r.mu.Lock()
	r.ensureTermLocked(cols, rows)
	r.mu.Unlock()
	t.Cleanup(func() { r.Close() })
	return r
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (r *REPL) feedString(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.term.write([]byte(s))
	r.changedLocked()
}

func plainLines(r *REPL, w, h int) []string {
	lines := r.RenderPlain(w, h).Lines
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return lines
}

func TestRenderCropAndPad(t *testing.T) {
	r := fakeREPL(t, 40, 10)
	for i := range 25 {
		r.feedString("line " + string(rune('a'+i)) + "\r\n")
	}
	r.feedString(">>> ")
	// The pty's own size: the last 9 lines and the prompt.
	want := []string{"line q", "line r", "line s", "line t", "line u", "line v", "line w", "line x", "line y", ">>>"}
	if got := plainLines(r, 40, 10); !equal(got, want) {
		t.Fatalf("at 40x10:\n%q\nwant\n%q", got, want)
	}
	// Smaller: the bottom (the cursor's line) stays.
	s := r.RenderPlain(20, 4)
	checkScreen(t, s, 20, 4)
	if got := plainLines(r, 20, 4); !equal(got, want[6:]) {
		t.Fatalf("at 20x4: %q", got)
	}
	if s.CursorX != 4 || s.CursorY != 3 || !s.CursorVisible {
		t.Fatalf("cursor at 20x4: %+v", s)
	}
	// Larger: padded below and to the right.
	s = r.Render(60, 15)
	checkScreen(t, s, 60, 15)
	if got := plainLines(r, 60, 15); !equal(got[:10], want) || got[14] != "" {
		t.Fatalf("at 60x15: %q", got)
	}
	if s.CursorX != 4 || s.CursorY != 9 {
		t.Fatalf("cursor at 60x15: %+v", s)
	}
	// Too narrow for the cursor's column: the line shows, the cursor does not.
	if s := r.RenderPlain(3, 2); s.CursorVisible || s.CursorY != 1 {
		t.Fatalf("cursor at 3x2: %+v", s)
	}
	if s := r.Render(0, 5); len(s.Lines) != 0 {
		t.Fatalf("a 0-wide view: %+v", s)
	}
}

func TestRenderShortContentAtTop(t *testing.T) {
	r := fakeREPL(t, 40, 10)
	r.feedString("a\r\nb\r\nc\r\n>>> ")
	if got := plainLines(r, 10, 2); !equal(got, []string{"c", ">>>"}) {
		t.Fatalf("2 rows: %q", got)
	}
	if got := plainLines(r, 10, 5); !equal(got, []string{"a", "b", "c", ">>>", ""}) {
		t.Fatalf("5 rows: %q", got)
	}
	// Output below the cursor (a program moved it up) stays visible
	// when there is room, the cursor's line always.
	r.feedString("\x1b[8;1Hbottom\x1b[2;1H")
	if got := plainLines(r, 10, 3); !equal(got, []string{"b", "c", ">>>"}) {
		t.Fatalf("cursor above the last line: %q", got)
	}
	if s := r.RenderPlain(10, 3); s.CursorY != 0 {
		t.Fatalf("cursor: %+v", s)
	}
}

func TestRenderStyles(t *testing.T) {
	r := fakeREPL(t, 20, 3)
	r.feedString("\x1b[1;31mred\x1b[0m plain \x1b[44mbg\x1b[0m")
	s := r.Render(20, 1)
	line := s.Lines[0]
	if !strings.Contains(line, "\x1b[") || !strings.HasSuffix(strings.TrimRight(line, " "), ansi.ResetStyle) {
		t.Fatalf("styled line %q", line)
	}
	if got := ansi.Strip(line); got != "red plain bg        " {
		t.Fatalf("styled line without styles: %q", got)
	}
	if got := r.RenderPlain(20, 1).Lines[0]; got != "red plain bg        " {
		t.Fatalf("plain line %q", got)
	}
	checkScreen(t, s, 20, 1)
}

func TestRenderWideCharacters(t *testing.T) {
	r := fakeREPL(t, 10, 2)
	r.feedString("abcdefgh中")
	for _, w := range []int{8, 9, 10, 12} {
		checkScreen(t, r.Render(w, 2), w, 2)
	}
	if got := r.RenderPlain(9, 1).Lines[0]; got != "abcdefgh " {
		t.Fatalf("a wide character across the edge: %q", got)
	}
}

func TestWriteContentSanitises(t *testing.T) {
	for in, want := range map[string]string{"a": "a", "é": "é", "\x1b": " ", "\u009b": " ", "x\u0085": " ", "": " "} {
		var b strings.Builder
		writeContent(&b, in, 1)
		if b.String() != want {
			t.Errorf("writeContent(%q) = %q, want %q", in, b.String(), want)
		}
	}
}

func TestRenderCache(t *testing.T) {
	r := fakeREPL(t, 20, 5)
	r.feedString(">>> ")
	a := r.Render(20, 5)
	v := r.Version()
	b := r.Render(20, 5)
	if a.Version != v || b.Version != v {
		t.Fatal("versions")
	}
	b.Lines[0] = "changed by the caller"
	if r.Render(20, 5).Lines[0] == "changed by the caller" {
		t.Fatal("a caller can change the cached screen")
	}
	if n := testing.AllocsPerRun(100, func() { r.Render(20, 5) }); n > 1 {
		t.Fatalf("a cached render allocates %v times", n)
	}
	r.feedString("x")
	if s := r.RenderPlain(20, 5); s.Version == v || !strings.HasPrefix(s.Lines[0], ">>> x") {
		t.Fatalf("after a change: %+v", s)
	}
	for i := range 3 * maxCachedRenders {
		r.Render(10+i, 5)
	}
	if n := len(r.cache); n > maxCachedRenders {
		t.Fatalf("%d cached renders", n)
	}
}

// TestResizeKeepsCursorLine: shrinking below the cursor scrolls the lines
// above it into the scrollback, as a terminal does.
func TestResizeKeepsCursorLine(t *testing.T) {
	r := fakeREPL(t, 40, 20)
	for i := range 15 {
		r.feedString("line " + string(rune('a'+i)) + "\r\n")
	}
	r.feedString(">>> abc")
	r.Resize(30, 10)
	got := plainLines(r, 30, 10)
	if got[9] != ">>> abc" || got[8] != "line o" {
		t.Fatalf("after shrinking: %q", got)
	}
	if s := r.RenderPlain(30, 10); s.CursorX != 7 || s.CursorY != 9 {
		t.Fatalf("cursor after shrinking: %+v", s)
	}
	if n := r.term.emu.ScrollbackLen(); n != 6 {
		t.Fatalf("scrollback has %d lines, want 6", n)
	}
	r.Resize(50, 30)
	if got := plainLines(r, 50, 30); got[9] != ">>> abc" {
		t.Fatalf("after growing: %q", got)
	}
	if c, rows := r.Size(); c != 50 || rows != 30 {
		t.Fatalf("Size %dx%d", c, rows)
	}
}

// TestGuards: what a program prints cannot make the emulator keep
// unbounded state, nor switch to the alternate screen.
func TestGuards(t *testing.T) {
	r := fakeREPL(t, 20, 5)
	r.feedString("\x1b[?1049hALT")
	if r.term.emu.IsAltScreen() {
		t.Fatal("the alternate screen was entered")
	}
	if got := plainLines(r, 20, 1)[0]; got != "ALT" {
		t.Fatalf("%q", got)
	}
	// Unknown modes are not recorded: the emulator reports them as not
	// recognised (0) rather than set (1).
	r.feedString("\x1b[?12345h\x1b[?12345$p\x1b[?2004h\x1b[?2004$p")
	waitFor(t, r, "the mode reports", 5*time.Second, func() bool {
		r.inMu.Lock()
		defer r.inMu.Unlock()
		return bytes.Contains(r.inBuf, []byte("\x1b[?2004;1$y"))
	})
	r.inMu.Lock()
	if !bytes.Contains(r.inBuf, []byte("\x1b[?12345;0$y")) {
		t.Fatalf("replies %q", r.inBuf)
	}
	r.inMu.Unlock()

	// A grapheme cluster is cut before it grows huge.
	r.feedString("\r\n\x1b[2J\x1b[He" + strings.Repeat("\u0301", 5000))
	for x := range 20 {
		if c := r.term.emu.CellAt(x, 0); c != nil && len(c.Content) > maxGraphemeRun+4 {
			t.Fatalf("cell %d holds %d bytes", x, len(c.Content))
		}
	}
	// A huge hyperlink is dropped, a normal one kept.
	r.feedString("\x1b[H\x1b]8;;https://" + strings.Repeat("a", 3000) + "\x1b\\A\x1b]8;;\x1b\\\x1b]8;;https://python.org\x1b\\B\x1b]8;;\x1b\\")
	if c := r.term.emu.CellAt(0, 0); c.Content != "A" || c.Link.URL != "" {
		t.Fatalf("cell with a huge link: %q %d", c.Content, len(c.Link.URL))
	}
	if c := r.term.emu.CellAt(1, 0); c.Content != "B" || c.Link.URL != "https://python.org" {
		t.Fatalf("cell with a link: %q %q", c.Content, c.Link.URL)
	}
	// Margins beyond the screen are ignored (the emulator would index
	// past its lines on the next scroll).
	r.feedString("\x1b[1;100r\x1b[3S\x1b[?69h\x1b[2;100s\x1bM\x1b[23M")
	if r.term.panics != 0 {
		t.Fatalf("%d panics", r.term.panics)
	}
	// Scrollback is capped.
	r2 := New(Config{Scrollback: 50})
	defer r2.Close()
	r2.mu.Lock()
	r2.ensureTermLocked(20, 5)
	r2.mu.Unlock()
	for range 200 {
		r2.feedString("line\r\n")
	}
	if n := r2.term.emu.ScrollbackLen(); n != 50 {
		t.Fatalf("scrollback of %d lines", n)
	}
}

// TestEmulatorPanicRecovered: a panic inside the emulator is logged, the
// rest of that output dropped, and the REPL goes on.
func TestEmulatorPanicRecovered(t *testing.T) {
	r := fakeREPL(t, 20, 5)
	r.term.emu.RegisterCsiHandler('y', func(ansi.Params) bool { panic("boom") })
	r.feedString("before\x1b[ydropped")
	r.feedString("\r\nafter")
	if r.term.panics != 1 {
		t.Fatalf("%d panics recovered", r.term.panics)
	}
	got := plainLines(r, 20, 2)
	if got[0] != "before" || got[1] != "after" {
		t.Fatalf("after a panic: %q", got)
	}
	r.mu.Lock()
	r.term.resize(10, 3)
	r.mu.Unlock()
}

func TestSubscribeNeverBlocks(t *testing.T) {
	r := fakeREPL(t, 20, 5)
	ch, cancel := r.Subscribe()
	defer cancel()
	for range 1000 {
		r.feedString("x")
	}
	if len(ch) != 1 {
		t.Fatalf("%d pending notifications", len(ch))
	}
}

func TestRunRefusesPaths(t *testing.T) {
	for _, bad := range []string{"", ".", "..", "../x.py", "/home/alice/x.py", "a/../b.py", "a/../../x.py", "x\n.py", "x\x1b.py", "\xff.py"} {
		if _, err := checkFile(bad); err == nil {
			t.Errorf("checkFile(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"x.py": "x.py", "./x.py": "x.py", "a/b/c.py": "a/b/c.py", "a//b.py": "a/b.py", "-i.py": "-i.py", "été.py": "été.py"} {
		if got, err := checkFile(in); err != nil || got != want {
			t.Errorf("checkFile(%q) = %q, %v", in, got, err)
		}
	}
	r := New(Config{})
	defer r.Close()
	if err := r.Run(context.Background(), "../x.py"); err == nil || r.State().Status != NotStarted {
		t.Fatalf("Run(../x.py): %v, %+v", err, r.State())
	}
}

func TestCPUBudget(t *testing.T) {
	now := time.Unix(0, 0)
	b := newCPUBudget(0.25, now)
	// The burst (250 ms of CPU) passes at once...
	if d := b.spend(250*time.Millisecond, now); d != 0 {
		t.Fatalf("within the burst: wait %v", d)
	}
	// ...then each 10 ms of CPU costs 40 ms of time.
	if d := b.spend(10*time.Millisecond, now); d != 40*time.Millisecond {
		t.Fatalf("over budget: wait %v", d)
	}
	now = now.Add(40 * time.Millisecond)
	if d := b.spend(0, now); d != 0 {
		t.Fatalf("after waiting: %v", d)
	}
	if d := newCPUBudget(1, now).spend(time.Hour, now); d != 0 {
		t.Fatalf("no limit: %v", d)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzTerm feeds arbitrary output and resizes to the emulator: it must
// never panic (the recovered panics are counted).
func FuzzTerm(f *testing.F) {
	for _, s := range []string{"\x1b[1;20r\x1b[7L", "\x1b[?69h\x1b[2;19sé\x1b[23M\x1bM", "中\x1b[12A\x1b[10S", "\x1b[?1049h\x1b[2J", "e\u0301\u0301", "\x1b]8;;x\x1b\\a"} {
		f.Add([]byte(s), uint8(10), uint8(5), uint8(3), uint8(2))
	}
	f.Fuzz(func(t *testing.T, out []byte, c1, r1, c2, r2 uint8) {
		r := New(Config{})
		defer r.Close()
		r.mu.Lock()
		r.ensureTermLocked(int(c1%40)+1, int(r1%20)+1)
		half := len(out) / 2
		r.term.write(out[:half])
		r.term.resize(int(c2%40)+1, int(r2%20)+1)
		r.term.write(out[half:])
		panics := r.term.panics
		r.mu.Unlock()
		checkScreen(t, r.Render(int(c1%50)+1, int(r2%30)+1), int(c1%50)+1, int(r2%30)+1)
		if panics != 0 {
			t.Fatalf("%d emulator panics", panics)
		}
	})
}

// TestFastPathSameScreen: the scrolling fast path leaves exactly what
// byte-by-byte feeding leaves: screen, styles, scrollback and cursor.
func TestFastPathSameScreen(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var runs uint64
	defer func() {
		if runs < 100 {
			t.Fatalf("the fast path ran only %d times", runs)
		}
	}()
	for iter := range 200 {
		cols, rows := 2+rng.Intn(30), 2+rng.Intn(12)
		var out []byte
		for range rng.Intn(200) {
			switch rng.Intn(12) {
			case 0:
				out = append(out, "\x1b[4"+strconv.Itoa(rng.Intn(8))+"m"...) // a background: blank lines take it
			case 1:
				out = append(out, "\x1b[0m"...)
			case 2:
				out = append(out, "\x1b[31mred\x1b[0m\r\n"...)
			case 3:
				out = append(out, "é中\r\n"...)
			case 4:
				out = append(out, '\n')
			case 5:
				out = append(out, "\x1b]0;title\r\nstill title\x07"...)
			}
			n := []int{0, 1, cols - 1, cols, cols + 1, 2 * cols, rng.Intn(4 * cols)}[rng.Intn(7)]
			out = append(out, strings.Repeat(string(rune('a'+rng.Intn(26))), n)...)
			out = append(out, "\r\n"...)
		}
		fast, slow := fakeREPL(t, cols, rows), fakeREPL(t, cols, rows)
		slow.term.fastOff = true
		for len(out) > 0 {
			n := min(len(out), 1+rng.Intn(300))
			fast.feedString(string(out[:n]))
			slow.feedString(string(out[:n]))
			out = out[n:]
		}
		if fast.term.fastOff {
			t.Fatalf("iteration %d: the fast path turned itself off", iter)
		}
		runs += fast.term.fastRuns
		if a, b := dump(fast), dump(slow); a != b {
			t.Fatalf("iteration %d (%dx%d): fast path\n%s\nbyte by byte\n%s", iter, cols, rows, a, b)
		}
	}
}

// dump is everything a view could see of a terminal.
func dump(r *REPL) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	emu := r.term.emu
	var b strings.Builder
	for y := range emu.ScrollbackLen() {
		b.WriteString(emu.Scrollback().Line(y).Render() + "|\n")
	}
	b.WriteString("--\n")
	for y := range emu.Height() {
		for x := range emu.Width() {
			c := emu.CellAt(x, y)
			b.WriteString(c.Content + c.Style.String())
		}
		b.WriteString("|\n")
	}
	fmt.Fprintf(&b, "cursor %v", emu.CursorPosition())
	return b.String()
}

// Scrolled back, the view shows the lines that went off the top of the
// screen, in order, ending where the screen begins; scrolling back further
// than there is stops at the oldest line.
func TestRenderBackShowsScrollback(t *testing.T) {
	r := fakeREPL(t, 20, 5)
	var out strings.Builder
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&out, "line %d\r\n", i)
	}
	out.WriteString(">>> ")
	r.feedString(out.String())

	trim := func(s Screen) []string {
		ls := make([]string, len(s.Lines))
		for i, l := range s.Lines {
			ls[i] = strings.TrimRight(l, " ")
		}
		return ls
	}
	if got, want := trim(r.RenderBack(20, 3, 0, true)), []string{"line 29", "line 30", ">>>"}; !equal(got, want) {
		t.Errorf("not scrolled: %q, want %q", got, want)
	}
	s := r.RenderBack(20, 3, 10, true)
	if got, want := trim(s), []string{"line 19", "line 20", "line 21"}; !equal(got, want) || s.Back != 10 {
		t.Errorf("10 lines back: %q (back %d), want %q", got, s.Back, want)
	}
	if s.CursorVisible {
		t.Error("the cursor shows while scrolled back")
	}
	s = r.RenderBack(20, 3, 1000, true)
	if got, want := trim(s), []string{"line 1", "line 2", "line 3"}; !equal(got, want) || s.Back != 28 {
		t.Errorf("scrolled to the oldest line: %q (back %d), want %q back 28", got, s.Back, want)
	}
}

// TestChangedRowsDrawTheSameScreen: drawing only the rows the emulator
// touched gives, for every view, the screen drawn from scratch, whatever
// the program prints: edits in place, erases, scrolls (regions too),
// inserted and deleted lines and characters, styles, wide characters,
// resizes.
func TestChangedRowsDrawTheSameScreen(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	bits := []string{"abc", "\r", "\n", "\x08", "\x1b[K", "\x1b[1K", "\x1b[2K", "\x1b[J", "\x1b[2J", "\x1b[H",
		"\x1b[3;5H", "\x1b[2A", "\x1b[4B", "\x1b[3C", "\x1b[D", "\x1b[2L", "\x1b[M", "\x1b[3@", "\x1b[2P",
		"\x1b[2S", "\x1b[T", "\x1b[2;6r", "\x1b[r", "\x1bM", "\x1b[31mred", "\x1b[0m", "\x1b[7m", "中文",
		"e\u0301", "\x1b[X", "\x1b7", "\x1b8", strings.Repeat("long line ", 6), ">>> ", "\x1b[?7l", "\x1b[?7h", "\x1bc", "\x1b[!p"}
	views := [][2]int{{30, 8}, {12, 5}, {50, 14}}
	for iter := range 60 {
		cols, rows := 5+rng.Intn(30), 3+rng.Intn(10)
		r := fakeREPL(t, cols, rows)
		for step := range 80 {
			var out strings.Builder
			for range 1 + rng.Intn(6) {
				out.WriteString(bits[rng.Intn(len(bits))])
			}
			r.feedString(out.String())
			if rng.Intn(25) == 0 {
				r.mu.Lock()
				r.term.resize(5+rng.Intn(30), 3+rng.Intn(10))
				r.changedLocked()
				r.mu.Unlock()
			}
			for _, v := range views[:1+rng.Intn(len(views))] {
				got := r.Render(v[0], v[1])
				r.mu.Lock()
				kept := r.drawn
				r.drawn = drawnRows{} // drawn from scratch, then the views' rows again
				want := r.renderLocked(v[0], v[1], 0, false)
				r.drawn = kept
				r.mu.Unlock()
				if !equal(got.Lines, want.Lines) {
					r.mu.Lock()
					t.Logf("emulator %dx%d cursor %v", r.term.emu.Width(), r.term.emu.Height(), r.term.emu.CursorPosition())
					r.mu.Unlock()
					t.Fatalf("iteration %d, step %d, view %v, after %q:\nredrawn rows\n%s\nwhole screen\n%s",
						iter, step, v, out.String(), strings.Join(got.Lines, "|\n"), strings.Join(want.Lines, "|\n"))
				}
			}
		}
	}
}
