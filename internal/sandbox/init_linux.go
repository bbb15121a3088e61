package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// initMarker is the hidden first argument that turns the re-executed binary
// into a sandbox init. It is not a command anyone types.
const initMarker = "__classroomd_sandbox_init__"

// File descriptors the init receives (after 0, 1, 2: the pty slave or pipes).
const (
	fdConfig  = 3 // read: the initConfig as JSON; EOF is the parent's go-ahead
	fdStatus  = 4 // write: "ok" once the program runs, or "error: ..."
	fdHome    = 5 // the student's home, opened by the parent
	fdControl = 6 // a socket: the daemon's requests (see serveControl)
	fdCourse  = 7 // the course folder (only when there is one)
)

// initConfig is what the parent tells the init, through a pipe rather than
// argv or the environment, so nothing of it shows in /proc.
type initConfig struct {
	Username string
	UID, GID int
	Command  []string
	Env      []string
	HomePath string
	// HomeReadOnly mounts the home read-only from the start (over quota).
	HomeReadOnly bool
	HasCourse    bool
	CoursePath   string
	Files        map[string]string // Spec.Files, written under EtcFilesDir
	Pty          bool
	// Rootless: the daemon is not root. Our uid inside is the student's
	// (the only one mapped), we hold our capabilities as ambient ones, and
	// setgroups is denied in this user namespace.
	Rootless bool
	Limits   Limits
	Landlock int  // Landlock ABI to use; 0 = none
	Seccomp  bool // install the seccomp deny-list

	ptsName string // set by buildRoot
}

// MaybeRunInit runs the sandbox init, or the spawner that starts inits (see
// spawner_linux.go), and exits if this process was started as one
// (os.Args[1] is a hidden marker); otherwise it returns at once.
// main and every TestMain that starts sandboxes call it first, before
// parsing flags or starting goroutines.
func MaybeRunInit() {
	if len(os.Args) == 2 && os.Args[1] == spawnerMarker {
		runSpawner()
	}
	if len(os.Args) < 2 || os.Args[1] != initMarker {
		return
	}
	// Mounts, Landlock, seccomp and no_new_privs apply to the calling
	// thread (or its namespace) and are inherited by what it forks: keep
	// the whole init on one OS thread.
	runtime.LockOSThread()
	status := os.NewFile(fdStatus, "status")
	code, err := runInit(status)
	if err != nil {
		fmt.Fprintf(status, "error: %v\n", err)
		code = 125
	}
	// syscall.Exit, not os.Exit: nothing is buffered, and under the race
	// detector os.Exit would sleep a second first (atexit_sleep_ms).
	syscall.Exit(code)
}

func runInit(status *os.File) (int, error) {
	cfgFile := os.NewFile(fdConfig, "config")
	b, err := io.ReadAll(io.LimitReader(cfgFile, 1<<20))
	cfgFile.Close()
	if err != nil {
		return 0, fmt.Errorf("read sandbox config: %w", err)
	}
	var cfg initConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return 0, fmt.Errorf("decode sandbox config: %w", err)
	}
	// Catch (not ignore: ignored signals stay ignored across exec, and
	// Python installs no KeyboardInterrupt handler when SIGINT is ignored)
	// the signals the init must survive or forward.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGTSTP)

	if err := buildRoot(&cfg); err != nil {
		return 0, err
	}
	go serveControl(os.NewFile(fdControl, "control"), &cfg)
	if err := setRlimits(cfg.Limits); err != nil {
		return 0, err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return 0, fmt.Errorf("set no_new_privs: %w", err)
	}
	if cfg.Landlock > 0 {
		if err := applyLandlock(cfg.Landlock, "/home/"+cfg.Username, cfg.HasCourse); err != nil {
			return 0, err
		}
	}
	if cfg.Seccomp {
		if err := applySeccomp(); err != nil {
			return 0, err
		}
	}

	env := cleanEnv(&cfg)
	argv := cfg.Command
	path, err := lookPath(argv[0], env)
	if err != nil {
		return 0, err
	}
	attr := &syscall.ProcAttr{
		Dir:   "/home/" + cfg.Username,
		Env:   env,
		Files: []uintptr{0, 1, 2},
		Sys: &syscall.SysProcAttr{
			// Never omit Credential: without it the program would run as
			// the init's uid (FINDINGS).
			Credential: &syscall.Credential{Uid: uint32(cfg.UID), Gid: uint32(cfg.GID), Groups: []uint32{}, NoSetGroups: cfg.Rootless},
			Setpgid:    true,
			Pdeathsig:  syscall.SIGKILL,
		},
	}
	if cfg.Pty {
		// The program's own process group in the foreground of the pty, so
		// that ctrl+c reaches it and not the init (FINDINGS).
		attr.Sys.Foreground = true
		attr.Sys.Ctty = 0
	}
	// Only 0, 1 and 2 reach the program. The init's other descriptors
	// (the home and course folder as opened on the host, the status pipe)
	// are not close-on-exec, and the host's home would let the program
	// reach beyond its mount namespace (openat(fd, "..")) and write past a
	// read-only remount.
	if err := cloexecFrom(3); err != nil {
		return 0, err
	}
	if cfg.Rootless {
		// Our uid is the program's: without this, the ambient capabilities
		// we were started with would pass to it through exec. Capabilities
		// are per thread, and the program is forked from this one.
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
			return 0, fmt.Errorf("drop ambient capabilities: %w", err)
		}
	}
	pid, err := forkProgram(path, argv, attr, &cfg)
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	fmt.Fprintln(status, "ok")
	status.Close()

	exited := make(chan int, 1)
	go reap(pid, exited)
	for {
		select {
		case code := <-exited:
			return code, nil
		case s := <-sigs:
			switch s {
			case syscall.SIGINT, syscall.SIGQUIT:
				// With pipes there is no terminal: the parent signals us
				// and we pass it on to the program's group.
				_ = syscall.Kill(-pid, s.(syscall.Signal))
			case syscall.SIGTERM, syscall.SIGHUP:
				// The session is over. Exiting as pid 1 makes the kernel
				// kill everything left in the namespace.
				return 128 + int(s.(syscall.Signal)), nil
			}
		}
	}
}

// reap waits for every child (orphans are re-parented to us, pid 1) and
// reports the main program's exit as a shell would: its code, or 128+signal.
func reap(main int, exited chan<- int) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			exited <- 255
			return
		}
		if pid != main {
			continue
		}
		switch {
		case ws.Exited():
			exited <- ws.ExitStatus()
		case ws.Signaled():
			exited <- 128 + int(ws.Signal())
		default:
			continue
		}
		return
	}
}

func cleanEnv(cfg *initConfig) []string {
	home := "/home/" + cfg.Username
	term := "dumb"
	if cfg.Pty {
		term = "xterm-256color"
	}
	env := []string{
		"HOME=" + home,
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8",
		"TERM=" + term,
		"USER=" + cfg.Username,
		"LOGNAME=" + cfg.Username,
		"SHELL=/bin/sh",
		"TMPDIR=/tmp",
		"PYTHONDONTWRITEBYTECODE=1",
	}
	// numpy's BLAS and OpenMP start one thread per host CPU by default; on
	// a big server that alone exceeds pids.max (which counts threads) and
	// the import fails. More threads than the CPU quota's cores buy nothing.
	threads := "1"
	if c := cfg.Limits.CPUPercent; c > 100 {
		threads = itoa((c + 99) / 100)
	}
	for _, v := range []string{"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"} {
		env = append(env, v+"="+threads)
	}
	for _, kv := range cfg.Env {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			continue
		}
		replaced := false
		for i, d := range env {
			if strings.HasPrefix(d, name+"=") {
				env[i], replaced = kv, true
			}
		}
		if !replaced {
			env = append(env, kv)
		}
	}
	return env
}

// lookPath resolves name inside the new root, against the sandbox's PATH.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", fmt.Errorf("start %s: %w", name, err)
		}
		return name, nil
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("start %s: not found in the sandbox's PATH (%s)", name, path)
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// setRlimits sets the per-process limits before the program starts (setting
// them afterwards with prlimit would race with its first instructions). The
// init is bound by them too, which costs it nothing.
func setRlimits(l Limits) error {
	set := func(name string, res int, v uint64) error {
		// syscall.Setrlimit, not unix.Setrlimit, for RLIMIT_NOFILE: the Go
		// runtime then passes this value (not its own raised one) to
		// children.
		if err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: v, Max: v}); err != nil {
			return fmt.Errorf("set %s limit to %d: %w", name, v, err)
		}
		return nil
	}
	if err := set("core size", unix.RLIMIT_CORE, 0); err != nil {
		return err
	}
	if l.FileSizeBytes > 0 {
		if err := set("file size", unix.RLIMIT_FSIZE, uint64(l.FileSizeBytes)); err != nil {
			return err
		}
	}
	if l.OpenFiles > 0 {
		if err := set("open files", unix.RLIMIT_NOFILE, uint64(l.OpenFiles)); err != nil {
			return err
		}
	}
	if l.CPUSeconds > 0 {
		if err := set("CPU time", unix.RLIMIT_CPU, uint64(l.CPUSeconds)); err != nil {
			return err
		}
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// forkProgram starts the student's program. Rootless there is no pids
// cgroup: RLIMIT_NPROC, counted per uid of our user namespace (Linux 5.14+;
// our own threads included, as with pids.max), stands in. Only the program
// gets it, as a soft limit set just for the fork (the seccomp filter keeps
// it from raising it): bound by it ourselves, a fork bomb would leave the Go
// runtime unable to start a thread, and the init would die.
func forkProgram(path string, argv []string, attr *syscall.ProcAttr, cfg *initConfig) (int, error) {
	if !cfg.Rootless || cfg.Limits.Pids <= 0 {
		return syscall.ForkExec(path, argv, attr)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(unix.RLIMIT_NPROC, &old); err != nil {
		return 0, fmt.Errorf("get the process count limit: %w", err)
	}
	lim := syscall.Rlimit{Cur: min(uint64(cfg.Limits.Pids), old.Max), Max: old.Max}
	if err := unconfined(func() error { return syscall.Setrlimit(unix.RLIMIT_NPROC, &lim) }); err != nil {
		return 0, fmt.Errorf("set the process count limit: %w", err)
	}
	pid, err := syscall.ForkExec(path, argv, attr)
	if rerr := unconfined(func() error { return syscall.Setrlimit(unix.RLIMIT_NPROC, &old) }); rerr != nil && err == nil {
		syscall.Kill(pid, syscall.SIGKILL)
		return 0, fmt.Errorf("restore the process count limit: %w", rerr)
	}
	return pid, err
}

// unconfined runs f on another thread than the init's main one, which is
// under the seccomp filter (it refuses setrlimit) by the time the program
// starts: a goroutine never runs on that locked thread, and the runtime
// starts threads for a locked one from a clean template thread. Resource
// limits belong to the process, not the thread.
func unconfined(f func() error) error {
	done := make(chan error, 1)
	go func() {
		if err := checkThreadUnconfined(); err != nil {
			done <- err
			return
		}
		done <- f()
	}()
	return <-done
}

// cloexecFrom marks every descriptor from lowfd on close-on-exec.
func cloexecFrom(lowfd int) error {
	err := unix.CloseRange(uint(lowfd), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	// Before Linux 5.11: one by one.
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("list descriptors: %w", err)
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < lowfd {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && err != unix.EBADF {
			return fmt.Errorf("set close-on-exec on fd %d: %w", fd, err)
		}
	}
	return nil
}
