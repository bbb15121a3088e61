package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/wsproto"
)

func TestLoginPageAndHeaders(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := f.get(f.client(), "/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/login"`) || !strings.Contains(body, `name="password"`) {
		t.Fatalf("GET / = %d, want the login form:\n%s", resp.StatusCode, body)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
		"Referrer-Policy":         "same-origin",
	} {
		if got := resp.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to hold %q", h, got, want)
		}
	}
	// WebAssembly may be compiled (the image addon's decoder), JavaScript never evaluated.
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval';") || strings.Contains(csp, "'unsafe-eval'") {
		t.Errorf("CSP %q: scripts must come from this origin only, with no eval", csp)
	}
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}
	if resp, _ := f.get(f.client(), "/nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", resp.StatusCode)
	}
}

func TestLoginLogout(t *testing.T) {
	f := newFixture(t, nil)
	browser := f.login()
	ck := f.cookie(browser)
	if ck == nil {
		t.Fatal("no session cookie after login")
	}

	// The terminal page, never cached, for alice.
	resp, body := f.get(browser, "/term")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "alice") || !strings.Contains(body, "/static/term.js") {
		t.Fatalf("GET /term signed in = %d:\n%s", resp.StatusCode, body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("terminal page Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
	}
	if resp, _ := f.get(browser, "/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/term" {
		t.Errorf("GET / signed in = %d to %q, want 303 to /term", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := f.get(browser, "/session"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"user":"alice"`) {
		t.Errorf("GET /session signed in = %d %s", resp.StatusCode, body)
	}

	// Logout needs this site's origin, then ends the session everywhere.
	resp = f.post(browser, "/logout", nil, "https://evil.example")
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout from a foreign origin = %d, want 403", resp.StatusCode)
	}
	resp = f.post(browser, "/logout", nil, f.http.URL)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?m=signed-out" {
		t.Errorf("logout = %d to %q, want 303 to /?m=signed-out", resp.StatusCode, resp.Header.Get("Location"))
	}
	if f.cookie(browser) != nil {
		t.Error("logout left the cookie in the browser")
	}
	stolen := f.client()
	u, _ := url.Parse(f.http.URL)
	stolen.Jar.SetCookies(u, []*http.Cookie{ck})
	if resp, _ := f.get(stolen, "/term"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?m=expired" {
		t.Errorf("GET /term with a logged-out cookie = %d to %q, want 303 to /?m=expired", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := f.get(stolen, "/session"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /session with a logged-out cookie = %d, want 401", resp.StatusCode)
	}
	if _, body := f.get(f.client(), "/?m=signed-out"); !strings.Contains(body, "You are signed out") {
		t.Errorf("the login page after logout does not say so:\n%s", body)
	}
}

func TestLoginCookieAttributes(t *testing.T) {
	f := newFixture(t, nil)
	resp := f.post(f.client(), "/login", url.Values{"username": {"alice"}, "password": {alicePassword}}, f.http.URL)
	resp.Body.Close()
	set := resp.Header.Get("Set-Cookie")
	for _, want := range []string{cookieName + "=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
	if strings.Contains(set, "Secure") || strings.Contains(set, "Max-Age") || strings.Contains(set, "Expires") {
		t.Errorf("Set-Cookie %q: over plain HTTP not Secure, and a browser-session cookie (no expiry)", set)
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, alicePassword) || strings.Contains(loc, "token") || loc != "/term" {
		t.Errorf("redirect after login to %q", loc)
	}

	// Under TLS: Secure, with the __Host- prefix.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "https://class.example/login", strings.NewReader(url.Values{"username": {"alice"}, "password": {alicePassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://class.example")
	tlsWeb, err := New(Options{Sessions: f.accounts, Dial: f.ssh.dial, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tlsWeb.Close()
	tlsWeb.ServeHTTP(rec, req)
	set = rec.Header().Get("Set-Cookie")
	if !strings.HasPrefix(set, cookieNameTLS+"=") || !strings.Contains(set, "Secure") {
		t.Errorf("Set-Cookie under TLS = %q, want %s=...; Secure", set, cookieNameTLS)
	}
	if rec.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS under TLS")
	}
}

func TestLoginRefusals(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.LoginRate = Rate{Burst: 5, Every: time.Hour} })
	cases := []struct {
		name   string
		form   url.Values
		origin string
		status int
		msg    string
	}{
		{"wrong password", url.Values{"username": {"alice"}, "password": {"not her password"}}, f.http.URL, 401, "do not match"},
		{"unknown user", url.Values{"username": {"zed"}, "password": {"whatever it is"}}, f.http.URL, 401, "do not match"},
		{"empty", url.Values{"username": {"alice"}}, f.http.URL, 400, "Enter your username and your password"},
		{"foreign origin", url.Values{"username": {"alice"}, "password": {alicePassword}}, "https://evil.example", 403, "another site"},
		{"no origin", url.Values{"username": {"alice"}, "password": {alicePassword}}, "", 403, "another site"},
	}
	for _, c := range cases {
		resp := f.post(f.client(), "/login", c.form, c.origin)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(body), c.msg) || resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s: %d, cookie %q; want %d, no cookie, and %q in:\n%s", c.name, resp.StatusCode, resp.Header.Get("Set-Cookie"), c.status, c.msg, body)
		}
	}
	// The wrong password's page keeps the username, never the password.
	resp := f.post(f.client(), "/login", url.Values{"username": {"alice"}, "password": {"not her password"}}, f.http.URL)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `value="alice"`) || strings.Contains(string(body), "not her password") {
		t.Errorf("the refused login's page must keep the username and drop the password:\n%s", body)
	}
	// Four POSTs were counted (the foreign-origin ones are refused first); the fifth passes, the sixth is limited.
	resp = f.post(f.client(), "/login", url.Values{"username": {"alice"}, "password": {alicePassword}}, f.http.URL)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the fifth login = %d, want 303", resp.StatusCode)
	}
	resp = f.post(f.client(), "/login", url.Values{"username": {"alice"}, "password": {alicePassword}}, f.http.URL)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "Too many sign-in attempts") {
		t.Errorf("the sixth login = %d, want 429 with a message:\n%s", resp.StatusCode, body)
	}

	// Nothing secret in the log.
	logs := f.log.String()
	for _, secret := range []string{alicePassword, "not her password", "whatever it is"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a password %q:\n%s", secret, logs)
		}
	}
}

func TestNoTokenInLogsOrURLs(t *testing.T) {
	f := newFixture(t, nil)
	p := f.openPage(80, 24)
	p.send([]byte{wsproto.Input, 'h', 'i'})
	p.readOutput("hi")
	browser := f.login()
	token := f.cookie(browser).Value
	f.get(browser, "/term")
	resp := f.post(browser, "/logout", nil, f.http.URL)
	resp.Body.Close()
	if strings.Contains(f.log.String(), token) {
		t.Errorf("the log holds a session token:\n%s", f.log.String())
	}
	if strings.Contains(resp.Header.Get("Location"), token) {
		t.Errorf("a redirect carries the token: %q", resp.Header.Get("Location"))
	}
}

func TestStaticFiles(t *testing.T) {
	f := newFixture(t, nil)
	c := f.client()
	for path, ctype := range map[string]string{
		"/static/term.js": "text/javascript", "/static/app.css": "text/css",
		"/static/vendor/xterm/xterm.js": "text/javascript", "/static/vendor/xterm/addon-fit.js": "text/javascript",
		"/static/vendor/xterm/addon-webgl.js": "text/javascript", "/static/vendor/xterm/xterm.css": "text/css",
		"/static/vendor/xterm/addon-image.js": "text/javascript", "/static/vendor/xterm/LICENSE.addon-image": "text/plain",
		"/static/vendor/xterm/LICENSE": "text/plain",
	} {
		resp, body := f.get(c, path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) || len(body) == 0 {
			t.Errorf("GET %s = %d %q (%d bytes), want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), ctype)
			continue
		}
		req, _ := http.NewRequest("GET", f.http.URL+path, nil)
		req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
		again, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		again.Body.Close()
		if again.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag = %d, want 304", path, again.StatusCode)
		}
	}
	if resp, _ := f.get(c, "/static/../web.go"); resp.StatusCode == http.StatusOK {
		t.Error("a path outside the static files was served")
	}
}

func TestClientAddressAndOrigin(t *testing.T) {
	s := &Server{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		origins: map[string]bool{"https://class.example.edu": true}}
	req := func(remote, xff, host, origin string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr, r.Host = remote, host
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		return r
	}
	for _, c := range []struct{ remote, xff, want string }{
		{"192.0.2.1:5000", "", "192.0.2.1:5000"},
		{"192.0.2.1:5000", "198.51.100.7", "192.0.2.1:5000"},              // not a proxy: its header is ignored
		{"10.0.0.2:5000", "198.51.100.7", "198.51.100.7:0"},               // a proxy: the browser it names
		{"10.0.0.2:5000", "203.0.113.66, 198.51.100.7", "198.51.100.7:0"}, // the nearest untrusted hop, not a forged first one
		{"10.0.0.2:5000", "198.51.100.7, 10.0.0.9", "198.51.100.7:0"},
		{"10.0.0.2:5000", "junk", "10.0.0.2:5000"},
		{"[::ffff:192.0.2.1]:5000", "", "192.0.2.1:5000"},
	} {
		if got := s.clientAddr(req(c.remote, c.xff, "x", "")).String(); got != c.want {
			t.Errorf("clientAddr(peer %s, X-Forwarded-For %q) = %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
	for _, c := range []struct {
		host, origin string
		want         bool
	}{
		{"class.example.edu:8080", "http://class.example.edu:8080", true},
		{"class.example.edu:8080", "https://CLASS.example.edu:8080", true},
		{"class.example.edu:8080", "http://class.example.edu:9090", false},
		{"class.example.edu:8080", "http://evil.example", false},
		{"internal:8080", "https://class.example.edu", true}, // allowed: a proxy rewrote Host
		{"class.example.edu", "", false},
		{"class.example.edu", "null", false},
		{"class.example.edu", "http://class.example.edu/path", false},
	} {
		if got := s.sameOrigin(req("192.0.2.1:1", "", c.host, c.origin)); got != c.want {
			t.Errorf("sameOrigin(Host %q, Origin %q) = %v, want %v", c.host, c.origin, got, c.want)
		}
	}
	if _, err := New(Options{Sessions: nil}); err == nil {
		t.Error("New without Sessions and Dial succeeded")
	}
}

func TestRateLimiter(t *testing.T) {
	l := newLimiter(Rate{Burst: 3, Every: time.Second})
	t0 := time.Unix(1_800_000_000, 0)
	a := netip.MustParseAddr("192.0.2.1")
	for i := range 3 {
		if !l.allow(a, t0) {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	if l.allow(a, t0) {
		t.Error("a request past the burst was allowed")
	}
	if !l.allow(netip.MustParseAddr("192.0.2.2"), t0) {
		t.Error("another address was limited by the first")
	}
	if !l.allow(a, t0.Add(time.Second)) || l.allow(a, t0.Add(time.Second)) {
		t.Error("one second refills exactly one request")
	}
	// One IPv6 /64 is one client.
	v6 := netip.MustParseAddr("2001:db8::1")
	for range 3 {
		l.allow(v6, t0)
	}
	if l.allow(netip.MustParseAddr("2001:db8::ffff"), t0) {
		t.Error("another address in the same /64 escaped the limit")
	}
	// Idle entries are swept.
	l.allow(a, t0.Add(time.Hour))
	if n := len(l.buckets); n != 1 {
		t.Errorf("after an hour %d buckets are kept, want 1 (the one just used)", n)
	}
}
