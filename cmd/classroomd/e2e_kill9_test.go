package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/testkit"
)

const (
	kill9Journal = 200 * time.Millisecond // the daemon's --journal-every here
	// kill9Margin is what a journal write may lag its tick on a busy
	// machine (-race, two cores shared): text shown this long plus one
	// interval before the kill must be offered back ("typed up to a few
	// seconds before the kill", issue #16).
	kill9Margin = 2 * time.Second
)

// kill9Version is the content saved in round r: tens of KB, so that a torn
// or mixed write would show, and different in every round.
func kill9Version(r int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# version %02d\n", r)
	for i := range 3000 {
		fmt.Fprintf(&b, "v%02d_%04d = %d\n", r, i, i)
	}
	return b.String()
}

func kill9Mark(r, k int) string { return fmt.Sprintf("mark_r%02d_k%03d", r, k) }

// kill9Unsaved is round r's buffer after m marks typed at the top of
// kill9Version(r), each after the one before.
func kill9Unsaved(r, m int) string {
	var b strings.Builder
	for k := range m {
		b.WriteString(kill9Mark(r, k) + "\n")
	}
	return b.String() + kill9Version(r)
}

// kill9Temps lists the partial copies a save or journal write left in dir.
func kill9Temps(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// kill9Cgroups lists the cgroups of the sandboxes of the daemon with this
// pid: named "PID-..." in a "classroomd" group (see internal/sandbox),
// wherever the hierarchies put the daemon's own group.
func kill9Cgroups(pid int) []string {
	var out []string
	_ = filepath.WalkDir("/sys/fs/cgroup", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || d.Name() != "classroomd" {
			return nil
		}
		m, _ := filepath.Glob(filepath.Join(path, strconv.Itoa(pid)+"-*"))
		out = append(out, m...)
		return filepath.SkipDir
	})
	return out
}

// #16 case 2, the whole daemon: `classroomd serve` is killed with SIGKILL
// under a student logged in with OpenSSH, round after round, at a random
// moment: during a save, or while the student types unsaved text between
// journal writes. After each kill the saved file is one whole version (the
// last saved or the one being saved), no Python of the old daemon runs;
// after each restart its sandboxes' cgroups are gone, partial copies are
// cleared, and the student is offered back what the journal held: every
// mark shown on her screen up to one journal interval (and a margin) before
// the kill. CLASSROOMD_KILL9_ROUNDS raises the number of rounds.
func TestDaemonKill9Loop(t *testing.T) {
	testkit.NeedRoot(t, "students' Python runs in a sandbox, whose processes and cgroups the test checks")
	rounds := 9
	if v := os.Getenv("CLASSROOMD_KILL9_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CLASSROOMD_KILL9_ROUNDS=%q: want a positive number", v)
		}
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 16))

	h := newHarness(t)
	b := backend{dataDir: t.TempDir(), uidBase: 410000}
	const password = "kill nine lives 9"
	h.cli(t, cliOpts{stdin: password + "\n"}, append([]string{"user", "add", "alice", "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	o := sshOpts{knownHosts: filepath.Join(t.TempDir(), "known_hosts")}
	homeDir := filepath.Join(b.dataDir, "homes", "alice")
	file := filepath.Join(homeDir, "welcome.py")
	journalDir := filepath.Join(b.dataDir, "journal", "alice")
	entryPath := filepath.Join(journalDir, hex.EncodeToString([]byte("welcome.py"))+".json")
	readEntry := func() (string, bool) {
		data, err := os.ReadFile(entryPath)
		if os.IsNotExist(err) {
			return "", false
		}
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Text string }
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatalf("the journal entry is not whole JSON (%d bytes): %v", len(data), err)
		}
		return e.Text, true
	}

	var (
		saved    string // what the file on disk holds for sure
		offered  string // the journal entry after the last kill
		hasOffer bool
		// savedInJournal: the last kill left a journal entry equal to the
		// saved file.
		savedInJournal bool
		oldPid         int
		oldCgroups     []string
		// leftInJournal are the partial journal entries after the last kill.
		leftInJournal []string
		// Figures for RELIABILITY.md.
		killsInSave, newInSave, tempsLeft, journalTemps int
		maxLost                                         time.Duration
		marksLost, marksTyped                           int
	)
	// The last start only checks what the last kill left.
	for round := range rounds + 1 {
		srv := h.startServer(t, b, "--journal-every", kill9Journal.String())
		if oldPid != 0 {
			// serve swept the killed daemon's sandboxes as it started.
			if left := kill9Cgroups(oldPid); len(left) > 0 {
				t.Errorf("round %d: the cgroups of the killed daemon's sandboxes are still there after the restart: %v", round, left)
			}
		}
		term := h.vtLogin(t, srv, o, fmt.Sprintf("alice's terminal, round %d", round), "alice", password, 120, 40)
		if round == 0 {
			term.waitScreen("welcome.py")
			saved = readFile(t, file)
		}

		// What the journal held is offered, and only then.
		if hasOffer {
			term.waitScreen("Recover unsaved changes", "Unsaved changes to welcome.py")
			if round%2 == 1 {
				term.typ("r")
				first, _, _ := strings.Cut(offered, "\n")
				term.waitScreen("welcome.py ●", first)
			} else {
				term.typ("d")
				term.waitUntil("close the recovery question", func(s vtScreen) bool { return !s.contains("Recover unsaved changes") })
				if !waitFor(screenDeadline, nil, func() bool { _, ok := readEntry(); return !ok }) {
					t.Errorf("round %d: the discarded entry is still in the journal", round)
				}
			}
		} else if round > 0 {
			if savedInJournal {
				if !waitFor(screenDeadline, nil, func() bool { _, ok := readEntry(); return !ok }) {
					t.Errorf("round %d: the journal still holds an entry that is the saved file", round)
				}
				savedInJournal = false
			}
			var sc vtScreen
			waitFor(screenDeadline, nil, func() bool {
				var quiet bool
				sc, quiet = term.settled()
				return quiet && sc.contains("welcome.py")
			})
			if sc.contains("Recover unsaved") {
				t.Errorf("round %d: recovery offered with no journal entry on disk:\n%s", round, sc)
			}
		}
		// The workspace has opened (its screen shows): the partial journal
		// entries the kill left are gone. (A flush of this daemon's may
		// have a temporary file of its own by now.)
		for _, name := range leftInJournal {
			if _, err := os.Stat(filepath.Join(journalDir, name)); err == nil {
				t.Errorf("round %d: the journal keeps the partial entry %s the kill left, after the workspace opened", round, name)
			}
		}
		if round == rounds {
			srv.stop(t)
			break
		}
		// Python runs, so that the daemon has a sandbox to leave behind.
		term.typ(keyF4)
		term.waitScreen(">>>")
		term.typ(keyF3 + keyCtrlP + "welcome\r")
		term.waitUntil("show welcome.py's tab", func(s vtScreen) bool { return strings.Contains(s.text[1], "│ welcome.py") })

		// A new version, pasted over the whole file, and saved.
		version := kill9Version(round)
		term.typ("\x01" + "\x1b[200~" + version + "\x1b[201~") // ctrl+a, then the paste
		term.waitScreen(fmt.Sprintf("v%02d_2999 = 2999", round), "●")
		oldPid = srv.cmd.Process.Pid
		oldCgroups = kill9Cgroups(oldPid)
		if len(oldCgroups) == 0 {
			t.Errorf("round %d: Python runs but no cgroup of daemon %d is found under /sys/fs/cgroup: the check after the restart would find nothing", round, oldPid)
		}
		term.typ("\x13") // ctrl+s
		duringSave := round%3 == 2
		var shown []time.Time // when each mark showed on the screen
		if duringSave {
			killsInSave++
			time.Sleep(time.Duration(rnd.IntN(6000)) * time.Microsecond) // the random moment, within the save
		} else {
			if !waitFor(screenDeadline, nil, func() bool { data, _ := os.ReadFile(file); return string(data) == version }) {
				data, _ := os.ReadFile(file)
				t.Fatalf("round %d: the save did not reach the disk: %d bytes, want %d\n%s", round, len(data), len(version), term.screen())
			}
			saved = version
			// The save cleared what earlier kills left.
			if temps := kill9Temps(t, homeDir); len(temps) > 0 {
				t.Errorf("round %d: partial copies left in the home after a save: %v", round, temps)
			}
			// Unsaved typing, a mark at a time at the top, each waited
			// for on the screen, for a random while; then the kill.
			term.typ("\x1b[1;5H") // ctrl+home
			typeFor := time.Duration(500+rnd.IntN(3500)) * time.Millisecond
			start := time.Now()
			for k := 0; time.Since(start) < typeFor; k++ {
				term.typ("\x1b[200~" + kill9Mark(round, k) + "\n\x1b[201~")
				term.waitScreen(kill9Mark(round, k))
				shown = append(shown, time.Now())
			}
		}
		killedAt := time.Now()
		if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if _, exited := srv.waitExit(exitDeadline); !exited {
			t.Fatalf("round %d: the daemon did not die of SIGKILL", round)
		}
		srv.stopped = true
		term.exit()

		// The file is one whole version.
		got := readFile(t, file)
		switch {
		case got == saved:
		case duringSave && got == version:
			newInSave++
			saved = version
		default:
			first, _, _ := strings.Cut(got, "\n")
			t.Fatalf("round %d: welcome.py is neither the last saved version nor the one being saved: %d bytes, first line %q", round, len(got), first)
		}
		tempsLeft += len(kill9Temps(t, homeDir))
		leftInJournal = kill9Temps(t, journalDir)
		journalTemps += len(leftInJournal)

		// No Python of the killed daemon outlives it.
		if !waitFor(exitDeadline, nil, func() bool { return len(studentProcesses(b.uidBase)) == 0 }) {
			t.Errorf("round %d: the killed daemon's student programs still run: %v", round, studentProcesses(b.uidBase))
		}

		// What the journal holds: a state the buffer was in, with every
		// mark shown long enough before the kill.
		prev, hadPrev := offered, hasOffer && round%2 == 1
		offered, hasOffer = readEntry()
		if !hasOffer {
			offered = ""
		}
		m := -1 // marks in the journal
		for i := 0; i <= len(shown); i++ {
			if offered == kill9Unsaved(round, i) {
				m = i
			}
		}
		switch {
		case m >= 0:
		case !hasOffer, hadPrev && offered == prev:
			m = 0
		default:
			first, _, _ := strings.Cut(offered, "\n")
			t.Fatalf("round %d: the journal holds a text the buffer never had: %d bytes, first line %q, begins %q", round, len(offered), first, offered[:min(len(offered), 400)])
		}
		bound := killedAt.Add(-kill9Journal - kill9Margin)
		for k := m; k < len(shown); k++ {
			if !shown[k].After(bound) {
				t.Errorf("round %d: mark %d, shown %v before the kill, is not in the journal (it holds %d of %d marks)", round, k, killedAt.Sub(shown[k]).Round(time.Millisecond), m, len(shown))
				break
			}
		}
		marksTyped += len(shown)
		if m < len(shown) {
			marksLost += len(shown) - m
			maxLost = max(maxLost, killedAt.Sub(shown[m]))
		}
		if hasOffer && offered == got {
			// Killed after the save's rename, before the journal was
			// cleared: the next start drops the entry rather than offer
			// what is saved.
			hasOffer, savedInJournal = false, true
		}
		t.Logf("round %d: killed %s; file %d bytes whole; journal holds %d of %d marks", round,
			map[bool]string{true: "during a save", false: "while typing"}[duringSave], len(got), m, len(shown))
	}
	t.Logf("%d kills (%d during a save, %d of which the new version won); %d marks typed, %d lost, typed at most %v before the kill; %d partial copies found in the home and %d in the journal after kills (a save after a restart, and opening the journal, must clear them)",
		rounds, killsInSave, newInSave, marksTyped, marksLost, maxLost.Round(time.Millisecond), tempsLeft, journalTemps)
}
