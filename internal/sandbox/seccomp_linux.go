package sandbox

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The seccomp filter is a short deny-list, assembled by hand from
// unix.SockFilter rather than through a library (elastic/go-seccomp-bpf,
// libseccomp-golang needs cgo): it is a flat list of "syscall number equals
// N: fail with EPERM" pairs plus two argument checks, small enough to read
// in full here, and adds no dependency to a package that must stay small.
//
// What it denies is the kernel surface a Python student never needs and that
// sandbox escapes are made of: new namespaces (unshare, setns, clone with
// CLONE_NEW*, clone3 which cannot be filtered by flags and answers ENOSYS so
// that libc falls back to clone), mounts, ptrace and process_vm_*, keyrings,
// bpf, perf, userfaultfd, io_uring, kernel modules, kexec, reboot, swap,
// clocks, open_by_handle_at, and the TIOCSTI/TIOCLINUX ioctls that inject
// input into a terminal. Changing a resource limit (setrlimit, prlimit64
// with a new value; reading one is fine) is refused too: over quota the
// init lowers the soft file size limit, which a program could otherwise
// raise back (see quota_linux.go). Everything else is allowed: the namespaces, the
// uid and Landlock do the confining; this filter narrows the kernel API.
// A call from another architecture's ABI (i386 int 0x80, x32) is refused.

// seccomp_data offsets.
const (
	secNr   = 0
	secArch = 4
	secArg0 = 16 // low 32 bits on little-endian
	secArg1 = 24
	secArg2 = 32 // low half; the high half is at 36
)

const nsCloneFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME

func seccompAvailable() bool {
	if seccompArch == 0 {
		return false
	}
	_, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0)
	return err == nil
}

func bpfStmt(code uint16, k uint32) unix.SockFilter {
	return unix.SockFilter{Code: code, K: k}
}

func bpfJump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

func seccompProgram() []unix.SockFilter {
	const (
		ld     = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq    = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jge    = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
		jset   = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
		ret    = unix.BPF_RET | unix.BPF_K
		allow  = unix.SECCOMP_RET_ALLOW
		eperm  = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
		enosys = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	)
	p := []unix.SockFilter{
		bpfStmt(ld, secArch),
		bpfJump(jeq, seccompArch, 1, 0),
		bpfStmt(ret, unix.SECCOMP_RET_KILL_PROCESS),
		bpfStmt(ld, secNr),
	}
	if seccompX32Bit != 0 {
		p = append(p, bpfJump(jge, seccompX32Bit, 0, 1), bpfStmt(ret, eperm))
	}
	for _, nr := range seccompDenied {
		p = append(p, bpfJump(jeq, uint32(nr), 0, 1), bpfStmt(ret, eperm))
	}
	p = append(p, bpfJump(jeq, uint32(unix.SYS_CLONE3), 0, 1), bpfStmt(ret, enosys))
	// clone: refuse namespace flags (arg 0 on x86_64 and arm64).
	p = append(p,
		bpfJump(jeq, uint32(unix.SYS_CLONE), 0, 4),
		bpfStmt(ld, secArg0),
		bpfJump(jset, nsCloneFlags, 0, 1),
		bpfStmt(ret, eperm),
		bpfStmt(ret, allow),
	)
	// prlimit64: refuse a new limit (arg 2, a pointer: both halves zero
	// means none, i.e. only reading).
	p = append(p,
		bpfJump(jeq, uint32(unix.SYS_PRLIMIT64), 0, 6),
		bpfStmt(ld, secArg2),
		bpfJump(jeq, 0, 0, 3),
		bpfStmt(ld, secArg2+4),
		bpfJump(jeq, 0, 0, 1),
		bpfStmt(ret, allow),
		bpfStmt(ret, eperm),
	)
	// ioctl: refuse terminal input injection.
	p = append(p,
		bpfJump(jeq, uint32(unix.SYS_IOCTL), 0, 5),
		bpfStmt(ld, secArg1),
		bpfJump(jeq, unix.TIOCSTI, 2, 0),
		bpfJump(jeq, unix.TIOCLINUX, 1, 0),
		bpfStmt(ret, allow),
		bpfStmt(ret, eperm),
	)
	return append(p, bpfStmt(ret, allow))
}

// applySeccomp installs the filter on the calling thread (no_new_privs must
// be set); what it forks inherits it.
func applySeccomp() error {
	prog := seccompProgram()
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		return fmt.Errorf("seccomp: install filter: %w", errno)
	}
	return nil
}
