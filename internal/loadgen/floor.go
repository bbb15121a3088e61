package loadgen

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Floor is OpenSSH's sshd on a loopback port whose every session is a bare
// `python3 -i` (ForceCommand): the least any server can do for a student
// typing into Python over SSH. Its echo is the floor classroomd's is
// compared with.
type Floor struct {
	Addr   string
	User   string // the local user the sessions run as: the one running this, or floorLogin for root
	Signer ssh.Signer
	PID    int

	cmd    *exec.Cmd
	dir    string
	stderr *syncBuffer
	done   chan struct{}
}

// StartFloor writes a host key, a client key and a config into a new
// temporary folder and starts sshdPath (-D, in the foreground) on a free
// loopback port. Stop ends it and removes the folder.
func StartFloor(ctx context.Context, sshdPath, python string) (_ *Floor, err error) {
	if _, err := os.Stat(sshdPath); err != nil {
		return nil, fmt.Errorf("the floor needs OpenSSH's server at %s (Debian: apt-get install openssh-server; or give --sshd): %w", sshdPath, err)
	}
	me, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("who runs this: %w", err)
	}
	login := me.Username
	if os.Geteuid() == 0 {
		if login, err = floorUser(ctx); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "classroom-floor-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	hostKey := filepath.Join(dir, "host_ed25519")
	if _, err := writeKey(hostKey); err != nil {
		return nil, err
	}
	clientPriv, err := writeKey(filepath.Join(dir, "client_ed25519"))
	if err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(clientPriv)
	if err != nil {
		return nil, err
	}
	authorized := filepath.Join(dir, "authorized_keys")
	// sshd reads it as the session's user: readable by all (a public key),
	// in a folder all may enter (the private keys in it stay 0600).
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		return nil, err
	}
	if err := os.Chmod(authorized, 0o644); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfg, []byte(floorConfig(port, dir, hostKey, authorized, login, python)), 0o600); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// sshd's privilege separation folder, which a distribution's service
		// unit makes at boot; sshd refuses to start without it.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			return nil, fmt.Errorf("make /run/sshd for sshd: %w", err)
		}
	}
	f := &Floor{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), User: login, Signer: signer,
		dir: dir, stderr: &syncBuffer{}, done: make(chan struct{})}
	// sshd re-executes itself, so it needs its absolute path.
	f.cmd = exec.Command(sshdPath, "-D", "-e", "-f", cfg)
	f.cmd.Stderr = f.stderr
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", sshdPath, err)
	}
	f.PID = f.cmd.Process.Pid
	go func() {
		_ = f.cmd.Wait()
		close(f.done)
	}()
	if err := f.waitListening(ctx, 10*time.Second); err != nil {
		f.Stop()
		return nil, err
	}
	return f, nil
}

// floorLogin is the account the floor's sessions run as when this runs as
// root. Not root itself: sshd runs a session's command through the user's
// shell, and root's bash here reads ~/.bashrc even then (pyenv's setup:
// about 100 processes per login, see FINDINGS), a cost no student's login
// has. A system account with /bin/sh and no home costs what a plain account
// does.
const floorLogin = "classroomfloor"

// floorUser makes sure floorLogin exists, with /bin/sh and a password field
// that is not locked (OpenSSH refuses a locked account even for key logins).
func floorUser(ctx context.Context) (string, error) {
	if _, err := user.Lookup(floorLogin); err != nil {
		out, err := exec.CommandContext(ctx, "useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
			"--shell", "/bin/sh", "--comment", "classroom-load's floor (OpenSSH + python3)", floorLogin).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("make the floor's account %s: %v: %s", floorLogin, err, bytes.TrimSpace(out))
		}
	}
	if out, err := exec.CommandContext(ctx, "usermod", "-p", "*", "--shell", "/bin/sh", floorLogin).CombinedOutput(); err != nil {
		return "", fmt.Errorf("unlock the floor's account %s: %v: %s", floorLogin, err, bytes.TrimSpace(out))
	}
	return floorLogin, nil
}

func floorConfig(port int, dir, hostKey, authorized, user, python string) string {
	root := "no"
	if user == "root" {
		root = "prohibit-password"
	}
	return fmt.Sprintf(`# The load generator's floor: a bare Python REPL per session.
ListenAddress 127.0.0.1:%d
HostKey %s
PidFile %s
AuthorizedKeysFile %s
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin %s
AllowUsers %s
MaxStartups 4000
MaxSessions 4
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
LogLevel ERROR
SetEnv PYTHON_BASIC_REPL=1
ForceCommand %s -i
`, port, hostKey, filepath.Join(dir, "sshd.pid"), authorized, root, user, python)
}

// waitListening waits until sshd accepts a TCP connection, or fails with
// what it said if it exits first.
func (f *Floor) waitListening(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", f.Addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-f.done:
			return fmt.Errorf("sshd exited at start: %s", bytes.TrimSpace(f.stderr.Bytes()))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sshd did not listen on %s within %s: %s", f.Addr, timeout, bytes.TrimSpace(f.stderr.Bytes()))
		}
	}
}

// Stop ends sshd (and with it every session it still has) and removes its
// folder.
func (f *Floor) Stop() {
	// The per-connection sshd processes (each in a session of its own) and
	// their Pythons, then sshd itself.
	for _, p := range descendants(f.PID) {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	_ = syscall.Kill(-f.PID, syscall.SIGTERM)
	select {
	case <-f.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-f.PID, syscall.SIGKILL)
		<-f.done
	}
	os.RemoveAll(f.dir)
}

// Log is what sshd wrote to its standard error.
func (f *Floor) Log() string { return f.stderr.String() }

// writeKey writes a new ed25519 private key in OpenSSH's format.
func writeKey(path string) (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	return priv, os.WriteFile(path, pem.EncodeToMemory(block), 0o600)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("find a free loopback port: not a TCP address")
	}
	return addr.Port, nil
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

func (s *syncBuffer) String() string { return string(s.Bytes()) }
