package files

import (
	"context"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

const inotifyMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
	unix.IN_CLOSE_WRITE | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR | unix.IN_EXCL_UNLINK

// watchInotify starts an inotify watcher on dirs that signals out, and
// reports false (having started nothing) if inotify cannot be used.
func (h *Home) watchInotify(ctx context.Context, dirs []string, out chan struct{}) bool {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return false // EMFILE: max_user_instances reached
	}
	// Non-blocking, so the runtime poller waits for it and Close interrupts
	// a pending Read.
	ino := os.NewFile(uintptr(fd), "inotify")
	for _, d := range dirs {
		f, err := h.root.Open(d)
		if err != nil {
			continue // gone, or not reachable: nothing to watch
		}
		// inotify_add_watch takes a path; /proc/self/fd/N names exactly the
		// folder the root opened, so no link is resolved outside the home.
		werr := withFD(f, func(dfd int) error {
			_, err := unix.InotifyAddWatch(fd, "/proc/self/fd/"+strconv.Itoa(dfd), inotifyMask)
			return err
		})
		f.Close()
		switch werr {
		case nil, unix.ENOTDIR, unix.ENOENT:
		default:
			ino.Close() // ENOSPC (max_user_watches), no /proc: poll instead
			return false
		}
	}
	stop := context.AfterFunc(ctx, func() { ino.Close() })
	go func() {
		defer close(out)
		buf := make([]byte, 16<<10)
		for {
			n, err := ino.Read(buf)
			if err != nil {
				if stop() { // failed on its own: close it here
					ino.Close()
				}
				return
			}
			if n > 0 {
				notify(out)
			}
		}
	}()
	return true
}
