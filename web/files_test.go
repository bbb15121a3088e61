package web

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// transferFixture is the web server over a fake SSH server whose "sftp"
// subsystem serves a temporary home, and alice signed in, with her page's
// CSRF token.
type transferFixture struct {
	*fixture
	home   string
	alice  *http.Client
	csrf   string
	origin string
}

func newTransferFixture(t *testing.T, edit func(*Options)) *transferFixture {
	t.Helper()
	f := newFixture(t, edit)
	home := t.TempDir()
	f.ssh.sftpDir = home
	tf := &transferFixture{fixture: f, home: home, origin: f.http.URL}
	tf.alice = f.login()
	tf.csrf = tf.pageToken(tf.alice)
	return tf
}

var csrfMeta = regexp.MustCompile(`<meta name="classroomd-csrf" content="([^"]+)">`)

// pageToken reads the CSRF token from the terminal page, as files.js does.
func (tf *transferFixture) pageToken(c *http.Client) string {
	tf.t.Helper()
	resp, body := tf.get(c, "/term")
	m := csrfMeta.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		tf.t.Fatalf("terminal page: %d, no CSRF token:\n%s", resp.StatusCode, body)
	}
	return m[1]
}

// upload sends one file as the page does; c nil sends no cookie.
func (tf *transferFixture) upload(c *http.Client, dir, name string, body []byte, hdr map[string]string) (int, string) {
	tf.t.Helper()
	q := url.Values{"dir": {dir}, "name": {name}}
	if hdr["replace"] == "1" {
		q.Set("replace", "1")
	}
	req, _ := http.NewRequest("POST", tf.http.URL+"/files/upload?"+q.Encode(), bytes.NewReader(body))
	req.Header.Set("Origin", tf.origin)
	req.Header.Set(csrfHeader, tf.csrf)
	for k, v := range hdr {
		if k == "replace" {
			continue
		}
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	if c == nil {
		c = tf.client()
	}
	resp, err := c.Do(req)
	if err != nil {
		tf.t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct{ Error string }
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &ans)
	if resp.StatusCode != http.StatusOK && ans.Error == "" {
		tf.t.Errorf("upload %s/%s: %d without a sentence: %q", dir, name, resp.StatusCode, raw)
	}
	return resp.StatusCode, ans.Error
}

func (tf *transferFixture) download(c *http.Client, rel string, hdr map[string]string) (*http.Response, []byte) {
	tf.t.Helper()
	return tf.downloadQuery(c, url.Values{"path": {rel}}, hdr)
}

func (tf *transferFixture) downloadQuery(c *http.Client, q url.Values, hdr map[string]string) (*http.Response, []byte) {
	tf.t.Helper()
	rel := q.Get("path")
	req, _ := http.NewRequest("GET", tf.http.URL+"/files/download?"+q.Encode(), nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = tf.client()
	}
	resp, err := c.Do(req)
	if err != nil {
		tf.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tf.t.Fatalf("download %s: %v", rel, err)
	}
	return resp, body
}

func (tf *transferFixture) write(rel, content string) {
	tf.t.Helper()
	p := filepath.Join(tf.home, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tf.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tf.t.Fatal(err)
	}
}

func (tf *transferFixture) read(rel string) string {
	tf.t.Helper()
	b, err := os.ReadFile(filepath.Join(tf.home, filepath.FromSlash(rel)))
	if err != nil {
		tf.t.Fatal(err)
	}
	return string(b)
}

func TestUploadThenDownload(t *testing.T) {
	tf := newTransferFixture(t, nil)
	tf.write("lab1/old.py", "print('old')\n")
	data := bytes.Repeat([]byte("0123456789abcdef\n"), 40000) // 680 KB: many SFTP packets

	if code, msg := tf.upload(tf.alice, ".", "data.csv", data, nil); code != http.StatusOK {
		t.Fatalf("upload: %d %s", code, msg)
	}
	if code, msg := tf.upload(tf.alice, "lab1", "notes é.txt", []byte("hi\n"), nil); code != http.StatusOK {
		t.Fatalf("upload into lab1: %d %s", code, msg)
	}
	if got := tf.read("data.csv"); got != string(data) {
		t.Fatalf("data.csv holds %d bytes, want %d", len(got), len(data))
	}
	if got := tf.read("lab1/notes é.txt"); got != "hi\n" {
		t.Fatalf("lab1/notes é.txt: %q", got)
	}

	// A taken name is refused unless the page says to replace it.
	if code, msg := tf.upload(tf.alice, "lab1", "old.py", []byte("new\n"), nil); code != http.StatusConflict || !strings.Contains(msg, "already exists") {
		t.Errorf("upload over old.py: %d %q, want 409 saying it exists", code, msg)
	}
	if got := tf.read("lab1/old.py"); got != "print('old')\n" {
		t.Errorf("a refused upload changed old.py: %q", got)
	}
	if code, msg := tf.upload(tf.alice, "lab1", "old.py", []byte("new\n"), map[string]string{"replace": "1"}); code != http.StatusOK {
		t.Errorf("replacing old.py: %d %s", code, msg)
	}
	if got := tf.read("lab1/old.py"); got != "new\n" {
		t.Errorf("old.py after replacing: %q", got)
	}

	// Download the file back, byte for byte, named as it is.
	resp, body := tf.download(tf.alice, "data.csv", nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("download data.csv: %d, %d bytes (want %d)", resp.StatusCode, len(body), len(data))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, `filename="data.csv"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	resp, _ = tf.download(tf.alice, "lab1/notes é.txt", nil)
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''notes%20%C3%A9.txt") {
		t.Errorf("a non-ASCII name's Content-Disposition %q", cd)
	}

	// Only one SSH login for all of these: the connection is shared.
	if users, _, _, _ := tf.ssh.snapshot(); len(users) != 1 || users[0] != "alice" {
		t.Errorf("ssh logins %q, want one, as alice", users)
	}
}

func TestDownloadFolderAsZip(t *testing.T) {
	tf := newTransferFixture(t, nil)
	tf.write("lab1/main.py", "print(1)\n")
	tf.write("lab1/data/points.csv", "x,y\n1,2\n")
	tf.write("lab1/.hidden", "h")
	if err := os.MkdirAll(filepath.Join(tf.home, "lab1", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("not yours"), 0o644)
	if err := os.Symlink(secret, filepath.Join(tf.home, "lab1", "link")); err != nil {
		t.Fatal(err)
	}

	// The page asks first: what the zip will hold.
	resp, body := tf.get(tf.alice, "/files/info?path=lab1")
	var info infoAnswer
	if err := json.Unmarshal([]byte(body), &info); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("info: %d %s", resp.StatusCode, body)
	}
	if info.Kind != "folder" || info.Name != "lab1.zip" || info.Files != 3 || info.Size != int64(len("print(1)\n")+len("x,y\n1,2\n")+1) {
		t.Errorf("info %+v", info)
	}

	resp, zipped := tf.download(tf.alice, "lab1", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download lab1: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="lab1.zip"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var names []string
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		if strings.HasSuffix(zf.Name, "/") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		got[zf.Name] = string(b)
	}
	sort.Strings(names)
	want := []string{"lab1/", "lab1/.hidden", "lab1/data/", "lab1/data/points.csv", "lab1/empty/", "lab1/main.py"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("zip holds %q, want %q (no link)", names, want)
	}
	if got["lab1/main.py"] != "print(1)\n" || got["lab1/data/points.csv"] != "x,y\n1,2\n" {
		t.Errorf("zip contents %q", got)
	}

	// The whole home, named for its owner.
	resp, zipped = tf.download(tf.alice, ".", nil)
	if cd := resp.Header.Get("Content-Disposition"); resp.StatusCode != http.StatusOK || !strings.Contains(cd, `filename="alice-home.zip"`) {
		t.Fatalf("download the home: %d %q", resp.StatusCode, cd)
	}
	zr, err = zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, zf := range zr.File {
		found = found || zf.Name == "alice-home/lab1/main.py"
		if strings.Contains(zf.Name, "..") || strings.HasPrefix(zf.Name, "/") {
			t.Errorf("zip entry %q leaves its folder", zf.Name)
		}
	}
	if !found {
		t.Error("the home's zip lacks alice-home/lab1/main.py")
	}
}

// Uploads must come from this site's signed-in page: a cookie, the Origin
// and the page's token; names and folders follow the file browser's rules.
func TestUploadRefusals(t *testing.T) {
	tf := newTransferFixture(t, func(o *Options) { o.MaxUploadBytes = 1000 })
	ok := []byte("x\n")

	for _, c := range []struct {
		what       string
		client     *http.Client
		hdr        map[string]string
		wantStatus int
	}{
		{"no cookie", nil, nil, http.StatusUnauthorized},
		{"another site's page", tf.alice, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"no Origin", tf.alice, map[string]string{"Origin": ""}, http.StatusForbidden},
		{"Origin null", tf.alice, map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"no token", tf.alice, map[string]string{csrfHeader: ""}, http.StatusForbidden},
		{"a wrong token", tf.alice, map[string]string{csrfHeader: "AAAA"}, http.StatusForbidden},
	} {
		if code, _ := tf.upload(c.client, ".", "x.txt", ok, c.hdr); code != c.wantStatus {
			t.Errorf("%s: %d, want %d", c.what, code, c.wantStatus)
		}
	}
	// Another browser session's token is not this one's.
	other := tf.login()
	if tok := tf.pageToken(other); tok == tf.csrf {
		t.Error("two browser sessions have the same CSRF token")
	}

	for _, name := range []string{"", ".", "..", "a/b", "../x", "x\x00y", "line\nbreak", "esc\x1b[2J", " lead", "trail ",
		strings.Repeat("n", 256), "\xff\xfe"} {
		if code, _ := tf.upload(tf.alice, ".", name, ok, nil); code != http.StatusBadRequest {
			t.Errorf("name %q: %d, want 400", name, code)
		}
	}
	for _, dir := range []string{"..", "../bob", "lab/../../bob", "/etc", "/", "a\x00b", "x\ny"} {
		if code, _ := tf.upload(tf.alice, dir, "x.txt", ok, nil); code != http.StatusBadRequest {
			t.Errorf("folder %q: %d, want 400", dir, code)
		}
	}
	if code, msg := tf.upload(tf.alice, "nope", "x.txt", ok, nil); code != http.StatusNotFound || !strings.Contains(msg, "does not exist") {
		t.Errorf("into a folder that does not exist: %d %q", code, msg)
	}
	if code, msg := tf.upload(tf.alice, ".", "big.bin", make([]byte, 1001), nil); code != http.StatusRequestEntityTooLarge || !strings.Contains(msg, "more than") {
		t.Errorf("over the size limit: %d %q, want 413 saying so", code, msg)
	}
	entries, _ := os.ReadDir(tf.home)
	if len(entries) != 0 {
		t.Errorf("refused uploads left %d entries in the home", len(entries))
	}
	if code, _ := tf.upload(tf.alice, ".", "just-so.bin", make([]byte, 1000), nil); code != http.StatusOK {
		t.Errorf("at the size limit: %d, want 200", code)
	}
}

func TestPlanSaysWhatTheUploadWillMeet(t *testing.T) {
	tf := newTransferFixture(t, func(o *Options) { o.MaxUploadBytes = 1000 })
	tf.write("lab1/taken.py", "x")
	plan := func(origin, token string, body any) (int, planAnswer) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", tf.http.URL+"/files/plan", bytes.NewReader(b))
		req.Header.Set("Origin", origin)
		req.Header.Set(csrfHeader, token)
		resp, err := tf.alice.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ans planAnswer
		json.NewDecoder(resp.Body).Decode(&ans)
		return resp.StatusCode, ans
	}
	files := []map[string]any{{"name": "taken.py", "size": 1}, {"name": "new.csv", "size": 10}, {"name": "a/b", "size": 1}, {"name": "huge", "size": 5000}}
	code, ans := plan(tf.origin, tf.csrf, map[string]any{"dir": "lab1", "files": files})
	if code != http.StatusOK || len(ans.Files) != 4 {
		t.Fatalf("plan: %d %+v", code, ans)
	}
	if !ans.Files[0].Exists || ans.Files[1].Exists || ans.Files[1].Error != "" || ans.Files[2].Error == "" || !strings.Contains(ans.Files[3].Error, "more than") {
		t.Errorf("plan files %+v", ans.Files)
	}
	if ans.Free == nil || *ans.Free <= 0 || ans.Max != 1000 {
		t.Errorf("plan free %v, max %d", ans.Free, ans.Max)
	}
	if code, _ := plan("https://evil.example", tf.csrf, map[string]any{"dir": ".", "files": files}); code != http.StatusForbidden {
		t.Errorf("a plan from another site: %d, want 403", code)
	}
	if code, _ := plan(tf.origin, "", map[string]any{"dir": ".", "files": files}); code != http.StatusForbidden {
		t.Errorf("a plan without the token: %d, want 403", code)
	}
	if code, ans := plan(tf.origin, tf.csrf, map[string]any{"dir": "../bob", "files": files}); code != http.StatusBadRequest || ans.Error == "" {
		t.Errorf("a plan into ../bob: %d %+v", code, ans)
	}
	if code, ans := plan(tf.origin, tf.csrf, map[string]any{"dir": "lab1/taken.py", "files": files}); code != http.StatusBadRequest || !strings.Contains(ans.Error, "not a folder") {
		t.Errorf("a plan into a file: %d %+v", code, ans)
	}
}

func TestDownloadRefusals(t *testing.T) {
	tf := newTransferFixture(t, func(o *Options) { o.MaxDownloadBytes = 100; o.MaxZipEntries = 5 })
	tf.write("small.txt", "ok")
	tf.write("big.bin", strings.Repeat("x", 101))
	for i := range 6 {
		tf.write("many/f"+string(rune('a'+i)), "x")
	}

	if resp, _ := tf.download(nil, "small.txt", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no cookie: %d, want 401", resp.StatusCode)
	}
	if resp, _ := tf.download(tf.alice, "small.txt", map[string]string{"Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("from another site: %d, want 403", resp.StatusCode)
	}
	if resp, body := tf.download(tf.alice, "small.txt", map[string]string{"Sec-Fetch-Site": "same-origin"}); resp.StatusCode != http.StatusOK || string(body) != "ok" {
		t.Errorf("from this site: %d %q", resp.StatusCode, body)
	}
	for _, p := range []string{"../x", "/etc/passwd", "a/../../b", "x\x00"} {
		if resp, _ := tf.download(tf.alice, p, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("path %q: %d, want 400", p, resp.StatusCode)
		}
	}
	if resp, body := tf.download(tf.alice, "gone.txt", nil); resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "does not exist") {
		t.Errorf("a missing file: %d %q", resp.StatusCode, body)
	}
	if resp, body := tf.download(tf.alice, "big.bin", nil); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "scp") {
		t.Errorf("over the download limit: %d %q", resp.StatusCode, body)
	}
	if resp, body := tf.download(tf.alice, "many", nil); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "more than 5") {
		t.Errorf("over the zip's entry limit: %d %q", resp.StatusCode, body)
	}
	resp, body := tf.get(tf.alice, "/files/info?path=big.bin")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"error"`) {
		t.Errorf("info of a file over the limit: %d %s, want its error for the page", resp.StatusCode, body)
	}
}

func TestHostileNamesInRelPaths(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"", ".", true}, {".", ".", true}, {"lab1", "lab1", true}, {"lab1/", "lab1", true}, {"a//b", "a/b", true},
		{"./a", "a", true}, {"..", "", false}, {"../a", "", false}, {"a/../..", "", false}, {"a/..", "", false},
		{"/abs", "", false}, {"a\x00", "", false}, {"a\x7f", "", false}, {"\xc3", "", false},
	} {
		got, err := cleanRel(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("cleanRel(%q) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	if got := contentDisposition("a\"b\\c\r\n%.txt"); strings.ContainsAny(strings.SplitN(got, "filename*", 2)[0], "\r\n%\\") {
		t.Errorf("contentDisposition leaks a control character or quote: %q", got)
	}
}

// A browser session's transfers share one SSH connection, at most
// maxTransfersPerSession at once; one more is told to wait, in a sentence.
func TestTransfersAtOnceAreBounded(t *testing.T) {
	tf := newTransferFixture(t, nil)
	var writers []*io.PipeWriter
	done := make(chan int, maxTransfersPerSession)
	for i := range maxTransfersPerSession {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		req, _ := http.NewRequest("POST", tf.http.URL+"/files/upload?"+url.Values{"dir": {"."}, "name": {"slow" + string(rune('a'+i))}}.Encode(), pr)
		req.ContentLength = 2
		req.Header.Set("Origin", tf.origin)
		req.Header.Set(csrfHeader, tf.csrf)
		go func() {
			resp, err := tf.alice.Do(req)
			if err != nil {
				done <- -1
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		pw.Write([]byte("x")) // the upload has begun: its SFTP file is open
	}
	waitUntil(t, "the slow uploads to open their files", func() bool {
		entries, _ := os.ReadDir(tf.home)
		return len(entries) == maxTransfersPerSession
	})
	code, msg := tf.upload(tf.alice, ".", "one-more.txt", []byte("x"), nil)
	if code != http.StatusTooManyRequests || !strings.Contains(msg, "wait for the others") {
		t.Errorf("a transfer beyond %d at once: %d %q, want 429 asking to wait", maxTransfersPerSession, code, msg)
	}
	for _, pw := range writers {
		pw.Write([]byte("y"))
		pw.Close()
	}
	for range maxTransfersPerSession {
		if c := <-done; c != http.StatusOK {
			t.Errorf("a slow upload ended with %d", c)
		}
	}
	if code, msg := tf.upload(tf.alice, ".", "after.txt", []byte("x"), nil); code != http.StatusOK {
		t.Errorf("an upload once the others are done: %d %s", code, msg)
	}
	if users, _, _, _ := tf.ssh.snapshot(); len(users) != 1 {
		t.Errorf("%d SSH logins for one browser's transfers, want 1", len(users))
	}
}

// The transfers' SSH connection is closed once unused for a while, and by
// Close; the next transfer dials again.
func TestTransferConnectionEnds(t *testing.T) {
	tf := newTransferFixture(t, nil)
	tf.web.transferIdle = 50 * time.Millisecond
	if code, msg := tf.upload(tf.alice, ".", "a.txt", []byte("a"), nil); code != http.StatusOK {
		t.Fatalf("upload: %d %s", code, msg)
	}
	waitUntil(t, "the idle connection to close", func() bool { return tf.ssh.live.Load() == 0 })
	if code, msg := tf.upload(tf.alice, ".", "b.txt", []byte("b"), nil); code != http.StatusOK {
		t.Fatalf("upload after the idle close: %d %s", code, msg)
	}
	if users, _, _, _ := tf.ssh.snapshot(); len(users) != 2 {
		t.Errorf("%d SSH logins, want 2 (one per connection)", len(users))
	}
	tf.web.transferIdle = time.Hour
	if code, _ := tf.upload(tf.alice, ".", "c.txt", []byte("c"), nil); code != http.StatusOK {
		t.Fatal("third upload failed")
	}
	if tf.ssh.live.Load() != 1 {
		t.Fatalf("%d live connections after an upload, want 1 (kept for the next)", tf.ssh.live.Load())
	}
	tf.web.Close()
	waitUntil(t, "Close to end the connection", func() bool { return tf.ssh.live.Load() == 0 })
	if code, msg := tf.upload(tf.alice, ".", "d.txt", []byte("d"), nil); code != http.StatusServiceUnavailable || !strings.Contains(msg, "restarting") {
		t.Errorf("an upload after Close: %d %q, want 503 saying the server restarts", code, msg)
	}
}

// A figure opens in the browser (#15): a PNG in ~/figures, as image/png,
// inline, never cached, never sniffed; nothing else does.
func TestFigureOpensInline(t *testing.T) {
	tf := newTransferFixture(t, nil)
	var buf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	img.Set(3, 4, color.RGBA{R: 31, G: 119, B: 180, A: 255})
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	figure := buf.String()
	tf.write("figures/python-1.png", figure)
	tf.write("figures/page.png", "<html><script>alert(1)</script>")
	tf.write("figures/sub/x.png", figure)
	tf.write("notes.png", figure)
	tf.write("figures/folder.png/x", "x")
	inline := func(rel string) (*http.Response, []byte) {
		return tf.downloadQuery(tf.alice, url.Values{"path": {rel}, "inline": {"1"}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
	}

	resp, body := inline("figures/python-1.png")
	if resp.StatusCode != http.StatusOK || string(body) != figure {
		t.Fatalf("the figure: %d, %d bytes, want 200 and its %d bytes", resp.StatusCode, len(body), len(figure))
	}
	for h, want := range map[string]string{
		"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
		"Content-Disposition": `inline; filename="python-1.png"; filename*=UTF-8''python-1.png`,
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("the figure's %s = %q, want %q", h, got, want)
		}
	}

	for _, c := range []struct {
		rel    string
		status int
		says   string
	}{
		{"figures/page.png", http.StatusUnsupportedMediaType, "not a PNG"},
		{"figures/sub/x.png", http.StatusBadRequest, "Only a figure"},
		{"notes.png", http.StatusBadRequest, "Only a figure"},
		{"figures/.python-1.png.9.tmp", http.StatusBadRequest, "Only a figure"},
		{"figures/folder.png", http.StatusBadRequest, "folder"},
		{"figures/gone.png", http.StatusNotFound, "figures/gone.png does not exist"}, // its own case, not "Figures/"
		{"figures/../figures/python-1.png", http.StatusBadRequest, ".."},
		{"students/Bob/figures/python-1.png", http.StatusBadRequest, "Only a figure"},
		{"students/bob/lab/python-1.png", http.StatusBadRequest, "Only a figure"},
		{"students//figures/python-1.png", http.StatusBadRequest, "Only a figure"},
	} {
		resp, body := inline(c.rel)
		if resp.StatusCode != c.status || !strings.Contains(string(body), c.says) {
			t.Errorf("inline %s: %d %q, want %d saying %q", c.rel, resp.StatusCode, body, c.status, c.says)
		}
		if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "image/") || strings.HasPrefix(ct, "text/html") {
			t.Errorf("inline %s refused as %s", c.rel, ct)
		}
		if strings.Contains(string(body), "<script>") {
			t.Errorf("inline %s: the refusal carries the file: %q", c.rel, body)
		}
	}
	if resp, _ := tf.downloadQuery(nil, url.Values{"path": {"figures/python-1.png"}, "inline": {"1"}}, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a figure without a sign-in: %d, want 401", resp.StatusCode)
	}
	if resp, _ := tf.downloadQuery(tf.alice, url.Values{"path": {"figures/python-1.png"}, "inline": {"1"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a figure asked for by another site: %d, want 403", resp.StatusCode)
	}
	// A professor's view shows students' homes at students/NAME (here, in
	// this fake SFTP server, a folder like any other).
	tf.write("students/bob/figures/python-2.png", figure)
	if resp, body := inline("students/bob/figures/python-2.png"); resp.StatusCode != http.StatusOK || string(body) != figure {
		t.Errorf("a student's figure through students/bob: %d, %d bytes", resp.StatusCode, len(body))
	}
	// Without inline=1 the file list's Download still saves it, as any file.
	resp, body = tf.download(tf.alice, "figures/page.png", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") || string(body) != "<html><script>alert(1)</script>" {
		t.Errorf("download of figures/page.png: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
}
