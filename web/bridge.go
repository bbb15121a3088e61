package web

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"

	"github.com/classroomd/classroomd/internal/wsproto"
)

// The /ws protocol is internal/wsproto's: term.js speaks the other end.

// WebSocket close codes the page acts on (4000-4999 are the application's).
const (
	closeEnded     websocket.StatusCode = 4000 // the workspace session ended (the student quit): do not reconnect by itself
	closeSignedOut websocket.StatusCode = 4001 // the browser session ended: go to the login page
)

const (
	// firstMessageTimeout is how long the page has to say its terminal size.
	firstMessageTimeout = 10 * time.Second
	// readTimeout closes a connection the browser stopped talking on; the
	// page pings every 20 seconds (a background tab may be slowed to one a minute).
	readTimeout = 2 * time.Minute
	// writeTimeout closes a connection whose browser stopped reading.
	writeTimeout = 30 * time.Second
	// recheckEvery is how often a live bridge checks that its browser session
	// is still valid (logout elsewhere, disabled account, password change).
	recheckEvery = time.Minute
	// maxMessage bounds one message from the browser (the page sends pastes in
	// pieces of at most 32 KiB).
	maxMessage = 64 << 10
	// outputChunk is the most output one message carries, and all the bridge
	// holds of it: when the browser is slow, the bridge stops reading the SSH
	// channel, whose window then stops the server.
	outputChunk = 32 << 10
	// Terminal sizes beyond these are not a screen.
	maxCols, maxRows = 1000, 500
)

// handleWS checks the request, upgrades it and bridges it to an SSH session.
func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	remote := s.clientAddr(r)
	if !s.sameOrigin(r) {
		s.log.Warn("websocket refused: foreign origin", "remote", remote.String(), "origin", accounts.Printable(r.Header.Get("Origin")))
		http.Error(w, "This connection may only come from this server's own page.", http.StatusForbidden)
		return
	}
	if !s.connectLimit.allow(remote.Addr(), time.Now()) {
		s.log.Warn("websocket refused: rate limit", "remote", remote.String())
		w.Header().Set("Retry-After", "10")
		http.Error(w, "Too many connections from your network; the page tries again by itself.", http.StatusTooManyRequests)
		return
	}
	sess, err := s.session(r)
	if errors.Is(err, accounts.ErrNoWebSession) {
		http.Error(w, "Sign in first.", http.StatusUnauthorized)
		return
	} else if err != nil {
		s.log.Error("websocket refused: session check failed", "err", err)
		http.Error(w, msgUnavailable, http.StatusServiceUnavailable)
		return
	}
	select {
	case <-s.ctx.Done():
		http.Error(w, "The server is restarting; the page tries again by itself.", http.StatusServiceUnavailable)
		return
	default:
	}
	s.bridges.Add(1)
	defer s.bridges.Done()

	// The Origin was checked above, reverse proxies included.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered the request
	}
	c.SetReadLimit(maxMessage)
	b := &bridgeConn{
		srv: s, ws: c, token: s.token(r), user: sess.User.Username, session: sess.ID,
		remote: net.TCPAddrFromAddrPort(remote), graphics: pageGraphics(r.URL.Query().Get("graphics")),
	}
	b.run()
}

// bridgeConn is one browser tab's connection.
type bridgeConn struct {
	srv     *Server
	ws      *websocket.Conn
	token   string
	user    string
	session int64
	remote  *net.TCPAddr
	// graphics is how the page draws figures (see pageGraphics).
	graphics string

	flow flow
}

// GraphicsEnv is the variable the bridge sets on its SSH session to say how
// the page draws figures (#15): "page" for its own overlay (an <img> of the
// PNG laid over the figure's rows, fetched once; internal/tui/figure/page.go),
// "iterm2" for xterm.js's image addon (iTerm2's inline images, OSC 1337, the
// PNG sent again at each move), "blocks" when it draws neither. The SSH server believes it on bridged
// connections only; the TUI's view then draws figures that way rather than
// asking the terminal (xterm.js answers no image query the TUI asks).
const GraphicsEnv = "CLASSROOMD_GRAPHICS"

// pageGraphics is what the page says it can draw (?graphics= on /ws), one
// of the TUI's own names, or "blocks" for anything else (an old page, a
// forged value): block pictures need nothing of the terminal.
func pageGraphics(v string) string {
	switch v {
	case "page", "iterm2", "sixel", "blocks", "off":
		return v
	}
	return "blocks"
}

// run bridges until either side ends, then closes both with a reason the page
// understands.
func (b *bridgeConn) run() {
	ctx, cancel := context.WithCancel(b.srv.ctx)
	defer cancel()
	log := b.srv.log.With("user", b.user, "remote", b.remote.String())

	cols, rows, err := b.firstSize(ctx)
	if err != nil {
		b.close(websocket.StatusPolicyViolation, "the page must send its terminal size first")
		return
	}
	client, sess, stdin, outputs, err := b.dial(cols, rows, b.graphics)
	if err != nil {
		log.Error("bridge: ssh session failed", "err", err)
		b.close(websocket.StatusInternalError, "the workspace could not be opened; the page tries again by itself")
		return
	}
	defer client.Close()
	log.Info("bridge open", "session", b.session, "cols", cols, "rows", rows)

	// The first of these to end decides how the WebSocket closes. The output
	// pumps end with the SSH session or with the WebSocket; the input pump
	// and the recheck report why they ended.
	type ending struct {
		code   websocket.StatusCode
		reason string
	}
	ends := make(chan ending, 2)
	var pumps, others sync.WaitGroup
	for _, out := range outputs {
		pumps.Go(func() { b.pumpOutput(ctx, out) })
	}
	pumped := make(chan struct{})
	go func() { pumps.Wait(); close(pumped) }()
	others.Go(func() {
		err := b.pumpInput(sess, stdin)
		if errors.Is(err, errBadMessage) {
			ends <- ending{websocket.StatusPolicyViolation, err.Error()}
			return
		}
		ends <- ending{websocket.StatusNormalClosure, ""}
	})
	others.Go(func() {
		if b.recheck(ctx) {
			ends <- ending{closeSignedOut, "signed out"}
		}
	})
	waited := make(chan struct{})
	go func() {
		sess.Wait() // the workspace ended (the student quit), or the connection did
		close(waited)
	}()

	restarting := ending{websocket.StatusGoingAway, "the server is restarting; the page reconnects by itself"}
	var end ending
	select {
	case <-waited:
		// The page gets the session's last output (its goodbye, or why it was
		// refused), then the reason.
		select {
		case <-pumped:
			end = ending{closeEnded, "the workspace session ended"}
		case end = <-ends:
		case <-ctx.Done():
			end = restarting
		}
	case end = <-ends:
	case <-ctx.Done():
		end = restarting
	}
	b.close(end.code, end.reason)
	cancel()
	client.Close() // ends the SSH session, its pipes and sess.Wait
	<-waited
	pumps.Wait()
	others.Wait()
	log.Info("bridge closed", "session", b.session, "why", end.reason)
}

// close ends the WebSocket, saying why twice: in a last message, and in the
// close frame. The page acts on the first it gets. The close frame alone is not
// enough: when the browser's own close crosses the server's, or the connection
// is reset, it is lost and the page sees only an abnormal close (1006).
func (b *bridgeConn) close(code websocket.StatusCode, reason string) {
	msg := wsproto.CloseMessage(uint16(code), reason)
	wctx, cancel := context.WithTimeout(context.Background(), time.Second)
	b.ws.Write(wctx, websocket.MessageBinary, msg) // best effort: the close frame follows
	cancel()
	b.ws.Close(code, reason)
}

// firstSize reads the page's first message, which must be its terminal size.
func (b *bridgeConn) firstSize(ctx context.Context) (cols, rows int, err error) {
	rctx, cancel := context.WithTimeout(context.Background(), firstMessageTimeout) // not ctx: see write
	defer cancel()
	typ, data, err := b.ws.Read(rctx)
	if err != nil {
		return 0, 0, err
	}
	cols, rows, ok := parseResize(typ, data)
	if !ok {
		return 0, 0, errBadMessage
	}
	return cols, rows, nil
}

var errBadMessage = errors.New("a message the page never sends")

// parseResize reads a resize message; ok is false for a malformed one or an
// empty size (which a terminal must ignore, RFC 4254 6.7).
func parseResize(typ websocket.MessageType, data []byte) (cols, rows int, ok bool) {
	if typ != websocket.MessageBinary {
		return 0, 0, false
	}
	cols, rows, ok = wsproto.ParseResize(data)
	if !ok || cols < 1 || rows < 1 {
		return 0, 0, false
	}
	return min(cols, maxCols), min(rows, maxRows), true
}

// dial opens the SSH session: a pty of the browser's size, true colour, the
// page's way of drawing figures, and the workspace (the shell request).
// outputs are its stdout and stderr.
func (b *bridgeConn) dial(cols, rows int, graphics string) (*gossh.Client, *gossh.Session, io.WriteCloser, []io.Reader, error) {
	conn, cfg, err := b.srv.opts.Dial(b.user, b.remote, b.session)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	cc, chans, reqs, err := gossh.NewClientConn(conn, "classroomd", cfg)
	if err != nil {
		conn.Close()
		return nil, nil, nil, nil, err
	}
	client := gossh.NewClient(cc, chans, reqs)
	fail := func(err error) (*gossh.Client, *gossh.Session, io.WriteCloser, []io.Reader, error) {
		client.Close()
		return nil, nil, nil, nil, err
	}
	sess, err := client.NewSession()
	if err != nil {
		return fail(err)
	}
	// xterm.js draws 24-bit colour; OpenSSH clients rarely say so, the bridge does.
	if err := sess.Setenv("COLORTERM", "truecolor"); err != nil {
		return fail(err)
	}
	if err := sess.Setenv(GraphicsEnv, graphics); err != nil {
		return fail(err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		return fail(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	stderr, err := sess.StderrPipe()
	if err != nil {
		return fail(err)
	}
	if err := sess.RequestPty("xterm-256color", rows, cols, gossh.TerminalModes{}); err != nil {
		return fail(err)
	}
	if err := sess.Shell(); err != nil {
		return fail(err)
	}
	return client, sess, stdin, []io.Reader{stdout, stderr}, nil
}

// pumpOutput copies terminal output to the browser, one read at a time: it
// reads the SSH channel only when the previous message is written and the
// page has not asked to pause, so a slow browser holds up the server's writes
// (through the channel's window), never the bridge's memory.
func (b *bridgeConn) pumpOutput(ctx context.Context, out io.Reader) {
	buf := make([]byte, 1+outputChunk)
	buf[0] = wsproto.Output
	for {
		if err := b.flow.wait(ctx); err != nil {
			return
		}
		n, err := out.Read(buf[1:])
		if n > 0 {
			if werr := b.write(buf[:1+n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// write sends one message. Its context is never the bridge's: coder/websocket
// drops the connection when an operation's context ends, even one that has
// just finished, and the bridge must still be able to say why it closes.
func (b *bridgeConn) write(msg []byte) error {
	wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return b.ws.Write(wctx, websocket.MessageBinary, msg)
}

// pumpInput carries the page's messages to the SSH session until the browser
// goes away or breaks the protocol.
func (b *bridgeConn) pumpInput(sess *gossh.Session, stdin io.Writer) error {
	for {
		// Not ctx (see write): the bridge closes the WebSocket, with a
		// reason, to stop this read.
		rctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		typ, data, err := b.ws.Read(rctx)
		cancel()
		if err != nil {
			return err
		}
		m, err := decodeMessage(typ, data)
		if err != nil {
			return err
		}
		switch m.kind {
		case wsproto.Input:
			if _, err := stdin.Write(m.payload); err != nil {
				return err
			}
		case wsproto.Resize:
			// Never 0x0: decodeMessage refuses an empty size, which would
			// otherwise reach the workspace as a collapsed screen.
			if m.cols > 0 {
				if err := sess.WindowChange(m.rows, m.cols); err != nil {
					return err
				}
			}
		case wsproto.Ping:
			data[0] = wsproto.Pong
			if err := b.write(data); err != nil {
				return err
			}
		case wsproto.Pause:
			b.flow.pause()
		case wsproto.Resume:
			b.flow.resume()
		}
	}
}

// message is one decoded message from the page.
type message struct {
	kind       byte
	payload    []byte // wsproto.Input's keys, wsproto.Ping's payload: a slice of the data read
	cols, rows int    // wsproto.Resize's size; 0 for a malformed or empty one (ignored)
}

// decodeMessage reads one WebSocket message from the page; errBadMessage for
// one the page never sends (text, empty, or of an unknown or server-only type).
func decodeMessage(typ websocket.MessageType, data []byte) (message, error) {
	if typ != websocket.MessageBinary || len(data) == 0 {
		return message{}, errBadMessage
	}
	m := message{kind: data[0], payload: data[1:]}
	switch m.kind {
	case wsproto.Input, wsproto.Ping, wsproto.Pong, wsproto.Pause, wsproto.Resume:
	case wsproto.Resize:
		m.payload = nil
		m.cols, m.rows, _ = parseResize(typ, data)
	default:
		return message{}, errBadMessage
	}
	return m, nil
}

// recheck checks the browser session now and then, and reports true when it
// has ended (logout in another tab, a disabled account, a password change).
// A store that cannot answer is not a reason to cut a student off.
func (b *bridgeConn) recheck(ctx context.Context) bool {
	t := time.NewTicker(b.srv.recheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		_, err := b.srv.opts.Sessions.WebSession(ctx, b.token)
		if errors.Is(err, accounts.ErrNoWebSession) {
			return true
		} else if err != nil && ctx.Err() == nil {
			b.srv.log.Warn("bridge: could not recheck the browser session", "user", b.user, "err", err)
		}
	}
}

// flow is the page's pause/resume state for output.
type flow struct {
	mu      sync.Mutex
	resumed chan struct{} // nil while not paused; closed on resume
}

func (f *flow) pause() {
	f.mu.Lock()
	if f.resumed == nil {
		f.resumed = make(chan struct{})
	}
	f.mu.Unlock()
}

func (f *flow) resume() {
	f.mu.Lock()
	if f.resumed != nil {
		close(f.resumed)
		f.resumed = nil
	}
	f.mu.Unlock()
}

// wait returns when output may flow, or with ctx's error.
func (f *flow) wait(ctx context.Context) error {
	f.mu.Lock()
	ch := f.resumed
	f.mu.Unlock()
	if ch == nil {
		return ctx.Err()
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
