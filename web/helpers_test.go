package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/store/sqlite"

	"github.com/classroomd/classroomd/internal/wsproto"
)

const (
	alicePassword = "correct horse battery"
	waitDeadline  = 10 * time.Second
)

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is a log sink tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixture is a web server on real accounts (SQLite) and a fake SSH server.
type fixture struct {
	t        testing.TB
	web      *Server
	http     *httptest.Server
	accounts *accounts.Service
	ssh      *fakeSSH
	log      *syncBuffer
}

func newFixture(t testing.TB, edit func(*Options)) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc, err := accounts.New(accounts.Options{Store: st, HomesDir: filepath.Join(dir, "homes"), BcryptCost: 4, Throttle: config.DefaultThrottle()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.AddUser(context.Background(), accounts.Actor{Name: "cli:test", Remote: "local"},
		accounts.NewUser{Username: "alice", Password: alicePassword}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, accounts: svc, ssh: newFakeSSH(t), log: &syncBuffer{}}
	o := Options{Sessions: svc, Dial: f.ssh.dial, Log: slog.New(slog.NewJSONHandler(f.log, nil))}
	if edit != nil {
		edit(&o)
	}
	f.web, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	f.http = httptest.NewServer(f.web)
	t.Cleanup(func() {
		f.web.Close()
		f.http.Close()
	})
	return f
}

// client is a browser: a cookie jar, no redirects followed, this site's Origin.
func (f *fixture) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (f *fixture) post(c *http.Client, path string, form url.Values, origin string) *http.Response {
	f.t.Helper()
	req, _ := http.NewRequest("POST", f.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp
}

func (f *fixture) get(c *http.Client, path string) (*http.Response, string) {
	f.t.Helper()
	resp, err := c.Get(f.http.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// login signs alice in and returns her browser.
func (f *fixture) login() *http.Client {
	f.t.Helper()
	c := f.client()
	resp := f.post(c, "/login", url.Values{"username": {"alice"}, "password": {alicePassword}}, f.http.URL)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/term" {
		f.t.Fatalf("login: %d to %q, want 303 to /term", resp.StatusCode, resp.Header.Get("Location"))
	}
	return c
}

func (f *fixture) cookie(c *http.Client) *http.Cookie {
	u, _ := url.Parse(f.http.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == cookieName {
			return ck
		}
	}
	return nil
}

// dialWS opens /ws as the page does, with c's cookie and origin.
func (f *fixture) dialWS(c *http.Client, origin string) (*websocket.Conn, *http.Response, error) {
	return f.dialWSQuery(c, origin, "")
}

// dialWSQuery is dialWS with a query string ("graphics=iterm2").
func (f *fixture) dialWSQuery(c *http.Client, origin, query string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if c != nil {
		if ck := f.cookie(c); ck != nil {
			h.Set("Cookie", ck.Name+"="+ck.Value)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitDeadline)
	defer cancel()
	u := "ws" + strings.TrimPrefix(f.http.URL, "http") + "/ws"
	if query != "" {
		u += "?" + query
	}
	return websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
}

// page is the browser end of a bridge.
type page struct {
	t  testing.TB
	ws *websocket.Conn
}

// openPage logs alice in, connects and says the terminal's size.
func (f *fixture) openPage(cols, rows int) *page {
	f.t.Helper()
	ws, _, err := f.dialWS(f.login(), f.http.URL)
	if err != nil {
		f.t.Fatalf("dial /ws: %v", err)
	}
	ws.SetReadLimit(1 << 20)
	p := &page{t: f.t, ws: ws}
	f.t.Cleanup(func() { ws.CloseNow() })
	p.send(wsproto.ResizeMessage(cols, rows))
	return p
}

func (p *page) send(msg []byte) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitDeadline)
	defer cancel()
	if err := p.ws.Write(ctx, websocket.MessageBinary, msg); err != nil {
		p.t.Fatalf("send: %v", err)
	}
}

// read returns the next message, or the error that ended the connection.
func (p *page) read() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitDeadline)
	defer cancel()
	_, data, err := p.ws.Read(ctx)
	return data, err
}

// readOutput reads messages until the output holds want.
func (p *page) readOutput(want string) {
	p.t.Helper()
	var got []byte
	for !bytes.Contains(got, []byte(want)) {
		msg, err := p.read()
		if err != nil {
			p.t.Fatalf("waiting for output %q (have %q): %v", want, got, err)
		}
		if len(msg) > 0 && msg[0] == wsproto.Output {
			got = append(got, msg[1:]...)
		}
	}
}

// closeStatus reads until the connection ends and returns why, as the page
// sees it: the code of the last message (wsproto.Close) if there was one, else the
// close frame's.
func (p *page) closeStatus() websocket.StatusCode {
	p.t.Helper()
	said := websocket.StatusCode(-1)
	for {
		msg, err := p.read()
		if err != nil {
			if said != -1 {
				return said
			}
			return websocket.CloseStatus(err)
		}
		if code, _, ok := wsproto.ParseClose(msg); ok {
			said = websocket.StatusCode(code)
		}
	}
}

// ---- a fake SSH server: records what the bridge asks for, echoes input ----

type ptyRequest struct {
	Term       string
	Cols, Rows uint32
}

type fakeSSH struct {
	t        testing.TB
	ln       net.Listener
	hostKey  gossh.Signer
	userKey  gossh.Signer
	mu       sync.Mutex
	users    []string
	envs     []string
	ptys     []ptyRequest
	resizes  [][2]uint32
	channels []gossh.Channel
	// session runs a shell session; it echoes input by default.
	session func(ch gossh.Channel)
	// sftpDir, when set, is served by the "sftp" subsystem (pkg/sftp's
	// plain server: no confinement, which is the real server's to test).
	sftpDir string
	live    atomic.Int32 // connections being served
	wg      sync.WaitGroup
}

func newSigner(t testing.TB) gossh.Signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newFakeSSH(t testing.TB) *fakeSSH {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSSH{t: t, ln: ln, hostKey: newSigner(t), userKey: newSigner(t)}
	f.session = func(ch gossh.Channel) { io.Copy(ch, ch) }
	f.wg.Go(f.accept)
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, ch := range f.channels {
			ch.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *fakeSSH) accept() {
	cfg := &gossh.ServerConfig{
		PublicKeyCallback: func(meta gossh.ConnMetadata, key gossh.PublicKey) (*gossh.Permissions, error) {
			if bytes.Equal(key.Marshal(), f.userKey.PublicKey().Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	cfg.AddHostKey(f.hostKey)
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Go(func() { f.serve(c, cfg) })
	}
}

func (f *fakeSSH) serve(c net.Conn, cfg *gossh.ServerConfig) {
	f.live.Add(1)
	defer f.live.Add(-1)
	defer c.Close()
	conn, chans, reqs, err := gossh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer conn.Close()
	f.mu.Lock()
	f.users = append(f.users, conn.User())
	f.mu.Unlock()
	go gossh.DiscardRequests(reqs)
	for nc := range chans {
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.channels = append(f.channels, ch)
		f.mu.Unlock()
		f.wg.Go(func() { f.requests(ch, chReqs) })
	}
}

func (f *fakeSSH) requests(ch gossh.Channel, reqs <-chan *gossh.Request) {
	for req := range reqs {
		ok := true
		f.mu.Lock()
		switch req.Type {
		case "env":
			var kv struct{ Key, Value string }
			gossh.Unmarshal(req.Payload, &kv)
			f.envs = append(f.envs, kv.Key+"="+kv.Value)
		case "pty-req":
			var p struct {
				Term                 string
				Cols, Rows, PxW, PxH uint32
				Modes                string
			}
			gossh.Unmarshal(req.Payload, &p)
			f.ptys = append(f.ptys, ptyRequest{p.Term, p.Cols, p.Rows})
		case "window-change":
			var w struct{ Cols, Rows, PxW, PxH uint32 }
			gossh.Unmarshal(req.Payload, &w)
			f.resizes = append(f.resizes, [2]uint32{w.Cols, w.Rows})
		case "shell":
			// Answered before the session runs, as an SSH server does: a
			// session that ends at once must not end before its start is.
			session := f.session
			req.Reply(true, nil)
			req.WantReply = false
			f.wg.Go(func() {
				session(ch)
				ch.SendRequest("exit-status", false, gossh.Marshal(struct{ Status uint32 }{0}))
				ch.Close()
			})
		case "subsystem":
			var sub struct{ Name string }
			gossh.Unmarshal(req.Payload, &sub)
			ok = sub.Name == "sftp" && f.sftpDir != ""
			if ok {
				dir := f.sftpDir
				req.Reply(true, nil)
				req.WantReply = false
				f.wg.Go(func() {
					srv, err := sftp.NewServer(ch, sftp.WithServerWorkingDirectory(dir))
					if err == nil {
						srv.Serve()
					}
					ch.Close()
				})
			}
		default:
			ok = false
		}
		f.mu.Unlock()
		if req.WantReply {
			req.Reply(ok, nil)
		}
	}
}

// dial is the DialFunc: TCP to the fake, logging in with its user key.
func (f *fakeSSH) dial(user string, remote net.Addr, webSession int64) (net.Conn, *gossh.ClientConfig, error) {
	c, err := net.Dial("tcp", f.ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	return c, &gossh.ClientConfig{
		User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(f.userKey)},
		HostKeyCallback: gossh.FixedHostKey(f.hostKey.PublicKey()), Timeout: waitDeadline,
	}, nil
}

func (f *fakeSSH) snapshot() (users, envs []string, ptys []ptyRequest, resizes [][2]uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.users...), append([]string(nil), f.envs...),
		append([]ptyRequest(nil), f.ptys...), append([][2]uint32(nil), f.resizes...)
}

func (r ptyRequest) String() string { return fmt.Sprintf("%s %dx%d", r.Term, r.Cols, r.Rows) }
