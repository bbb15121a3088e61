package main

// Hostile names and bytes (#16 case 5), over real OpenSSH: files whose names
// hold terminal escapes, bidi overrides, invalid UTF-8 or 255 bytes in a
// student's home; a roster name with an override; Python printing escapes;
// a 2 MB paste. What each terminal receives is read byte for byte.

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/classroomd/classroomd/internal/store"
)

const (
	hostileStudent   = "mallory"
	hostilePassword  = "escape artist 1984"
	hostileProf      = "percy"
	hostileProfPass  = "watching closely 77"
	hostileOther     = "trent"
	hostileOtherPass = "innocent bystander 5"
)

// hostileFiles are created in the student's home before they log in, as a
// program of theirs (or an SFTP client) could name them.
var hostileFiles = []struct {
	name  string // on disk
	shown string // in the file list and the status line
}{
	{"\x1b]0;PWNED-TITLE\x07title.py", `\x1b]0;PWNED-TITLE\atitle.py`},
	{"\x1b]52;c;UFdORUQ=\x07clip.py", `\x1b]52;c;UFdORUQ=\aclip.py`},
	{"\x1b[2J\x1b[Hclear.py", `\x1b[2J\x1b[Hclear.py`},
	{"gnp.\u202ecod.py", `gnp.\u202ecod.py`},
	{"\u2066isolate\u2069.py", `\u2066isolate\u2069.py`},
	{"bad\xff\xfeutf8.py", `bad\xff\xfeutf8.py`},
	{"\u009b31mc1.py", `\u009b31mc1.py`},
	{strings.Repeat("L", 251) + ".py", strings.Repeat("L", 251) + ".py"},
}

// forbidden are byte strings that must never reach a terminal: the hostile
// names' escapes, as the names hold them.
var forbidden = map[string]string{
	"a window title from a name":     "\x1b]0;PWNED",
	"a clipboard write (OSC 52)":     "\x1b]52;",
	"a screen erase from a name":     "\x1b[2J\x1b[Hclear",
	"a right-to-left override":       "\u202e",
	"a left-to-right isolate":        "\u2066",
	"a pop directional isolate":      "\u2069",
	"an invalid byte":                "\xff\xfe",
	"a C1 CSI":                       "\u009b",
	"a window title from Python":     "PY-TITLE",
	"a window title from a new name": "\x1b]0;PROF",
	"a clipboard write from Python":  "UFlDTElQ",
}

func TestHostileNamesAndBytes(t *testing.T) {
	h := newHarness(t)
	b := backend{dataDir: t.TempDir(), uidBase: 370000}
	// The command line refuses an override in a name (it took one before).
	r := h.cli(t, cliOpts{stdin: hostilePassword + "\n"}, append([]string{"user", "add", hostileStudent, "--name", "Mal \u202eyrol", "--password-stdin"}, b.flags()...)...)
	if r.code == 0 || !strings.Contains(r.stderr, "text direction control (U+202E)") {
		t.Errorf("user add took a name with a right-to-left override (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	h.cli(t, cliOpts{stdin: hostilePassword + "\n"}, append([]string{"user", "add", hostileStudent, "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	// One stored before, as the store keeps it: every view must still show
	// it harmlessly.
	st := openBackendStore(t, b)
	if _, err := st.ImportUsers(t.Context(), []store.UserImport{{Username: hostileStudent, FullName: "Mal \u202eyrol"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	list := h.cli(t, cliOpts{}, append([]string{"user", "list"}, b.flags()...)...)
	list.mustSucceed(t)
	if strings.Contains(list.stdout, "\u202e") || !strings.Contains(list.stdout, "Mal ?yrol") {
		t.Errorf("user list does not show the stored override harmlessly as ?:\n%s", list.stdout)
	}
	h.cli(t, cliOpts{stdin: hostileProfPass + "\n"}, append([]string{"user", "add", hostileProf, "--role", "professor", "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	h.cli(t, cliOpts{stdin: hostileOtherPass + "\n"}, append([]string{"user", "add", hostileOther, "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	home := filepath.Join(b.dataDir, "homes", hostileStudent)
	uid := homeOwner(t, b, hostileStudent)
	for _, f := range hostileFiles {
		p := filepath.Join(home, f.name)
		if err := os.WriteFile(p, []byte("print('hi')\n"), 0o644); err != nil {
			t.Fatalf("create %q: %v", f.name, err)
		}
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	srv := h.startServer(t, b)
	o := sshOpts{knownHosts: filepath.Join(t.TempDir(), "known_hosts")}

	stu := h.vtLogin(t, srv, o, "mallory's terminal", hostileStudent, hostilePassword, 120, 40)
	defer noEscapes(t, stu)
	// Every name is listed, escaped so it can be told apart; the long one
	// is cut with an ellipsis, within the file list.
	stu.waitUntil("list every hostile name, escaped", func(sc vtScreen) bool {
		for _, f := range hostileFiles[:len(hostileFiles)-1] {
			if !rowWith(sc, f.shown) {
				return false
			}
		}
		return rowWith(sc, "LLLLLLLLLL…│") && sc.contains("welcome.py")
	})

	// The status line names the selected file as the list does; the
	// rename dialog shows the long name whole, and renames it.
	long := hostileFiles[len(hostileFiles)-1]
	selectFile(stu, long.shown)
	stu.typ("m")
	sc := stu.waitScreen("Rename or move")
	if n := strings.Count(strings.Join(sc.text, ""), "L"); n < 2*251 {
		t.Errorf("the rename dialog does not show the 255-byte name whole (in its sentence and its field): %d of its %d Ls on the screen\n%s", n, 251, sc)
	}
	stu.typ("\x15renamed-long.py\r") // ctrl+u clears the field
	waitFile(t, home, "renamed-long.py", long.name)
	stu.waitUntil("say the long name was renamed", flatShows("Renamed LLLLLLLLLL"))

	// Renamed and deleted through the keys, by their real bytes.
	for i, f := range hostileFiles[:len(hostileFiles)-1] {
		selectFile(stu, f.shown)
		if i%2 == 0 {
			stu.typ("m")
			stu.waitUntil("open the rename dialog with the escaped name", flatShows("Rename or move", "> "+f.shown))
			to := fmt.Sprintf("renamed-%d.py", i)
			stu.typ("\x15" + to + "\r")
			waitFile(t, home, to, f.name)
			// The status line says so after the file moved on disk; wait
			// for it, or the next selectFile reads it as the selection.
			stu.waitUntil("say the file was renamed", flatShows("Renamed "+f.shown))
		} else {
			stu.typ("d")
			stu.waitUntil("ask before deleting, with the escaped name", flatShows("Delete "+f.shown))
			stu.typ("y")
			waitFile(t, home, "", f.name)
			stu.waitUntil("say the file was deleted", flatShows("Deleted "+f.shown))
		}
	}

	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		quitTerm(t, stu)
		t.Skip("Python runs in a sandbox, which the rest of this test expects as root")
	}
	// The professor's console lists mallory, the override in her name
	// shown as an escape.
	prof := h.vtLogin(t, srv, o, "percy's terminal", hostileProf, hostileProfPass, profCols, profRows)
	defer noEscapes(t, prof)
	prof.waitUntil("list mallory with her name escaped", func(sc vtScreen) bool { return rowWith(sc, hostileStudent, `Mal \u202eyrol`) })

	// Python prints a window title, a clipboard write, an override and
	// a blob of every byte; each marker is built at run time, so the echo
	// of the line typed does not hold it.
	stu.typ(keyF4)
	stu.waitScreen(">>>")
	stu.typ(`print("\x1b]0;PY-" + "TITLE\x07\x1b]52;c;UFlD" + "TElQ\x07\u202eRTL" + "-OUT\u2066")` + "\r")
	stu.waitScreen("RTL-OUT", ">>>")
	stu.typ(`import os; os.write(1, bytes(range(256)) * 8 + b"\x1b]52;c;UFlD" + b"TElQ" + b"\x1b[" + b"\x1bP" + b"\x90"); print()` + "\r")
	stu.typ(`print("still" + "-alive")` + "\r")
	stu.waitScreen("still-alive", ">>>")

	// The professor watches mallory: her output, and what she types next.
	prof.typ("2")
	prof.waitUntil("show mallory on the Live page", func(sc vtScreen) bool { return rowWith(sc, hostileStudent) })
	openLiveView(prof, hostileStudent)
	prof.waitScreen("Watching "+hostileStudent, "still-alive")
	stu.typ(`print("\x1b]0;PY-" + "TITLE\x07\u202e" + "AGAIN")` + "\r")
	prof.waitScreen("AGAIN")
	stu.waitScreen("AGAIN", ">>>")
	prof.typ(keyEsc)
	prof.waitUntil("leave the live view", func(sc vtScreen) bool { return !sc.contains("Watching " + hostileStudent) })

	// The professor browses her files: a name made meanwhile is listed,
	// opened and titled escaped.
	seen := filepath.Join(home, "\x1b]0;PROF-TITLE\x07seen.py")
	if err := os.WriteFile(seen, []byte("print('seen')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(seen, uid, uid); err != nil {
		t.Fatal(err)
	}
	const seenShown = `\x1b]0;PROF-TITLE\aseen.py`
	prof.typ("b")
	prof.waitUntil("list mallory's files, the new name escaped", func(sc vtScreen) bool {
		return sc.contains(hostileStudent+"'s files (read-only)") && rowWith(sc, seenShown)
	})
	prof.typ("g\r") // it sorts first
	prof.waitScreen(hostileStudent+": "+seenShown+" (read-only)", "print('seen')")
	prof.typ(keyEsc)
	prof.waitScreen(hostileStudent + "'s files (read-only)")
	prof.typ(keyEsc)
	prof.waitUntil("leave the files", func(sc vtScreen) bool { return !sc.contains(hostileStudent + "'s files") })
	quitTerm(t, prof)

	// 2 MB pasted into Python, then into the editor: refused whole, with a
	// sentence, while another student's Python echoes what he types.
	other := h.vtLogin(t, srv, o, "trent's terminal", hostileOther, hostileOtherPass, 100, 30)
	defer noEscapes(t, other)
	other.waitScreen("welcome.py")
	other.typ(keyF4)
	other.waitScreen(">>>")
	huge := strings.Repeat("x = 'paste paste paste paste'\n", 2<<20/30+1)
	before := rssKiB(t, srv.cmd.Process.Pid)
	pasteWhileOtherTypes(t, stu, other, huge, "That paste is 2 MiB; Python takes at most 256 KiB at once")
	stu.typ(`print("after" + "-paste")` + "\r")
	stu.waitScreen("after-paste", ">>>")

	stu.typ(keyF2 + "\x0e") // the file list, ctrl+n
	stu.waitScreen("New file")
	stu.typ("pasted.py\r")
	stu.waitScreen("pasted.py · Ln 1, Col 1")
	pasteWhileOtherTypes(t, stu, other, huge, "That paste is 2 MiB; the editor takes at most 1 MiB at once")
	after := rssKiB(t, srv.cmd.Process.Pid)
	t.Logf("server RSS %d KiB before the two pastes, %d KiB after", before, after)
	limit := 64 << 10
	if raceEnabled() {
		limit *= 8 // the race detector's shadow memory
	}
	if after-before > limit {
		t.Errorf("two refused 2 MB pastes grew the server by %d KiB (the bound is %d KiB)", after-before, limit)
	}
	stu.typ("\x1b[200~print('a small' + ' paste')\n\x1b[201~")
	stu.waitScreen("pasted.py ●", "1 print('a small' + ' paste')")

	// A binary blob pasted into Python (every byte but the paste's own end
	// marker): the workspace goes on, and nothing of it commands a terminal.
	blob := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(5, 16))
	for i := range blob {
		blob[i] = byte(rng.Uint32())
	}
	junk := strings.ReplaceAll(string(blob), "\x1b[201~", "")
	stu.typ(keyF4)
	stu.waitUntil("focus Python", func(sc vtScreen) bool { return strings.Contains(sc.text[sc.rows-1], "interrupt") })
	stu.typ("\x1b[200~" + junk + "\x1b[201~\r") // run as a line: a SyntaxError
	stu.typ(`print("blob" + "-survived")` + "\r")
	stu.waitScreen("blob-survived", ">>>")
	quitTerm(t, other)
	stu.typ(keyCtrlQ)
	stu.waitUntil("ask about pasted.py's unsaved changes", flatShows("1 file has unsaved changes"))
	stu.typ("d") // discard
	if code := stu.exit(); code != 0 {
		t.Errorf("mallory's ssh exited %d", code)
	}
}

// pasteWhileOtherTypes pastes text into from's terminal (bracketed) and,
// while the paste travels, types into other's Python, whose echo must keep
// coming; then waits for from's screen to say refusal.
func pasteWhileOtherTypes(t *testing.T, from, other *vtTerm, text, refusal string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.WriteString(from.ptmx, "\x1b[200~"+text+"\x1b[201~") // not typ: no Fatal outside the test's goroutine
	}()
	sevens := func(sc vtScreen) int { return strings.Count(strings.Join(sc.text, ""), "7") }
	base := sevens(other.screen())
	start := time.Now()
	var slowest time.Duration
	for i := 1; ; i++ {
		sent := time.Now()
		other.typ("7")
		other.waitUntil("echo a key during the paste", func(sc vtScreen) bool { return sevens(sc) >= base+i })
		slowest = max(slowest, time.Since(sent))
		select {
		case <-done:
		default:
			if i < 1000 {
				continue
			}
		}
		break
	}
	sentIn := time.Since(start)
	from.waitUntil("refuse the paste with a sentence", flatShows(refusal))
	t.Logf("a %d-byte paste: sent in %v, refused after %v; the other student's slowest echo meanwhile %v",
		len(text), sentIn, time.Since(start), slowest)
	other.typ("\x15") // ctrl+u: his line is empty again
}

// noEscapes checks that nothing forbidden reached a terminal.
func noEscapes(t *testing.T, c *vtTerm) {
	raw := c.rawTail(1 << 30)
	for what, esc := range forbidden {
		if strings.Contains(raw, esc) {
			t.Errorf("%s was sent %s (%q)", c.name, what, esc)
		}
	}
}

// selectFile moves the file list's cursor (from the top, one row at a
// time) until the status line names shown.
func selectFile(c *vtTerm, shown string) {
	c.t.Helper()
	want := " " + shown
	want = want[:min(len(want), 60)]
	c.typ("g")
	sc, _ := waitSettled(c)
	for range len(hostileFiles) + 3 {
		status := sc.text[sc.rows-2]
		if strings.HasPrefix(status, want) {
			return
		}
		c.typ("j")
		sc = c.waitUntil("move to the next file", func(sc vtScreen) bool { return sc.text[sc.rows-2] != status })
	}
	c.t.Fatalf("%s: no file in the list is %q\n%s", c.name, shown, c.screen())
}

// waitFile waits until the home holds present (unless empty) and no longer
// holds gone.
func waitFile(t *testing.T, home, present, gone string) {
	t.Helper()
	ok := waitFor(screenDeadline, nil, func() bool {
		_, errGone := os.Lstat(filepath.Join(home, gone))
		if present == "" {
			return os.IsNotExist(errGone)
		}
		_, errNew := os.Lstat(filepath.Join(home, present))
		return errNew == nil && os.IsNotExist(errGone)
	})
	if !ok {
		es, _ := os.ReadDir(home)
		var names []string
		for _, e := range es {
			names = append(names, fmt.Sprintf("%q", e.Name()))
		}
		t.Fatalf("within %s the home did not get %q in place of %q; it holds %s", screenDeadline, present, gone, strings.Join(names, ", "))
	}
}

// recordSocket is run in the page before its own scripts: it keeps every
// byte the page's WebSocket receives (window.__rx, base64 on request).
const recordSocket = `(() => {
  const W = window.WebSocket, chunks = [];
  const keep = (d) => {
    if (d instanceof ArrayBuffer) chunks.push(new Uint8Array(d));
    else if (d instanceof Blob) d.arrayBuffer().then((b) => chunks.push(new Uint8Array(b)));
    else chunks.push(new TextEncoder().encode(String(d)));
  };
  window.WebSocket = class extends W {
    constructor(...a) { super(...a); this.addEventListener('message', (e) => keep(e.data)); }
  };
  window.__rx = () => {
    let s = '';
    for (const c of chunks) for (let i = 0; i < c.length; i++) s += String.fromCharCode(c[i]);
    return btoa(s);
  };
})()`

// The same hostile names in the browser (#16 case 5): the page shows them
// escaped as the terminal does, its title stays classroomd's, and none of
// the bytes its socket receives holds a name's escape or Python's.
func TestHostileNamesInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests start real servers and a browser; skipped with -short")
	}
	chromium := needChromium(t)
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("Python runs in a sandbox, which this test expects as root")
	}
	h := newHarness(t)
	b := backend{dataDir: t.TempDir(), uidBase: 380000}
	h.cli(t, cliOpts{stdin: hostilePassword + "\n"}, append([]string{"user", "add", hostileStudent, "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	home := filepath.Join(b.dataDir, "homes", hostileStudent)
	uid := homeOwner(t, b, hostileStudent)
	for _, f := range hostileFiles {
		p := filepath.Join(home, f.name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	srv := h.startServer(t, b)
	br := newBrowser(t, chromium, "http://"+srv.httpAddr)
	ctx, cancel := context.WithTimeout(br.ctx, browserStep)
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recordSocket})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	br.login(t, hostileStudent, hostilePassword)
	br.waitState(t, "connected")
	br.waitScreen(t, "every hostile name, escaped", func(s string) bool {
		for _, f := range hostileFiles[:len(hostileFiles)-1] {
			if !strings.Contains(s, f.shown) {
				return false
			}
		}
		return strings.Contains(s, "LLLLLLLL…")
	})
	br.do(t, chromedp.Click(chromedp.CSS(`button[data-key="f4"]`)))
	br.waitScreen(t, "the Python prompt", func(s string) bool { return strings.Contains(s, ">>>") })
	br.keys(t, `print("\x1b]0;PY-" + "TITLE\x07\x1b]52;c;UFlD" + "TElQ\x07\u202eRTL" + "-OUT")`+"\r")
	br.waitScreen(t, "Python's output", func(s string) bool { return strings.Contains(s, "RTL-OUT") })

	if title := br.eval(t, `document.title`); !strings.Contains(title, "classroomd") || strings.Contains(title, "PWNED") || strings.Contains(title, "PY-TITLE") {
		t.Errorf("the page's title is %q", title)
	}
	enc := br.eval(t, `window.__rx()`)
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || !strings.Contains(string(raw), "RTL-OUT") {
		t.Fatalf("the page's socket recorded %d bytes without Python's output (%v): the recorder did not run", len(raw), err)
	}
	for what, esc := range forbidden {
		if strings.Contains(string(raw), esc) {
			t.Errorf("the browser was sent %s (%q)", what, esc)
		}
	}
}
