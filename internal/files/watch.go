package files

import (
	"context"
	"slices"
	"syscall"
	"time"
)

// Watch tells the file browser when the folders rels (relative to the home;
// "." is the home) change: an entry appears, disappears or is renamed, or a
// file in them is written and closed. Each change sends on the returned
// channel, which holds at most one pending signal, so a burst of changes (a
// program writing a hundred files) costs the reader one refresh, taken at its
// own pace. The channel is closed when ctx ends, and the watcher's goroutine
// and descriptors are gone then too. To follow another set of folders (the
// student opened or closed one), cancel and call Watch again.
//
// Only the folders named are watched, not what is below them: the browser
// passes those it shows expanded. Folders that do not exist or are not
// folders are skipped (a program may just have deleted one); a name that
// leads outside the home is refused with ErrOutsideHome.
//
// On Linux it uses inotify, on the folders opened through the root (so a
// link cannot make it watch something outside the home). Each call uses one
// inotify instance, and the kernel allows 128 per user by default
// (fs.inotify.max_user_instances; the daemon's are all root's): keep one
// Watch per live workspace, not per view, and raise that limit on a server
// with many students. When inotify is unavailable or exhausted, Watch falls
// back to checking the folders' modification times every PollInterval (1 s
// by default), which sees entries come and go but not a file's size change.
func (h *Home) Watch(ctx context.Context, rels []string) (<-chan struct{}, error) {
	dirs := make([]string, 0, len(rels))
	for _, rel := range rels {
		name, err := localName(rel)
		if err != nil {
			return nil, h.fail("watch", rel, err)
		}
		if !slices.Contains(dirs, name) {
			dirs = append(dirs, name)
		}
	}
	out := make(chan struct{}, 1)
	if !h.noInotify && h.watchInotify(ctx, dirs, out) {
		return out, nil
	}
	go h.pollDirs(ctx, dirs, h.stamps(dirs), out)
	return out, nil
}

// notify sends a signal unless one is already pending.
func notify(out chan<- struct{}) {
	select {
	case out <- struct{}{}:
	default:
	}
}

// dirStamp is what polling compares: a folder's identity and change times.
type dirStamp struct {
	ok       bool
	dev, ino uint64
	mtime    int64
	size     int64
}

func (h *Home) stamps(dirs []string) []dirStamp {
	out := make([]dirStamp, len(dirs))
	for i, d := range dirs {
		fi, err := h.root.Stat(d)
		if err != nil {
			continue
		}
		s := dirStamp{ok: true, mtime: fi.ModTime().UnixNano(), size: fi.Size()}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			s.dev, s.ino = uint64(st.Dev), uint64(st.Ino)
		}
		out[i] = s
	}
	return out
}

func (h *Home) pollDirs(ctx context.Context, dirs []string, last []dirStamp, out chan<- struct{}) {
	defer close(out)
	t := time.NewTicker(h.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := h.stamps(dirs)
		if !slices.Equal(now, last) {
			notify(out)
			last = now
		}
	}
}
