package loadgen

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeWorkspace is a stand-in for classroomd's workspace, just rich enough
// for the script: it reads keys as a terminal sends them, keeps a file
// list, an editor and a Python, and redraws a 100x30 frame after each key.
// It notes every key in a transcript ("<F2><^N>name<CR>...").
type fakeWorkspace struct {
	out io.Writer // frames, to the client's Term

	mu         sync.Mutex
	transcript strings.Builder

	user      string
	focus     string // files, dialog, editor, python, recover
	recover   []string
	name      string
	file      string
	lines     []string
	notice    string
	dirty     bool
	pyLines   []string
	pyInput   string
	pyPrompt  string // ">>> ", "... ", or "" while a program runs
	pyStarted bool
	loseKeys  int // keys typed right after F4 that never reach Python (#13's bug)
	// printable keys typed into the editor, and at Python's primary prompt
	editorKeys, pythonKeys int
	frameHook              func(frame string) string
}

const fakeCols, fakeRows = 100, 30

func newFakeWorkspace(out io.Writer, user string) *fakeWorkspace {
	return &fakeWorkspace{out: out, user: user, focus: "files", pyPrompt: ">>> "}
}

// serve reads keys from in until it ends, drawing after each.
func (f *fakeWorkspace) serve(t *testing.T, in io.Reader) {
	f.draw()
	buf := make([]byte, 256)
	var pending string
	for {
		n, err := in.Read(buf)
		pending += string(buf[:n])
		for pending != "" {
			key, rest := nextKey(pending)
			pending = rest
			f.key(key)
		}
		f.draw()
		if err != nil {
			return
		}
	}
}

// nextKey splits the first key off s.
func nextKey(s string) (string, string) {
	for _, k := range []string{KeyF2, KeyF3, KeyF4, KeyF5} {
		if strings.HasPrefix(s, k) {
			return k, s[len(k):]
		}
	}
	return s[:1], s[1:]
}

var keyNames = map[string]string{KeyF2: "<F2>", KeyF3: "<F3>", KeyF4: "<F4>", KeyF5: "<F5>", KeyCtrlN: "<^N>",
	KeyCtrlS: "<^S>", KeyCtrlC: "<^C>", KeyEnter: "<CR>", KeyEsc: "<ESC>"}

func (f *fakeWorkspace) key(k string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name, ok := keyNames[k]; ok {
		f.transcript.WriteString(name)
	} else {
		f.transcript.WriteString(k)
	}
	f.notice = ""
	switch {
	case f.focus == "recover":
		if k == "d" {
			f.recover = f.recover[1:]
			if len(f.recover) == 0 {
				f.focus = "files"
			}
		}
	case k == KeyF2:
		f.focus = "files"
	case k == KeyF3:
		f.focus = "editor"
	case k == KeyF4:
		f.focus, f.pyStarted = "python", true
	case k == KeyF5:
		f.run()
	case k == KeyCtrlS && f.focus != "dialog":
		f.dirty = false
		f.notice = "Saved " + f.file + "."
	case k == KeyCtrlN && f.focus != "python":
		f.focus, f.name = "dialog", ""
	case f.focus == "dialog":
		if k == KeyEnter {
			f.focus, f.file, f.lines, f.dirty = "editor", f.name, []string{""}, false
		} else {
			f.name += k
		}
	case f.focus == "editor":
		if k == KeyEnter {
			f.lines = append(f.lines, "")
		} else {
			f.lines[len(f.lines)-1] += k
			f.editorKeys++
		}
		f.dirty = true
	case f.focus == "python":
		f.python(k)
	}
}

var (
	assignRe = regexp.MustCompile(`^([xy]) = (\d+)$`)
	markerRe = regexp.MustCompile(`^print\("M" \+ "(\w+)", x \* y\)$`)
	exprRe   = regexp.MustCompile(`^"Q" \+ str\((\d+) \* (\d+)\)$`)
	burstRe  = regexp.MustCompile(`^"B(\w+)" \+ str\((\d+)\)$`)
)

// run saves and "runs" the file: its marker line, then the prompt.
func (f *fakeWorkspace) run() {
	vars := map[string]int{}
	f.pyLines = append(f.pyLines, "=== RESTART: "+f.file+" ===")
	for _, l := range f.lines {
		if m := assignRe.FindStringSubmatch(l); m != nil {
			vars[m[1]], _ = strconv.Atoi(m[2])
		}
		if m := markerRe.FindStringSubmatch(l); m != nil {
			f.pyLines = append(f.pyLines, fmt.Sprintf("M%s %d", m[1], vars["x"]*vars["y"]))
		}
	}
	f.focus, f.dirty, f.pyPrompt, f.pyInput, f.pyStarted = "python", false, ">>> ", "", true
}

func (f *fakeWorkspace) python(k string) {
	switch {
	case k == KeyCtrlC:
		if f.pyPrompt == "" {
			f.pyLines = append(f.pyLines, "Traceback (most recent call last):", "KeyboardInterrupt")
		} else {
			f.pyLines = append(f.pyLines, f.pyPrompt+f.pyInput, "KeyboardInterrupt")
		}
		f.pyPrompt, f.pyInput = ">>> ", ""
	case f.pyPrompt == "":
		// A program runs: keys wait.
	case f.loseKeys > 0:
		f.loseKeys--
	case k == KeyEnter:
		line := f.pyPrompt + f.pyInput
		f.pyLines = append(f.pyLines, line)
		switch {
		case f.pyPrompt == "... " && f.pyInput == "":
			f.pyPrompt = "" // the loop runs
		case strings.HasSuffix(f.pyInput, ": pass"):
			f.pyPrompt = "... "
		default:
			if m := burstRe.FindStringSubmatch(f.pyInput); m != nil {
				f.pyLines = append(f.pyLines, fmt.Sprintf("'B%s%s'", m[1], m[2]))
			}
			if m := exprRe.FindStringSubmatch(f.pyInput); m != nil {
				a, _ := strconv.Atoi(m[1])
				b, _ := strconv.Atoi(m[2])
				f.pyLines = append(f.pyLines, fmt.Sprintf("'Q%d'", a*b))
			}
		}
		f.pyInput = ""
	default:
		if f.pyPrompt == ">>> " && !strings.HasPrefix(f.pyInput+k, "while") {
			f.pythonKeys++
		}
		f.pyInput += k
	}
}

// draw writes the whole frame.
func (f *fakeWorkspace) draw() {
	f.mu.Lock()
	rows := make([]string, fakeRows)
	rows[0] = fmt.Sprintf(" classroomd  Test Student (%s)", f.user)
	curX, curY, curShown := 0, 0, false
	switch f.focus {
	case "recover":
		rows[1] = " Recover unsaved changes"
		rows[3] = " Unsaved changes to " + f.recover[0] + " were kept."
		rows[29] = "r recover • d discard • esc cancel"
	case "dialog":
		rows[1] = " New file"
		rows[3] = " Name of the new file in your home folder (for example lab1.py):"
		rows[5] = " > " + f.name
		rows[29] = "enter create • esc cancel"
	default:
		rows[1] = " Files                   │ " + f.file
		for i := range 17 {
			text := ""
			if i < len(f.lines) {
				text = fmt.Sprintf("%2d %s", i+1, f.lines[i])
			}
			rows[2+i] = "                         │ " + text
		}
		rows[19] = " Python: ready"
		if !f.pyStarted {
			rows[19] = " Python: not started"
		}
		py := append(append([]string{}, f.pyLines...), f.pyPrompt+f.pyInput)
		if len(py) > 8 {
			py = py[len(py)-8:]
		}
		for i, l := range py {
			rows[20+i] = l
		}
		if f.focus == "python" && f.pyPrompt != "" {
			curX, curY, curShown = len(f.pyPrompt+f.pyInput), 20+len(py)-1, true
		}
		status := " " + f.file
		if f.dirty {
			status += " ● unsaved"
		}
		if f.focus == "editor" {
			status += fmt.Sprintf(" · Ln %d, Col %d", len(f.lines), len(f.lines[len(f.lines)-1])+1)
		}
		if f.notice != "" {
			status = " " + f.notice
		}
		rows[28] = status
		rows[29] = map[string]string{
			"files":  "q quit • F1 help • enter open • a new file",
			"editor": "ctrl+q quit • F1 help • ctrl+s save • F5 run",
			"python": "ctrl+q quit • F1 help • F5 run • ctrl+c interrupt",
		}[f.focus]
	}
	f.mu.Unlock()

	var b strings.Builder
	b.WriteString("\x1b[?25l\x1b[H\x1b[2J")
	for i, r := range rows {
		fmt.Fprintf(&b, "\x1b[%d;1H%s", i+1, r)
	}
	if curShown {
		fmt.Fprintf(&b, "\x1b[%d;%dH\x1b[?25h", curY+1, curX+1)
	}
	frame := b.String()
	if f.frameHook != nil {
		frame = f.frameHook(frame)
	}
	_, _ = io.WriteString(f.out, frame)
}

func (f *fakeWorkspace) printable() (editor, python int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.editorKeys, f.pythonKeys
}

func (f *fakeWorkspace) typed() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.transcript.String()
}

// connect gives a Term that talks to a new fake workspace, both running
// until the test ends.
func connect(t *testing.T, user string, setup func(*fakeWorkspace)) (*Term, *fakeWorkspace) {
	t.Helper()
	keysR, keysW := io.Pipe()
	framesR, framesW := io.Pipe()
	term := NewTerm(fakeCols, fakeRows, keysW)
	fake := newFakeWorkspace(framesW, user)
	if setup != nil {
		setup(fake)
	}
	served, fed := make(chan struct{}), make(chan struct{})
	go term.Replies()
	go func() {
		defer close(fed)
		term.Feed(framesR)
	}()
	go func() {
		defer close(served)
		fake.serve(t, keysR)
		framesW.Close()
	}()
	t.Cleanup(func() {
		keysW.Close()
		<-served
		<-fed
		term.Close()
	})
	return term, fake
}
