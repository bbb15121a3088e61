package workspace_test

// #16 case 2: kill -9 at random moments of saves and journal writes.

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/workspace"
)

const (
	kill9Child   = "CLASSROOMD_KILL9_CHILD" // the home, journal folder for the child
	kill9Journal = 50 * time.Millisecond
)

// version is the content of the n-th save: large enough that a torn write
// would show, and each one different.
func version(n int) string {
	line := fmt.Sprintf("# save %d\n", n)
	return line + strings.Repeat(fmt.Sprintf("x_%d = %d\n", n, n), 2000)
}

// typed is the unsaved text after n keys: version(0) and then n letters.
func typed(n int) string { return "# typed " + strconv.Itoa(n) + "\n" }

// kill9Work is the child: it saves a.py over and over, and types into b.py
// (never saved, journaled every 50 ms), saying on stdout what it did, until
// it is killed.
func kill9Work(dir string) {
	home, err := files.OpenHome(filepath.Join(dir, "home"))
	if err != nil {
		panic(err)
	}
	ws, err := workspace.New(workspace.Options{Username: "alice", Home: home,
		JournalDir: filepath.Join(dir, "journal"), JournalEvery: kill9Journal})
	if err != nil {
		panic(err)
	}
	b, err := ws.Open("b.py")
	if err != nil {
		panic(err)
	}
	id := b.Buf.AddCursor()
	out := bufio.NewWriter(os.Stdout)
	start, _ := strconv.Atoi(os.Getenv("CLASSROOMD_KILL9_FROM"))
	for n := start; ; n++ {
		if err := home.WriteFile("a.py", []byte(version(n))); err != nil {
			panic(err)
		}
		fmt.Fprintf(out, "saved %d\n", n)
		b.Buf.SelectAll(id)
		b.Buf.InsertText(id, typed(n))
		fmt.Fprintf(out, "typed %d %d\n", n, time.Now().UnixNano())
		out.Flush()
	}
}

func TestKill9NeverTearsASaveAndLosesOnlyTheLastMoments(t *testing.T) {
	if dir := os.Getenv(kill9Child); dir != "" {
		kill9Work(dir)
		return
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "home"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "home", "b.py"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	next := 0
	for round := range 40 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKill9NeverTearsASaveAndLosesOnlyTheLastMoments$")
		cmd.Env = append(os.Environ(), kill9Child+"="+dir, "CLASSROOMD_KILL9_FROM="+strconv.Itoa(next))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let it save and type for a random while, then kill -9 it.
		lines := make(chan string, 1<<16)
		saving := make(chan struct{}) // closed at the child's first save
		go func() {
			sc := bufio.NewScanner(stdout)
			first := true
			for sc.Scan() {
				lines <- sc.Text()
				if first && strings.HasPrefix(sc.Text(), "saved ") {
					first = false
					close(saving)
				}
			}
			close(lines)
		}()
		// A -race child takes a while to start: the random moment counts
		// from its first save.
		select {
		case <-saving:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("round %d: the child did not save within 60 s", round)
		}
		time.Sleep(time.Duration(r.IntN(400)) * time.Millisecond)
		killed := time.Now()
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		lastSaved, lastTyped := -1, -1
		var typedAt []time.Time // when typed n happened, by n - next
		for l := range lines {
			var n int
			var at int64
			switch {
			case strings.HasPrefix(l, "saved "):
				fmt.Sscanf(l, "saved %d", &n)
				lastSaved = n
			case strings.HasPrefix(l, "typed "):
				fmt.Sscanf(l, "typed %d %d", &n, &at)
				lastTyped = n
				typedAt = append(typedAt, time.Unix(0, at))
			}
		}
		if lastSaved < next {
			t.Fatalf("round %d: the child saved nothing before the kill", round)
		}

		// The saved file is one whole version: the last one reported, or
		// the one whose save the kill interrupted after its rename.
		data, err := os.ReadFile(filepath.Join(dir, "home", "a.py"))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got := string(data)
		if got != version(lastSaved) && got != version(lastSaved+1) {
			first, _, _ := strings.Cut(got, "\n")
			t.Fatalf("round %d: a.py is not a whole version (last saved %d): %d bytes, first line %q",
				round, lastSaved, len(got), first)
		}

		// A new workspace over the same journal offers b.py's unsaved text,
		// typed at most a journal interval (and a little) before the kill.
		home, err := files.OpenHome(filepath.Join(dir, "home"))
		if err != nil {
			t.Fatal(err)
		}
		ws, err := workspace.New(workspace.Options{Username: "alice", Home: home,
			JournalDir: filepath.Join(dir, "journal"), JournalEvery: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		var rec *workspace.Recovered
		for _, e := range ws.Recovered() {
			if e.Path == "b.py" {
				rec = &e
			}
		}
		ws.Close()
		// Typed for more than a few journal intervals before the kill: it
		// must be offered, and from this round.
		long := len(typedAt) > 0 && killed.Sub(typedAt[0]) > 4*kill9Journal
		switch {
		case rec == nil && long:
			t.Fatalf("round %d: nothing of b.py recovered, typed for %v before the kill", round, killed.Sub(typedAt[0]))
		case rec != nil:
			var n int
			if _, err := fmt.Sscanf(rec.Text, "# typed %d\n", &n); err != nil || rec.Text != typed(n) {
				t.Fatalf("round %d: the recovered text is not one typed: %q", round, rec.Text)
			}
			if n > lastTyped+1 {
				t.Fatalf("round %d: recovered typed %d, but only %d was typed", round, n, lastTyped)
			}
			if long && n < next {
				t.Fatalf("round %d: recovered typed %d from an earlier round, typed %d..%d in this one", round, n, next, lastTyped)
			}
			if i := n - next; long && i >= 0 && i < len(typedAt) {
				if lost := killed.Sub(typedAt[i]); lost > 10*kill9Journal+time.Second {
					t.Errorf("round %d: the recovered text was typed %v before the kill", round, lost)
				}
			}
		}
		next = lastSaved + 2
	}

	// Saves broken off leave their temporary files (a partial copy, hidden,
	// counted against the quota): gone once the file is saved again, and
	// from the journal once it is opened again.
	home, err := files.OpenHome(filepath.Join(dir, "home"))
	if err != nil {
		t.Fatal(err)
	}
	if err := home.WriteFile("a.py", []byte(version(next))); err != nil {
		t.Fatal(err)
	}
	ws, err := workspace.New(workspace.Options{Username: "alice", Home: home,
		JournalDir: filepath.Join(dir, "journal"), JournalEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ws.Close()
	for _, folder := range []string{"home", "journal"} {
		entries, err := os.ReadDir(filepath.Join(dir, folder))
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				left = append(left, e.Name())
			}
		}
		if len(left) > 0 {
			t.Errorf("%d temporary files of broken-off writes left in the %s: %v", len(left), folder, left[:min(len(left), 5)])
		}
	}
}
