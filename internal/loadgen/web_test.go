package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/classroomd/classroomd/internal/wsproto"
)

const fakeWebPassword = "right horse battery"

// fakeWeb stands in for classroomd's web side: the login form, the
// terminal page and /ws, checked as web/ checks them (Origin, cookie, the
// size first), with a fake workspace (or a test's own script) behind the socket.
type fakeWeb struct {
	t   *testing.T
	srv *httptest.Server

	// limited answers every login 429, as the server's per-address limit does.
	limited bool
	// script runs a socket after its size message; nil: a fake workspace.
	script func(ctx context.Context, c *websocket.Conn, user string)

	mu        sync.Mutex
	forwarded map[string][]string // user → X-Forwarded-For of each request
	sizes     [][]byte            // each socket's first message
	pongs     [][]byte
	sockets   sync.WaitGroup
}

func newFakeWeb(t *testing.T, useTLS bool) *fakeWeb {
	t.Helper()
	f := &fakeWeb{t: t, forwarded: map[string][]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", f.login)
	mux.HandleFunc("GET /term", func(w http.ResponseWriter, r *http.Request) {
		if f.user(r) == "" {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		f.note(f.user(r), r)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>term</title>")
	})
	mux.HandleFunc("GET /ws", f.ws)
	if useTLS {
		f.srv = httptest.NewTLSServer(mux)
	} else {
		f.srv = httptest.NewServer(mux)
	}
	t.Cleanup(func() {
		f.srv.Close()
		f.sockets.Wait()
	})
	return f
}

func (f *fakeWeb) dialer() *WebDialer {
	u, err := ParseWebURL(f.srv.URL)
	if err != nil {
		f.t.Fatal(err)
	}
	return &WebDialer{Base: u, Password: fakeWebPassword, Cols: fakeCols, Rows: fakeRows, Timeout: 10 * time.Second, ForwardedFor: true}
}

// sameOrigin is web/'s check: the Origin names the host the request was sent to.
func (f *fakeWeb) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	_, host, ok := strings.Cut(origin, "://")
	return ok && strings.HasPrefix(f.srv.URL, origin[:len(origin)-len(host)]) && host == r.Host
}

// user is the signed-in user the request's cookie names, or "".
func (f *fakeWeb) user(r *http.Request) string {
	c, err := r.Cookie("classroomd_session")
	if err != nil {
		return ""
	}
	user, ok := strings.CutPrefix(c.Value, "token-")
	if !ok {
		return ""
	}
	return user
}

func (f *fakeWeb) note(user string, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forwarded[user] = append(f.forwarded[user], r.Header.Get("X-Forwarded-For"))
}

func (f *fakeWeb) login(w http.ResponseWriter, r *http.Request) {
	page := func(status int, msg string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, "<main>\n  <p class=\"message error\" role=\"alert\">"+msg+"</p>\n<form></form></main>")
	}
	switch {
	case !f.sameOrigin(r):
		page(http.StatusForbidden, "This sign-in form was sent from another site.")
	case f.limited:
		page(http.StatusTooManyRequests, "Too many sign-in attempts from your network. Wait a minute, then try again.")
	case r.PostFormValue("password") != fakeWebPassword:
		page(http.StatusUnauthorized, "That username and password do not match. Check both (passwords are case-sensitive) &amp; try again.")
	default:
		user := r.PostFormValue("username")
		f.note(user, r)
		http.SetCookie(w, &http.Cookie{Name: "classroomd_session", Value: "token-" + user, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, "/term", http.StatusSeeOther)
	}
}

func (f *fakeWeb) ws(w http.ResponseWriter, r *http.Request) {
	user := f.user(r)
	switch {
	case !f.sameOrigin(r):
		http.Error(w, "This connection may only come from this server's own page.", http.StatusForbidden)
		return
	case user == "":
		http.Error(w, "Sign in first.", http.StatusUnauthorized)
		return
	}
	f.note(user, r)
	f.sockets.Add(1)
	defer f.sockets.Done()
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := context.Background()
	_, size, err := c.Read(ctx)
	if err != nil {
		return
	}
	f.mu.Lock()
	f.sizes = append(f.sizes, size)
	f.mu.Unlock()
	if f.script != nil {
		f.script(ctx, c, user)
		return
	}
	f.workspace(ctx, c, user)
}

// workspace bridges the socket to a fake workspace, as web/bridge.go does
// to the SSH session, and pings the page once.
func (f *fakeWeb) workspace(ctx context.Context, c *websocket.Conn, user string) {
	keysR, keysW := io.Pipe()
	ws := newFakeWorkspace(outputWriter{c}, user)
	served := make(chan struct{})
	go func() {
		defer close(served)
		ws.serve(f.t, keysR)
	}()
	defer func() { <-served }()
	defer keysW.Close()
	if c.Write(ctx, websocket.MessageBinary, []byte{wsproto.Ping, 'p', '1'}) != nil {
		return
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil || len(data) == 0 {
			return
		}
		switch data[0] {
		case wsproto.Input:
			if _, err := keysW.Write(data[1:]); err != nil {
				return
			}
		case wsproto.Pong:
			f.mu.Lock()
			f.pongs = append(f.pongs, data)
			f.mu.Unlock()
		}
	}
}

// outputWriter sends writes as output messages.
type outputWriter struct{ c *websocket.Conn }

func (o outputWriter) Write(p []byte) (int, error) {
	if err := o.c.Write(context.Background(), websocket.MessageBinary, append([]byte{wsproto.Output}, p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Through the web, a session is the same Session: the script's keys and
// measures work unchanged, and what goes over the socket is what the page sends.
func TestWebSessionRunsTheScript(t *testing.T) {
	f := newFakeWeb(t, false)
	d := f.dialer()
	ctx := context.Background()
	sess, took, err := d.Open(ctx, "load001", WorkspaceShown("load001"))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if took <= 0 {
		t.Errorf("login took %v", took)
	}
	a, rec := newTestActor(sess.Term)
	if err := a.startPython(ctx); err != nil {
		t.Fatalf("start Python: %v\n%s", err, sess.Term.Snapshot())
	}
	if err := a.workspaceCycle(ctx); err != nil {
		t.Fatalf("a cycle: %v\n%s", err, sess.Term.Snapshot())
	}
	stats, errs := rec.Summary()
	if len(errs) != 0 {
		t.Errorf("errors: %v", errs)
	}
	for _, m := range []string{MeasureREPLStart, MeasureEchoEditor, MeasureSave, MeasureRun, MeasureEval, MeasureEchoREPL} {
		if stats[m].N == 0 {
			t.Errorf("%s: no samples", m)
		}
	}

	// The same user again, and another: each user keeps an address of their own.
	again, _, err := d.Open(ctx, "load001", WorkspaceShown("load001"))
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	other, _, err := d.Open(ctx, "load002", WorkspaceShown("load002"))
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	sess.Close()
	f.srv.Close()
	f.sockets.Wait()

	f.mu.Lock()
	defer f.mu.Unlock()
	// Every request (the form, the page, the socket) of one user names their address.
	want := map[string][]string{
		"load001": {"10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.1"},
		"load002": {"10.0.0.2", "10.0.0.2", "10.0.0.2"},
	}
	for user, w := range want {
		if got := strings.Join(f.forwarded[user], ","); got != strings.Join(w, ",") {
			t.Errorf("%s's X-Forwarded-For: %s, want %s", user, got, strings.Join(w, ","))
		}
	}
	// Each socket began with the size: 100 columns, 30 rows.
	if len(f.sizes) != 3 {
		t.Fatalf("%d sockets, want 3", len(f.sizes))
	}
	for _, s := range f.sizes {
		if !bytes.Equal(s, []byte{wsproto.Resize, 0, 100, 0, 30}) {
			t.Errorf("first message % x, want the size 02 00 64 00 1e", s)
		}
	}
	if len(f.pongs) == 0 || !bytes.Equal(f.pongs[0], []byte{wsproto.Pong, 'p', '1'}) {
		t.Errorf("pongs %q, want the ping's payload back", f.pongs)
	}
}

// Output larger than one read and than the library's default message
// limit, split around pings and a type the page ignores, arrives whole.
func TestWebOutputFraming(t *testing.T) {
	f := newFakeWeb(t, false)
	big := bytes.Repeat([]byte("x"), 40<<10)
	f.script = func(ctx context.Context, c *websocket.Conn, user string) {
		for _, m := range [][]byte{
			append([]byte{wsproto.Output}, "\x1b[2J\x1b[Hhel"...),
			{wsproto.Ping, 'a', 'b'},
			{42, 'z'},
			append([]byte{wsproto.Output}, "lo "+user...),
			append([]byte{wsproto.Output}, big...),
			append([]byte{wsproto.Output}, "\x1b[2J\x1b[Hend of the big one"...),
		} {
			if c.Write(ctx, websocket.MessageBinary, m) != nil {
				return
			}
		}
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			if data[0] == wsproto.Pong {
				f.mu.Lock()
				f.pongs = append(f.pongs, data)
				f.mu.Unlock()
			}
		}
	}
	sess, _, err := f.dialer().Open(context.Background(), "load003", func(s *Screen) bool { return s.Contains("hello load003") })
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Term.WaitFor(context.Background(), 10*time.Second, func(s *Screen) bool { return s.Contains("end of the big one") }); err != nil {
		t.Fatalf("after 40 KiB in one message: %v\n%s", err, sess.Term.Snapshot())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.pongs) != 1 || !bytes.Equal(f.pongs[0], []byte{wsproto.Pong, 'a', 'b'}) {
		t.Errorf("pongs %q, want one with the ping's payload", f.pongs)
	}
}

// The server's close message is what the script's error says.
func TestWebCloseReason(t *testing.T) {
	f := newFakeWeb(t, false)
	f.script = func(ctx context.Context, c *websocket.Conn, user string) {
		c.Write(ctx, websocket.MessageBinary, append([]byte{wsproto.Output}, "hi "+user...))
		c.Read(ctx) // the key
		c.Write(ctx, websocket.MessageBinary, append([]byte{wsproto.Close, 0x0f, 0xa0}, "the workspace session ended"...))
		c.Close(4000, "the workspace session ended")
	}
	sess, _, err := f.dialer().Open(context.Background(), "load004", func(s *Screen) bool { return s.Contains("hi load004") })
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	e, _ := sess.Term.Expect(func(s *Screen) bool { return s.Contains("never") })
	if _, err := sess.Term.Type("q"); err != nil {
		t.Fatal(err)
	}
	_, err = e.Wait(context.Background(), 10*time.Second)
	if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "4000 the workspace session ended") {
		t.Errorf("got %v, want the session ended with the server's reason", err)
	}
}

func TestWebLoginErrors(t *testing.T) {
	f := newFakeWeb(t, false)
	d := f.dialer()
	d.Password = "wrong horse battery"
	_, _, err := d.Open(context.Background(), "load005", WorkspaceShown("load005"))
	var se *StepError
	if !errors.As(err, &se) || se.Kind != "login: web sign-in" {
		t.Fatalf("got %v, want a web sign-in error", err)
	}
	for _, want := range []string{"401 Unauthorized", `"That username and password do not match. Check both (passwords are case-sensitive) & try again."`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %s", err, want)
		}
	}
	if strings.Contains(err.Error(), d.Password) {
		t.Errorf("the error shows the password: %v", err)
	}

	f.limited = true
	d.Password = fakeWebPassword
	_, _, err = d.Open(context.Background(), "load005", WorkspaceShown("load005"))
	if err == nil || !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "--trusted-proxy 127.0.0.1") {
		t.Errorf("got %v, want a 429 that names --trusted-proxy", err)
	}

	d.Base = &url.URL{Scheme: "http", Host: "127.0.0.1:1"}
	_, _, err = d.Open(context.Background(), "load005", WorkspaceShown("load005"))
	if !errors.As(err, &se) || se.Kind != "login: connect" {
		t.Errorf("nothing listening: got %v, want a connect error", err)
	}
}

// Over https the server's certificate is checked against the roots given.
func TestWebTLS(t *testing.T) {
	f := newFakeWeb(t, true)
	d := f.dialer()
	if _, _, err := d.Open(context.Background(), "load006", WorkspaceShown("load006")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an unknown CA: got %v, want a certificate error", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(f.srv.Certificate())
	d.TLS = &tls.Config{RootCAs: pool}
	sess, _, err := d.Open(context.Background(), "load006", WorkspaceShown("load006"))
	if err != nil {
		t.Fatal(err)
	}
	sess.Close()
}

func TestParseWebURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":      "http://127.0.0.1:8080",
		"https://class.example.edu/": "https://class.example.edu",
		" http://[::1]:80 ":          "http://[::1]:80",
	} {
		u, err := ParseWebURL(in)
		if err != nil || u.String() != want {
			t.Errorf("%q: %v, %v; want %s", in, u, err, want)
		}
	}
	for _, in := range []string{"127.0.0.1:8080", "ftp://h", "http://", "http://u:secret@h", "http://h/class", "http://h/?a=1", "http://h#x", "ws://h"} {
		_, err := ParseWebURL(in)
		if err == nil {
			t.Errorf("%q accepted", in)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: the error shows the password: %v", in, err)
		}
	}
}

func TestForwardedForAddresses(t *testing.T) {
	d := &WebDialer{}
	if a := d.forwardedFor("a"); a.String() != "10.0.0.1" {
		t.Errorf("first: %s", a)
	}
	for i := range 300 {
		d.forwardedFor("u" + string(rune('a'+i%26)) + strings.Repeat("x", i/26))
	}
	if a := d.forwardedFor("a"); a.String() != "10.0.0.1" {
		t.Errorf("again: %s", a)
	}
	if a := d.forwardedFor("new"); a.String() != "10.0.1.46" {
		t.Errorf("the 302nd: %s, want 10.0.1.46", a)
	}
}
