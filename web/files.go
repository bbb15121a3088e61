package web

// Files in and out of the browser: upload into the student's home and
// download of a file, or of a folder as a zip (#17).
//
// What we need: a student at a Chromebook brings a data set or takes their
// work home, with the same rules as scp: only their own home, the same
// names, the same quota, the same audit. What we weighed: reading and
// writing the home here, through internal/files, would be quickest, but it
// is a second way into a student's files that skips the SSH server's
// session limits and audit, and `web` must reach sessions only through SSH
// (DESIGN.md). So every transfer rides the SSH server's "sftp" subsystem on
// the student's own SSH connection, dialled with DialFunc exactly as the
// terminal's bridge is: confinement (os.Root), names, quota, atomic writes
// and the audit are the SFTP server's, and the web checks only what a
// browser sends (its origin, the CSRF token, sizes and names) and turns the
// answers into sentences.
//
// What we do:
//   - One SSH connection per browser session, shared by its transfers and
//     closed after idleConnAfter without one (a login, audited, per batch of
//     uploads rather than per file), and at most maxTransfersPerSession
//     transfers at once on it; each transfer opens its own SFTP channel on
//     it (counted by the SSH server's session limit), so a broken upload
//     closes its own channel only. The
//     SFTP server aborts a file whose channel closes before the file was
//     closed, so a browser that stops half way leaves nothing behind.
//   - Uploads are one POST per file with the bytes as the body (no
//     multipart parsing, no temporary copy here): the page sends them one
//     after the other, each with XMLHttpRequest for its progress. Before
//     sending, the page asks /files/plan, which says which names are taken
//     and whether the files fit, so that refusals are shown before any byte
//     is sent (a server that answers an upload before reading its body
//     leaves the browser with a network error, not the answer).
//   - A folder downloads as a zip written as it is read (archive/zip over
//     the ResponseWriter), after a walk that counts it against
//     MaxDownloadBytes and MaxZipEntries. Links are left out. An error once
//     the zip has started aborts the response, so the browser reports a
//     failed download rather than saving a truncated zip.
//   - Mutating requests (plan, upload) must come from this site's own page:
//     its Origin (as /ws and the login form) and the CSRF token the page
//     was given, an HMAC of the session cookie. Downloads are GETs: they
//     change nothing, the cookie is SameSite=Strict, and a Sec-Fetch-Site
//     naming another site is refused.

import (
	"archive/zip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/files"
)

// Defaults of the transfer limits (Options).
const (
	DefaultMaxUploadBytes   = 512 << 20
	DefaultMaxDownloadBytes = 2 << 30
	DefaultMaxZipEntries    = 20000
	// maxPlanBytes bounds a /files/plan request; maxPlanFiles the files it names.
	maxPlanBytes = 256 << 10
	maxPlanFiles = 1000
	// idleConnAfter closes a browser session's SSH connection for transfers.
	idleConnAfter = 30 * time.Second
	// maxTransfersPerSession bounds one browser session's transfers at once
	// (the page sends one file at a time; each transfer is an SFTP channel).
	maxTransfersPerSession = 4
	// maxDrain is how much of a refused upload's body is read so that the
	// browser gets the answer (beyond it the connection is closed).
	maxDrain = 64 << 20
	// maxPathBytes bounds a path the page names.
	maxPathBytes = 4096
)

// csrfHeader carries the page's CSRF token on plan and upload requests.
const csrfHeader = "X-Classroomd-Csrf"

// csrfToken is the token the terminal page is given for the browser session
// whose cookie is token: an HMAC under a key of this process, so it cannot
// be computed without the HttpOnly cookie and ends with it.
func (s *Server) csrfToken(token string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte("classroomd csrf\x00"))
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// fileError is an answer the page shows: a status and a sentence.
type fileError struct {
	status int
	msg    string
}

func (e *fileError) Error() string { return e.msg }

func failf(status int, format string, args ...any) *fileError {
	return &fileError{status: status, msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeFileError(w http.ResponseWriter, err error) {
	var fe *fileError
	if !errors.As(err, &fe) {
		fe = failf(http.StatusServiceUnavailable, "%s", msgTransferFailed)
	}
	writeJSON(w, fe.status, map[string]any{"error": fe.msg})
}

const (
	msgTransferFailed = "The transfer could not be made just now. Try again in a moment; if it keeps happening, tell your professor."
	msgSignIn         = "Your sign-in has ended. Reload the page and sign in again."
	msgForeignFiles   = "This request was sent from another site, or from a page older than your sign-in. Reload the page and try again."
)

// transferSession checks that a transfer request comes from this site's
// signed-in page: the session cookie always; for a mutating request its
// Origin and the CSRF token too; for a GET no Sec-Fetch-Site of another site.
func (s *Server) transferSession(r *http.Request, mutating bool) (accounts.WebSession, error) {
	if mutating {
		if !s.sameOrigin(r) {
			s.log.Warn("file transfer refused: foreign origin", "remote", s.clientAddr(r).String(), "origin", accounts.Printable(r.Header.Get("Origin")))
			return accounts.WebSession{}, failf(http.StatusForbidden, "%s", msgForeignFiles)
		}
	} else if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		s.log.Warn("file download refused: cross-site", "remote", s.clientAddr(r).String(), "site", accounts.Printable(site))
		return accounts.WebSession{}, failf(http.StatusForbidden, "%s", msgForeignFiles)
	}
	sess, err := s.session(r)
	if errors.Is(err, accounts.ErrNoWebSession) {
		return sess, failf(http.StatusUnauthorized, "%s", msgSignIn)
	} else if err != nil {
		s.log.Error("file transfer: session check failed", "err", err)
		return sess, failf(http.StatusServiceUnavailable, "%s", msgUnavailable)
	}
	if mutating {
		want := s.csrfToken(s.token(r))
		if !hmac.Equal([]byte(r.Header.Get(csrfHeader)), []byte(want)) {
			s.log.Warn("file transfer refused: bad CSRF token", "user", sess.User.Username, "remote", s.clientAddr(r).String())
			return sess, failf(http.StatusForbidden, "%s", msgForeignFiles)
		}
	}
	return sess, nil
}

// cleanRel checks a path the page names, relative to the home ("." or ""
// is the home): valid UTF-8, no control characters, no "..", not absolute.
// The SFTP server confines it again; this only refuses early, in a sentence.
func cleanRel(p string) (string, error) {
	if p == "" || p == "." {
		return ".", nil
	}
	bad := func(why string) error {
		return failf(http.StatusBadRequest, "%q %s.", truncate(p, 80), why)
	}
	switch {
	case len(p) > maxPathBytes:
		return "", failf(http.StatusBadRequest, "That path is too long.")
	case !utf8.ValidString(p):
		return "", failf(http.StatusBadRequest, "That path is not valid text (UTF-8).")
	case strings.IndexFunc(p, unicode.IsControl) >= 0:
		return "", failf(http.StatusBadRequest, "That path contains a control character; names cannot.")
	case strings.HasPrefix(p, "/"):
		return "", bad("is not a path in your home (it starts with /)")
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", bad("leaves your home (..); name a folder in it")
		}
	}
	return path.Clean(p), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// shown is how a path is named to the student: "your home" or "lab1/x.py".
func shown(rel string) string {
	if rel == "." {
		return "your home folder"
	}
	return rel
}

// subject is shown(rel) at the start of a sentence: a path keeps its case
// (a capital would name another file: figures/a.png is not Figures/a.png).
func subject(rel string) string {
	if rel == "." {
		return "Your home folder"
	}
	return rel
}

// ---- the SSH connections ----

// transferConns are the browser sessions' SSH connections for transfers.
type transferConns struct {
	mu     sync.Mutex
	closed bool
	conns  map[int64]*transferConn // by browser session
}

type transferConn struct {
	ready  chan struct{} // closed once dialled: client or err is set
	client *gossh.Client
	err    error
	users  int         // transfers using it, or waiting for it
	idle   *time.Timer // closes it once unused for idleConnAfter
}

// sftpClient opens an SFTP channel as the browser session's user, on its
// shared SSH connection (dialled as the bridge dials). Close the client when
// done: closing it before a file is closed aborts that file.
func (s *Server) sftpClient(sess accounts.WebSession, remote net.Addr) (*sftp.Client, func(), error) {
	for attempt := 0; ; attempt++ {
		c, err := s.transferConn(sess, remote)
		if err != nil {
			return nil, nil, err
		}
		sc, err := sftp.NewClient(c.client, sftp.UseConcurrentWrites(true))
		if err == nil {
			return sc, func() { sc.Close(); s.releaseConn(sess.ID, c, false) }, nil
		}
		// The server refused the channel (its session limit, say) on a live
		// connection, or the connection is gone: then dial again, once.
		_, _, perr := c.client.SendRequest("keepalive@openssh.com", true, nil)
		s.releaseConn(sess.ID, c, perr != nil)
		if perr == nil {
			return nil, nil, fmt.Errorf("open the sftp subsystem: %w", err)
		}
		if attempt > 0 {
			return nil, nil, fmt.Errorf("open the sftp subsystem: %w", err)
		}
	}
}

func (s *Server) transferConn(sess accounts.WebSession, remote net.Addr) (*transferConn, error) {
	t := &s.transfers
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, failf(http.StatusServiceUnavailable, "The server is restarting; try again in a moment.")
	}
	if c := t.conns[sess.ID]; c != nil {
		if c.users >= maxTransfersPerSession {
			t.mu.Unlock()
			return nil, failf(http.StatusTooManyRequests, "Too many transfers at once from this browser; wait for the others to finish, then try again.")
		}
		c.users++
		if c.idle != nil {
			c.idle.Stop()
		}
		t.mu.Unlock()
		<-c.ready // dialled by the first of this session's requests
		if c.err != nil {
			s.releaseConn(sess.ID, c, true)
			return nil, c.err
		}
		return c, nil
	}
	// The first transfer of this session dials; the others wait for it.
	c := &transferConn{ready: make(chan struct{}), users: 1}
	if t.conns == nil {
		t.conns = map[int64]*transferConn{}
	}
	t.conns[sess.ID] = c
	t.mu.Unlock()

	client, err := s.dialTransfer(sess, remote)
	t.mu.Lock()
	c.client, c.err = client, err
	if err == nil {
		c.idle = time.AfterFunc(s.transferIdle, func() { s.closeIdle(sess.ID, c) })
		c.idle.Stop()
	}
	if t.conns[sess.ID] == c && (err != nil || t.closed) {
		delete(t.conns, sess.ID)
	}
	if err == nil && t.closed {
		client.Close() // closeTransfers ran meanwhile
		c.err = failf(http.StatusServiceUnavailable, "The server is restarting; try again in a moment.")
	}
	close(c.ready)
	t.mu.Unlock()
	if c.err != nil {
		s.releaseConn(sess.ID, c, true)
		return nil, c.err
	}
	return c, nil
}

func (s *Server) dialTransfer(sess accounts.WebSession, remote net.Addr) (*gossh.Client, error) {
	conn, cfg, err := s.opts.Dial(sess.User.Username, remote, sess.ID)
	if err != nil {
		return nil, fmt.Errorf("dial the ssh server: %w", err)
	}
	cc, chans, reqs, err := gossh.NewClientConn(conn, "classroomd", cfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("ssh login: %w", err)
	}
	return gossh.NewClient(cc, chans, reqs), nil
}

func (s *Server) releaseConn(id int64, c *transferConn, broken bool) {
	t := &s.transfers
	t.mu.Lock()
	defer t.mu.Unlock()
	c.users--
	pooled := t.conns[id] == c
	if broken && pooled {
		delete(t.conns, id)
		pooled = false
	}
	if c.users > 0 {
		return
	}
	if c.client == nil {
		return // never dialled
	}
	if !pooled || t.closed {
		c.client.Close()
		return
	}
	c.idle.Reset(s.transferIdle)
}

func (s *Server) closeIdle(id int64, c *transferConn) {
	t := &s.transfers
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.users == 0 && t.conns[id] == c {
		delete(t.conns, id)
		c.client.Close()
	}
}

// closeTransfers closes every connection (Server.Close): transfers under
// way fail.
func (s *Server) closeTransfers() {
	t := &s.transfers
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for id, c := range t.conns {
		if c.client != nil { // else it is being dialled, and sees closed
			c.idle.Stop()
			c.client.Close()
		}
		delete(t.conns, id)
	}
}

// remotePath is rel in the SFTP view: under the directory the server starts
// the session in (the home, whether it shows it as / or as /home/USER).
func remotePath(wd, rel string) string {
	if wd == "" {
		wd = "."
	}
	return path.Join(wd, rel)
}

// sftpError turns an SFTP answer into a sentence about rel.
func sftpError(err error, rel, doing string) error {
	var fe *fileError
	if errors.As(err, &fe) {
		return err
	}
	var se *sftp.StatusError
	if errors.As(err, &se) {
		// Our SFTP server's status carries the files package's sentence;
		// another's may say nothing useful, or nothing.
		msg := statusMessage(se)
		switch se.FxCode() {
		case sftp.ErrSSHFxNoSuchFile:
			return failf(http.StatusNotFound, "%s does not exist (any more?). Look at the file list and try again.", subject(rel))
		case sftp.ErrSSHFxPermissionDenied:
			if msg != "" && !strings.EqualFold(msg, "permission denied") {
				return failf(http.StatusForbidden, "%s", sentenceOf(msg))
			}
			return failf(http.StatusForbidden, "You cannot %s %s: it is read-only, or not yours.", doing, shown(rel))
		case sftp.ErrSSHFxFailure, sftp.ErrSSHFxOpUnsupported:
			if msg != "" && !strings.EqualFold(msg, "failure") {
				return failf(statusFor(msg), "%s", sentenceOf(msg))
			}
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return failf(http.StatusNotFound, "%s does not exist (any more?). Look at the file list and try again.", subject(rel))
	}
	return fmt.Errorf("%s %s: %w", doing, rel, err)
}

// statusMessage is the sentence in an SFTP status (the files package's,
// from our SFTP server), which pkg/sftp keeps unexported behind Error().
func statusMessage(se *sftp.StatusError) string {
	s := strings.TrimPrefix(se.Error(), "sftp: ")
	if i := strings.LastIndex(s, " ("); i > 0 {
		s = s[:i]
	}
	if msg, err := strconv.Unquote(s); err == nil {
		return strings.TrimSpace(msg)
	}
	return ""
}

// statusFor guesses the HTTP status of a failure by its sentence.
func statusFor(msg string) int {
	l := strings.ToLower(msg)
	switch {
	case strings.Contains(l, "quota") || strings.Contains(l, "disk is full") || strings.Contains(l, "no space"):
		return http.StatusInsufficientStorage
	case strings.Contains(l, "exists"):
		return http.StatusConflict
	case strings.Contains(l, "name"):
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

func sentenceOf(msg string) string {
	msg = capital(msg)
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return msg
}

func capital(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// withSFTP runs fn with an SFTP client and the home's path in its view.
func (s *Server) withSFTP(r *http.Request, sess accounts.WebSession, fn func(sc *sftp.Client, wd string) error) error {
	sc, done, err := s.sftpClient(sess, net.TCPAddrFromAddrPort(s.clientAddr(r)))
	if err != nil {
		var fe *fileError
		if !errors.As(err, &fe) {
			s.log.Error("file transfer: no sftp session", "user", sess.User.Username, "err", err)
		}
		return err
	}
	defer done()
	wd, err := sc.Getwd()
	if err != nil {
		return fmt.Errorf("sftp realpath: %w", err)
	}
	return fn(sc, wd)
}

// ---- plan: what an upload will meet ----

type planRequest struct {
	Dir   string `json:"dir"`
	Files []struct {
		Name string `json:"name"`
		Size int64  `json:"size"`
	} `json:"files"`
}

type planFile struct {
	Name   string `json:"name"`
	Exists bool   `json:"exists,omitempty"`
	Error  string `json:"error,omitempty"`
}

type planAnswer struct {
	Dir   string     `json:"dir"`
	Free  *int64     `json:"free"` // bytes the home can still take; null when the server does not say
	Max   int64      `json:"max"`  // the largest upload
	Files []planFile `json:"files"`
	Error string     `json:"error,omitempty"` // about the whole batch (the folder, the room)
}

func (s *Server) handlePlan(w http.ResponseWriter, r *http.Request) {
	sess, err := s.transferSession(r, true)
	if err != nil {
		writeFileError(w, err)
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(formReadTimeout))
	var req planRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPlanBytes)).Decode(&req); err != nil || len(req.Files) > maxPlanFiles {
		writeFileError(w, failf(http.StatusBadRequest, "At most %d files can be sent at once.", maxPlanFiles))
		return
	}
	dir, err := cleanRel(req.Dir)
	if err != nil {
		writeFileError(w, err)
		return
	}
	ans := planAnswer{Dir: dir, Max: s.maxUpload(), Files: make([]planFile, len(req.Files))}
	err = s.withSFTP(r, sess, func(sc *sftp.Client, wd string) error {
		fi, err := sc.Stat(remotePath(wd, dir))
		if err != nil {
			return sftpError(err, dir, "upload into")
		}
		if !fi.IsDir() {
			return failf(http.StatusBadRequest, "%s is not a folder; choose a folder to upload into.", subject(dir))
		}
		if st, err := sc.StatVFS(remotePath(wd, dir)); err == nil {
			free := int64(min(st.Bavail*st.Frsize, 1<<62))
			ans.Free = &free
		}
		var total int64
		seen := map[string]bool{}
		for i, f := range req.Files {
			pf := planFile{Name: f.Name}
			switch {
			case files.ValidName(f.Name) != nil:
				pf.Error = sentenceOf(files.ValidName(f.Name).Error())
			case seen[f.Name]:
				pf.Error = "Two of the files are called " + strconv.Quote(f.Name) + "; send one of them."
			case f.Size > ans.Max:
				pf.Error = fmt.Sprintf("%s is %s, more than the %s one upload may be.", f.Name, humanBytes(f.Size), humanBytes(ans.Max))
			default:
				total += max(f.Size, 0)
				if _, err := sc.Lstat(remotePath(wd, path.Join(dir, f.Name))); err == nil {
					pf.Exists = true
				}
			}
			seen[f.Name] = true
			ans.Files[i] = pf
		}
		switch {
		case ans.Free == nil || total <= *ans.Free:
		case len(req.Files) == 1:
			ans.Error = fmt.Sprintf("%s is %s, and your home has %s free. Delete something first, or ask your professor for more room.",
				req.Files[0].Name, humanBytes(total), humanBytes(*ans.Free))
		default:
			ans.Error = fmt.Sprintf("These files take %s, and your home has %s free. Delete something, or send fewer files.",
				humanBytes(total), humanBytes(*ans.Free))
		}
		return nil
	})
	if err != nil {
		writeFileError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) maxUpload() int64 {
	if s.opts.MaxUploadBytes > 0 {
		return s.opts.MaxUploadBytes
	}
	return DefaultMaxUploadBytes
}

func (s *Server) maxDownload() int64 {
	if s.opts.MaxDownloadBytes > 0 {
		return s.opts.MaxDownloadBytes
	}
	return DefaultMaxDownloadBytes
}

func (s *Server) maxZipEntries() int {
	if s.opts.MaxZipEntries > 0 {
		return s.opts.MaxZipEntries
	}
	return DefaultMaxZipEntries
}

// humanBytes is a size as a person reads it: 12 KB, 3.4 MB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	format := "%.1f %cB"
	if v >= 10 {
		format = "%.0f %cB"
	}
	return fmt.Sprintf(format, v, "KMGTP"[exp])
}

// ---- upload ----

// handleUpload receives one file: POST /files/upload?dir=D&name=N[&replace=1]
// with its bytes as the body.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	sess, err := s.transferSession(r, true)
	if err != nil {
		writeFileError(w, err)
		return
	}
	q := r.URL.Query()
	dir, err := cleanRel(q.Get("dir"))
	if err != nil {
		writeFileError(w, err)
		return
	}
	name := q.Get("name")
	if err := files.ValidName(name); err != nil {
		writeFileError(w, failf(http.StatusBadRequest, "%s", sentenceOf(err.Error())))
		return
	}
	switch {
	case r.ContentLength < 0:
		writeFileError(w, failf(http.StatusLengthRequired, "The upload did not say its size; reload the page and try again."))
		return
	case r.ContentLength > s.maxUpload():
		writeFileError(w, failf(http.StatusRequestEntityTooLarge, "%s is %s, more than the %s one upload may be.",
			name, humanBytes(r.ContentLength), humanBytes(s.maxUpload())))
		return
	}
	replace := q.Get("replace") == "1"
	rel := path.Join(dir, name)
	remote := s.clientAddr(r).String()
	// A large file on a slow network takes its time, but never forever
	// without a byte (the server's ReadHeaderTimeout covers only headers).
	rc := http.NewResponseController(w)
	body := &deadlineReader{r: http.MaxBytesReader(w, r.Body, s.maxUpload()), rc: rc, idle: writeTimeout}
	var n int64
	err = s.withSFTP(r, sess, func(sc *sftp.Client, wd string) error {
		target := remotePath(wd, rel)
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if !replace {
			flags |= os.O_EXCL
			if _, err := sc.Lstat(target); err == nil {
				return failf(http.StatusConflict, "%s already exists in %s. Choose to replace it, or rename yours first.", name, shown(dir))
			}
		}
		f, err := sc.OpenFile(target, flags)
		if err != nil {
			if !replace && !errors.Is(err, fs.ErrNotExist) {
				if _, serr := sc.Lstat(target); serr == nil {
					return failf(http.StatusConflict, "%s already exists in %s. Choose to replace it, or rename yours first.", name, shown(dir))
				}
			}
			return sftpError(err, rel, "upload to")
		}
		n, err = f.ReadFromWithConcurrency(body, 0)
		if err == nil && n != r.ContentLength {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			// Closing the channel before the file aborts it: nothing of
			// this upload stays (done closes the SFTP client).
			sc.Close()
			if body.err != nil {
				return failf(http.StatusBadRequest, "The upload of %s broke off; nothing was kept. Try again.", name)
			}
			return sftpError(err, rel, "upload to")
		}
		if err := f.Close(); err != nil {
			return sftpError(err, rel, "upload to")
		}
		return nil
	})
	if err != nil {
		s.log.Info("upload refused", "user", sess.User.Username, "remote", remote, "path", accounts.Printable(rel), "err", err)
		if body.err == nil {
			// The browser is still sending: a reply before its body is
			// read reaches it as a network error, not as this sentence.
			// Read on (bounded) so the student sees why.
			io.CopyN(io.Discard, body, maxDrain)
		}
		writeFileError(w, err)
		return
	}
	s.log.Info("upload", "user", sess.User.Username, "remote", remote, "path", accounts.Printable(rel), "bytes", n)
	writeJSON(w, http.StatusOK, map[string]any{"path": rel, "size": n})
}

// deadlineReader extends the request's read deadline before each read, and
// keeps the reading side's error apart from the SFTP side's.
type deadlineReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
	err  error
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	_ = d.rc.SetReadDeadline(time.Now().Add(d.idle))
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		d.err = err
	}
	return n, err
}

// ---- info and download ----

type infoAnswer struct {
	Path  string `json:"path"`
	Name  string `json:"name"`
	Kind  string `json:"kind"` // "file" or "folder"
	Size  int64  `json:"size"`
	Files int    `json:"files,omitempty"` // in a folder
	Error string `json:"error,omitempty"` // why it cannot be downloaded
}

// handleInfo tells the page what a download would hold, so that a refusal
// shows on the page rather than as a saved error.
func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	sess, err := s.transferSession(r, false)
	if err != nil {
		writeFileError(w, err)
		return
	}
	rel, err := cleanRel(r.URL.Query().Get("path"))
	if err != nil {
		writeFileError(w, err)
		return
	}
	var ans infoAnswer
	err = s.withSFTP(r, sess, func(sc *sftp.Client, wd string) error {
		var err error
		ans, _, err = s.describe(sc, wd, rel, sess.User.Username)
		return err
	})
	if err != nil {
		writeFileError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

// zipEntry is a file or folder a zip will hold.
type zipEntry struct {
	name string // in the zip
	path string // in the SFTP view
	info fs.FileInfo
}

// describe stats rel and, for a folder, walks it for the zip.
func (s *Server) describe(sc *sftp.Client, wd, rel, user string) (infoAnswer, []zipEntry, error) {
	root := remotePath(wd, rel)
	fi, err := sc.Stat(root)
	if err != nil {
		return infoAnswer{}, nil, sftpError(err, rel, "download")
	}
	ans := infoAnswer{Path: rel, Name: downloadName(rel, user, fi.IsDir())}
	if !fi.IsDir() {
		ans.Kind, ans.Size = "file", fi.Size()
		if !fi.Mode().IsRegular() {
			ans.Error = subject(rel) + " is not a regular file; it cannot be downloaded."
		} else if fi.Size() > s.maxDownload() {
			ans.Error = fmt.Sprintf("%s is %s, more than the %s a download may be. Copy it with scp or sftp instead.",
				rel, humanBytes(fi.Size()), humanBytes(s.maxDownload()))
		}
		return ans, nil, nil
	}
	ans.Kind = "folder"
	top := strings.TrimSuffix(ans.Name, ".zip")
	var entries []zipEntry
	walk := sc.Walk(root)
	for walk.Step() {
		if err := walk.Err(); err != nil {
			if walk.Path() == root {
				return infoAnswer{}, nil, sftpError(err, rel, "download")
			}
			continue // gone meanwhile, or unreadable: left out
		}
		st := walk.Stat()
		sub := strings.TrimPrefix(strings.TrimPrefix(walk.Path(), root), "/")
		name := top
		if sub != "" {
			name += "/" + sub
		}
		switch {
		case st.IsDir():
			entries = append(entries, zipEntry{name: name + "/", path: walk.Path(), info: st})
		case st.Mode().IsRegular():
			entries = append(entries, zipEntry{name: name, path: walk.Path(), info: st})
			ans.Files++
			ans.Size += st.Size()
		default:
			continue // links, pipes: not in the zip
		}
		if len(entries) > s.maxZipEntries() {
			ans.Error = fmt.Sprintf("%s holds more than %d files and folders, more than a download may. Download its folders one at a time.",
				subject(rel), s.maxZipEntries())
			return ans, nil, nil
		}
		if ans.Size > s.maxDownload() {
			ans.Error = fmt.Sprintf("%s holds more than %s, more than a download may be. Download its folders one at a time, or use scp or sftp.",
				subject(rel), humanBytes(s.maxDownload()))
			return ans, nil, nil
		}
	}
	return ans, entries, nil
}

// downloadName is the name the browser saves a download as.
func downloadName(rel, user string, dir bool) string {
	base := path.Base(rel)
	if rel == "." {
		base = user + "-home"
	}
	if dir {
		return base + ".zip"
	}
	return base
}

// contentDisposition names an attachment, for old and new browsers (RFC 6266).
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name))
}

// figurePath says whether rel names a figure: a .png directly in ~/figures,
// where python/classroomd_figures.py saves them (the same rule as the
// workspace's figure store), or in students/NAME/figures, where a
// professor's SFTP view shows a student's home (read-only, through the
// console's BrowseHome, audited; in a student's own view it is only a
// folder of their own home).
func figurePath(rel string) bool {
	if rest, ok := strings.CutPrefix(rel, "students/"); ok {
		name, fig, ok := strings.Cut(rest, "/")
		if !ok || !validStudentName(name) {
			return false
		}
		rel = fig
	}
	name, ok := strings.CutPrefix(rel, "figures/")
	return ok && name != "" && !strings.Contains(name, "/") && strings.HasSuffix(name, ".png") && !strings.HasPrefix(name, ".")
}

// validStudentName reports whether u is a username as accounts makes them
// (already normalised: a name that normalises to another is not one).
func validStudentName(u string) bool {
	n, err := accounts.NormalizeUsername(u)
	return err == nil && n == u
}

// pngSignature starts every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// handleDownload sends a file, or a folder as a zip: GET /files/download?path=P.
// With inline=1 it shows a figure in the browser instead (#15: a click on a
// figure in the page opens it in a tab): only a PNG in ~/figures, checked
// by its first bytes and sent as image/png, so that no file a student
// names figures/x.png can become a page of this site (nosniff and the CSP,
// set for every answer, hold the browser to that type).
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	sess, err := s.transferSession(r, false)
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	rel, err := cleanRel(r.URL.Query().Get("path"))
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	inline := r.URL.Query().Get("inline") == "1"
	if inline && !figurePath(rel) {
		http.Error(w, "Only a figure (a .png file in ~/figures, or in a student's) opens in the browser; download other files with the Download button.", http.StatusBadRequest)
		return
	}
	user, remote := sess.User.Username, s.clientAddr(r).String()
	started := false
	err = s.withSFTP(r, sess, func(sc *sftp.Client, wd string) error {
		ans, entries, err := s.describe(sc, wd, rel, user)
		if err != nil {
			return err
		}
		if ans.Error != "" {
			return failf(http.StatusRequestEntityTooLarge, "%s", ans.Error)
		}
		h := w.Header()
		h.Set("Content-Disposition", contentDisposition(ans.Name))
		h.Set("Cache-Control", "no-store")
		rc := http.NewResponseController(w)
		out := &deadlineWriter{w: w, rc: rc, idle: writeTimeout}
		if inline && ans.Kind != "file" {
			return failf(http.StatusBadRequest, "%s is a folder, not a figure.", rel)
		}
		if ans.Kind == "file" {
			f, err := sc.Open(remotePath(wd, rel))
			if err != nil {
				return sftpError(err, rel, "download")
			}
			defer f.Close()
			h.Set("Content-Type", "application/octet-stream")
			if inline {
				var sig [len(pngSignature)]byte
				if _, err := io.ReadFull(f, sig[:]); err != nil || string(sig[:]) != pngSignature {
					h.Del("Content-Disposition")
					return failf(http.StatusUnsupportedMediaType, "%s is not a PNG image; download it with the Download button instead.", rel)
				}
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					return sftpError(err, rel, "download")
				}
				h.Set("Content-Type", "image/png")
				h.Set("Content-Disposition", "inline"+strings.TrimPrefix(contentDisposition(ans.Name), "attachment"))
			}
			h.Set("Content-Length", strconv.FormatInt(ans.Size, 10))
			started = true
			if _, err := f.WriteTo(out); err != nil {
				return err
			}
			return nil
		}
		h.Set("Content-Type", "application/zip")
		started = true
		return writeZip(out, sc, entries)
	})
	switch {
	case err == nil:
		s.log.Info("download", "user", user, "remote", remote, "path", accounts.Printable(rel))
	case !started:
		s.log.Info("download refused", "user", user, "remote", remote, "path", accounts.Printable(rel), "err", err)
		http.Error(w, errorText(err), statusOf(err))
	default:
		// Headers (and perhaps part of the body) are out: break the
		// response off, so the browser does not keep a truncated file.
		s.log.Warn("download broke off", "user", user, "remote", remote, "path", accounts.Printable(rel), "err", err)
		panic(http.ErrAbortHandler)
	}
}

func statusOf(err error) int {
	var fe *fileError
	if errors.As(err, &fe) {
		return fe.status
	}
	return http.StatusServiceUnavailable
}

func errorText(err error) string {
	var fe *fileError
	if errors.As(err, &fe) {
		return fe.msg
	}
	return msgTransferFailed
}

// writeZip streams entries into a zip on w.
func writeZip(w io.Writer, sc *sftp.Client, entries []zipEntry) error {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		hdr, err := zip.FileInfoHeader(e.info)
		if err != nil {
			return err
		}
		hdr.Name = e.name
		if e.info.IsDir() {
			hdr.Method = zip.Store
			if _, err := zw.CreateHeader(hdr); err != nil {
				return err
			}
			continue
		}
		hdr.Method = zip.Deflate
		if err := copyIntoZip(zw, hdr, sc, e.path); err != nil {
			return err
		}
	}
	return zw.Close()
}

func copyIntoZip(zw *zip.Writer, hdr *zip.FileHeader, sc *sftp.Client, p string) error {
	f, err := sc.Open(p)
	if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	zf, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	_, err = f.WriteTo(zf)
	return err
}

// deadlineWriter extends the response's write deadline before each write:
// a download may take long, but a browser that stops reading is let go.
type deadlineWriter struct {
	w    io.Writer
	rc   *http.ResponseController
	idle time.Duration
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	_ = d.rc.SetWriteDeadline(time.Now().Add(d.idle))
	return d.w.Write(p)
}
