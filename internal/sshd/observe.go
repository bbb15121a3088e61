package sshd

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"charm.land/ssh"

	"github.com/classroomd/classroomd/internal/metrics"
)

// What an operator sees of a session: a short random id on every log line of
// its connection (from the password check to the session's end), and
// metrics: sessions open by transport, and keystroke latency.

// keySessionID holds a connection's id (a string) in its context.
const keySessionID ctxKey = "classroomd.session-id"

// LogKeySessionID is the log attribute that carries the id. (Not "session":
// the web bridge logs its browser session's number under that.)
const LogKeySessionID = "session_id"

// newSessionID returns 10 random base32 characters (50 bits): short enough
// to read and type into a log search, unique enough for a term's sessions.
func newSessionID() string { return rand.Text()[:10] }

// tagSession gives a new connection its id. admitConn calls it.
func tagSession(ctx ssh.Context) { ctx.SetValue(keySessionID, newSessionID()) }

// SessionID returns the id of ctx's connection ("" outside a connection).
func SessionID(ctx context.Context) string {
	id, _ := ctx.Value(keySessionID).(string)
	return id
}

// logFor is the server's logger with ctx's session id on every line.
func (s *Server) logFor(ctx context.Context) *slog.Logger {
	if id := SessionID(ctx); id != "" {
		return s.log.With(LogKeySessionID, id)
	}
	return s.log
}

// maxKeystroke is the longest wait from input to output that still counts
// as the answer to that input: a key with no visible effect (a key a dialog
// ignores, an arrow at the end of a list) is answered by no frame, and the
// next frame, caused by something else, is not its latency. (A key that
// changes the screen is drawn at once, or within 1/120 s of the last frame,
// unless the server is in real trouble.)
const maxKeystroke = time.Second

// keystrokeMeter sits between a terminal session and its Bubble Tea
// program: it times each read of input to the next write of output (the
// frame that shows the key's effect) into m. Reads that arrive while one is
// waiting for its frame are timed from the first of them.
type keystrokeMeter struct {
	in      io.Reader
	out     io.Writer
	m       *metrics.Metrics
	now     func() time.Time
	pending atomic.Int64 // unix nanoseconds of the first unanswered read; 0: none
}

func newKeystrokeMeter(in io.Reader, out io.Writer, m *metrics.Metrics) *keystrokeMeter {
	return &keystrokeMeter{in: in, out: out, m: m, now: time.Now}
}

func (k *keystrokeMeter) Read(p []byte) (int, error) {
	n, err := k.in.Read(p)
	if n > 0 {
		k.pending.CompareAndSwap(0, k.now().UnixNano())
	}
	return n, err
}

func (k *keystrokeMeter) Write(p []byte) (int, error) {
	t := k.pending.Swap(0)
	n, err := k.out.Write(p)
	if t != 0 && err == nil {
		if d := k.now().Sub(time.Unix(0, t)); d >= 0 && d <= maxKeystroke {
			k.m.Keystroke(d)
		}
	}
	return n, err
}
