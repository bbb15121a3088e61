package main

// The browser workspace end to end: the real binary, Debian's chromium driven
// headless with chromedp, a network between them that the test can cut, and
// OpenSSH beside it for the same student at the same time. The screen is read
// through xterm.js's buffer (window.classroomd.text() in web/static/term.js).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/coder/websocket"
)

const (
	browserStep     = 30 * time.Second // one browser action, or one wait for the screen
	wendyPassword   = "violet umbrella 19"
	screenshotsDirE = "CLASSROOMD_E2E_SCREENSHOTS" // set to a folder to keep the browser's screenshots
)

func TestBrowserWorkspace(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests start real servers and a browser; skipped with -short")
	}
	ci := os.Getenv("CI") == "true"
	chromium := needChromium(t)
	if _, err := os.Stat(sshClientPath); err != nil {
		if ci {
			t.Fatalf("the browser tests need OpenSSH's %s too: %v", sshClientPath, err)
		}
		t.Skipf("the browser tests need OpenSSH's %s too: %v", sshClientPath, err)
	}
	if os.Geteuid() != 0 && !ci {
		t.Skip("Python runs in a sandbox, which this test expects as root")
	}

	h := newHarness(t)
	b := backend{dataDir: t.TempDir(), uidBase: 330000}
	srv := h.startServer(t, b)
	h.cli(t, cliOpts{stdin: wendyPassword + "\n"}, append([]string{"user", "add", "wendy", "--name", "Wendy Web", "--password-stdin"}, b.flags()...)...).mustSucceed(t)

	// The browser reaches the server through a network the test can cut.
	netw := newCuttableNet(t, srv.httpAddr)
	br := newBrowser(t, chromium, "http://"+netw.addr())
	s := &webScenario{h: h, b: b, srv: srv, net: netw, br: br, knownHosts: filepath.Join(t.TempDir(), "known_hosts")}

	steps := []struct {
		name string
		run  func(*testing.T)
	}{
		{"wrong_password_is_refused_clearly", s.wrongPassword},
		{"login_f4_print_6x7_shows_42", s.loginAndPython},
		{"ws_refused_without_cookie_or_from_another_origin", s.wsRefusals},
		{"network_drop_reconnects_to_the_same_repl", s.reconnect},
		{"same_student_over_ssh_sees_the_same_repl", s.sshBeside},
		{"logout_then_generated_password_changed_in_the_browser", s.logoutAndForcedChange},
		{"audit_and_logs", s.auditAndLogs},
	}
	for _, st := range steps {
		if !t.Run(st.name, st.run) && srv.exited() {
			t.Fatalf("step %s failed and the server has exited", st.name)
		}
	}
}

type webScenario struct {
	h          *harness
	b          backend
	srv        *server
	net        *cuttableNet
	br         *browser
	knownHosts string

	token string // the session token of the Go client in wsRefusals
}

// 1. A wrong password: the page says so, keeps the username, and puts nothing in the URL.
func (s *webScenario) wrongPassword(t *testing.T) {
	br := s.br
	br.do(t, chromedp.Navigate(br.base+"/"))
	br.login(t, "wendy", "not her password")
	msg := br.text(t, ".message.error")
	if !strings.Contains(msg, "do not match") {
		t.Errorf("after a wrong password the page says %q, want that they do not match", msg)
	}
	if loc := br.location(t); strings.Contains(loc, "password") || strings.Contains(loc, "not her") || strings.Contains(loc, "?") {
		t.Errorf("after a wrong password the URL is %q: nothing of the form may be in it", loc)
	}
	if v := br.eval(t, `document.getElementById("username").value`); v != "wendy" {
		t.Errorf("the username field holds %q after a refusal, want wendy", v)
	}
	br.screenshot(t, "login-error")
}

// 2. Log in, the on-screen F4 key, print(6*7): 42.
func (s *webScenario) loginAndPython(t *testing.T) {
	br := s.br
	br.login(t, "wendy", wendyPassword)
	if loc := br.location(t); !strings.HasSuffix(loc, "/term") {
		t.Fatalf("after logging in the browser is at %q, want /term", loc)
	}
	br.waitState(t, "connected")
	br.waitScreen(t, "the workspace with welcome.py", func(s string) bool { return strings.Contains(s, "welcome.py") && strings.Contains(s, "wendy") })
	br.screenshot(t, "workspace")
	br.do(t, chromedp.Click(chromedp.CSS(`button[data-key="f4"]`))) // the key row's F4
	br.waitScreen(t, "the Python prompt", func(s string) bool { return strings.Contains(s, ">>>") })
	br.keys(t, "print(6*7)\r")
	br.waitScreen(t, "42 on a line of its own", lineIs("42"))
	br.screenshot(t, "python-42")
}

// lineIs matches a screen with a line that holds only want (and spaces).
func lineIs(want string) func(string) bool {
	re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(want) + `\s*$`)
	return re.MatchString
}

// 3. /ws without a cookie, or from another origin, is refused; with both it opens.
func (s *webScenario) wsRefusals(t *testing.T) {
	base := "http://" + s.srv.httpAddr
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: browserStep}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"username": {"wendy"}, "password": {wendyPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	var cookie string
	for _, ck := range jar.Cookies(u) {
		cookie = ck.Name + "=" + ck.Value
		s.token = ck.Value
	}
	if resp.StatusCode != http.StatusSeeOther || cookie == "" {
		t.Fatalf("login over HTTP: %d, cookie %q", resp.StatusCode, cookie)
	}
	dial := func(origin, cookie string) (*websocket.Conn, *http.Response, error) {
		h := http.Header{}
		h.Set("Origin", origin)
		if cookie != "" {
			h.Set("Cookie", cookie)
		}
		ctx, cancel := context.WithTimeout(context.Background(), browserStep)
		defer cancel()
		return websocket.Dial(ctx, "ws://"+s.srv.httpAddr+"/ws", &websocket.DialOptions{HTTPHeader: h})
	}
	for _, c := range []struct {
		name, origin, cookie string
		status               int
	}{
		{"without a cookie", base, "", http.StatusUnauthorized},
		{"with a made-up cookie", base, "classroomd_session=" + strings.Repeat("A", 43), http.StatusUnauthorized},
		{"from another origin", "http://evil.example", cookie, http.StatusForbidden},
	} {
		ws, resp, err := dial(c.origin, c.cookie)
		if err == nil {
			ws.CloseNow()
			t.Errorf("/ws %s was accepted", c.name)
			continue
		}
		if resp == nil || resp.StatusCode != c.status {
			t.Errorf("/ws %s: %v (%v), want HTTP %d", c.name, resp, err, c.status)
		}
	}
	ws, _, err := dial(base, cookie)
	if err != nil {
		t.Fatalf("/ws with the cookie from this origin: %v", err)
	}
	ws.Close(websocket.StatusNormalClosure, "")
}

// 4. x = 5; the network drops; the page reconnects by itself, without the
// password, to the same Python: print(x) shows 5.
func (s *webScenario) reconnect(t *testing.T) {
	br := s.br
	br.keys(t, "x = 5\r")
	br.waitScreen(t, "x = 5 at the prompt", func(s string) bool { return strings.Contains(s, ">>> x = 5") })

	s.net.cut()
	br.waitState(t, "reconnecting")
	br.screenshot(t, "reconnecting")
	s.net.restore()
	br.waitState(t, "connected")
	if loc := br.location(t); !strings.HasSuffix(loc, "/term") {
		t.Fatalf("after the network came back the browser is at %q: it must reattach, not ask to sign in", loc)
	}
	br.waitScreen(t, "the workspace drawn again", func(s string) bool { return strings.Contains(s, "welcome.py") })
	before := strings.Count(br.screen(t), "\n5")
	br.keys(t, kb.F4)
	br.waitScreen(t, "the Python prompt", func(s string) bool { return strings.Contains(s, ">>>") })
	br.keys(t, "print(x)\r")
	br.waitScreen(t, "5, the x defined before the drop", func(scr string) bool {
		return lineIs("5")(scr) && strings.Count(scr, "\n5") > before || strings.Contains(scr, ">>> print(x)\n5")
	})
	if scr := br.screen(t); strings.Contains(scr, "NameError") {
		t.Errorf("x was lost with the connection:\n%s", scr)
	}
	br.screenshot(t, "reconnected")
}

// 5. The same student over ssh at the same time: one REPL, both ways.
func (s *webScenario) sshBeside(t *testing.T) {
	br := s.br
	term := s.h.tty(t, s.srv, sshOpts{knownHosts: s.knownHosts}, "wendy", wendyPassword)
	defer func() { _ = term.p.cmd.Process.Kill() }()
	term.waitFor("welcome.py", 1)
	term.typ(keyF4)

	br.keys(t, `print("W" + "EB" + str(x*3))`+"\r")
	br.waitScreen(t, "WEB15 in the browser", func(s string) bool { return strings.Contains(s, "WEB15") })
	term.waitFor("WEB15", 1)

	term.typ(`print("S" + "SH" + str(x+1))` + "\r")
	term.waitFor("SSH6", 1)
	br.waitScreen(t, "SSH6, typed over ssh, in the browser", func(s string) bool { return strings.Contains(s, "SSH6") })
	br.screenshot(t, "beside-ssh")
}

// 6. Sign out; then a student with a generated password signs in in the
// browser, changes it in the workspace's form, and stays signed in.
func (s *webScenario) logoutAndForcedChange(t *testing.T) {
	br := s.br
	ctx, cancel := context.WithTimeout(br.ctx, browserStep)
	_, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`#logout button`)))
	cancel()
	if err != nil {
		t.Fatalf("sign out: %v", err)
	}
	if msg := br.text(t, ".message.notice"); !strings.Contains(msg, "signed out") {
		t.Errorf("after signing out the page says %q", msg)
	}
	if got := br.eval(t, `fetch("/session").then(r => String(r.status))`); got != "401" {
		t.Errorf("GET /session after signing out = %s, want 401", got)
	}

	r := s.h.cli(t, cliOpts{}, append([]string{"user", "add", "mona", "--name", "Mona Generated"}, s.b.flags()...)...)
	r.mustSucceed(t)
	m := regexp.MustCompile(`login\): (\S+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("user add printed no generated password:\n%s", r.stdout)
	}
	generated := m[1]
	br.login(t, "mona", generated)
	br.waitScreen(t, "the form to choose a password", func(s string) bool { return strings.Contains(s, "Choose your own password") })
	if strings.Contains(br.screen(t), "welcome.py") {
		t.Fatal("the workspace opened before the generated password was changed")
	}
	br.screenshot(t, "choose-password")
	br.keys(t, generated+"\t"+"violet seven ocean"+"\t"+"violet seven ocean"+"\r")
	br.waitScreen(t, "the workspace after the change", func(s string) bool { return strings.Contains(s, "welcome.py") })
	// The browser that changed the password stays signed in.
	br.do(t, chromedp.Navigate(br.base+"/term"))
	br.waitState(t, "connected")
	if loc := br.location(t); !strings.HasSuffix(loc, "/term") {
		t.Errorf("after changing the password in the browser, /term led to %q", loc)
	}
	s.h.sshRefused(t, s.srv, sshOpts{knownHosts: s.knownHosts}, "mona", generated)

	// Quitting the workspace (q on the file list) is not a dropped network:
	// the page says so and waits, and opens it again on request.
	br.waitScreen(t, "the workspace", func(s string) bool { return strings.Contains(s, "welcome.py") })
	br.keys(t, "q")
	br.waitState(t, "ended")
	if title := br.text(t, "#overlay-title"); !strings.Contains(title, "left the workspace") {
		t.Errorf("after q the page says %q", title)
	}
	br.screenshot(t, "ended")
	br.do(t, chromedp.Click(chromedp.ID("overlay-primary")))
	br.waitState(t, "connected")
	br.waitScreen(t, "the workspace again", func(s string) bool { return strings.Contains(s, "welcome.py") })
}

// 7. The audit has the browser's logins (password, then the bridge's), from
// the browser's address; no password or token is in the audit or the log.
func (s *webScenario) auditAndLogs(t *testing.T) {
	entries := s.h.audit(t, s.b, "--user", "wendy", "--limit", "200")
	var password, web, logout int
	for _, e := range entries {
		for _, f := range []string{e.Actor, e.Action, e.Target, e.Remote, e.Outcome, e.Detail} {
			if strings.Contains(f, wendyPassword) || (s.token != "" && strings.Contains(f, s.token)) {
				t.Errorf("an audit entry holds a secret: %+v", e)
			}
		}
		if !strings.HasPrefix(e.Remote, "127.0.0.1:") && e.Remote != "local" {
			t.Errorf("audit entry from %q, want the browser's (or ssh's) 127.0.0.1:port: %+v", e.Remote, e)
		}
		switch {
		case e.Action == "login.password" && e.Outcome == "ok":
			password++
		case e.Action == "login.web" && e.Outcome == "ok":
			web++
		case e.Action == "logout.web" && e.Outcome == "ok":
			logout++
		}
	}
	// Password logins: the browser, the Go client, ssh. Bridged logins: the
	// first connection and the reconnection (the Go client's socket never
	// said its size, so it opened no SSH session).
	if password < 3 || web < 2 || logout != 1 {
		t.Errorf("audit for wendy: %d password logins, %d web logins, %d logouts; want >=3, >=2, 1:\n%s", password, web, logout, dumpAudit(entries))
	}
	logs := s.srv.stderr.String()
	for _, secret := range []string{wendyPassword, "not her password", "violet seven ocean", s.token} {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("the server log holds a secret (%q)", secret[:4]+"…")
		}
	}
}

// ---- the browser ----

// needChromium returns the browser's path; without one the test fails in
// CI (.ci/run installs it) and is skipped elsewhere.
func needChromium(t *testing.T) string {
	t.Helper()
	chromium, err := chromiumPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the browser tests need chromium (apt-get install chromium; .ci/run installs it): %v", err)
		}
		t.Skipf("the browser tests need chromium (apt-get install chromium): %v", err)
	}
	return chromium
}

func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser or google-chrome on the PATH")
}

// browser is one headless chromium tab.
type browser struct {
	ctx  context.Context
	base string // where the page is opened: the cuttable network
}

func newBrowser(t *testing.T, path, base string) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root, and a container, need it
		chromedp.WindowSize(1200, 800),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first action starts the browser, which lives as long as the context
	// of that action: the tab's own, not one with a deadline.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return &browser{ctx: ctx, base: base}
}

func (b *browser) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v\nscreen:\n%s", err, b.screenOrEmpty())
	}
}

func (b *browser) eval(t *testing.T, js string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *browser) text(t *testing.T, css string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("the page has no %s: %v", css, err)
	}
	return v
}

func (b *browser) location(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// login fills and sends the login form, and waits for the page it leads to.
func (b *browser) login(t *testing.T, user, password string) {
	t.Helper()
	if loc := b.location(t); !strings.HasPrefix(loc, b.base+"/") || strings.HasSuffix(loc, "/term") {
		b.do(t, chromedp.Navigate(b.base+"/"))
	}
	b.do(t,
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("username").value = ""`),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`button[type="submit"]`))); err != nil {
		t.Fatalf("send the login form: %v", err)
	}
}

// keys types into the terminal (which has the focus): text as the browser's
// input events carry it, and Enter, Tab and function keys as key presses.
// (Synthetic key presses of printable keys would arrive twice: once from the
// key-down, once from the separate "char" event that no real keyboard sends.)
func (b *browser) keys(t *testing.T, keys string) {
	t.Helper()
	isKey := func(r rune) bool { k, ok := kb.Keys[r]; return r < ' ' || ok && !k.Print }
	for keys != "" {
		i := strings.IndexFunc(keys, isKey)
		switch {
		case i < 0:
			i = len(keys)
		case i == 0:
			r, n := utf8.DecodeRuneInString(keys)
			keys = keys[n:]
			for _, ev := range kb.Encode(r) {
				if ev.Type == kb.KeyChar {
					continue // the terminal acts on the key-down
				}
				ctx, cancel := context.WithTimeout(b.ctx, browserStep)
				_, err := chromedp.Call(ctx, input.DispatchKeyEvent, *ev)
				cancel()
				if err != nil {
					t.Fatalf("press %q: %v", r, err)
				}
			}
			continue
		}
		text := keys[:i]
		keys = keys[i:]
		ctx, cancel := context.WithTimeout(b.ctx, browserStep)
		_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text})
		cancel()
		if err != nil {
			t.Fatalf("type %q: %v", text, err)
		}
	}
}

// waitFor polls a JavaScript condition.
func (b *browser) waitFor(t *testing.T, what, js string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatalf("waiting for %s: %v\nscreen:\n%s", what, err, b.screenOrEmpty())
	}
}

func (b *browser) waitState(t *testing.T, state string) {
	t.Helper()
	b.waitFor(t, "the status "+state, fmt.Sprintf(`!!window.classroomd && window.classroomd.state() === %q`, state))
}

// screen is the terminal's text, read from xterm.js's buffer.
func (b *browser) screen(t *testing.T) string {
	t.Helper()
	return b.eval(t, `window.classroomd ? window.classroomd.text() : ""`)
}

func (b *browser) screenOrEmpty() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`window.classroomd ? window.classroomd.text() : document.body.innerText`))
	return s
}

// waitScreen polls the terminal's text until cond holds.
func (b *browser) waitScreen(t *testing.T, what string, cond func(string) bool) {
	t.Helper()
	var last string
	if !waitFor(browserStep, nil, func() bool {
		last = b.screen(t)
		return cond(last)
	}) {
		t.Fatalf("the browser's screen did not show %s within %s:\n%s", what, browserStep, last)
	}
}

// screenshot keeps a PNG of the page when CLASSROOMD_E2E_SCREENSHOTS names a folder.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv(screenshotsDirE)
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}

// ---- a network the test can cut ----

// cuttableNet forwards TCP connections to target until cut: then it drops
// every connection and refuses new ones until restored, as a lost Wi-Fi does.
type cuttableNet struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newCuttableNet(t *testing.T, target string) *cuttableNet {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &cuttableNet{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	n.wg.Go(n.accept)
	t.Cleanup(func() {
		ln.Close()
		n.cut()
		n.wg.Wait()
	})
	return n
}

func (n *cuttableNet) addr() string { return n.ln.Addr().String() }

func (n *cuttableNet) accept() {
	for {
		c, err := n.ln.Accept()
		if err != nil {
			return
		}
		n.mu.Lock()
		down := n.down
		n.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", n.target)
		if err != nil {
			c.Close()
			continue
		}
		if !n.track(c, up) {
			continue
		}
		for _, dir := range [][2]net.Conn{{c, up}, {up, c}} {
			n.wg.Go(func() {
				io.Copy(dir[0], dir[1])
				dir[0].Close()
				dir[1].Close()
			})
		}
	}
}

// track registers a connection's two ends, unless the network went down meanwhile.
func (n *cuttableNet) track(cs ...net.Conn) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.down {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		n.conns[c] = struct{}{}
	}
	return true
}

func (n *cuttableNet) cut() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.down = true
	for c := range n.conns {
		c.Close()
	}
	clear(n.conns)
}

func (n *cuttableNet) restore() {
	n.mu.Lock()
	n.down = false
	n.mu.Unlock()
}
