package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/classroomd/classroomd/internal/wsproto"
)

// The browser's path: what web/static/term.js does, without the browser.
// A student signs in with the login form (POST /login), loads the terminal
// page (GET /term), opens /ws with the session cookie, says the terminal's
// size, and from then on exchanges binary messages whose first byte is the
// type (internal/wsproto).

const (
	// webPingEvery is the page's ping interval. The server closes a socket
	// it has heard nothing on for two minutes, and an idle student types nothing.
	webPingEvery = 20 * time.Second
	// webWriteTimeout bounds one message to the server.
	webWriteTimeout = 30 * time.Second
	// webReadLimit is the largest message taken from the server: an output
	// message is at most 32 KiB and its type byte.
	webReadLimit = 64 << 10
	// webPageLimit is the most of an HTTP answer that is read.
	webPageLimit = 256 << 10
)

// WebDialer opens students' sessions through classroomd's web bridge, as
// the browser's page does. Every Open is a new browser: its own
// connections and its own cookie.
type WebDialer struct {
	Base       *url.URL // the server's address: http(s)://host[:port] (see ParseWebURL)
	Password   string   // every user's
	Cols, Rows int
	Timeout    time.Duration // from the first TCP connect to the first frame
	TLS        *tls.Config   // for https: nil trusts the system's roots
	// ForwardedFor gives each user an address of their own in
	// X-Forwarded-For: 10.0.0.1, 10.0.0.2... in the order they first log
	// in, the same one for each of their logins. The server believes it
	// only from a proxy it trusts (classroomd serve --trusted-proxy
	// 127.0.0.1); then its per-address limits see a class of many
	// addresses instead of one.
	ForwardedFor bool

	mu    sync.Mutex
	addrs map[string]netip.Addr
}

// ParseWebURL reads the server's address for a WebDialer: http or https,
// a host and maybe a port, nothing else (no path: the page lives at the
// root; no user or password: they would be on a command line).
func ParseWebURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %w", s, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q: want http://HOST[:PORT] or https://HOST[:PORT]", s)
	case u.User != nil:
		return nil, fmt.Errorf("%q: no username or password in the URL (the password comes from the environment or a file)", u.Redacted())
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%q: no host", s)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return nil, fmt.Errorf("%q: only scheme://HOST[:PORT], without a path (classroomd's page is at the root)", s)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// HostPort is the address Base's connections go to.
func (d *WebDialer) HostPort() string {
	if d.Base.Port() != "" {
		return d.Base.Host
	}
	port := "80"
	if d.Base.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(d.Base.Hostname(), port)
}

// Open signs user in, opens the WebSocket, and waits until shown holds on
// the screen. The time returned runs from the start of the login form's
// TCP connect to the frame that made shown true.
func (d *WebDialer) Open(ctx context.Context, user string, shown func(*Screen) bool) (*Session, time.Duration, error) {
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	late := func(err error) error {
		if ctx.Err() == nil && dctx.Err() != nil {
			return fmt.Errorf("not done within %s of the TCP connect: %w", d.Timeout, err)
		}
		return err
	}
	hc := d.browser()
	defer hc.CloseIdleConnections()
	header := d.header(user)
	if err := d.signIn(dctx, hc, header, user); err != nil {
		kind := "login: web sign-in"
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			kind = "login: connect"
		}
		return nil, 0, &StepError{Kind: kind, Err: late(err)}
	}
	signedIn := time.Now()
	// The browser opens the socket on a connection of its own.
	hc.CloseIdleConnections()
	wsURL := *d.Base
	wsURL.Scheme = map[string]string{"http": "ws", "https": "wss"}[d.Base.Scheme]
	wsURL.Path = "/ws"
	c, resp, err := websocket.Dial(dctx, wsURL.String(), &websocket.DialOptions{HTTPClient: hc, HTTPHeader: header})
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("GET /ws: %s%s", resp.Status, pageReason(resp.Body, resp.Header))
		}
		return nil, 0, &StepError{Kind: "login: websocket", Err: late(err)}
	}
	s, exp, err := d.start(c, shown)
	if err != nil {
		c.CloseNow()
		return nil, 0, &StepError{Kind: "login: websocket", Err: err}
	}
	at, err := exp.Wait(ctx, max(d.Timeout-time.Since(start), time.Millisecond))
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, ErrClosed) {
			err = fmt.Errorf("not shown within %s of the TCP connect (signing in took %s)", d.Timeout, signedIn.Sub(start).Round(time.Millisecond))
		}
		err = &StepError{Kind: "login: first screen", Err: err, Screen: s.Term.Snapshot()}
		s.Close()
		return nil, 0, err
	}
	return s, at.Sub(start), nil
}

// browser is a new browser: no connection, no cookie; redirects are not
// followed (the login's answer is read as it is); no proxy from the
// environment.
func (d *WebDialer) browser() *http.Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	var tlsConf *tls.Config
	if d.TLS != nil {
		tlsConf = d.TLS.Clone()
	}
	return &http.Client{
		Jar: jar,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{}).DialContext,
			TLSClientConfig:     tlsConf,
			TLSHandshakeTimeout: d.Timeout,
			MaxIdleConnsPerHost: 1,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// header is what every request of user's browser carries.
func (d *WebDialer) header(user string) http.Header {
	h := http.Header{}
	h.Set("Origin", d.Base.String())
	h.Set("User-Agent", "classroom-load")
	if d.ForwardedFor {
		h.Set("X-Forwarded-For", d.forwardedFor(user).String())
	}
	return h
}

// forwardedFor is user's own address in 10.0.0.0/8.
func (d *WebDialer) forwardedFor(user string) netip.Addr {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.addrs[user]; ok {
		return a
	}
	if d.addrs == nil {
		d.addrs = map[string]netip.Addr{}
	}
	n := uint32(len(d.addrs)+1) & 0xffffff // 16 million students wrap around
	a := netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
	d.addrs[user] = a
	return a
}

// signIn posts the login form and loads the terminal page, as the browser
// does after the form's redirect. The session cookie lands in hc's jar.
func (d *WebDialer) signIn(ctx context.Context, hc *http.Client, header http.Header, user string) error {
	form := url.Values{"username": {user}, "password": {d.Password}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Base.JoinPath("/login").String(), strings.NewReader(form))
	if err != nil {
		return err
	}
	req.Header = header.Clone()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	reason := pageReason(resp.Body, resp.Header)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("POST /login: %s%s%s", resp.Status, reason, rateHint(resp.StatusCode, d.ForwardedFor))
	}
	if loc := resp.Header.Get("Location"); loc != "/term" {
		return fmt.Errorf("POST /login: %s to %q, want a redirect to /term", resp.Status, loc)
	}
	if len(hc.Jar.Cookies(d.Base)) == 0 {
		return fmt.Errorf("POST /login: %s without a session cookie this client may send back (an https cookie over http?)", resp.Status)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, d.Base.JoinPath("/term").String(), nil)
	if err != nil {
		return err
	}
	req.Header = header.Clone()
	req.Header.Del("Origin") // a navigation, not a form
	resp, err = hc.Do(req)
	if err != nil {
		return err
	}
	reason = pageReason(resp.Body, resp.Header)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if loc := resp.Header.Get("Location"); loc != "" {
			reason += fmt.Sprintf(" (to %q)", loc)
		}
		return fmt.Errorf("GET /term after signing in: %s%s", resp.Status, reason)
	}
	return nil
}

// rateHint explains a 429 from the server's per-address limits.
func rateHint(status int, forwarded bool) string {
	if status != http.StatusTooManyRequests {
		return ""
	}
	if forwarded {
		return " (the server's per-address limit: start classroomd with --trusted-proxy 127.0.0.1 so that each student's X-Forwarded-For address counts)"
	}
	return " (the server's per-address limit: every student comes from this one address)"
}

var alertPara = regexp.MustCompile(`(?s)<p class="message error"[^>]*>(.*?)</p>`)

// pageReason is the short reason an answer gives: the login page's error
// message, or a plain text body's first line; "" when there is none.
func pageReason(body io.Reader, h http.Header) string {
	b, _ := io.ReadAll(io.LimitReader(body, webPageLimit))
	var text string
	if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		if m := alertPara.FindSubmatch(b); m != nil {
			text = html.UnescapeString(string(m[1]))
		}
	} else {
		text, _, _ = strings.Cut(string(b), "\n")
	}
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return ""
	}
	if r := []rune(text); len(r) > 200 {
		text = string(r[:200]) + "…"
	}
	return fmt.Sprintf(": %q", text)
}

// start says the terminal's size (the first message the server waits for)
// and starts the pumps, with shown armed before any output is read, so that
// the first frame's arrival time is exact.
func (d *WebDialer) start(c *websocket.Conn, shown func(*Screen) bool) (*Session, *Expectation, error) {
	c.SetReadLimit(webReadLimit)
	w := &webConn{c: c, stop: make(chan struct{}), pinged: make(chan struct{})}
	if err := w.send(wsproto.ResizeMessage(d.Cols, d.Rows)); err != nil {
		return nil, nil, fmt.Errorf("send the terminal's size: %w", err)
	}
	s := &Session{Term: NewTerm(d.Cols, d.Rows, w), fed: make(chan struct{}), close: w.shut}
	exp, _ := s.Term.Expect(shown)
	go s.Term.Replies()
	go func() {
		defer close(s.fed)
		s.Term.Feed(w)
	}()
	go w.ping(webPingEvery)
	return s, exp, nil
}

// webConn is one page's socket: its reads are the terminal's output (pings
// answered, the close reason kept on the way), its writes the keys.
type webConn struct {
	c       *websocket.Conn
	pending []byte // the rest of the last output message (Feed's goroutine only)

	mu     sync.Mutex
	closed bool   // shut was called
	reason string // the server's close message: "4000 the workspace session ended"

	stop   chan struct{} // shut closes it: the pinger ends
	pinged chan struct{} // the pinger ended
}

// Read returns terminal output.
func (w *webConn) Read(p []byte) (int, error) {
	for len(w.pending) == 0 {
		typ, data, err := w.c.Read(context.Background()) // shut ends it
		if err != nil {
			return 0, w.ended(err)
		}
		if typ != websocket.MessageBinary || len(data) == 0 {
			w.c.Close(websocket.StatusPolicyViolation, "a message the page never gets")
			return 0, fmt.Errorf("the server sent a message the page does not understand (%s, %d bytes)", typ, len(data))
		}
		switch data[0] {
		case wsproto.Output:
			w.pending = data[1:]
		case wsproto.Ping:
			data[0] = wsproto.Pong
			if err := w.send(data); err != nil {
				return 0, w.ended(err)
			}
		case wsproto.Close:
			why := "(no reason given)"
			if code, reason, ok := wsproto.ParseClose(data); ok {
				why = fmt.Sprintf("%d %s", code, reason)
			}
			w.mu.Lock()
			w.reason = why
			w.mu.Unlock()
		}
		// Pongs, and any type this does not know, are ignored, as the page does.
	}
	n := copy(p, w.pending)
	w.pending = w.pending[n:]
	return n, nil
}

// ended says why the socket ended: io.EOF when it was closed here, else
// the server's reason when it gave one.
func (w *webConn) ended(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return io.EOF
	case w.reason != "":
		return fmt.Errorf("the server closed the connection: %s", w.reason)
	}
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return fmt.Errorf("the server closed the connection: %d %s", ce.Code, ce.Reason)
	}
	return err
}

// Write sends keys (or the emulator's replies) as one input message.
func (w *webConn) Write(p []byte) (int, error) {
	msg := make([]byte, 1+len(p))
	msg[0] = wsproto.Input
	copy(msg[1:], p)
	if err := w.send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *webConn) send(msg []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), webWriteTimeout)
	defer cancel()
	return w.c.Write(ctx, websocket.MessageBinary, msg)
}

// ping pings as the page does, until shut.
func (w *webConn) ping(every time.Duration) {
	defer close(w.pinged)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			if w.send([]byte{wsproto.Ping}) != nil {
				return
			}
		}
	}
}

// shut drops the connection (a closed laptop: no closing handshake) and
// waits for the pinger.
func (w *webConn) shut() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	w.c.CloseNow()
	<-w.pinged
}
