package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Dialer opens students' SSH sessions with a terminal.
type Dialer struct {
	Addr    string
	Auth    func(user string) []ssh.AuthMethod
	HostKey *HostKeyPin
	// HostKeyCallback, when set, checks the server's key instead of HostKey.
	HostKeyCallback ssh.HostKeyCallback
	Cols, Rows      int
	Timeout         time.Duration // for the TCP connect plus the SSH handshake and login
}

func (d *Dialer) hostKeyCallback() ssh.HostKeyCallback {
	if d.HostKeyCallback != nil {
		return d.HostKeyCallback
	}
	return d.HostKey.Check
}

// Session is one logged-in terminal (an SSH session on a pty, or the
// browser's WebSocket bridge), its output feeding Term.
type Session struct {
	Term  *Term
	close func()        // ends the connection, so that Term.Feed returns
	fed   chan struct{} // Term.Feed returned
}

// Open connects as user, requests a pty and a shell, and waits until
// shown holds on the screen. It returns the session and how long that took
// from the start of the TCP connect.
func (d *Dialer) Open(ctx context.Context, user string, shown func(*Screen) bool) (*Session, time.Duration, error) {
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", d.Addr)
	if err != nil {
		return nil, 0, &StepError{Kind: "login: connect", Err: err}
	}
	// The handshake and login must end by the deadline too.
	_ = conn.SetDeadline(start.Add(d.Timeout))
	stop := context.AfterFunc(dctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	cc, chans, reqs, err := ssh.NewClientConn(conn, d.Addr, &ssh.ClientConfig{
		User: user, Auth: d.Auth(user), HostKeyCallback: d.hostKeyCallback(), Timeout: d.Timeout,
	})
	stop()
	if err != nil {
		conn.Close()
		if ctx.Err() == nil && time.Since(start) >= d.Timeout {
			err = fmt.Errorf("not done within %s of the TCP connect: %w", d.Timeout, err)
		}
		return nil, 0, &StepError{Kind: "login: ssh handshake or authentication", Err: err}
	}
	_ = conn.SetDeadline(time.Time{})
	loggedIn := time.Now()
	client := ssh.NewClient(cc, chans, reqs)
	s, exp, err := d.start(client, shown)
	if err != nil {
		client.Close()
		return nil, 0, &StepError{Kind: "login: session", Err: err}
	}
	at, err := exp.Wait(ctx, max(d.Timeout-time.Since(start), time.Millisecond))
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, ErrClosed) {
			err = fmt.Errorf("not shown within %s of the TCP connect (the handshake and login took %s)", d.Timeout, loggedIn.Sub(start).Round(time.Millisecond))
		}
		err = &StepError{Kind: "login: first screen", Err: err, Screen: s.Term.Snapshot()}
		s.Close()
		return nil, 0, err
	}
	return s, at.Sub(start), nil
}

// start opens the session with shown armed before the shell starts, so
// that the first frame's arrival time is exact.
func (d *Dialer) start(client *ssh.Client, shown func(*Screen) bool) (*Session, *Expectation, error) {
	sess, err := client.NewSession()
	if err != nil {
		return nil, nil, fmt.Errorf("open a session: %w", err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
	if err := sess.RequestPty("xterm-256color", d.Rows, d.Cols, modes); err != nil {
		return nil, nil, fmt.Errorf("request a pty: %w", err)
	}
	s := &Session{Term: NewTerm(d.Cols, d.Rows, stdin), fed: make(chan struct{}), close: func() {
		_ = sess.Close()
		_ = client.Close()
	}}
	exp, _ := s.Term.Expect(shown)
	go s.Term.Replies()
	go func() {
		defer close(s.fed)
		s.Term.Feed(stdout)
	}()
	if err := sess.Shell(); err != nil {
		s.Close()
		return nil, nil, fmt.Errorf("start the shell: %w", err)
	}
	return s, exp, nil
}

// Close ends the session and the connection (as a closed laptop does) and
// waits for its goroutines.
func (s *Session) Close() {
	s.close()
	<-s.fed
	s.Term.Close()
}

// HostKeyPin accepts the first host key it sees and then only that one:
// every student of a run talks to the same server.
type HostKeyPin struct {
	mu  sync.Mutex
	key []byte
}

// Check is an ssh.HostKeyCallback.
func (p *HostKeyPin) Check(_ string, _ net.Addr, key ssh.PublicKey) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := key.Marshal()
	if p.key == nil {
		p.key = b
		return nil
	}
	if !bytes.Equal(p.key, b) {
		return errors.New("the server's host key changed during the run")
	}
	return nil
}

// StepError is a step of the script that failed, by kind (what the report
// counts), with the screen at that moment when there was one.
type StepError struct {
	Kind   string
	Err    error
	Screen string
}

func (e *StepError) Error() string { return e.Kind + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }
