package tui_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/tui"
)

// helpText is the whole help screen, scrolled through line by line from the
// top (the help is open).
func (hs *harness) helpText() string {
	hs.t.Helper()
	hs.press(keyHome)
	var all []string
	seen := map[string]bool{}
	last := ""
	for range 500 {
		scr := hs.screen()
		if scr == last {
			break
		}
		last = scr
		for _, l := range strings.Split(scr, "\n") {
			if !seen[l] {
				seen[l] = true
				all = append(all, l)
			}
		}
		hs.press(keyDown)
	}
	hs.press(keyHome)
	return strings.Join(all, "\n")
}

// F1 says how to copy files in and out, with this user's and server's exact
// commands (scp and sftp take -P for the port).
func TestHelpSaysHowToTransferFiles(t *testing.T) {
	hs := start(t, tui.Options{Username: "alice", Home: sampleHome(), SSHHost: "class.example.edu", SSHPort: 2222}, 120, 40)
	hs.press(keyF1)
	all := hs.helpText()
	for _, want := range []string{
		"Files in and out",
		"scp -P 2222 data.csv alice@class.example.edu:",
		"scp -P 2222 alice@class.example.edu:lab1/report.py .",
		"scp -r -P 2222 alice@class.example.edu:lab1 .",
		"sftp -P 2222 alice@class.example.edu",
		"Upload",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the help lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "HOST") {
		t.Errorf("the help names HOST although the address is known:\n%s", all)
	}

	// Port 22 goes without -P; an unknown host is named HOST, and said so.
	hs = start(t, tui.Options{Username: "bob", Home: sampleHome(), SSHPort: 22}, 120, 40)
	hs.press(keyF1)
	all = hs.helpText()
	for _, want := range []string{"scp data.csv bob@HOST:", "sftp bob@HOST", "HOST is the address"} {
		if !strings.Contains(all, want) {
			t.Errorf("the help lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "-P") {
		t.Errorf("the help gives a port for port 22:\n%s", all)
	}

	// Neither known: HOST and PORT, and what they stand for.
	hs = start(t, tui.Options{Username: "bob", Home: sampleHome()}, 120, 40)
	hs.press(keyF1)
	all = hs.helpText()
	for _, want := range []string{"scp -P PORT data.csv bob@HOST:", "sftp -P PORT bob@HOST", "ssh -p PORT bob@HOST"} {
		if !strings.Contains(all, want) {
			t.Errorf("the help lacks %q:\n%s", want, all)
		}
	}

	// A narrow terminal wraps the prose but never breaks a command.
	hs = start(t, tui.Options{Username: "alice", Home: sampleHome(), SSHHost: "class.example.edu", SSHPort: 2222}, 60, 24)
	hs.press(keyF1)
	if all := hs.helpText(); !strings.Contains(all, "scp -P 2222 data.csv alice@class.example.edu:") {
		t.Errorf("a narrow help breaks the scp command:\n%s", all)
	}
}

// In a browser, the file list tells the page what is selected (OSC 7707),
// so that Upload and Download act on it; over SSH it never does.
func TestSelectionReportedToBrowsersOnly(t *testing.T) {
	sp := newSpace(t, map[string]string{"lab 1/data;x.csv": "1,2\n"})
	for _, transport := range []string{"ssh", tui.TransportWeb} {
		d := &driver{t: t, msgs: make(chan tea.Msg, 64), w: 100, h: 30}
		d.m = tui.New(tui.Options{Username: "alice", Role: "student", Home: sp.home, Workspace: sp.ws, Transport: transport})
		t.Cleanup(d.m.Close)
		var reports []string
		// press sends keys without d.press's drain, which would hand the
		// reports to the model (which ignores them) before next sees them.
		press := func(keys ...tea.KeyPressMsg) {
			for _, k := range keys {
				d.send(k)
			}
		}
		// next takes in messages until the file list reports want (or, with
		// want "", until the screen shows shows).
		shows := "welcome.py"
		next := func(want string) {
			t.Helper()
			deadline := time.After(10 * time.Second)
			for {
				select {
				case msg := <-d.msgs:
					if raw, ok := msg.(tea.RawMsg); ok {
						if s, ok := raw.Msg.(string); ok && strings.HasPrefix(s, "\x1b]7707;") {
							reports = append(reports, s)
							if s == want {
								return
							}
						}
						continue
					}
					d.send(msg)
				case <-time.After(200 * time.Millisecond):
					if want == "" && strings.Contains(d.screen(), shows) {
						return
					}
				case <-deadline:
					t.Fatalf("%s: no report %q; got %q; screen:\n%s", transport, want, reports, d.screen())
				}
			}
		}
		d.send(tea.WindowSizeMsg{Width: 100, Height: 30})
		d.exec(d.m.Init())
		if transport != tui.TransportWeb {
			next("")
			press(keyF2, keyHome, keyEnter)
			shows = "data;x.csv"
			next("")
			press(keyDown)
			if len(reports) > 0 {
				t.Errorf("over ssh the selection was reported: %q", reports)
			}
			continue
		}
		next("\x1b]7707;sel;d;lab+1\a") // the first entry: the folder, its name escaped
		press(keyF2, keyHome, keyEnter) // open it, down to its file
		shows = "data;x.csv"
		next("")
		press(keyDown)
		next("\x1b]7707;sel;f;lab+1%2Fdata%3Bx.csv\a")
		for _, r := range reports {
			if strings.ContainsAny(r[2:len(r)-1], "\x1b\a ") || strings.Count(r, ";") != 3 {
				t.Errorf("a report %q holds a control character, a space or a stray ;", r)
			}
		}
	}
}

// A file that arrives as an upload does (SFTP, the browser: a hidden
// temporary file renamed over its name at the end) appears in the file list
// without a key pressed, in the home and in an open folder, and its
// temporary file never shows.
func TestUploadAppearsWithoutAKey(t *testing.T) {
	sp := newSpace(t, map[string]string{"lab/old.py": ""})
	d := drive(t, sp, 100, 30)
	upload := func(rel, content string) {
		t.Helper()
		dst := filepath.Join(sp.dir, filepath.FromSlash(rel))
		tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-1a2b3c")
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, dst); err != nil {
			t.Fatal(err)
		}
	}
	upload("data.csv", "1,2\n")
	d.until("data.csv listed", func(s string) bool { return strings.Contains(s, "data.csv") })
	d.press(keyF2, keyHome, keyEnter) // open lab/
	d.until("lab/ open", func(s string) bool { return strings.Contains(s, "old.py") })
	upload("lab/report.pdf", "%PDF")
	d.until("lab/report.pdf listed", func(s string) bool { return strings.Contains(s, "report.pdf") })
	if strings.Contains(d.screen(), ".tmp-") {
		t.Errorf("a temporary file shows:\n%s", d.screen())
	}
}
