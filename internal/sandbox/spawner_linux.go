package sandbox

// The spawner: who forks a sandbox's init.
//
// Go starts a process with CLONE_NEWUSER by a full fork of the caller, not a
// vfork (syscall/exec_linux.go: the parent must write the child's uid map
// before the child execs, and a vfork parent is suspended until then). A fork
// of the daemon copies its page tables and makes its whole heap copy-on-write,
// so the daemon's next write to each page faults once. The daemon's heap is
// most of a megabyte per student: on a VM where a page fault is dear, every
// Python start stalled every session for 100-300 ms (#13, session 9: 118 of
// the 125 echoes over 20 ms at 50 students overlapped one; a 200 MB process
// that forks with CLONE_NEWUSER every 300 ms took 353 µs instead of 2.6 µs,
// p50, to touch 20 pages).
//
// So the daemon starts, once, a small process of its own binary with an
// ordinary vfork and exec (the spawner), and asks it to make each init: the
// spawner's full fork copies a few megabytes. The spawner is the inits'
// parent: their Pdeathsig is tied to its thread, and it dies with the daemon
// (its own Pdeathsig, and the end of its socket), so no init outlives the
// daemon, as before. The daemon signals an init through a pidfd and learns
// how it ended from the spawner.
//
// The protocol, over SOCK_SEQPACKET sockets (one message each, descriptors
// as SCM_RIGHTS):
//
//	daemon -> spawner: spawnRequest as JSON; fds: reply socket, stdin,
//	                   stdout, stderr, the extra files, [the cgroup dir]
//	spawner -> daemon, on the reply socket: spawnReply{Pid} with the init's
//	                   pidfd, or spawnReply{Error}; later spawnReply{Exited,
//	                   Status} when the spawner has reaped it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// spawnerMarker is the hidden first argument that makes the re-executed
// binary the spawner (see MaybeRunInit).
const spawnerMarker = "__classroomd_sandbox_spawner__"

// fdSpawner is the spawner's end of the daemon's socket.
const fdSpawner = 3

type spawnRequest struct {
	Args     []string
	Env      []string
	Files    int  // stdin, stdout, stderr and the extra files, in order
	CgroupFD bool // the last descriptor is the cgroup v2 folder to clone into
	Sys      syscall.SysProcAttr
}

type spawnReply struct {
	Pid    int    `json:",omitempty"`
	Error  string `json:",omitempty"`
	Errno  int    `json:",omitempty"` // the error's errno, if it has one: callers test for EPERM
	Exited bool   `json:",omitempty"`
	Status uint32 `json:",omitempty"` // a syscall.WaitStatus
}

// maxSpawnMessage bounds one message (a request is a few hundred bytes).
const maxSpawnMessage = 64 << 10

// spawned is one init started by the spawner.
type spawned struct {
	pid   int
	pidfd *os.File
	reply *net.UnixConn
}

// signal sends sig to the init; os.ErrProcessDone once it has ended.
func (s *spawned) signal(sig syscall.Signal) error {
	rc, err := s.pidfd.SyscallConn()
	if err != nil {
		return err
	}
	var sendErr error
	if err := rc.Control(func(fd uintptr) {
		sendErr = unix.PidfdSendSignal(int(fd), sig, nil, 0)
	}); err != nil {
		return err
	}
	if errors.Is(sendErr, unix.ESRCH) {
		return os.ErrProcessDone
	}
	return sendErr
}

// wait returns the init's wait status once the spawner has reaped it.
func (s *spawned) wait() (syscall.WaitStatus, error) {
	buf := make([]byte, 4096)
	for {
		n, _, _, _, err := s.reply.ReadMsgUnix(buf, nil)
		if err != nil || n == 0 {
			return 0, errors.New("the sandbox's spawner ended before the sandbox did")
		}
		var r spawnReply
		if err := json.Unmarshal(buf[:n], &r); err != nil {
			return 0, fmt.Errorf("the sandbox's spawner: %w", err)
		}
		if r.Exited {
			return syscall.WaitStatus(r.Status), nil
		}
	}
}

// close releases the pidfd and the reply socket; call it once the init has
// been waited for.
func (s *spawned) close() {
	s.pidfd.Close()
	s.reply.Close()
}

// spawnerProc is the running spawner, as the daemon sees it.
type spawnerProc struct {
	conn *net.UnixConn
	done chan struct{} // closed when it has exited
}

var (
	spawnerMu  sync.Mutex
	theSpawner *spawnerProc
)

// currentSpawner returns the running spawner, starting one if none runs (or
// the last one died).
func currentSpawner() (*spawnerProc, error) {
	spawnerMu.Lock()
	defer spawnerMu.Unlock()
	if sp := theSpawner; sp != nil {
		select {
		case <-sp.done:
		default:
			return sp, nil
		}
	}
	sp, err := startSpawner()
	if err != nil {
		return nil, err
	}
	theSpawner = sp
	return sp, nil
}

func startSpawner() (*spawnerProc, error) {
	ours, theirs, err := seqpacketPair("sandbox-spawner")
	if err != nil {
		return nil, err
	}
	defer theirs.Close()
	cmd := &exec.Cmd{
		Path: "/proc/self/exe",
		Args: []string{"classroomd-sandbox-spawner", spawnerMarker},
		// One P: it forks one init at a time and waits for signals.
		Env:        []string{"GOMAXPROCS=1"},
		ExtraFiles: []*os.File{theirs},
		Stderr:     os.Stderr, // a panic's trace goes to the daemon's log
		SysProcAttr: &syscall.SysProcAttr{
			// Its own session: a ctrl+c at the daemon's terminal must not
			// kill every sandbox before the daemon has shut down in order.
			Setsid: true,
			// Dies with the thread that started it: see the goroutine below.
			Pdeathsig: syscall.SIGKILL,
		},
	}
	sp := &spawnerProc{done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the forking thread exits (golang/go#27505):
		// this goroutine holds its thread for as long as the spawner runs.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			close(sp.done)
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(sp.done)
	}()
	if err := <-started; err != nil {
		ours.Close()
		return nil, fmt.Errorf("start the sandbox spawner: %w", err)
	}
	conn, err := unixConn(ours)
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, err
	}
	sp.conn = conn
	go func() {
		// When the spawner goes, so does our end; the next spawn starts
		// another.
		<-sp.done
		conn.Close()
	}()
	return sp, nil
}

// spawn asks the spawner to start an init: files are its 0, 1, 2 and extra
// descriptors; cgroupDir, if not nil, the cgroup v2 folder it starts in.
func spawn(ctx context.Context, args, env []string, files []*os.File, cgroupDir *os.File, sys *syscall.SysProcAttr) (*spawned, error) {
	req := spawnRequest{Args: args, Env: env, Files: len(files), CgroupFD: cgroupDir != nil, Sys: *sys}
	req.Sys.PidFD = nil
	req.Sys.UseCgroupFD, req.Sys.CgroupFD = false, 0
	msg, err := json.Marshal(&req)
	if err != nil {
		return nil, err
	}
	ours, theirs, err := seqpacketPair("sandbox-reply")
	if err != nil {
		return nil, err
	}
	defer theirs.Close()
	reply, err := unixConn(ours)
	if err != nil {
		return nil, err
	}
	fds := []int{int(theirs.Fd())}
	for _, f := range files {
		fds = append(fds, int(f.Fd()))
	}
	if cgroupDir != nil {
		fds = append(fds, int(cgroupDir.Fd()))
	}
	// A spawner that died since the last start is replaced once.
	for attempt := 0; ; attempt++ {
		sp, err := currentSpawner()
		if err != nil {
			reply.Close()
			return nil, err
		}
		_, _, err = sp.conn.WriteMsgUnix(msg, unix.UnixRights(fds...), nil)
		runtime.KeepAlive(files)
		runtime.KeepAlive(cgroupDir)
		if err == nil {
			break
		}
		if attempt == 1 {
			reply.Close()
			return nil, fmt.Errorf("ask the sandbox spawner: %w", err)
		}
		select {
		case <-sp.done:
		case <-time.After(time.Second):
		}
	}
	// Only the spawner may hold the other end now: if it dies before it
	// answers, the read below ends rather than waits for ctx.
	theirs.Close()

	stop := context.AfterFunc(ctx, func() { _ = reply.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := reply.ReadMsgUnix(buf, oob)
	if err != nil || n == 0 {
		reply.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("the sandbox spawner did not answer: %v", err)
	}
	var r spawnReply
	if err := json.Unmarshal(buf[:n], &r); err != nil {
		reply.Close()
		return nil, fmt.Errorf("the sandbox spawner's answer: %w", err)
	}
	if r.Error != "" {
		reply.Close()
		if r.Errno != 0 {
			return nil, syscall.Errno(r.Errno)
		}
		return nil, errors.New(r.Error)
	}
	got, err := parseRights(oob[:oobn])
	if err != nil || len(got) != 1 {
		for _, fd := range got {
			unix.Close(fd)
		}
		reply.Close()
		return nil, fmt.Errorf("the sandbox spawner sent no pidfd for %d (%v)", r.Pid, err)
	}
	_ = reply.SetReadDeadline(time.Time{})
	return &spawned{pid: r.Pid, pidfd: os.NewFile(uintptr(got[0]), "sandbox-pidfd"), reply: reply}, nil
}

func seqpacketPair(name string) (ours, theirs *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socket pair for the %s: %w", name, err)
	}
	return os.NewFile(uintptr(fds[0]), name), os.NewFile(uintptr(fds[1]), name+"-peer"), nil
}

// unixConn turns f into a *net.UnixConn (on the poller: a wait costs no
// thread) and closes f.
func unixConn(f *os.File) (*net.UnixConn, error) {
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("%s is not a unix socket", f.Name())
	}
	return uc, nil
}

// parseRights returns the descriptors of the SCM_RIGHTS messages in oob.
func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

// runSpawner is the spawner's main: it starts an init per request and
// reports each one's end, until the daemon's socket closes.
func runSpawner() {
	// Every init is forked from this thread, the one their Pdeathsig
	// watches: it never exits while the spawner runs.
	runtime.LockOSThread()
	// Inherited without close-on-exec: no init may get it.
	unix.CloseOnExec(fdSpawner)
	var mu sync.Mutex
	children := map[int]int{} // pid -> reply socket
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGCHLD)
	go func() {
		for range sigs {
			for {
				var ws syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
				if err == syscall.EINTR {
					continue
				}
				if err != nil || pid <= 0 {
					break
				}
				mu.Lock()
				fd, ok := children[pid]
				delete(children, pid)
				mu.Unlock()
				if ok {
					msg, _ := json.Marshal(spawnReply{Exited: true, Status: uint32(ws)})
					_ = unix.Sendmsg(fd, msg, nil, nil, unix.MSG_NOSIGNAL)
					unix.Close(fd)
				}
			}
		}
	}()
	buf := make([]byte, maxSpawnMessage)
	oob := make([]byte, unix.CmsgSpace(4*32))
	for {
		n, oobn, _, _, err := unix.Recvmsg(fdSpawner, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n == 0 {
			// The daemon is gone: so are we, and with us (Pdeathsig) the inits.
			syscall.Exit(0)
		}
		fds, _ := parseRights(oob[:oobn])
		if len(fds) == 0 {
			continue
		}
		mu.Lock()
		pid, pidfd, err := spawnOne(buf[:n], fds[1:])
		if err != nil {
			rep := spawnReply{Error: err.Error()}
			var errno syscall.Errno
			if errors.As(err, &errno) {
				rep.Errno = int(errno)
			}
			msg, _ := json.Marshal(rep)
			_ = unix.Sendmsg(fds[0], msg, nil, nil, unix.MSG_NOSIGNAL)
			unix.Close(fds[0])
		} else {
			msg, _ := json.Marshal(spawnReply{Pid: pid})
			if unix.Sendmsg(fds[0], msg, unix.UnixRights(pidfd), nil, unix.MSG_NOSIGNAL) != nil {
				// The daemon gave up on this start: end it.
				_ = unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
			}
			children[pid] = fds[0]
			unix.Close(pidfd)
		}
		mu.Unlock()
		for _, fd := range fds[1:] {
			unix.Close(fd)
		}
	}
}

// spawnOne starts one init as req says, with fds as its descriptors.
func spawnOne(msg []byte, fds []int) (pid, pidfd int, err error) {
	var req spawnRequest
	if err := json.Unmarshal(msg, &req); err != nil {
		return 0, 0, fmt.Errorf("a bad request: %w", err)
	}
	want := req.Files
	if req.CgroupFD {
		want++
	}
	if req.Files < 3 || len(fds) != want || len(req.Args) == 0 {
		return 0, 0, fmt.Errorf("a bad request (%d descriptors)", len(fds))
	}
	sys := req.Sys
	if req.CgroupFD {
		sys.UseCgroupFD, sys.CgroupFD = true, fds[len(fds)-1]
	}
	pidfd = -1
	sys.PidFD = &pidfd
	files := make([]uintptr, req.Files)
	for i := range files {
		files[i] = uintptr(fds[i])
	}
	pid, _, err = syscall.StartProcess("/proc/self/exe", req.Args, &syscall.ProcAttr{Env: req.Env, Files: files, Sys: &sys})
	if err != nil {
		return 0, 0, err // an errno: Start says what failed
	}
	if pidfd < 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		return 0, 0, errors.New("the kernel gave no pidfd (Linux 5.2 or later is needed)")
	}
	return pid, pidfd, nil
}
