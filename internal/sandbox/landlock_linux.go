package sandbox

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Landlock is written against the raw system calls rather than
// github.com/landlock-lsm/go-landlock because we want the opposite of that
// library's main feature: it restricts every thread of the calling Go process
// (through psx), whereas the init must restrict only the one locked thread
// that forks the student's program (the domain is inherited across fork and
// exec). The three calls and two structs involved are stable kernel ABI.
//
// Inside the sandbox Landlock is a second fence behind the mount namespace:
// should a mount ever show more than intended, the program still may write
// only below its home, /tmp and /dev/shm, read and execute /usr, read /etc,
// /course and /proc, and use the few devices in /dev. From ABI 4 it also
// refuses every TCP bind and connect, and from ABI 6 it scopes signals and
// abstract unix sockets to the sandbox.

// Access rights per ABI version (include/uapi/linux/landlock.h).
const (
	llExecute    = unix.LANDLOCK_ACCESS_FS_EXECUTE
	llWriteFile  = unix.LANDLOCK_ACCESS_FS_WRITE_FILE
	llReadFile   = unix.LANDLOCK_ACCESS_FS_READ_FILE
	llReadDir    = unix.LANDLOCK_ACCESS_FS_READ_DIR
	llRemoveDir  = unix.LANDLOCK_ACCESS_FS_REMOVE_DIR
	llRemoveFile = unix.LANDLOCK_ACCESS_FS_REMOVE_FILE
	llMakeChar   = unix.LANDLOCK_ACCESS_FS_MAKE_CHAR
	llMakeDir    = unix.LANDLOCK_ACCESS_FS_MAKE_DIR
	llMakeReg    = unix.LANDLOCK_ACCESS_FS_MAKE_REG
	llMakeSock   = unix.LANDLOCK_ACCESS_FS_MAKE_SOCK
	llMakeFifo   = unix.LANDLOCK_ACCESS_FS_MAKE_FIFO
	llMakeBlock  = unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK
	llMakeSym    = unix.LANDLOCK_ACCESS_FS_MAKE_SYM
	llRefer      = unix.LANDLOCK_ACCESS_FS_REFER        // ABI 2
	llTruncate   = unix.LANDLOCK_ACCESS_FS_TRUNCATE     // ABI 3
	llIoctlDev   = unix.LANDLOCK_ACCESS_FS_IOCTL_DEV    // ABI 5
	llNetBind    = unix.LANDLOCK_ACCESS_NET_BIND_TCP    // ABI 4
	llNetConnect = unix.LANDLOCK_ACCESS_NET_CONNECT_TCP // ABI 4

	llABI1 = llExecute | llWriteFile | llReadFile | llReadDir | llRemoveDir | llRemoveFile |
		llMakeChar | llMakeDir | llMakeReg | llMakeSock | llMakeFifo | llMakeBlock | llMakeSym

	llRead   = llReadFile | llReadDir
	llRX     = llRead | llExecute
	llRWHome = llRX | llWriteFile | llRemoveDir | llRemoveFile | llMakeDir | llMakeReg |
		llMakeSock | llMakeFifo | llMakeSym | llRefer | llTruncate
	llDev = llRead | llWriteFile | llTruncate | llIoctlDev
)

// landlockABI returns the kernel's Landlock ABI version, 0 if none.
func landlockABI() int {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return 0
	}
	return int(v)
}

// rulesetAttr is struct landlock_ruleset_attr up to ABI 6; its size tells the
// kernel which fields we know.
type rulesetAttr struct {
	handledFS  uint64
	handledNet uint64
	scoped     uint64
}

func handledFS(abi int) uint64 {
	h := uint64(llABI1)
	if abi >= 2 {
		h |= llRefer
	}
	if abi >= 3 {
		h |= llTruncate
	}
	if abi >= 5 {
		h |= llIoctlDev
	}
	return h
}

// applyLandlock restricts the calling thread (no_new_privs must be set).
func applyLandlock(abi int, home string, course bool) error {
	handled := handledFS(abi)
	attr := rulesetAttr{handledFS: handled}
	size := unsafe.Sizeof(attr.handledFS)
	if abi >= 4 {
		attr.handledNet = llNetBind | llNetConnect // no rule grants any: all TCP refused
		size += unsafe.Sizeof(attr.handledNet)
	}
	if abi >= 6 {
		attr.scoped = unix.LANDLOCK_SCOPE_SIGNAL | unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
		size += unsafe.Sizeof(attr.scoped)
	}
	fd, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), size, 0)
	if errno != 0 {
		return fmt.Errorf("landlock: create ruleset: %w", errno)
	}
	ruleset := int(fd)
	defer unix.Close(ruleset)

	rules := []struct {
		path   string
		access uint64
	}{
		{"/", llReadDir},
		{"/usr", llRX},
		{"/etc", llRead},
		{"/proc", llRead},
		{"/dev", llDev},
		{"/dev/shm", llRWHome},
		{"/tmp", llRWHome},
		{home, llRWHome},
	}
	if course {
		rules = append(rules, struct {
			path   string
			access uint64
		}{"/course", llRead})
	}
	for _, r := range rules {
		if err := landlockAllow(ruleset, r.path, r.access&handled); err != nil {
			return err
		}
	}
	if _, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(ruleset), 0, 0); errno != 0 {
		return fmt.Errorf("landlock: restrict: %w", errno)
	}
	return nil
}

func landlockAllow(ruleset int, path string, access uint64) error {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("landlock: open %s: %w", path, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("landlock: stat %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		// Directory-only rights on a file are EINVAL.
		access &^= llReadDir | llRemoveDir | llRemoveFile | llMakeChar | llMakeDir | llMakeReg |
			llMakeSock | llMakeFifo | llMakeBlock | llMakeSym | llRefer
	}
	attr := unix.LandlockPathBeneathAttr{Allowed_access: access, Parent_fd: int32(fd)}
	_, _, errno := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(ruleset), unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&attr)), 0, 0, 0)
	if errno != 0 {
		return fmt.Errorf("landlock: allow %s: %w", path, errno)
	}
	return nil
}
