// Package sandbox runs a program for one student, confined, in a pty.
//
// On Linux as root (the "full" level) every sandbox is a re-executed copy of
// the calling binary acting as a small init (see MaybeRunInit) in new user,
// pid, mount, net, ipc and uts namespaces. The init builds a minimal root
// (system directories read-only, the student's home read-write at
// /home/USERNAME, a private size-bounded /tmp, /course read-only, a minimal
// /dev), pivots into it, sets rlimits, no_new_privs, Landlock and a seccomp
// deny-list, and then starts the student's program as the student's own host
// uid in its own foreground process group. The init stays as pid 1: it reaps
// orphans and exits with the program's status, which makes the kernel kill
// everything left in the pid namespace. Each sandbox also gets its own cgroup
// (memory, pids, cpu) so that a fork bomb or a memory balloon hurts only its
// student.
//
// Without root (a laptop; the "partial" level) a sandbox is rootless: the
// same namespaces, but in a user namespace of the daemon's own uid, which
// appears inside as Spec.UID; every student's programs then run as the
// daemon's host uid, there are no cgroups (RLIMIT_NPROC stands in for the
// process limit; memory and CPU are unlimited), and the init holds the
// capabilities it needs for the mounts as ambient ones, dropped before the
// program starts. Probe's Report names what is missing. Where unprivileged
// user namespaces are disabled, Start fails with ErrUnavailable.
//
// What a program prints is throttled (Limits.OutputBytesPerSec:
// backpressure, no buffering in the daemon), and its home may have a quota
// (Spec.QuotaBytes: measured by the daemon, enforced by a read-only remount
// inside the sandbox; quota_linux.go says why this and not another way).
//
// The package imports nothing else of classroomd's: it is handed a validated
// username, a host uid/gid and host paths, and knows nothing about stores,
// sessions or terminals beyond a pty.
package sandbox

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// DefaultPython is the interpreter a sandbox runs when Spec.Command is empty.
// It is the system's python on purpose: its standard library and the
// system-wide course libraries (Debian's python3-numpy and friends) live under
// /usr, which every sandbox sees read-only. A python installed elsewhere (a
// pyenv build under /root, say) is invisible inside.
const DefaultPython = "/usr/bin/python3"

// Limits bound what one sandbox may consume. Zero values mean "no limit" for
// that resource, except where DefaultLimits documents otherwise.
type Limits struct {
	MemoryBytes   int64 // cgroup memory limit (swap included where the kernel accounts it)
	Pids          int   // cgroup pids.max: processes and threads, the init's own included
	CPUPercent    int   // CFS quota; 100 = one core
	FileSizeBytes int64 // RLIMIT_FSIZE: the largest file a program may write
	OpenFiles     int   // RLIMIT_NOFILE
	CPUSeconds    int   // RLIMIT_CPU per process; 0 = none (a REPL lives for hours)
	TmpBytes      int64 // size of the private /tmp (and of /dev/shm)
	// OutputBytesPerSec throttles what the program prints (the pty, or the
	// pipes to Spec.Stdout and Stderr, together): reads of its output wait
	// for a token bucket, the kernel's buffer fills and the program blocks
	// in write(2). The daemon buffers nothing, so a flood costs it no
	// memory, and ctrl+c still works. OutputBurstBytes is the bucket's size
	// (0 = one second's worth).
	OutputBytesPerSec int64
	OutputBurstBytes  int64
}

// DefaultLimits are sized so that a class of 100 fits one machine: 512 MiB of
// memory, 64 processes/threads, one core, 100 MiB per file, 256 open files,
// no CPU-time limit, a 64 MiB /tmp, and output at 1 MiB/s after a 1 MiB
// burst (a terminal shows far less). That is not what bounds the daemon's CPU:
// its terminal emulator digests about 2 MB/s per core, so the REPL layer also
// caps each emulator's share of a core (internal/workspace/repl), and a program
// printing faster simply waits in write().
func DefaultLimits() Limits {
	return Limits{
		MemoryBytes:       512 << 20,
		Pids:              64,
		CPUPercent:        100,
		FileSizeBytes:     100 << 20,
		OpenFiles:         256,
		TmpBytes:          64 << 20,
		OutputBytesPerSec: 1 << 20,
		OutputBurstBytes:  1 << 20,
	}
}

// Spec says what to run, for whom, and within which limits.
type Spec struct {
	// Username is already validated ([a-z][a-z0-9._-]*). The home appears at
	// /home/Username inside the sandbox.
	Username string
	// UID and GID are the student's host ids (one per student, from a
	// configured range). The program runs as exactly these ids; they must not
	// be 0.
	UID, GID int
	// Home is the host path of the student's home: read-write inside (nosuid,
	// nodev), and the working directory. Start makes the directory itself
	// owned by UID:GID (not its contents) so the student can create files.
	Home string
	// CourseDir is a host directory shown read-only at /course ("" = none).
	CourseDir string
	// Command is the program and its arguments, resolved inside the sandbox
	// (a name without a slash is looked up in the sandbox's PATH). Empty
	// means {DefaultPython}.
	Command []string
	// Env is added to the clean environment every program gets (HOME, PATH,
	// LANG, TERM, USER, LOGNAME, SHELL, TMPDIR, PYTHONDONTWRITEBYTECODE, and
	// OMP/OPENBLAS/MKL_NUM_THREADS sized to the CPU quota); an
	// entry here replaces a default of the same name. Nothing of the
	// caller's own environment is passed on.
	Env []string
	// Files are small read-only files the sandbox shows under EtcFilesDir:
	// a path relative to it (slash-separated, no "..") to its content, at
	// most MaxEtcFilesBytes in all. The REPL puts the matplotlib backend
	// there, for every Python a student starts (see internal/workspace/repl).
	Files map[string]string
	// Rows and Cols are the initial pty size (0 means 24x80).
	Rows, Cols uint16
	Limits     Limits

	// QuotaBytes bounds the disk space the home takes (0 = no quota). Over
	// it, the home is read-only inside the sandbox (writes fail with EROFS)
	// until the student deletes files, which they do through the daemon's
	// file browser: see Process.HomeUsage and QuotaChanged, and the notes
	// in quota_linux.go on how it is enforced and its limits.
	QuotaBytes int64
	// QuotaCheckEvery is how often a running sandbox's home is measured
	// (0 = DefaultQuotaCheckEvery). The interval grows when measuring takes
	// long, so a home of millions of files cannot keep the daemon busy.
	QuotaCheckEvery time.Duration

	// Stdin, Stdout and Stderr, when any is set, replace the pty: the program
	// gets pipes (never the caller's own file descriptors, so it cannot touch
	// a terminal it was not given). Process.Read, Write and Resize then fail
	// with ErrNoPty. Unset streams read from or write to nothing.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// EtcFilesDir is where Spec.Files appear inside the sandbox: in its /etc,
// which is generated for each sandbox and read-only, like the root around it.
const EtcFilesDir = "/etc/classroomd"

// MaxEtcFilesBytes bounds Spec.Files' contents together (they travel in the
// init's configuration and live in the sandbox root's small tmpfs).
const MaxEtcFilesBytes = 256 << 10

// DefaultQuotaCheckEvery is how often a running sandbox's home is measured
// when Spec.QuotaCheckEvery is 0.
const DefaultQuotaCheckEvery = 2 * time.Second

// HomeUsage is what the last measurement of a sandbox's home found.
type HomeUsage struct {
	Bytes      int64     // disk space the home's files take (allocated blocks)
	QuotaBytes int64     // Spec.QuotaBytes; 0 = no quota, and nothing is measured
	Over       bool      // over quota: the home is read-only inside the sandbox
	Checked    time.Time // when it was measured
	// Err says why the home could not be measured (it then counts as over
	// quota) or why making it read-only or writable again failed; nil
	// normally.
	Err error
}

// ErrNoPty is returned by the pty methods of a Process started with pipes.
var ErrNoPty = errors.New("sandbox: this process has no pty (it was started with pipes)")

// ErrUnavailable is wrapped by Start's error when this host cannot isolate a
// program at all (no namespaces, or none for an unprivileged user when not
// root): see Probe. Whether to run programs unconfined then is the caller's
// decision.
var ErrUnavailable = errors.New("sandbox: isolation is not available here")

func (s *Spec) command() []string {
	if len(s.Command) == 0 {
		return []string{DefaultPython}
	}
	return s.Command
}

func (s *Spec) usesPipes() bool {
	return s.Stdin != nil || s.Stdout != nil || s.Stderr != nil
}

func (s *Spec) validate() error {
	if !validUsername(s.Username) {
		return fmt.Errorf("sandbox: %q is not a valid username", s.Username)
	}
	if s.UID <= 0 || s.GID <= 0 {
		return fmt.Errorf("sandbox: student %s needs a non-root uid and gid, got %d:%d", s.Username, s.UID, s.GID)
	}
	if s.Home == "" {
		return fmt.Errorf("sandbox: student %s has no home", s.Username)
	}
	if s.QuotaBytes < 0 || s.QuotaCheckEvery < 0 {
		return fmt.Errorf("sandbox: negative quota or quota interval for %s", s.Username)
	}
	if s.Command != nil && (len(s.Command) == 0 || s.Command[0] == "") {
		return fmt.Errorf("sandbox: empty command")
	}
	total := 0
	for name, content := range s.Files {
		if !validFileName(name) {
			return fmt.Errorf("sandbox: %q is not a file name under %s", name, EtcFilesDir)
		}
		total += len(name) + len(content)
	}
	if total > MaxEtcFilesBytes {
		return fmt.Errorf("sandbox: the files for %s take %d bytes, more than %d", EtcFilesDir, total, MaxEtcFilesBytes)
	}
	return nil
}

// validFileName accepts a relative, slash-separated path of plain names
// (letters, digits, ".", "_", "-"; none "." or ".."), at most 8 deep.
func validFileName(name string) bool {
	parts := strings.Split(name, "/")
	if len(parts) > 8 {
		return false
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || len(p) > 100 {
			return false
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// validUsername repeats the accounts rule ([a-z][a-z0-9._-]*, at most 32)
// because the name becomes a path and a line of /etc/passwd inside the
// sandbox: this package must not trust it blindly.
func validUsername(u string) bool {
	if len(u) == 0 || len(u) > 32 || u[0] < 'a' || u[0] > 'z' {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Level is how much isolation this host gives a sandbox.
type Level int

const (
	// None: programs cannot be isolated at all (no namespaces, or not root
	// where unprivileged user namespaces are disabled).
	None Level = iota
	// Partial: namespaces work, but some mechanism (per-student host uids
	// and cgroups when not root, a cgroup controller, Landlock, seccomp) is
	// missing; the Report says which.
	Partial
	// Full: every mechanism this package uses is available.
	Full
)

func (l Level) String() string {
	switch l {
	case Full:
		return "full"
	case Partial:
		return "partial"
	case None:
		return "none"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// Mechanism is one isolation mechanism and whether this host has it.
type Mechanism struct {
	Name   string
	OK     bool
	Detail string // what was found, or why it is missing
	// Required mechanisms make the level None when missing; the others make
	// it Partial.
	Required bool
}

// Report is what Probe found.
type Report struct {
	Level      Level
	Mechanisms []Mechanism
}

// Missing lists the names of the mechanisms that are not available.
func (r Report) Missing() []string {
	var m []string
	for _, x := range r.Mechanisms {
		if !x.OK {
			m = append(m, x.Name)
		}
	}
	return m
}
