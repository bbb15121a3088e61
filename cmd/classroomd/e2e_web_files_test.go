package main

// Files in and out of the browser, end to end (#17): the real binary, its
// SFTP subsystem under the page's Upload and Download, Debian's chromium
// driven headless. Read it as a student's afternoon:
//
//	log in in the browser                  the workspace, with welcome.py
//	Upload "data set.csv" (300 KB)         it appears in the file list, no key pressed
//	select lab1/ in the file list          the Upload dialog offers lab1
//	upload notes.txt there                 it is in lab1 on the server, the student's own
//	Download "data set.csv"                the same SHA-256 as what was sent
//	Download lab1 as a zip                 lab1/notes.txt inside, the same bytes
//	a request from another site            refused, and so is one with no cookie

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const fionaPassword = "orange kite 42"

func TestBrowserFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests start real servers and a browser; skipped with -short")
	}
	ci := os.Getenv("CI") == "true"
	chromium := needChromium(t)
	if os.Geteuid() != 0 {
		if ci {
			t.Fatal("the browser file tests check the uid of uploaded files: run them as root (as .ci/run does)")
		}
		t.Skip("the browser file tests check the uid of uploaded files, which needs root")
	}

	h := newHarness(t)
	b := backend{dataDir: t.TempDir(), uidBase: 340000}
	srv := h.startServer(t, b, "--home-quota-mib", "2") // a quota the test can fill
	h.cli(t, cliOpts{stdin: fionaPassword + "\n"}, append([]string{"user", "add", "fiona", "--name", "Fiona Files", "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	base := "http://" + srv.httpAddr
	br := newBrowser(t, chromium, base)
	downloads := t.TempDir()
	// The browser says when a download has completed: before that, the file
	// on disk may be there but not yet whole.
	var doneMu sync.Mutex
	names, completed := map[string]string{}, map[string]bool{}
	if err := chromedp.Listen(br.ctx, func(ev any) { // the page's session: SetDownloadBehavior is sent on it
		doneMu.Lock()
		defer doneMu.Unlock()
		switch ev := ev.(type) {
		case *cdpbrowser.EventDownloadWillBegin:
			names[ev.GUID] = ev.SuggestedFilename
		case *cdpbrowser.EventDownloadProgress:
			if ev.State == cdpbrowser.DownloadProgressStateCompleted {
				completed[names[ev.GUID]] = true
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	waitDownload := func(t *testing.T, path string) []byte {
		t.Helper()
		if !waitFor(browserStep, nil, func() bool {
			doneMu.Lock()
			defer doneMu.Unlock()
			return completed[filepath.Base(path)]
		}) {
			t.Fatalf("the browser did not complete the download of %s within %s", filepath.Base(path), browserStep)
		}
		return readDownload(t, path)
	}
	events := true
	ctx, cancel := context.WithTimeout(br.ctx, browserStep)
	_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads, EventsEnabled: &events})
	cancel()
	if err != nil {
		t.Fatalf("let the browser download into %s: %v", downloads, err)
	}
	home := filepath.Join(b.dataDir, "homes", "fiona")

	// The file to send: random, so no other bytes can pass for it.
	data := make([]byte, 300<<10)
	rand.Read(data)
	local := filepath.Join(t.TempDir(), "data set.csv")
	if err := os.WriteFile(local, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)

	br.do(t, chromedp.Navigate(base+"/"))
	br.login(t, "fiona", fionaPassword)
	br.waitState(t, "connected")
	br.waitScreen(t, "the workspace with welcome.py", func(s string) bool { return strings.Contains(s, "welcome.py") })

	t.Run("upload_shows_in_the_file_list", func(t *testing.T) {
		br.do(t, chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{local}))
		br.waitFor(t, "the upload dialog", `!document.getElementById("transfer").hidden`)
		if dir := br.eval(t, `document.getElementById("transfer-path").value`); dir != "" {
			t.Errorf("with welcome.py selected the upload goes to %q, want the home (an empty field)", dir)
		}
		br.screenshot(t, "upload-dialog")
		br.do(t, chromedp.Click(chromedp.ID("transfer-go")))
		br.waitFor(t, "the upload's end", `document.getElementById("transfer-title").textContent.startsWith("Uploaded")`)
		if title := br.text(t, "#transfer-title"); title != "Uploaded 1 of 1 file to your home folder" {
			t.Errorf("after the upload the dialog says %q", title)
		}
		if e := br.eval(t, `document.getElementById("transfer-error").hidden ? "" : document.getElementById("transfer-error").textContent`); e != "" {
			t.Errorf("the upload reported an error: %s", e)
		}
		br.screenshot(t, "upload-done")
		// The TUI's file list shows it, with no key pressed in the terminal.
		br.waitScreen(t, "data set.csv in the file list", func(s string) bool { return strings.Contains(s, "data set.csv") })
		got, err := os.ReadFile(filepath.Join(home, "data set.csv"))
		if err != nil || sha256.Sum256(got) != sum {
			t.Fatalf("on the server data set.csv has %d bytes (%v), not what was sent", len(got), err)
		}
		br.do(t, chromedp.Click(chromedp.ID("transfer-cancel"))) // Close
	})

	t.Run("upload_into_the_selected_folder", func(t *testing.T) {
		if err := os.Mkdir(filepath.Join(home, "lab1"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(filepath.Join(home, "lab1"), uidOf(t, home), uidOf(t, home)); err != nil {
			t.Fatal(err)
		}
		br.waitScreen(t, "lab1 in the file list", func(s string) bool { return strings.Contains(s, "lab1") })
		br.do(t, chromedp.Click(chromedp.CSS(`button[data-key="f2"]`)))
		br.keys(t, kb.Home) // the first entry: the folder lab1
		br.waitFor(t, "the page to know lab1 is selected",
			`(() => { const s = window.classroomd.files.selection(); return s.kind === "d" && s.path === "lab1"; })()`)
		notes := filepath.Join(t.TempDir(), "notes.txt")
		os.WriteFile(notes, []byte("measured 42 twice\n"), 0o644)
		br.do(t, chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{notes}))
		br.waitFor(t, "the upload dialog", `!document.getElementById("transfer").hidden`)
		if dir := br.eval(t, `document.getElementById("transfer-path").value`); dir != "lab1" {
			t.Errorf("with lab1 selected the upload goes to %q, want lab1", dir)
		}
		br.do(t, chromedp.Click(chromedp.ID("transfer-go")))
		br.waitFor(t, "the upload's end", `document.getElementById("transfer-title").textContent.startsWith("Uploaded")`)
		br.do(t, chromedp.Click(chromedp.ID("transfer-cancel")))
		p := filepath.Join(home, "lab1", "notes.txt")
		got, err := os.ReadFile(p)
		if err != nil || string(got) != "measured 42 twice\n" {
			t.Fatalf("lab1/notes.txt on the server: %q, %v", got, err)
		}
		if fi, err := os.Stat(p); err == nil {
			if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uidOf(t, home) {
				t.Errorf("lab1/notes.txt is owned by uid %d, want the student's %d", st.Uid, uidOf(t, home))
			}
		}
		// A second upload of the same name asks before replacing. (The
		// button clears the chooser as it opens it; the test chooses directly.)
		br.eval(t, `document.getElementById("upload-input").value = ""`)
		br.do(t, chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{notes}))
		br.waitFor(t, "the upload dialog", `!document.getElementById("transfer").hidden`)
		br.do(t, chromedp.Click(chromedp.ID("transfer-go")))
		br.waitFor(t, "the question about replacing", `!document.getElementById("transfer-replace-row").hidden`)
		if e := br.text(t, "#transfer-error"); !strings.Contains(e, "already exists") {
			t.Errorf("uploading a taken name says %q, want that it already exists", e)
		}
		br.screenshot(t, "upload-exists")
		br.do(t, chromedp.Click(chromedp.ID("transfer-cancel")))
	})

	t.Run("drop_files_on_the_page", func(t *testing.T) {
		// A drop as the browser delivers one: dragenter shows where the
		// files go, drop opens the dialog with them.
		br.eval(t, `(() => {
			const dt = new DataTransfer();
			dt.items.add(new File(["dropped on the page\n"], "dropped.txt", {type: "text/plain"}));
			window.__drop = dt;
			window.dispatchEvent(new DragEvent("dragenter", {dataTransfer: dt, bubbles: true, cancelable: true}));
			return "";
		})()`)
		br.waitFor(t, "the drop zone", `!document.getElementById("drop").hidden`)
		if where := br.text(t, "#drop-dir"); where != "lab1" {
			t.Errorf("the drop zone says the files go to %q, want lab1 (selected)", where)
		}
		br.screenshot(t, "drop-zone")
		br.eval(t, `(() => { window.dispatchEvent(new DragEvent("drop", {dataTransfer: window.__drop, bubbles: true, cancelable: true})); return ""; })()`)
		br.waitFor(t, "the upload dialog with dropped.txt", `!document.getElementById("transfer").hidden &&
			document.getElementById("transfer-list").textContent.includes("dropped.txt") && document.getElementById("drop").hidden`)
		br.do(t, chromedp.Click(chromedp.ID("transfer-go")))
		br.waitFor(t, "the upload's end", `document.getElementById("transfer-title").textContent.startsWith("Uploaded")`)
		br.do(t, chromedp.Click(chromedp.ID("transfer-cancel")))
		if got, err := os.ReadFile(filepath.Join(home, "lab1", "dropped.txt")); err != nil || string(got) != "dropped on the page\n" {
			t.Errorf("lab1/dropped.txt on the server: %q, %v", got, err)
		}
	})

	t.Run("download_has_the_same_checksum", func(t *testing.T) {
		br.do(t, chromedp.Click(chromedp.ID("download-button")))
		br.waitFor(t, "the download dialog", `!document.getElementById("transfer").hidden`)
		br.eval(t, `(() => { const p = document.getElementById("transfer-path"); p.value = "data set.csv";
			p.dispatchEvent(new Event("input")); return ""; })()`) // as if typed
		br.waitFor(t, "what the download holds", `document.getElementById("transfer-info").textContent.includes("300 KB")`)
		br.do(t, chromedp.Click(chromedp.ID("transfer-go")))
		got := waitDownload(t, filepath.Join(downloads, "data set.csv"))
		if sha256.Sum256(got) != sum {
			t.Fatalf("the downloaded data set.csv (%d bytes) has SHA-256 %s, want %s", len(got), hexSum(got), hex.EncodeToString(sum[:]))
		}
	})

	t.Run("download_a_folder_as_zip", func(t *testing.T) {
		br.do(t, chromedp.Click(chromedp.ID("download-button")))
		br.waitFor(t, "the download dialog", `!document.getElementById("transfer").hidden`)
		if p := br.eval(t, `document.getElementById("transfer-path").value`); p != "lab1" {
			t.Errorf("with lab1 selected the download offers %q", p)
		}
		br.waitFor(t, "what the zip holds", `document.getElementById("transfer-info").textContent.includes("lab1.zip")`)
		br.screenshot(t, "download-dialog")
		br.do(t, chromedp.Click(chromedp.ID("transfer-go")))
		z := waitDownload(t, filepath.Join(downloads, "lab1.zip"))
		zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
		if err != nil {
			t.Fatalf("lab1.zip: %v", err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
			if f.Name == "lab1/notes.txt" {
				rc, _ := f.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				if string(b) != "measured 42 twice\n" {
					t.Errorf("lab1/notes.txt in the zip: %q", b)
				}
			}
		}
		sort.Strings(names)
		if strings.Join(names, " ") != "lab1/ lab1/dropped.txt lab1/notes.txt" {
			t.Errorf("lab1.zip holds %q, want lab1/, lab1/dropped.txt and lab1/notes.txt", names)
		}
	})

	t.Run("over_the_quota_refused_on_the_page", func(t *testing.T) {
		big := filepath.Join(t.TempDir(), "big.bin")
		if err := os.WriteFile(big, make([]byte, 3<<20), 0o644); err != nil {
			t.Fatal(err)
		}
		br.eval(t, `document.getElementById("upload-input").value = ""`)
		br.do(t, chromedp.SetUploadFiles(chromedp.ID("upload-input"), []string{big}))
		br.waitFor(t, "the upload dialog", `!document.getElementById("transfer").hidden`)
		br.do(t, chromedp.Click(chromedp.ID("transfer-go")))
		br.waitFor(t, "the refusal", `!document.getElementById("transfer-error").hidden`)
		if e := br.text(t, "#transfer-error"); !strings.Contains(e, "free") {
			t.Errorf("a file over the quota: the page says %q, want how much is free", e)
		}
		br.screenshot(t, "upload-over-quota")
		br.do(t, chromedp.Click(chromedp.ID("transfer-cancel")))
		if _, err := os.Stat(filepath.Join(home, "lab1", "big.bin")); err == nil {
			t.Error("an upload over the quota left big.bin")
		}
	})

	t.Run("every_transfer_audited", func(t *testing.T) {
		entries := h.audit(t, b, "--user", "fiona", "--limit", "500")
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Action+" "+e.Target+" "+e.Outcome] = true
		}
		for _, want := range []string{"sftp.upload /data set.csv ok", "sftp.upload /lab1/notes.txt ok", "sftp.upload /lab1/dropped.txt ok",
			"sftp.download /data set.csv ok", "sftp.download /lab1/notes.txt ok"} {
			if !seen[want] {
				t.Errorf("the audit lacks %q:\n%s", want, dumpAudit(entries))
			}
		}
	})

	t.Run("f1_says_how_to_copy_files", func(t *testing.T) {
		br.do(t, chromedp.Click(chromedp.CSS(`button[data-key="f1"]`)))
		br.waitScreen(t, "the help", func(s string) bool { return strings.Contains(s, "Workspace") })
		br.keys(t, kb.End) // the help's last lines
		br.waitScreen(t, "how to copy files in and out", func(s string) bool {
			return strings.Contains(s, "Files in and out") && strings.Contains(s, "scp") && strings.Contains(s, "sftp") && strings.Contains(s, "fiona@")
		})
		br.screenshot(t, "help-files")
		br.keys(t, kb.Escape) // closes it
		br.waitScreen(t, "the workspace again", func(s string) bool { return strings.Contains(s, "welcome.py") })
	})

	t.Run("refused_from_another_site_or_without_a_cookie", func(t *testing.T) {
		// The browser's own cookie and its page's token, taken through the
		// DevTools protocol (the cookie is HttpOnly: no script can read it).
		token := br.eval(t, `document.querySelector('meta[name="classroomd-csrf"]').content`)
		ctx, cancel := context.WithTimeout(br.ctx, browserStep)
		got, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
		cancel()
		if err != nil || len(got.Cookies) == 0 || token == "" {
			t.Fatalf("the browser's cookie (%v) or the page's token (%q) cannot be read", err, token)
		}
		cookie := got.Cookies[0].Name + "=" + got.Cookies[0].Value
		c := &http.Client{Timeout: browserStep}
		upload := func(name, origin, cookie, token string) int {
			t.Helper()
			req, _ := http.NewRequest("POST", base+"/files/upload?"+url.Values{"dir": {"."}, "name": {name}}.Encode(), strings.NewReader("x"))
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			if cookie != "" {
				req.Header.Set("Cookie", cookie)
			}
			if token != "" {
				req.Header.Set("X-Classroomd-Csrf", token)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		for _, r := range []struct {
			what, origin, cookie, token string
			want                        int
		}{
			{"from another site", "http://evil.example", cookie, token, http.StatusForbidden},
			{"with no Origin", "", cookie, token, http.StatusForbidden},
			{"without the page's token", base, cookie, "", http.StatusForbidden},
			{"with no cookie", base, "", token, http.StatusUnauthorized},
		} {
			if code := upload("forged.txt", r.origin, r.cookie, r.token); code != r.want {
				t.Errorf("an upload %s: %d, want %d", r.what, code, r.want)
			}
		}
		if _, err := os.Stat(filepath.Join(home, "forged.txt")); err == nil {
			t.Error("a refused upload left forged.txt")
		}
		// The same cookie, origin and token together are accepted: the
		// refusals above are the origin's, the token's and the cookie's.
		if code := upload("accepted.txt", base, cookie, token); code != http.StatusOK {
			t.Errorf("an upload with this site's origin, cookie and token: %d, want 200", code)
		}

		// Past the quota without asking first (no plan): the SFTP server
		// refuses the write, the page gets the sentence, nothing is kept.
		req, _ := http.NewRequest("POST", base+"/files/upload?"+url.Values{"dir": {"."}, "name": {"huge.bin"}}.Encode(), bytes.NewReader(make([]byte, 3<<20)))
		req.Header.Set("Origin", base)
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-Classroomd-Csrf", token)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("an upload past the quota: %v (the answer must reach the browser)", err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusInsufficientStorage || !strings.Contains(string(answer), "quota") {
			t.Errorf("an upload past the quota: %d %s, want 507 saying so", resp.StatusCode, answer)
		}
		if entries, _ := os.ReadDir(home); len(entries) > 0 {
			for _, e := range entries {
				if strings.Contains(e.Name(), "huge") {
					t.Errorf("an upload past the quota left %s", e.Name())
				}
			}
		}

		// An upload that breaks off half way (the browser's tab closed, the
		// network gone): nothing of it stays, not even its temporary file.
		conn, err := net.Dial("tcp", srv.httpAddr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /files/upload?dir=.&name=half.bin HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nCookie: %s\r\n"+
			"X-Classroomd-Csrf: %s\r\nContent-Length: %d\r\n\r\n", srv.httpAddr, base, cookie, token, 1<<20)
		conn.Write(make([]byte, 256<<10))
		if !waitFor(browserStep, nil, func() bool { return hasEntry(home, ".half.bin.tmp") }) {
			t.Errorf("the half upload never began in the home (no temporary file): %q", entryNames(home))
		}
		conn.Close()
		if !waitFor(browserStep, nil, func() bool {
			return strings.Contains(srv.stderr.String(), `"path":"half.bin"`) && !hasEntry(home, "half")
		}) {
			t.Errorf("an upload that broke off left %q in the home, or the log does not say it was refused", entryNames(home))
		}

		// A download with no cookie, or announced as another site's.
		for _, r := range []struct {
			what, cookie, site string
			want               int
		}{
			{"with no cookie", "", "", http.StatusUnauthorized},
			{"from another site", cookie, "cross-site", http.StatusForbidden},
		} {
			req, _ := http.NewRequest("GET", base+"/files/download?path=lab1%2Fnotes.txt", nil)
			if r.cookie != "" {
				req.Header.Set("Cookie", r.cookie)
			}
			if r.site != "" {
				req.Header.Set("Sec-Fetch-Site", r.site)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != r.want {
				t.Errorf("a download %s: %d, want %d", r.what, resp.StatusCode, r.want)
			}
		}

		// A page of another origin (localhost is not 127.0.0.1 to a
		// browser) posting to the upload as a forgery would: chromium
		// either does not send it or the server refuses it; nothing lands.
		port := srv.httpAddr[strings.LastIndex(srv.httpAddr, ":")+1:]
		br.do(t, chromedp.Navigate("http://localhost:"+port+"/"))
		br.eval(t, `fetch("`+base+`/files/upload?dir=.&name=forged2.txt", {method: "POST", mode: "no-cors", credentials: "include", body: "x"}).then(() => "", () => "")`)
		if _, err := os.Stat(filepath.Join(home, "forged2.txt")); err == nil {
			t.Error("a cross-site upload left forged2.txt")
		}
	})
}

// hasEntry reports whether a name in dir (not below) contains part.
func hasEntry(dir, part string) bool {
	for _, n := range entryNames(dir) {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

func entryNames(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// uidOf is the owner of path.
func uidOf(t *testing.T, path string) int {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// waitDownload waits for the browser to finish saving path (chromium writes
// NAME.crdownload and renames it at the end) and returns its content.
// readDownload reads a file the browser downloaded (once it says so).
func readDownload(t *testing.T, path string) []byte {
	t.Helper()
	var got []byte
	if !waitFor(browserStep, nil, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		got = b
		return true
	}) {
		entries, _ := os.ReadDir(filepath.Dir(path))
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("the browser did not save %s within %s; the folder holds %q", filepath.Base(path), browserStep, names)
	}
	return got
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return fmt.Sprintf("%x", s[:])
}
