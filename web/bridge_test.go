package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"

	"github.com/classroomd/classroomd/internal/wsproto"
)

func TestBridgeRefusals(t *testing.T) {
	f := newFixture(t, nil)
	browser := f.login()
	for _, c := range []struct {
		name    string
		browser *http.Client
		origin  string
		status  int
	}{
		{"no cookie", f.client(), f.http.URL, http.StatusUnauthorized},
		{"a foreign origin", browser, "https://evil.example", http.StatusForbidden},
		{"no origin", browser, "", http.StatusForbidden},
	} {
		ws, resp, err := f.dialWS(c.browser, c.origin)
		if err == nil {
			ws.CloseNow()
			t.Errorf("/ws with %s was accepted", c.name)
			continue
		}
		if resp == nil || resp.StatusCode != c.status {
			t.Errorf("/ws with %s: %v, want HTTP %d", c.name, resp, c.status)
		}
	}
	if users, _, _, _ := f.ssh.snapshot(); len(users) != 0 {
		t.Errorf("refused connections reached the SSH server as %v", users)
	}

	// A page that does not start with its size is dropped.
	ws, _, err := f.dialWS(browser, f.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ws: ws}
	p.send([]byte{wsproto.Input, 'x'})
	if code := p.closeStatus(); code != websocket.StatusPolicyViolation {
		t.Errorf("input before the size: closed with %d, want %d", code, websocket.StatusPolicyViolation)
	}
}

// The page says how it draws figures; the bridge passes on one of the TUI's
// names, and "blocks" for anything else (#15).
func TestBridgeSaysHowThePageDrawsFigures(t *testing.T) {
	f := newFixture(t, nil)
	browser := f.login()
	for _, c := range []struct{ query, want string }{
		{"graphics=iterm2", "iterm2"},
		{"graphics=page", "page"},
		{"", "blocks"},                         // a page from before figures
		{"graphics=kitty", "blocks"},           // xterm.js has no kitty graphics
		{"graphics=iterm2%0Aevil=1", "blocks"}, // not a name
		{"graphics=ITERM2", "blocks"},          // names are exact
		{"graphics=" + strings.Repeat("x", 5000), "blocks"},
	} {
		_, before, _, _ := f.ssh.snapshot()
		ws, _, err := f.dialWSQuery(browser, f.http.URL, c.query)
		if err != nil {
			t.Fatalf("/ws?%s: %v", c.query, err)
		}
		p := &page{t: t, ws: ws}
		p.send(wsproto.ResizeMessage(80, 24))
		p.send([]byte("\x00ready"))
		p.readOutput("ready") // the session is open, its env sent
		ws.CloseNow()
		_, envs, _, _ := f.ssh.snapshot()
		var got []string
		for _, e := range envs[len(before):] {
			if v, ok := strings.CutPrefix(e, GraphicsEnv+"="); ok {
				got = append(got, v)
			}
		}
		if !slices.Equal(got, []string{c.want}) {
			t.Errorf("/ws?%.40s: the bridge sent %s=%q, want %q", c.query, GraphicsEnv, got, c.want)
		}
	}
}

func TestBridgeConnectRateLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.ConnectRate = Rate{Burst: 2, Every: time.Hour} })
	browser := f.login()
	for i := range 2 {
		ws, _, err := f.dialWS(browser, f.http.URL)
		if err != nil {
			t.Fatalf("connection %d within the limit: %v", i+1, err)
		}
		ws.CloseNow()
	}
	if _, resp, err := f.dialWS(browser, f.http.URL); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a third connection within the hour: %v %v, want 429", resp, err)
	}
}

func TestBridgeCarriesTheTerminal(t *testing.T) {
	f := newFixture(t, nil)
	p := f.openPage(100, 30)
	p.send([]byte("\x00hello, ünïcode"))
	p.readOutput("hello, ünïcode")

	users, envs, ptys, _ := f.ssh.snapshot()
	if !slices.Equal(users, []string{"alice"}) {
		t.Errorf("the SSH server saw logins %v, want alice's", users)
	}
	if !slices.Contains(envs, "COLORTERM=truecolor") {
		t.Errorf("the bridge sent env %v, want COLORTERM=truecolor", envs)
	}
	if len(ptys) != 1 || ptys[0] != (ptyRequest{"xterm-256color", 100, 30}) {
		t.Errorf("pty requests %v, want one xterm-256color 100x30", ptys)
	}

	// Resizes become window changes, except an empty size; ping is answered.
	p.send(wsproto.ResizeMessage(0, 0))
	p.send(wsproto.ResizeMessage(0, 40))
	p.send(wsproto.ResizeMessage(5000, 40)) // clamped
	p.send(wsproto.ResizeMessage(120, 40))
	p.send([]byte{wsproto.Ping, 7, 8})
	for {
		msg, err := p.read()
		if err != nil {
			t.Fatal(err)
		}
		if msg[0] == wsproto.Pong {
			if !bytes.Equal(msg, []byte{wsproto.Pong, 7, 8}) {
				t.Errorf("pong %v, want the ping's payload back", msg)
			}
			break
		}
	}
	var resizes [][2]uint32
	waitUntil(t, "two window changes", func() bool { _, _, _, resizes = f.ssh.snapshot(); return len(resizes) >= 2 })
	if !slices.Equal(resizes, [][2]uint32{{maxCols, 40}, {120, 40}}) {
		t.Errorf("window changes %v, want [[%d 40] [120 40]] (never an empty size)", resizes, maxCols)
	}

	// An unknown message type ends the connection.
	p.send([]byte{99})
	if code := p.closeStatus(); code != websocket.StatusPolicyViolation {
		t.Errorf("an unknown message: closed with %d, want %d", code, websocket.StatusPolicyViolation)
	}
}

func TestBridgeSaysWhenTheSessionEnded(t *testing.T) {
	f := newFixture(t, nil)
	f.ssh.session = func(ch gossh.Channel) {
		io.WriteString(ch, "bye\r\n")
	}
	p := f.openPage(80, 24)
	p.readOutput("bye")
	if code := p.closeStatus(); code != closeEnded {
		t.Errorf("after the workspace ended: closed with %d, want %d", code, closeEnded)
	}
}

func TestBridgeEndsWhenTheBrowserSessionDoes(t *testing.T) {
	f := newFixture(t, nil)
	f.web.recheckEvery = 20 * time.Millisecond
	p := f.openPage(80, 24)
	p.send([]byte("\x00ping"))
	p.readOutput("ping")
	// Disabling alice (or a logout in another tab) revokes the browser session.
	if err := f.accounts.SetDisabled(context.Background(), accounts.Actor{Name: "cli:test", Remote: "local"}, "alice", true); err != nil {
		t.Fatal(err)
	}
	if code := p.closeStatus(); code != closeSignedOut {
		t.Errorf("after the session was revoked: closed with %d, want %d", code, closeSignedOut)
	}
}

func TestCloseEndsEveryBridge(t *testing.T) {
	f := newFixture(t, nil)
	p := f.openPage(80, 24)
	p.send([]byte("\x00x"))
	p.readOutput("x")
	before := runtime.NumGoroutine()
	done := make(chan struct{})
	go func() { f.web.Close(); close(done) }()
	if code := p.closeStatus(); code != websocket.StatusGoingAway {
		t.Errorf("on Close: closed with %d, want %d (going away: the page reconnects)", code, websocket.StatusGoingAway)
	}
	select {
	case <-done:
	case <-time.After(waitDeadline):
		t.Fatal("Close did not return")
	}
	waitUntil(t, "the bridge's goroutines to end", func() bool { return runtime.NumGoroutine() < before })
	if _, resp, err := f.dialWS(f.login(), f.http.URL); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/ws after Close: %v %v, want 503", resp, err)
	}
}

// flood makes the fake workspace write total bytes as fast as it can and
// counts what it got written.
func flood(f *fixture, total int) (written *atomic.Int64, done chan struct{}) {
	written, done = &atomic.Int64{}, make(chan struct{})
	f.ssh.session = func(ch gossh.Channel) {
		defer close(done)
		chunk := bytes.Repeat([]byte("x"), 16<<10)
		for written.Load() < int64(total) {
			n, err := ch.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}
	return written, done
}

// stalls waits until written stops growing, and returns where it stopped.
func stalls(t *testing.T, written *atomic.Int64) int64 {
	t.Helper()
	last, still := int64(-1), 0
	waitUntil(t, "output to stop while the browser is behind", func() bool {
		n := written.Load()
		if n == last && n > 0 {
			still++
		} else {
			last, still = n, 0
		}
		return still >= 40 // unchanged for 40 polls in a row
	})
	return last
}

// readAll reads output until n bytes have arrived.
func (p *page) readAll(n int64) {
	p.t.Helper()
	var got int64
	for got < n {
		msg, err := p.read()
		if err != nil {
			p.t.Fatalf("after %d of %d bytes: %v", got, n, err)
		}
		if msg[0] == wsproto.Output {
			got += int64(len(msg) - 1)
		}
	}
}

func TestBridgePausesWhenThePageAsks(t *testing.T) {
	f := newFixture(t, nil)
	const total = 64 << 20
	written, done := flood(f, total)
	p := f.openPage(80, 24)
	p.send([]byte{wsproto.Pause})
	// The page reads everything that comes, so only the pause can hold the
	// workspace up: it may then be ahead of the page by its SSH window (2 MiB)
	// and one message, no more.
	var read atomic.Int64
	readerDone := make(chan error, 1)
	go func() {
		for read.Load() < total {
			_, msg, err := p.ws.Read(context.Background())
			if err != nil {
				readerDone <- err
				return
			}
			if msg[0] == wsproto.Output {
				read.Add(int64(len(msg) - 1))
			}
		}
		readerDone <- nil
	}()
	at := stalls(t, written)
	t.Logf("paused: the workspace stopped after %d KiB, %d KiB ahead of the page", at>>10, (at-read.Load())>>10)
	if ahead := at - read.Load(); ahead > 3<<20 {
		t.Errorf("paused, the workspace got %d KiB ahead of the page; want at most its SSH window and one message", ahead>>10)
	}
	p.send([]byte{wsproto.Resume})
	select {
	case err := <-readerDone:
		if err != nil {
			t.Fatalf("after resume: %v", err)
		}
	case <-time.After(waitDeadline):
		t.Fatalf("after resume the page got %d of %d bytes", read.Load(), total)
	}
	<-done
}

func TestSlowBrowserDoesNotGrowMemory(t *testing.T) {
	f := newFixture(t, nil)
	const total = 256 << 20
	written, done := flood(f, total)
	p := f.openPage(80, 24)
	// The page reads nothing: TCP fills, the bridge's write blocks, it stops
	// reading the channel, and the channel's window stops the workspace.
	at := stalls(t, written)
	t.Logf("a page that reads nothing: the workspace stopped after %d KiB", at>>10)
	if at > 48<<20 {
		t.Errorf("with a browser that reads nothing the workspace wrote %d MiB; want it held up by the window and socket buffers", at>>20)
	}
	p.readAll(total)
	<-done
}
