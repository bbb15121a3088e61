package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Process is one running sandbox: its init, the student's program under it,
// the pty (or pipes) and the cgroup. Its methods are safe for concurrent use.
type Process struct {
	init *spawned // the init, as the spawner started it
	pty  *os.File // master; nil with pipes
	cg   *cgroup

	out     *tokenBucket  // output throttle; nil = none
	closing chan struct{} // closed by Close: wakes throttled readers and the quota watcher

	ctlMu sync.Mutex    // one request to the init at a time
	ctl   *os.File      // our end of the init's control socket
	ctlR  *bufio.Reader // replies

	quotaMu sync.Mutex
	usage   HomeUsage
	homeRO  bool          // the init reported the home read-only
	quotaCh chan struct{} // a token after each change of usage.Over

	done     chan struct{} // closed when the init has been reaped
	exitCode int
	waitErr  error
	copies   sync.WaitGroup // pipe copies from the sandbox, finished before done counts

	closeOnce sync.Once
	closeErr  error
}

// Start runs s.Command for one student in a new sandbox and returns once the
// program has been started (or with the reason it could not be). Cancelling
// ctx kills the sandbox, as exec.CommandContext does. The caller must Close
// the Process.
func Start(ctx context.Context, s Spec) (_ *Process, err error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	// Without root the sandbox is rootless: a user namespace of the
	// daemon's own, no per-student host uid, no cgroups (the Partial level).
	rootless := os.Geteuid() != 0
	if rootless && !rootlessWorks() {
		return nil, fmt.Errorf("%w: not running as root, and this host does not let an unprivileged user create namespaces (see classroomd sandbox check)", ErrUnavailable)
	}
	var layout cgroupLayout
	if !rootless {
		if layout, err = discoverCgroups(); err != nil {
			return nil, err
		}
	}

	// Everything opened for the child; closed in the parent once it runs.
	var childFiles []*os.File
	closeChildFiles := func() {
		for _, f := range childFiles {
			f.Close()
		}
		childFiles = nil
	}
	defer closeChildFiles()
	p := &Process{done: make(chan struct{}), closing: make(chan struct{}), quotaCh: make(chan struct{}, 1),
		out: newTokenBucket(s.Limits.OutputBytesPerSec, s.Limits.OutputBurstBytes)}
	defer func() {
		if err != nil {
			p.abort()
		}
	}()

	home, err := openHome(s.Home, s.UID, s.GID, rootless)
	if err != nil {
		return nil, err
	}
	childFiles = append(childFiles, home)
	if s.QuotaBytes > 0 {
		// Measured before the program runs: a home already over quota is
		// read-only from the start.
		p.checkQuota(s.Home, s.QuotaBytes, false)
	}
	var course *os.File
	if s.CourseDir != "" {
		fd, err := unix.Open(s.CourseDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open course folder %s: %w", s.CourseDir, err)
		}
		course = os.NewFile(uintptr(fd), s.CourseDir)
		childFiles = append(childFiles, course)
	}

	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer cfgW.Close()
	childFiles = append(childFiles, cfgR)
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer statusR.Close()
	childFiles = append(childFiles, statusW)
	ctlChild, err := p.controlSocket()
	if err != nil {
		return nil, err
	}
	childFiles = append(childFiles, ctlChild)

	extra := []*os.File{cfgR, statusW, home, ctlChild}
	if course != nil {
		extra = append(extra, course)
	}
	var stdio [3]*os.File
	if s.usesPipes() {
		if stdio, err = p.pipes(&s, &childFiles); err != nil {
			return nil, err
		}
	} else {
		master, slave, err := pty.Open()
		if err != nil {
			return nil, fmt.Errorf("open a pty: %w", err)
		}
		p.pty = master
		childFiles = append(childFiles, slave)
		rows, cols := s.Rows, s.Cols
		if rows == 0 || cols == 0 {
			rows, cols = 24, 80
		}
		if err := pty.Setsize(master, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
			return nil, fmt.Errorf("size the pty: %w", err)
		}
		// The student's own terminal, so that opening it by name works.
		// (Rootless, it is ours already, and ours is the student's uid.)
		if !rootless {
			if err := slave.Chown(s.UID, s.GID); err != nil {
				return nil, fmt.Errorf("give the pty to the student: %w", err)
			}
		}
		if err := slave.Chmod(0o620); err != nil {
			return nil, fmt.Errorf("give the pty to the student: %w", err)
		}
		stdio = [3]*os.File{slave, slave, slave}
	}

	var cg *cgroup
	if !rootless {
		if cg, err = newCgroup(layout, s.Username, s.Limits); err != nil {
			return nil, err
		}
	}
	p.cg = cg
	sys := &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID | syscall.CLONE_NEWNS |
			syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
		// Root inside is host root (the init needs it for the mounts and
		// keeps its capabilities across exec only if its uid is mapped);
		// the student's uid is itself. Nothing else is mapped, so no other
		// host uid exists inside.
		UidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: s.UID, HostID: s.UID, Size: 1}},
		GidMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: s.GID, HostID: s.GID, Size: 1}},
		GidMappingsEnableSetgroups: true,
		Credential:                 &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{}},
		Setsid:                     true,
		Setctty:                    p.pty != nil,
		Ctty:                       0,
		// Fires when the forking thread exits (golang/go#27505), i.e. at
		// the latest when the daemon dies; the cgroup kill covers the rest.
		Pdeathsig: syscall.SIGKILL,
	}
	if rootless {
		// The daemon's own uid and gid, the only ones it may map, appear
		// inside as the student's. The init keeps the capabilities it needs
		// for building the root as ambient ones (it is not uid 0 inside)
		// and drops them before it starts the program.
		a := sys
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: s.UID, HostID: os.Geteuid(), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: s.GID, HostID: os.Getegid(), Size: 1}}
		a.GidMappingsEnableSetgroups = false
		a.Credential = nil
		a.AmbientCaps = rootlessCaps
	}
	var cgroupDir *os.File
	if cg != nil && cg.v2 != "" {
		if cgroupDir, err = os.Open(cg.v2); err != nil {
			return nil, fmt.Errorf("open cgroup %s: %w", cg.v2, err)
		}
		childFiles = append(childFiles, cgroupDir)
	}
	// Not exec.Cmd: see spawner_linux.go for why the daemon does not fork
	// the init itself. Nothing of the daemon's environment reaches it; one
	// P is plenty for an init and keeps its threads (which pids.max
	// counts) few.
	files := append([]*os.File{stdio[0], stdio[1], stdio[2]}, extra...)
	child, err := spawn(ctx, []string{"classroomd-sandbox", initMarker}, []string{"GOMAXPROCS=1"}, files, cgroupDir, sys)
	if err != nil {
		if rootless && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.ENOSPC)) {
			return nil, fmt.Errorf("%w: an unprivileged user may not create namespaces here: %v", ErrUnavailable, err)
		}
		return nil, fmt.Errorf("start the sandbox: %w", err)
	}
	p.init = child
	closeChildFiles()
	go p.wait()

	// The init waits for its configuration; send it only once the init is
	// in every v1 cgroup, so no student code ever runs outside them.
	if cg != nil {
		if err := cg.addV1(child.pid); err != nil {
			return nil, err
		}
	}
	cfg := initConfig{
		Username:     s.Username,
		UID:          s.UID,
		GID:          s.GID,
		Command:      s.command(),
		Env:          s.Env,
		HomePath:     s.Home,
		HomeReadOnly: p.homeRO,
		HasCourse:    course != nil,
		CoursePath:   s.CourseDir,
		Files:        s.Files,
		Pty:          p.pty != nil,
		Limits:       s.Limits,
		Rootless:     rootless,
		Landlock:     min(landlockABI(), 6),
		Seccomp:      seccompAvailable(),
	}
	if err := json.NewEncoder(cfgW).Encode(&cfg); err != nil {
		return nil, fmt.Errorf("configure the sandbox: %w", err)
	}
	cfgW.Close()

	// Wait for "ok" (the program runs) or the init's reason for failing.
	status := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(io.LimitReader(statusR, 4096)).ReadString('\n')
		status <- strings.TrimSpace(line)
	}()
	select {
	case line := <-status:
		if line != "ok" {
			if msg, ok := strings.CutPrefix(line, "error: "); ok {
				return nil, fmt.Errorf("sandbox for %s: %s", s.Username, msg)
			}
			<-p.done
			return nil, fmt.Errorf("sandbox for %s: the init exited before starting the program (status %d, %v)", s.Username, p.exitCode, p.waitErr)
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	go func() {
		select {
		case <-ctx.Done():
			p.Kill()
		case <-p.done:
		}
	}()
	if s.QuotaBytes > 0 {
		every := s.QuotaCheckEvery
		if every == 0 {
			every = DefaultQuotaCheckEvery
		}
		go p.watchQuota(s.Home, s.QuotaBytes, every)
	}
	return p, nil
}

// rootlessCaps are the capabilities (in its own user namespace) a rootless
// init keeps across its exec: mounts, pivot_root and the hostname need
// CAP_SYS_ADMIN; signalling and limiting the program's processes need no
// more, as they have the init's uid.
var rootlessCaps = []uintptr{unix.CAP_SYS_ADMIN}

// rootlessWorks reports whether this host lets an unprivileged user create
// user namespaces, as far as the usual switches say (Probe's trial sandbox
// is the real test).
func rootlessWorks() bool {
	for _, f := range []struct {
		path string
		bad  string
	}{
		{"/proc/sys/user/max_user_namespaces", "0"},
		{"/proc/sys/kernel/unprivileged_userns_clone", "0"},             // Debian, Ubuntu
		{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"}, // Ubuntu 23.10+
	} {
		if b, err := os.ReadFile(f.path); err == nil && strings.TrimSpace(string(b)) == f.bad {
			return false
		}
	}
	return true
}

// controlSocket makes the socket pair over which the daemon asks the init
// to act inside the sandbox (see serveControl). It returns the init's end.
func (p *Process) controlSocket() (*os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// Non-blocking, so that our end takes deadlines.
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, fmt.Errorf("control socket: %w", err)
	}
	p.ctl = os.NewFile(uintptr(fds[0]), "sandbox-control")
	p.ctlR = bufio.NewReader(io.LimitReader(p.ctl, 1<<20))
	return os.NewFile(uintptr(fds[1]), "sandbox-control-init"), nil
}

// request sends one request to the init and returns its reply.
func (p *Process) request(req string) (string, error) {
	p.ctlMu.Lock()
	defer p.ctlMu.Unlock()
	p.ctl.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(p.ctl, req+"\n"); err != nil {
		return "", fmt.Errorf("ask the sandbox's init (%s): %w", req, err)
	}
	line, err := p.ctlR.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("ask the sandbox's init (%s): %w", req, err)
	}
	line = strings.TrimSpace(line)
	if msg, ok := strings.CutPrefix(line, "error: "); ok {
		return "", fmt.Errorf("sandbox's init (%s): %s", req, msg)
	}
	return line, nil
}

// watchQuota measures the home every so often until the sandbox ends.
func (p *Process) watchQuota(home string, quota int64, every time.Duration) {
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-p.done:
			return
		case <-p.closing:
			return
		}
		took := p.checkQuota(home, quota, true)
		// A check should cost at most ~5% of the daemon's time.
		t.Reset(max(every, 20*took))
	}
}

// checkQuota measures the home, makes it read-only or writable as needed
// (through the init when running, else Start mounts it so), records the
// result and tells QuotaChanged's reader when Over changes. It returns how
// long the measurement took.
func (p *Process) checkQuota(home string, quota int64, running bool) time.Duration {
	t0 := time.Now()
	used, err := homeUsage(home)
	took := time.Since(t0)
	over := err != nil || used > quota

	p.quotaMu.Lock()
	homeRO := p.homeRO
	p.quotaMu.Unlock()
	if !running {
		homeRO = over // Start mounts it so
	} else if over != homeRO {
		req := ctlHomeRW
		if over {
			req = ctlHomeRO
		}
		reply, rerr := p.request(req)
		switch {
		case rerr != nil:
			if err == nil {
				err = rerr
			}
		case reply == "ok":
			homeRO = over
		case reply == "busy":
			// A file is open for writing; file writes are blocked by
			// RLIMIT_FSIZE meanwhile. Try again at the next check.
		}
	}

	p.quotaMu.Lock()
	changed := p.usage.Over != over
	p.homeRO = homeRO
	p.usage = HomeUsage{Bytes: used, QuotaBytes: quota, Over: over, Checked: time.Now(), Err: err}
	p.quotaMu.Unlock()
	if changed {
		select {
		case p.quotaCh <- struct{}{}:
		default:
		}
	}
	return took
}

// HomeUsage reports the last measurement of the home (the zero value when
// Spec.QuotaBytes is 0).
func (p *Process) HomeUsage() HomeUsage {
	p.quotaMu.Lock()
	defer p.quotaMu.Unlock()
	return p.usage
}

// QuotaChanged yields a value after the home went over its quota or back
// under it (HomeUsage says which): the moment to tell the student. A
// change not yet received is kept (one at most); a sandbox whose home is
// already over quota at Start has one waiting.
func (p *Process) QuotaChanged() <-chan struct{} { return p.quotaCh }

// openHome opens the home for binding into the sandbox. The directory itself
// must belong to the student; a home still owned by root (as freshly made)
// is given to them, any other owner is refused (two students must never
// share a uid or a home). Rootless, every home belongs to the daemon's uid.
func openHome(path string, uid, gid int, rootless bool) (*os.File, error) {
	if rootless {
		uid, gid = os.Geteuid(), os.Getegid()
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open home %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("open home %s: %w", path, err)
	}
	switch int(st.Uid) {
	case uid:
	case 0:
		if rootless {
			f.Close()
			return nil, fmt.Errorf("home %s belongs to root; running as uid %d, classroomd cannot use it", path, uid)
		}
		if err := unix.Fchown(fd, uid, gid); err != nil {
			f.Close()
			return nil, fmt.Errorf("give home %s to uid %d: %w", path, uid, err)
		}
	default:
		f.Close()
		return nil, fmt.Errorf("home %s belongs to uid %d, not to the student's uid %d: refusing to run", path, st.Uid, uid)
	}
	return f, nil
}

// pipes sets up stdin/stdout/stderr for a sandbox without a pty. The child
// always gets pipes or /dev/null, never the caller's own descriptors.
func (p *Process) pipes(s *Spec, childFiles *[]*os.File) ([3]*os.File, error) {
	var stdio [3]*os.File
	devnull := func(flag int) (*os.File, error) {
		f, err := os.OpenFile(os.DevNull, flag, 0)
		if err == nil {
			*childFiles = append(*childFiles, f)
		}
		return f, err
	}
	var err error
	if s.Stdin != nil {
		r, w, err := os.Pipe()
		if err != nil {
			return stdio, err
		}
		*childFiles = append(*childFiles, r)
		stdio[0] = r
		// Not tracked by p.copies: a Reader that never returns (a terminal)
		// must not hold up Wait. The copy ends at the reader's EOF or at the
		// first write after the sandbox is gone.
		go func() {
			io.Copy(w, s.Stdin)
			w.Close()
		}()
	} else if stdio[0], err = devnull(os.O_RDONLY); err != nil {
		return stdio, err
	}
	for i, dst := range []io.Writer{s.Stdout, s.Stderr} {
		if dst == nil {
			if stdio[i+1], err = devnull(os.O_WRONLY); err != nil {
				return stdio, err
			}
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			return stdio, err
		}
		*childFiles = append(*childFiles, w)
		stdio[i+1] = w
		p.copies.Add(1)
		go func() {
			defer p.copies.Done()
			defer r.Close()
			// EOF once every process of the sandbox is gone. Reading through
			// the throttle blocks the program, not us, when it floods.
			io.CopyBuffer(dst, throttled{p, r}, make([]byte, 32<<10))
		}()
	}
	return stdio, nil
}

// wait reaps the init and records how it ended.
func (p *Process) wait() {
	ws, err := p.init.wait()
	p.copies.Wait()
	switch {
	case err != nil:
		p.exitCode, p.waitErr = -1, err
	case ws.Exited():
		p.exitCode = ws.ExitStatus()
	case ws.Signaled():
		p.exitCode = 128 + int(ws.Signal())
	default:
		p.exitCode, p.waitErr = -1, fmt.Errorf("the sandbox's init ended with wait status %#x", uint32(ws))
	}
	close(p.done)
}

// abort undoes a failed Start.
func (p *Process) abort() {
	if p.init != nil {
		p.Kill()
		<-p.done
		p.init.close()
	}
	if p.cg != nil {
		p.cg.remove(2 * time.Second)
	}
	if p.pty != nil {
		p.pty.Close()
	}
	if p.ctl != nil {
		p.ctl.Close()
	}
}

// Pid is the host pid of the sandbox's init.
func (p *Process) Pid() int { return p.init.pid }

// Read reads the program's terminal output. It returns io.EOF once the
// sandbox has ended and everything it wrote has been read. It is throttled
// to Limits.OutputBytesPerSec: a Read may wait for the token bucket before
// it reads (never while holding output: the program waits, not we).
func (p *Process) Read(b []byte) (int, error) {
	if p.pty == nil {
		return 0, ErrNoPty
	}
	n, err := throttled{p, p.pty}.Read(b)
	if errors.Is(err, syscall.EIO) {
		// Linux's way of saying that the last slave fd is closed.
		err = io.EOF
	}
	return n, err
}

// throttled reads from r through the Process's token bucket.
type throttled struct {
	p *Process
	r io.Reader
}

func (t throttled) Read(b []byte) (int, error) {
	if t.p.out == nil || len(b) == 0 {
		return t.r.Read(b)
	}
	allowed := t.p.out.reserve(len(b), t.p.closing)
	if allowed == 0 {
		return 0, os.ErrClosed
	}
	n, err := t.r.Read(b[:allowed])
	t.p.out.refund(allowed - n)
	return n, err
}

// Write types into the program's terminal.
func (p *Process) Write(b []byte) (int, error) {
	if p.pty == nil {
		return 0, ErrNoPty
	}
	return p.pty.Write(b)
}

// Resize sets the pty's size; the program gets SIGWINCH.
func (p *Process) Resize(rows, cols uint16) error {
	if p.pty == nil {
		return ErrNoPty
	}
	return pty.Setsize(p.pty, &pty.Winsize{Rows: rows, Cols: cols})
}

// Interrupt sends SIGINT to the foreground process group of the program's
// terminal, as ctrl+c would (Python raises KeyboardInterrupt; the session
// lives on). Without a pty it goes to the program's process group.
func (p *Process) Interrupt() error {
	select {
	case <-p.done:
		return os.ErrProcessDone
	default:
	}
	if p.pty != nil {
		// TIOCSIG on the master signals the slave's foreground group
		// whatever the line discipline's settings (raw mode, ISIG off).
		if err := unix.IoctlSetInt(int(p.pty.Fd()), unix.TIOCSIG, int(unix.SIGINT)); err != nil {
			return fmt.Errorf("interrupt: %w", err)
		}
		return nil
	}
	return p.init.signal(syscall.SIGINT) // the init passes it on
}

// Kill kills every process of the sandbox at once. It does not wait: Wait or
// Close does.
func (p *Process) Kill() error {
	p.cg.kill()
	// The init is pid 1 of the sandbox's pid namespace: when it dies, the
	// kernel kills everything else in it, and no process can leave it.
	err := p.init.signal(syscall.SIGKILL)
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// Wait waits for the sandbox to end and returns the program's exit code (a
// shell's convention: 128+N when a signal N ended it, 137 after Kill). The
// error is set only when the sandbox's end could not be observed.
func (p *Process) Wait() (int, error) {
	<-p.done
	return p.exitCode, p.waitErr
}

// Done is closed when the sandbox has ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// OOMKilled reports whether the memory limit killed a process of the sandbox.
// Ask before Close, which removes the cgroup that keeps the count.
func (p *Process) OOMKilled() bool { return p.cg.oomKills() > 0 }

// Close kills the sandbox if it still runs, reaps it, removes its cgroup and
// closes the pty. It is idempotent.
func (p *Process) Close() error {
	p.closeOnce.Do(func() {
		close(p.closing)
		p.Kill()
		<-p.done
		p.init.close()
		p.closeErr = p.cg.remove(5 * time.Second)
		p.ctl.Close()
		if p.pty != nil {
			if err := p.pty.Close(); err != nil && p.closeErr == nil {
				p.closeErr = err
			}
		}
	})
	return p.closeErr
}
