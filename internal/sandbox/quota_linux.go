package sandbox

// Home quota.
//
// What we need: once a student's home holds more than Spec.QuotaBytes,
// their programs' writes there fail (with an error they can read), the
// caller learns it so the TUI can say so, and nothing else on the machine
// notices. What we weighed:
//
//   - The kernel's own user quota (each student has their own host uid) is
//     exact and free, but only where the file system holding the homes is
//     mounted with usrquota (or has ext4's quota feature); a plain host's
//     root file system does not, and changing the host's mount options is
//     not this package's business. An operator who wants hard quotas can put
//     DATA_DIR on such a file system and set limits with setquota; this
//     mechanism then simply never triggers first.
//   - A loop-mounted ext4 image per student gives exact ENOSPC everywhere,
//     but turns every home into an image file (mkfs, fsck, resizing, moving
//     existing homes in) and changes what the home's host path is for the
//     daemon's own file operations, which live in another package.
//   - What we do: the daemon measures the home (at Start, then every
//     Spec.QuotaCheckEvery while the sandbox runs) and, when it is over,
//     has the sandbox's init remount the home read-only inside the
//     sandbox's mount namespace; new writes then fail with EROFS ("Read-only
//     file system"). The init is root of that namespace (in both the full
//     and the rootless level) and already runs there, so no setns and no
//     extra process is needed: the daemon asks over a socket. Once the
//     student is back under quota the home is remounted read-write.
//
// The kernel refuses a read-only remount while a file on the mount is open
// for writing (EBUSY): a program that keeps a file open and keeps writing
// would otherwise escape. Then the init also lowers RLIMIT_FSIZE to 0 on
// every process of the sandbox (the soft limit, which the seccomp filter
// keeps programs from raising; writes to regular files fail with EFBIG, the
// terminal and pipes are unaffected), and the remount is tried again at
// every check until it succeeds, after which the file size limit is put
// back. Before that, each remount is tried with the sandbox's processes
// briefly stopped, so that a program merely opening and closing files in a
// loop does not keep it busy.
//
// Limits of the approach, stated plainly: the quota is checked, not
// enforced at every write, so a home can overshoot by what a program writes
// between two checks (at most Limits.FileSizeBytes per file; the check
// interval is 2 s by default and grows with the time a check takes, so that
// a home of millions of files cannot make the daemon spend its time
// walking it). Inside the sandbox the student cannot delete files while
// over quota (the home is read-only): they delete through the daemon's
// file browser, which works on the host outside the sandbox. And a home the
// daemon cannot measure (a directory it cannot open when not root, or a
// tree nested deeper than maxHomeDepth) counts as over quota, with the
// reason in HomeUsage.Err.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// maxHomeDepth bounds the walk (it holds one descriptor per level).
const maxHomeDepth = 128

// homeUsage measures the disk space the tree under path takes: allocated
// blocks of every file, directory and symlink on the home's own file system,
// each inode once. It never follows a symlink and does not cross into other
// mounts.
func homeUsage(path string) (int64, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("measure home %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return 0, fmt.Errorf("measure home %s: %w", path, err)
	}
	w := homeWalk{dev: st.Dev, total: st.Blocks * 512, links: map[uint64]bool{}}
	if err := w.dir(fd, path, 0); err != nil {
		return w.total, err
	}
	return w.total, nil
}

type homeWalk struct {
	dev   uint64
	total int64
	links map[uint64]bool // inodes with several links, counted once
}

// dir adds up the entries of the directory fd (which it closes).
func (w *homeWalk) dir(fd int, path string, depth int) error {
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if depth > maxHomeDepth {
		return fmt.Errorf("measure home: %s is nested deeper than %d directories", path, maxHomeDepth)
	}
	for {
		names, err := f.Readdirnames(1024)
		for _, name := range names {
			var st unix.Stat_t
			if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				if errors.Is(err, unix.ENOENT) {
					continue // deleted meanwhile
				}
				return fmt.Errorf("measure home: %s/%s: %w", path, name, err)
			}
			if st.Dev != w.dev {
				continue
			}
			isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
			if !isDir && st.Nlink > 1 {
				if w.links[st.Ino] {
					continue
				}
				w.links[st.Ino] = true
			}
			w.total += st.Blocks * 512
			if !isDir {
				continue
			}
			child, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
				continue // replaced meanwhile
			}
			if err != nil {
				return fmt.Errorf("measure home: %s/%s: %w", path, name, err)
			}
			if err := w.dir(child, path+"/"+name, depth+1); err != nil {
				return err
			}
		}
		if err == io.EOF || (err == nil && len(names) == 0) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("measure home: %s: %w", path, err)
		}
	}
}

// Control requests from the daemon to the init, one line each, answered
// with one line: "ok", "busy" (the home stays writable because a file is
// open for writing; file writes are blocked by RLIMIT_FSIZE meanwhile) or
// "error: ...".
const (
	ctlHomeRO = "home-ro"
	ctlHomeRW = "home-rw"
)

// serveControl answers the daemon's requests until the socket closes. It
// runs in the init on its own OS thread: the init's main thread is bound by
// Landlock and seccomp (which forbid mounts) by the time requests come, but
// those are per thread, and the Go runtime starts new threads for a locked
// one from a clean template thread.
func serveControl(ctl *os.File, cfg *initConfig) {
	runtime.LockOSThread()
	// Never unlocked: this thread exits with the goroutine.
	defer ctl.Close()
	home := "/home/" + cfg.Username
	clamped := false
	sc := bufio.NewScanner(ctl)
	for sc.Scan() {
		reply := "ok"
		if err := checkThreadUnconfined(); err != nil {
			reply = "error: " + err.Error()
		} else {
			switch sc.Text() {
			case ctlHomeRO:
				err := remountHomeReadOnly(home)
				switch {
				case errors.Is(err, unix.EBUSY):
					if err := setFileSizeLimit(0); err != nil {
						reply = "error: " + err.Error()
					} else {
						clamped, reply = true, "busy"
					}
				case err != nil:
					reply = "error: " + err.Error()
				case clamped:
					if err := setFileSizeLimit(unix.RLIM_INFINITY); err != nil {
						reply = "error: " + err.Error()
					} else {
						clamped = false
					}
				}
			case ctlHomeRW:
				if err := remountHome(home, false); err != nil {
					reply = "error: " + err.Error()
				} else if clamped {
					if err := setFileSizeLimit(unix.RLIM_INFINITY); err != nil {
						reply = "error: " + err.Error()
					} else {
						clamped = false
					}
				}
			default:
				reply = "error: unknown request"
			}
		}
		if _, err := io.WriteString(ctl, reply+"\n"); err != nil {
			return
		}
	}
}

// checkThreadUnconfined makes sure this thread is not under the seccomp
// filter (and hence not under Landlock either, which is applied with it).
func checkThreadUnconfined() error {
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Seccomp:"); ok && strings.TrimSpace(v) != "0" {
			return errors.New("the init's control thread is confined")
		}
	}
	return nil
}

// remountHomeReadOnly makes the home read-only. The kernel refuses while a
// file on the mount is open for writing (EBUSY), and a program that opens
// and closes files in a loop nearly always has one open, so the sandbox's
// processes are stopped (SIGSTOP, as only the init may) for the remount and
// continued right after. A stop lands just after a system call returns,
// often just after the open, so attempts are repeated with the programs
// let run a little longer in between, to catch them at another point of
// their loop. Only a program that really holds a file open for writing
// keeps the remount busy through all attempts.
func remountHomeReadOnly(home string) error {
	var err error
	for i := range 20 {
		stopped := stopAll()
		err = remountHome(home, true)
		for _, pid := range stopped {
			unix.Kill(pid, unix.SIGCONT)
		}
		if !errors.Is(err, unix.EBUSY) {
			return err
		}
		time.Sleep(time.Duration(i) * 100 * time.Microsecond) // let them run on to another point
	}
	return err
}

// stopAll stops every process of the sandbox but the init that is not
// stopped already, waits (up to a second) until they are, and returns them.
func stopAll() []int {
	var stopped []int
	seen := map[int]bool{}
	for range 2 { // a second pass for what was forked during the first
		for _, pid := range sandboxPids() {
			if seen[pid] {
				continue
			}
			seen[pid] = true
			if procState(pid) == 'T' {
				continue // stopped by the student's own program: leave it so
			}
			if unix.Kill(pid, unix.SIGSTOP) == nil {
				stopped = append(stopped, pid)
			}
		}
	}
	deadline := time.Now().Add(time.Second)
	for _, pid := range stopped {
		// Polling the kernel's view with a deadline: SIGSTOP takes effect
		// when the process next returns to user space.
		for st := procState(pid); st != 'T' && st != 't' && st != 0 && st != 'Z' && st != 'X'; st = procState(pid) {
			if time.Now().After(deadline) {
				return stopped
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	return stopped
}

// procState is the state letter in /proc/PID/stat (0 if it is gone).
func procState(pid int) byte {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// pid (comm) S ...; comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// sandboxPids lists the processes of the sandbox but the init (this
// process, pid 1): /proc here shows only the sandbox's pid namespace.
func sandboxPids() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// remountHome flips the home's mount between read-only and read-write,
// keeping its other flags (nosuid, nodev, and what the kernel locked).
func remountHome(home string, ro bool) error {
	var st unix.Statfs_t
	if err := unix.Statfs(home, &st); err != nil {
		return err
	}
	flags := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_NOSUID | unix.MS_NODEV)
	for _, f := range []struct{ st, ms uintptr }{
		{unix.ST_NOEXEC, unix.MS_NOEXEC}, {unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME}, {unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if uintptr(st.Flags)&f.st != 0 {
			flags |= f.ms
		}
	}
	if ro {
		flags |= unix.MS_RDONLY
	}
	if err := unix.Mount("", home, "", flags, ""); err != nil {
		return fmt.Errorf("remount the home (read-only=%v): %w", ro, err)
	}
	return nil
}

// setFileSizeLimit sets the soft RLIMIT_FSIZE of every process in the
// sandbox but the init to v, capped by each one's hard limit (which stays:
// raising a hard limit back would need CAP_SYS_RESOURCE on the host). The
// seccomp filter keeps programs from raising their soft limit themselves.
// Two passes catch a process forked during the first.
func setFileSizeLimit(v uint64) error {
	for range 2 {
		for _, pid := range sandboxPids() {
			var old unix.Rlimit
			err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &old)
			if err == nil {
				rl := unix.Rlimit{Cur: min(v, old.Max), Max: old.Max}
				err = unix.Prlimit(pid, unix.RLIMIT_FSIZE, &rl, nil)
			}
			if err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("set the file size limit of pid %d: %w", pid, err)
			}
		}
	}
	return nil
}
