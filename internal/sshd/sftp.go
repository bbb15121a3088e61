package sshd

// The SFTP subsystem (#17): sftp, modern scp (which speaks SFTP), editors'
// remote modes and the browser's upload and download all come in here.
//
// What we need: a student's files in and out, over the same accounts, keys,
// limits and audit as a terminal session, with every request treated as
// hostile: no path may reach outside the home, nothing may be written as
// anyone but the student, and the quota must hold.
//
// What we weighed: running OpenSSH's sftp-server in the student's sandbox
// (fast, complete, but a second process per transfer, no quota accounting
// before the kernel's, and no audit of what was sent); pkg/sftp's plain
// Server (it opens host paths itself, which is exactly what must not
// happen); pkg/sftp's request server, which hands every request to our
// handlers. We use the request server, and the handlers below do nothing
// but call internal/files, whose os.Root refuses "..", absolute names and
// links out, and whose Upload writes a replacement into a temporary file
// renamed over its target when the client closes it.
//
// What a client sees:
//   - A student's home is "/" of their view; nothing else exists. A
//     professor's view is their own home with the course folder, read-only,
//     at /course (it hides a "course" of their own home), and their students'
//     homes, read-only, at /students/NAME: each is opened through the
//     console's browse (Desk.BrowseHome: a professor's right, audited as
//     files.browse), never by a path into the homes folder.
//   - statvfs@openssh.com reports the quota (df in sftp).
//   - Links cannot be made (symlink, hardlink); chown is ignored, never done.
//   - A refused request's sentence (over quota, outside the home, read-only)
//     is also written to the session's stderr, which OpenSSH's sftp and scp
//     print: their own message is only the status code's name ("Failure").
//
// Limits: the session counts toward MaxSessionsPerUser like any other; at
// most sftpMaxHandles files and folders open at once, a folder's listing
// at most sftpMaxListing entries; a request packet is
// at most 256 KiB (pkg/sftp drops the session on a longer one) and a read
// returns at most 32 KiB; the requests that are not data (open, list, stat,
// rename, ...) are paced at sftpOpsPerSecond with a burst of sftpOpsBurst.
// Audited, with the path and never the content: every upload (with its size
// and outcome), download, delete, rename and new folder.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	"github.com/pkg/sftp"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/console"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/tui/termtext"
)

const (
	// sftpMaxHandles is how many files and folders one session may hold
	// open: clients keep one or two, parallel ones a few dozen.
	sftpMaxHandles = 64
	// sftpOpsPerSecond and sftpOpsBurst pace the requests that are not
	// reads or writes of an open file.
	sftpOpsPerSecond = 500
	sftpOpsBurst     = 1000
	// sftpNoticesPerSecond bounds the sentences written to stderr.
	sftpNoticesPerSecond = 5
	// sftpMaxListing is the most entries an open folder holds: a listing
	// stays in memory until its handle is closed, and a folder's entries
	// cost no quota.
	sftpMaxListing = 20000
)

// sftpHandler serves the "sftp" subsystem for a logged-in user.
func (s *Server) sftpHandler(sess ssh.Session) {
	ctx := sess.Context()
	u, err := s.opts.Accounts.User(ctx, sess.User())
	if err != nil {
		fmt.Fprintln(sess.Stderr(), "classroomd: your account could not be read; please try again in a moment.")
		_ = sess.Exit(1)
		return
	}
	if u.MustChangePassword {
		fmt.Fprintln(sess.Stderr(), "classroomd: your password was generated for you: choose your own first with `ssh -t HOST passwd`, then transfer files.")
		_ = sess.Exit(1)
		return
	}
	home, release, err := s.sftpHome(u.Username)
	if err != nil {
		logFailure(ctx, s.logFor(ctx), "sftp: home unavailable", "user", u.Username, "err", err)
		fmt.Fprintln(sess.Stderr(), "classroomd: your home folder could not be opened; please tell your professor. Nothing was changed.")
		_ = sess.Exit(1)
		return
	}
	defer release()
	v := &sftpView{
		s: s, ctx: context.WithoutCancel(ctx), home: home, user: u.Username,
		by:      accounts.Actor{Name: u.Username, Remote: sess.RemoteAddr().String()},
		stderr:  sess.Stderr(),
		ops:     newPacer(sftpOpsPerSecond, sftpOpsBurst),
		notices: newPacer(sftpNoticesPerSecond, sftpNoticesPerSecond),
		pending: map[string]*sftpUpload{},
		browsed: map[string]*files.Home{},
	}
	defer v.closeBrowsed()
	v.stop = ctx.Done()
	if u.Role == store.RoleProfessor && s.opts.Console != nil {
		v.desk = s.opts.Console.As(v.by)
	}
	if u.Role == store.RoleProfessor && s.opts.CourseDir != "" {
		if fi, err := os.Stat(s.opts.CourseDir); err == nil && fi.IsDir() {
			if course, err := files.OpenReadOnly(s.opts.CourseDir); err == nil {
				v.course = course
				defer course.Close()
			} else {
				s.logFor(ctx).Warn("sftp: course folder not shown", "dir", s.opts.CourseDir, "err", err)
			}
		}
	}
	h := sftp.Handlers{FileGet: v, FilePut: v, FileCmd: v, FileList: v}
	rs := sftp.NewRequestServer(sess, h)
	start := time.Now()
	// Serve returns at the client's EOF or a broken session; closing the
	// channel here would lose the exit status the client waits for.
	err = rs.Serve()
	s.logFor(ctx).Info("sftp session ended", "user", u.Username, "duration", time.Since(start).Round(time.Millisecond).String(),
		"uploads", v.uploads.Load(), "downloads", v.downloads.Load(), "err", errString(err))
	if err != nil && !errors.Is(err, io.EOF) {
		_ = sess.Exit(1)
		return
	}
	_ = sess.Exit(0)
}

func errString(err error) string {
	if err == nil || errors.Is(err, io.EOF) {
		return ""
	}
	return err.Error()
}

// sftpHome returns the user's home for SFTP, shared by all their SFTP
// sessions so that two parallel uploads check one usage count. The
// workspace's own Home (the editor's saves) keeps its own count, measured
// again at most every files.DefaultUsageMaxAge: for that long after an
// upload one save may pass a quota the upload has filled.
func (s *Server) sftpHome(username string) (*files.Home, func(), error) {
	s.sftpMu.Lock()
	defer s.sftpMu.Unlock()
	if s.sftpHomes == nil {
		s.sftpHomes = map[string]*sharedHome{}
	}
	sh := s.sftpHomes[username]
	if sh == nil {
		h, err := files.OpenHomeWith(s.homeDir(username), files.Options{QuotaBytes: int64(s.opts.Config.HomeQuotaMiB) << 20})
		if err != nil {
			return nil, nil, err
		}
		sh = &sharedHome{home: h}
		s.sftpHomes[username] = sh
	}
	sh.refs++
	var once sync.Once
	return sh.home, func() {
		once.Do(func() {
			s.sftpMu.Lock()
			defer s.sftpMu.Unlock()
			if sh.refs--; sh.refs == 0 {
				delete(s.sftpHomes, username)
				sh.home.Close()
			}
		})
	}, nil
}

type sharedHome struct {
	home *files.Home
	refs int
}

// sftpView is one SFTP session's view of the files: the handlers pkg/sftp calls.
type sftpView struct {
	s      *Server
	ctx    context.Context // for the audit: outlives the connection
	stop   <-chan struct{} // the connection's end
	home   *files.Home
	course *files.Home   // professors only: /course, read-only
	desk   *console.Desk // professors only: /students/NAME through BrowseHome
	user   string
	by     accounts.Actor
	stderr io.Writer

	ops, notices *pacer
	handles      atomic.Int32
	uploads      atomic.Int64
	downloads    atomic.Int64

	mu      sync.Mutex
	pending map[string]*sftpUpload // open uploads by their path, for setstat on them
	browsed map[string]*files.Home // students' homes opened through the desk
}

// studentsDir is where a professor's view shows students' homes.
const studentsDir = "/students"

// browse opens (once per session) a student's home through the console.
func (v *sftpView) browse(name string) (*files.Home, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if h := v.browsed[name]; h != nil {
		return h, nil
	}
	if len(v.browsed) >= sftpMaxHandles {
		return nil, fmt.Errorf("at most %d students' homes can be open in one transfer session; start another: %w", sftpMaxHandles, files.ErrReadOnly)
	}
	h, err := v.desk.BrowseHome(v.ctx, name)
	if err != nil {
		return nil, &statusError{code: sftp.ErrSSHFxNoSuchFile, err: err}
	}
	v.browsed[name] = h
	return h, nil
}

func (v *sftpView) closeBrowsed() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, h := range v.browsed {
		h.Close()
	}
	clear(v.browsed)
}

// errStudentsDir refuses what cannot be done to /students itself.
var errStudentsDir = fmt.Errorf("%s holds your students' homes, read-only; open one as %s/NAME: %w", studentsDir, studentsDir, files.ErrReadOnly)

// errOutside is what a path that names nothing in the view gets.
var errOutside = fmt.Errorf("that is outside your home folder: %w", files.ErrOutsideHome)

// resolve maps a cleaned absolute SFTP path to a home and a name in it; a
// nil home (and no error) is a professor's /students itself.
func (v *sftpView) resolve(p string) (*files.Home, string, error) {
	p = path.Clean("/" + p)
	if v.desk != nil && (p == studentsDir || strings.HasPrefix(p, studentsDir+"/")) {
		rest := strings.TrimPrefix(strings.TrimPrefix(p, studentsDir), "/")
		if rest == "" {
			return nil, "", nil
		}
		name, sub, _ := strings.Cut(rest, "/")
		h, err := v.browse(name)
		if err != nil {
			return nil, "", err
		}
		if sub == "" {
			sub = "."
		}
		return h, sub, nil
	}
	if v.course != nil && (p == "/course" || strings.HasPrefix(p, "/course/")) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "/course"), "/")
		if rel == "" {
			rel = "."
		}
		return v.course, rel, nil
	}
	rel := strings.TrimPrefix(p, "/")
	if rel == "" {
		rel = "."
	}
	return v.home, rel, nil
}

// status turns a files error into the SFTP status code it deserves, keeping
// its sentence as the message.
type statusError struct {
	code error
	err  error
}

func (e *statusError) Error() string   { return e.err.Error() }
func (e *statusError) Unwrap() []error { return []error{e.code, e.err} }

func toStatus(err error) error {
	if err == nil {
		return nil
	}
	var code error = sftp.ErrSSHFxFailure
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, files.ErrNotFound):
		code = sftp.ErrSSHFxNoSuchFile
	case errors.Is(err, files.ErrOutsideHome), errors.Is(err, files.ErrReadOnly), errors.Is(err, fs.ErrPermission),
		errors.Is(err, files.ErrProtected):
		code = sftp.ErrSSHFxPermissionDenied
	}
	return &statusError{code: code, err: err}
}

// refuse reports err to the client: as a status, and (paced) as a sentence
// on stderr, since OpenSSH's clients show only the status code's name.
func (v *sftpView) refuse(err error) error {
	if err == nil {
		return nil
	}
	if v.notices.allow() {
		// To the client's terminal: a path it sent or a name in the
		// home may hold escapes (most messages quote them already).
		fmt.Fprintf(v.stderr, "classroomd: %s\n", termtext.Name(err.Error()))
	}
	return toStatus(err)
}

// pace waits for the request's turn; it fails only when the client has gone.
func (v *sftpView) pace() error {
	if err := v.ops.wait(v.stop); err != nil {
		return sftp.ErrSSHFxConnectionLost
	}
	return nil
}

func (v *sftpView) takeHandle() error {
	if v.handles.Add(1) > sftpMaxHandles {
		v.handles.Add(-1)
		return v.refuse(fmt.Errorf("at most %d files can be open at once in one transfer session; close some first", sftpMaxHandles))
	}
	return nil
}

func (v *sftpView) audit(action, target, outcome, detail string) {
	v.s.opts.Accounts.Audit(v.ctx, v.by, action, target, outcome, detail)
}

func outcome(err error) string {
	if err != nil {
		return "failed"
	}
	return "ok"
}

// Fileread opens a file for a download.
func (v *sftpView) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	if err := v.pace(); err != nil {
		return nil, err
	}
	h, rel, err := v.resolve(r.Filepath)
	if err == nil && h == nil {
		err = errStudentsDir
	}
	if err != nil {
		return nil, v.refuse(err)
	}
	if err := v.takeHandle(); err != nil {
		return nil, err
	}
	f, err := h.Open(rel)
	if err != nil {
		v.handles.Add(-1)
		return nil, v.refuse(err)
	}
	v.downloads.Add(1)
	return &sftpDownload{v: v, f: f, path: r.Filepath}, nil
}

type sftpDownload struct {
	v    *sftpView
	f    *os.File
	path string
	read atomic.Int64
	once sync.Once
}

func (d *sftpDownload) ReadAt(p []byte, off int64) (int, error) {
	n, err := d.f.ReadAt(p, off)
	d.read.Add(int64(n))
	return n, err
}

func (d *sftpDownload) Close() error {
	d.once.Do(func() {
		d.f.Close()
		d.v.handles.Add(-1)
		d.v.audit("sftp.download", d.path, "ok", fmt.Sprintf("%d bytes read", d.read.Load()))
	})
	return nil
}

// Filewrite opens a file for an upload.
func (v *sftpView) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	if err := v.pace(); err != nil {
		return nil, err
	}
	h, rel, err := v.resolve(r.Filepath)
	if err == nil && h == nil {
		err = errStudentsDir
	}
	if err != nil {
		return nil, v.refuse(err)
	}
	fl := r.Pflags()
	if !fl.Creat {
		// Without O_CREAT the file must be there already.
		if _, err := h.Lstat(rel); err != nil {
			return nil, v.refuse(err)
		}
	}
	o := files.UploadOptions{Truncate: fl.Trunc, Exclusive: fl.Creat && fl.Excl}
	if r.AttrFlags().Permissions {
		o.Mode = fs.FileMode(r.Attributes().Mode).Perm()
	}
	if err := v.takeHandle(); err != nil {
		return nil, err
	}
	up, err := h.Upload(rel, o)
	if err != nil {
		v.handles.Add(-1)
		v.audit("sftp.upload", r.Filepath, "failed", err.Error())
		return nil, v.refuse(err)
	}
	w := &sftpUpload{v: v, up: up, path: r.Filepath}
	v.mu.Lock()
	v.pending[r.Filepath] = w
	v.mu.Unlock()
	v.uploads.Add(1)
	return w, nil
}

type sftpUpload struct {
	v    *sftpView
	up   *files.Upload
	path string

	mu       sync.Mutex
	done     bool
	failed   error // the first write error, already shown
	refusals int
}

func (w *sftpUpload) WriteAt(p []byte, off int64) (int, error) {
	n, err := w.up.WriteAt(p, off)
	if err != nil {
		w.mu.Lock()
		first := w.failed == nil
		if first {
			w.failed = err
		}
		w.mu.Unlock()
		if first {
			return n, w.v.refuse(err)
		}
		return n, toStatus(err)
	}
	return n, nil
}

// Close commits the upload: the client closed the file.
func (w *sftpUpload) Close() error {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return nil
	}
	w.done = true
	failed := w.failed
	w.mu.Unlock()
	w.forget()
	err := w.up.Commit()
	detail := fmt.Sprintf("%d bytes", w.up.Written())
	if err != nil {
		detail += ": " + err.Error()
	}
	w.v.audit("sftp.upload", w.path, outcome(err), detail)
	if err != nil {
		if failed != nil {
			return toStatus(err) // already said
		}
		return w.v.refuse(err)
	}
	return nil
}

// TransferError is called when the connection ends with the file still
// open: the upload is dropped, the target left as it was.
func (w *sftpUpload) TransferError(err error) {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return
	}
	w.done = true
	w.mu.Unlock()
	w.forget()
	w.up.Abort()
	w.v.audit("sftp.upload", w.path, "failed", fmt.Sprintf("%d bytes, then the connection ended: %v", w.up.Written(), err))
}

func (w *sftpUpload) forget() {
	w.v.mu.Lock()
	if w.v.pending[w.path] == w {
		delete(w.v.pending, w.path)
	}
	w.v.mu.Unlock()
	w.v.handles.Add(-1)
}

// Filecmd runs setstat, rename, rmdir, mkdir, remove; links are refused.
func (v *sftpView) Filecmd(r *sftp.Request) error {
	if err := v.pace(); err != nil {
		return err
	}
	h, rel, err := v.resolve(r.Filepath)
	if err == nil && h == nil {
		err = errStudentsDir
	}
	if err != nil {
		return v.refuse(err)
	}
	switch r.Method {
	case "Setstat":
		return v.setstat(r, h, rel)
	case "Rename", "PosixRename":
		th, trel, err := v.resolve(r.Target)
		if err == nil && th == nil {
			err = errStudentsDir
		}
		if err != nil {
			return v.refuse(err)
		}
		if th != h {
			return v.refuse(fmt.Errorf("%s and %s are in different folders (your home and /course); copy the file instead: %w",
				r.Filepath, r.Target, files.ErrReadOnly))
		}
		err = h.MoveTo(rel, trel, r.Method == "PosixRename")
		v.audit("sftp.rename", r.Filepath+" -> "+r.Target, outcome(err), errDetail(err))
		return v.refuse(err)
	case "Rmdir":
		err := h.RemoveFolder(rel)
		v.audit("sftp.delete", r.Filepath, outcome(err), "folder"+errSuffix(err))
		return v.refuse(err)
	case "Remove":
		err := h.RemoveFile(rel)
		v.audit("sftp.delete", r.Filepath, outcome(err), "file"+errSuffix(err))
		return v.refuse(err)
	case "Mkdir":
		err := h.NewFolder(rel)
		v.audit("sftp.mkdir", r.Filepath, outcome(err), errDetail(err))
		return v.refuse(err)
	case "Link", "Symlink":
		return v.refuse(&statusError{code: sftp.ErrSSHFxOpUnsupported, err: errors.New("links cannot be made here; send a copy of the file instead")})
	}
	return sftp.ErrSSHFxOpUnsupported
}

func errDetail(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

// PosixRename is posix-rename@openssh.com: a file at the target is replaced.
func (v *sftpView) PosixRename(r *sftp.Request) error { return v.Filecmd(r) }

// setstat applies a mode, times or size; an owner change is ignored (the
// files are the student's and stay so). On a file being uploaded it applies
// to the upload (OpenSSH's put -p sets them before closing the file).
func (v *sftpView) setstat(r *sftp.Request, h *files.Home, rel string) error {
	fl, at := r.AttrFlags(), r.Attributes()
	v.mu.Lock()
	w := v.pending[r.Filepath]
	v.mu.Unlock()
	if w != nil {
		if fl.Permissions {
			if err := w.up.SetMode(fs.FileMode(at.Mode)); err != nil {
				return v.refuse(err)
			}
		}
		if fl.Acmodtime {
			w.up.SetTimes(time.Unix(int64(at.Atime), 0), time.Unix(int64(at.Mtime), 0))
		}
		if fl.Size {
			if err := w.up.Truncate(int64(at.Size)); err != nil {
				return v.refuse(err)
			}
		}
		return nil
	}
	if fl.Size {
		if err := h.Truncate(rel, int64(at.Size)); err != nil {
			return v.refuse(err)
		}
	}
	if fl.Permissions {
		if err := h.Chmod(rel, fs.FileMode(at.Mode)); err != nil {
			return v.refuse(err)
		}
	}
	if fl.Acmodtime {
		if err := h.Chtimes(rel, time.Unix(int64(at.Atime), 0), time.Unix(int64(at.Mtime), 0)); err != nil {
			return v.refuse(err)
		}
	}
	return nil
}

// StatVFS is statvfs@openssh.com: the quota and what is left of it.
func (v *sftpView) StatVFS(r *sftp.Request) (*sftp.StatVFS, error) {
	if err := v.pace(); err != nil {
		return nil, err
	}
	h, _, err := v.resolve(r.Filepath)
	if err == nil && h == nil {
		h = v.home
	}
	if err != nil {
		return nil, toStatus(err)
	}
	sp, err := h.Space()
	if err != nil {
		return nil, toStatus(err)
	}
	const bs = 4096
	return &sftp.StatVFS{Bsize: bs, Frsize: bs, Blocks: uint64(sp.Total) / bs, Bfree: uint64(sp.Free) / bs,
		Bavail: uint64(sp.Free) / bs, Namemax: uint64(sp.NameMax)}, nil
}

// Filelist answers List, Stat, Lstat and Readlink.
func (v *sftpView) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	if err := v.pace(); err != nil {
		return nil, err
	}
	h, rel, err := v.resolve(r.Filepath)
	if err != nil {
		return nil, toStatus(err)
	}
	if h == nil {
		return v.listStudents(r)
	}
	switch r.Method {
	case "List":
		// Only opendir lists: the listing is held with its handle until
		// closed, so it counts as an open handle.
		if err := v.takeHandle(); err != nil {
			return nil, err
		}
		infos, err := h.ListInfo(rel)
		if err != nil {
			v.handles.Add(-1)
			return nil, toStatus(err)
		}
		if len(infos) > sftpMaxListing {
			if v.notices.allow() {
				fmt.Fprintf(v.stderr, "classroomd: %s holds %d entries; only the first %d are listed. Fetch files by name, or split the folder.\n",
					r.Filepath, len(infos), sftpMaxListing)
			}
			infos = slices.Clone(infos[:sftpMaxListing]) // the rest is freed
		}
		if (v.course != nil || v.desk != nil) && h == v.home && rel == "." {
			// /course and /students hide those names of the professor's own home.
			kept := infos[:0]
			for _, fi := range infos {
				if !(v.course != nil && fi.Name() == "course") && !(v.desk != nil && fi.Name() == "students") {
					kept = append(kept, fi)
				}
			}
			infos = kept
			if v.course != nil {
				if fi, err := v.course.StatFollow("."); err == nil {
					infos = append(infos, namedInfo{FileInfo: fi, name: "course"})
				}
			}
			if v.desk != nil {
				infos = append(infos, dirInfo("students"))
			}
		}
		return &dirLister{listerAt: infos, v: v}, nil
	case "Stat", "Lstat":
		stat := h.StatFollow
		if r.Method == "Lstat" {
			stat = h.Lstat
		}
		fi, err := stat(rel)
		if err != nil {
			return nil, toStatus(err)
		}
		return listerAt{namedInfo{FileInfo: fi, name: path.Base(path.Clean("/" + r.Filepath))}}, nil
	case "Readlink":
		target, err := h.Readlink(rel)
		if err != nil {
			return nil, toStatus(err)
		}
		return listerAt{namedInfo{FileInfo: linkInfo{}, name: target}}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

// listStudents answers for /students itself: a read-only folder whose
// entries are the roster's students (their homes open on use).
func (v *sftpView) listStudents(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "Stat", "Lstat":
		return listerAt{dirInfo("students")}, nil
	case "List":
		if err := v.takeHandle(); err != nil {
			return nil, err
		}
		roster, err := v.desk.Roster(v.ctx)
		if err != nil {
			v.handles.Add(-1)
			return nil, toStatus(err)
		}
		var infos []os.FileInfo
		for _, st := range roster {
			if st.Role == store.RoleStudent {
				infos = append(infos, dirInfo(st.Username))
			}
		}
		return &dirLister{listerAt: infos, v: v}, nil
	}
	return nil, toStatus(errStudentsDir)
}

// dirInfo is a read-only folder that is not on disk (/students and its entries).
type dirInfo string

func (d dirInfo) Name() string     { return string(d) }
func (dirInfo) Size() int64        { return 0 }
func (dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (dirInfo) ModTime() time.Time { return time.Time{} }
func (dirInfo) IsDir() bool        { return true }
func (dirInfo) Sys() any           { return nil }

// RealPath resolves a path lexically within the view: links are not
// followed (following them is os.Root's job, on use).
func (v *sftpView) RealPath(p string) (string, error) {
	return path.Clean("/" + p), nil
}

type listerAt []os.FileInfo

func (l listerAt) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if off+int64(n) >= int64(len(l)) {
		return n, io.EOF
	}
	return n, nil
}

// dirLister is an open folder's listing; Close gives its handle back.
type dirLister struct {
	listerAt
	v    *sftpView
	once sync.Once
}

func (d *dirLister) Close() error {
	d.once.Do(func() { d.v.handles.Add(-1) })
	return nil
}

// namedInfo renames a FileInfo (the root of a view is "/", not its folder's name).
type namedInfo struct {
	os.FileInfo
	name string
}

func (n namedInfo) Name() string { return n.name }

// linkInfo is the FileInfo of a readlink answer, which carries only a name.
type linkInfo struct{}

func (linkInfo) Name() string       { return "" }
func (linkInfo) Size() int64        { return 0 }
func (linkInfo) Mode() fs.FileMode  { return fs.ModeSymlink | 0o777 }
func (linkInfo) ModTime() time.Time { return time.Time{} }
func (linkInfo) IsDir() bool        { return false }
func (linkInfo) Sys() any           { return nil }

// pacer is a token bucket: wait blocks until a token is free.
type pacer struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

func newPacer(rate, burst float64) *pacer {
	return &pacer{rate: rate, burst: burst, tokens: burst, last: time.Now()}
}

// reserve takes a token and says how long to wait before using it.
func (p *pacer) reserve() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	p.tokens = min(p.burst, p.tokens+now.Sub(p.last).Seconds()*p.rate)
	p.last = now
	p.tokens--
	if p.tokens >= 0 {
		return 0
	}
	return time.Duration(-p.tokens / p.rate * float64(time.Second))
}

// allow takes a token if one is free now.
func (p *pacer) allow() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	p.tokens = min(p.burst, p.tokens+now.Sub(p.last).Seconds()*p.rate)
	p.last = now
	if p.tokens < 1 {
		return false
	}
	p.tokens--
	return true
}

func (p *pacer) wait(stop <-chan struct{}) error {
	d := p.reserve()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-stop:
		return errors.New("the client left")
	}
}
