package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// newRootMount is where the init mounts the tmpfs that becomes the sandbox's
// root, inside its private mount namespace (the host's /tmp is untouched).
// Sources that might live below it (the home, the course folder, the pty)
// are bound from file descriptors the parent opened, never by path.
const newRootMount = "/tmp"

// etcFiles are the host's /etc entries a sandbox sees, read-only: what the
// dynamic linker, Python, readline, SSL and matplotlib look for. passwd,
// group, hosts, hostname and nsswitch.conf are generated instead; everything
// else (shadow, ssh keys, the daemon's configuration) is simply absent.
var etcFiles = []string{
	"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone",
	"alternatives", "ssl", "ca-certificates", "mime.types", "fonts",
	"matplotlibrc", "inputrc", "terminfo", "os-release", "debian_version",
	"locale.alias", "papersize",
}

// rootLinks are the top-level names that Debian (merged /usr) makes symlinks
// into /usr. Whatever they are on the host is mirrored: a symlink as the
// same symlink, a directory as a read-only bind.
var rootLinks = []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"}

// buildRoot assembles the sandbox's file system and pivots into it. It runs
// in the init, as root of the new user namespace, before anything of the
// student's runs.
func buildRoot(cfg *initConfig) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / rprivate: %w", err)
	}
	// Bind sources must be mounts of this namespace: the descriptors the
	// parent opened point into its namespace (binding them is EINVAL), so
	// open the same paths again here, before anything is mounted over them,
	// and check they are the very files the parent validated.
	home, err := reopen(cfg.HomePath, fdHome)
	if err != nil {
		return fmt.Errorf("open home: %w", err)
	}
	defer unix.Close(home)
	course := -1
	if cfg.HasCourse {
		if course, err = reopen(cfg.CoursePath, fdCourse); err != nil {
			return fmt.Errorf("open course folder: %w", err)
		}
		defer unix.Close(course)
	}
	pts := -1
	if cfg.Pty {
		name, err := os.Readlink(fdPath(0))
		if err != nil {
			return fmt.Errorf("find the pty: %w", err)
		}
		if !strings.HasPrefix(name, "/dev/pts/") {
			return fmt.Errorf("find the pty: stdin is %s, not a pts", name)
		}
		if pts, err = reopen(name, 0); err != nil {
			return fmt.Errorf("open the pty: %w", err)
		}
		defer unix.Close(pts)
		cfg.ptsName = filepath.Base(name)
	}

	r := newRootMount
	if err := unix.Mount("tmpfs", r, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,size=4m,nr_inodes=4096"); err != nil {
		return fmt.Errorf("mount the sandbox root: %w", err)
	}
	at := func(p string) string { return filepath.Join(r, p) }

	// System directories, read-only.
	if err := bindDir("/usr", at("usr"), true, 0); err != nil {
		return err
	}
	for _, name := range rootLinks {
		if err := mirror("/"+name, at(name)); err != nil {
			return err
		}
	}
	if err := buildEtc(cfg, at("etc")); err != nil {
		return err
	}

	// The home, read-write (read-only when over quota) but nosuid and nodev.
	if err := bindDir(fdPath(home), at("home/"+cfg.Username), cfg.HomeReadOnly, unix.MS_NOSUID|unix.MS_NODEV); err != nil {
		return err
	}
	if err := os.Chmod(at("home"), 0o755); err != nil {
		return err
	}
	if cfg.HasCourse {
		if err := bindDir(fdPath(course), at("course"), true, 0); err != nil {
			return err
		}
	}
	tmpfsSize := cfg.Limits.TmpBytes
	if tmpfsSize <= 0 {
		tmpfsSize = 64 << 20
	}
	if err := mountTmpfs(at("tmp"), "mode=1777", tmpfsSize); err != nil {
		return err
	}
	if err := buildDev(cfg, at("dev"), pts, tmpfsSize); err != nil {
		return err
	}
	// A fresh /proc that shows only the sandbox's own pid namespace.
	if err := os.MkdirAll(at("proc"), 0o755); err != nil {
		return err
	}
	if err := unix.Mount("proc", at("proc"), "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc in the sandbox: %w", err)
	}

	// pivot_root(".", ".") stacks the old root under the new one; detaching
	// it then leaves nothing of the host reachable.
	if err := os.Chdir(r); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the host's root: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	// The root itself read-only too: nothing but mount points and /etc.
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("make the sandbox root read-only: %w", err)
	}
	if err := unix.Sethostname([]byte("classroom")); err != nil {
		return fmt.Errorf("set hostname: %w", err)
	}
	return nil
}

// reopen opens path (O_PATH, no symlink at the end) and checks that it is
// the same file as the descriptor want, which the parent opened and checked.
func reopen(path string, want int) (int, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	var a, b unix.Stat_t
	if err := unix.Fstat(fd, &a); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Fstat(want, &b); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if a.Dev != b.Dev || a.Ino != b.Ino {
		unix.Close(fd)
		return -1, fmt.Errorf("%s changed while the sandbox was being set up", path)
	}
	return fd, nil
}

func fdPath(fd int) string { return "/proc/self/fd/" + itoa(fd) }

// bindDir bind-mounts src (recursively) at dst, then remounts it with the
// given flags (and read-only if ro). The remount must keep the flags the
// kernel locked when our user namespace was made (a host mount that is
// nosuid stays nosuid), so they are read from statfs first.
func bindDir(src, dst string, ro bool, flags uintptr) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	return bind(src, dst, ro, flags)
}

func bindFile(src, dst string, ro bool) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	f.Close()
	return bind(src, dst, ro, unix.MS_NOSUID)
}

func bind(src, dst string, ro bool, flags uintptr) error {
	if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s at %s: %w", src, strings.TrimPrefix(dst, newRootMount), err)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dst, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dst, err)
	}
	locked := uintptr(0)
	for _, f := range []struct{ st, ms uintptr }{
		{unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_RDONLY, unix.MS_RDONLY}, {unix.ST_NOATIME, unix.MS_NOATIME}, {unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if uintptr(st.Flags)&f.st != 0 {
			locked |= f.ms
		}
	}
	flags |= locked
	if ro {
		flags |= unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV
	}
	if err := unix.Mount("", dst, "", unix.MS_REMOUNT|unix.MS_BIND|flags, ""); err != nil {
		return fmt.Errorf("remount %s (read-only=%v): %w", strings.TrimPrefix(dst, newRootMount), ro, err)
	}
	return nil
}

// mirror reproduces host path src at dst: a symlink as the same symlink, a
// directory as a read-only bind, nothing if it does not exist.
func mirror(src, dst string) error {
	fi, err := os.Lstat(src)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case fi.IsDir():
		return bindDir(src, dst, true, 0)
	case fi.Mode().IsRegular():
		return bindFile(src, dst, true)
	}
	return nil
}

func mountTmpfs(dst, opts string, size int64) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	opts = fmt.Sprintf("%s,size=%d", opts, size)
	if err := unix.Mount("tmpfs", dst, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mount tmpfs at %s: %w", strings.TrimPrefix(dst, newRootMount), err)
	}
	return nil
}

func buildEtc(cfg *initConfig, etc string) error {
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return err
	}
	u, uid, gid := cfg.Username, itoa(cfg.UID), itoa(cfg.GID)
	gen := map[string]string{
		"passwd": "root:x:0:0:root:/root:/usr/sbin/nologin\n" +
			u + ":x:" + uid + ":" + gid + ":" + u + ":/home/" + u + ":/bin/sh\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"group":         "root:x:0:\n" + u + ":x:" + gid + ":\n" + "nogroup:x:65534:\n",
		"hostname":      "classroom\n",
		"hosts":         "127.0.0.1 localhost classroom\n::1 localhost ip6-localhost ip6-loopback\n",
		"nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files\nservices: files\nprotocols: files\n",
	}
	for name, content := range gen {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	for _, name := range etcFiles {
		if err := mirror("/etc/"+name, filepath.Join(etc, name)); err != nil {
			return err
		}
	}
	// /etc/python3 and /etc/python3.N (Debian's sitecustomize lives there).
	pys, _ := filepath.Glob("/etc/python3*")
	for _, p := range pys {
		if err := mirror(p, filepath.Join(etc, filepath.Base(p))); err != nil {
			return err
		}
	}
	// Spec.Files (validated names): read-only once the root is.
	for name, content := range cfg.Files {
		dst := filepath.Join(etc, strings.TrimPrefix(EtcFilesDir, "/etc/"), filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, []byte(content), 0o444); err != nil {
			return err
		}
	}
	return nil
}

// buildDev makes a minimal /dev: the harmless character devices bound from
// the host (a user namespace may not mknod), the program's own pty and
// nothing else (no other pts, no ptmx), a /dev/shm for Python's
// multiprocessing, and the usual fd links.
func buildDev(cfg *initConfig, dev string, pts int, shmSize int64) error {
	if err := mountTmpfs(dev, "mode=0755", 1<<20); err != nil {
		return err
	}
	for _, name := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		if err := bindFile("/dev/"+name, filepath.Join(dev, name), false); err != nil {
			return err
		}
	}
	if err := os.Mkdir(filepath.Join(dev, "pts"), 0o755); err != nil {
		return err
	}
	if pts >= 0 {
		// Bound at its host name so that ttyname(0) finds it.
		if err := bindFile(fdPath(pts), filepath.Join(dev, "pts", cfg.ptsName), false); err != nil {
			return err
		}
	}
	if err := mountTmpfs(filepath.Join(dev, "shm"), "mode=1777", shmSize); err != nil {
		return err
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	} {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return err
		}
	}
	// The tmpfs itself read-only: the program cannot add names to /dev.
	if err := unix.Mount("", dev, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("make /dev read-only: %w", err)
	}
	return nil
}
