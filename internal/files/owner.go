package files

import (
	"io/fs"
	"os"
	"path"
	"syscall"
)

// Owner is the host uid and gid a student's files belong to.
type Owner struct{ UID, GID int }

// NoOwner leaves files owned by the daemon (no root, or no sandbox uids).
var NoOwner = Owner{UID: -1, GID: -1}

// applies reports whether ownership can and should be set: only root may give
// files away, and only a real student uid is worth giving them to.
func (o Owner) applies() bool { return o.UID > 0 && os.Geteuid() == 0 }

func (o Owner) owns(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == o.UID && int(st.Gid) == o.GID
}

// repair gives name (a folder in root) and everything below it to o. Lchown never
// follows a link, and the walk stays inside root.
func (o Owner) repair(root *os.Root, name string) error {
	if err := root.Lchown(name, o.UID, o.GID); err != nil {
		return err
	}
	f, err := root.Open(name)
	if err != nil {
		return err
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, e := range entries {
		child := path.Join(name, e.Name())
		if e.IsDir() {
			if err := o.repair(root, child); err != nil {
				return err
			}
		} else if err := root.Lchown(child, o.UID, o.GID); err != nil {
			return err
		}
	}
	return nil
}

// inheritOwner gives f the owner of folder dir in root, when running as root.
func inheritOwner(root *os.Root, dir string, f *os.File) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := root.Stat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}
