package files

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unicode"
)

// Sentinels that callers test with errors.Is. Every error a Home method
// returns is an *Error whose text is a sentence for the student and which
// wraps one of these (and the underlying cause, so fs.ErrNotExist and
// friends match too).
var (
	ErrExists      = errors.New("already exists")
	ErrNotFound    = errors.New("does not exist")
	ErrReadOnly    = errors.New("read-only")
	ErrTooLarge    = errors.New("too large to open in the editor")
	ErrBinary      = errors.New("not a text file")
	ErrNotUTF8     = errors.New("not UTF-8 text")
	ErrNotRegular  = errors.New("not a regular file") // a pipe, socket or device
	ErrIsFolder    = errors.New("is a folder")
	ErrNotFolder   = errors.New("is not a folder")
	ErrQuota       = errors.New("storage quota exceeded")
	ErrDiskFull    = errors.New("the server's disk is full")
	ErrInvalidName = errors.New("invalid name")
	ErrProtected   = errors.New("protected")
	ErrIntoItself  = errors.New("cannot move a folder into itself")
)

// Error is what every Home method returns on failure. Error() is a sentence
// a student can act on (it names the file as they know it, relative to the
// home); errors.Is matches Kind and anything Err wraps.
type Error struct {
	Op   string // what was attempted: "open", "save", "delete", ...
	Path string // the name as given, cleaned, relative to the home
	Kind error  // one of the sentinels above, or nil for an unexpected failure
	Err  error  // the underlying cause, or nil
	msg  string
}

func (e *Error) Error() string { return e.msg }

func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

func newError(op, name string, kind, cause error, format string, args ...any) *Error {
	return &Error{Op: op, Path: filepath.ToSlash(name), Kind: kind, Err: cause, msg: fmt.Sprintf(format, args...)}
}

// fail turns err from an operation op on name into an *Error with a sentence.
// An *Error passes through unchanged.
func (h *Home) fail(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return err
	}
	err = classify(err)
	p := h.disp(name)
	var errno syscall.Errno
	errors.As(err, &errno)
	switch {
	case errors.Is(err, ErrOutsideHome):
		return newError(op, name, ErrOutsideHome, err, "%s leads outside %s; only what is inside it can be used", p, h.label)
	case errors.Is(err, fs.ErrNotExist):
		return newError(op, name, ErrNotFound, err, "%s does not exist (it may have been renamed or deleted)", p)
	case errno == syscall.ENOTEMPTY: // before ErrExist, which it also matches
		return newError(op, name, nil, err, "could not %s %s: it is not empty (a program may be writing into it); try again", op, p)
	case errors.Is(err, fs.ErrExist):
		return newError(op, name, ErrExists, err, "%s already exists; choose another name", p)
	case errno == syscall.ENOTDIR:
		return newError(op, name, ErrNotFolder, err, "part of %s is a file, not a folder", p)
	case errno == syscall.EISDIR:
		return newError(op, name, ErrIsFolder, err, "%s is a folder", p)
	case errno == syscall.EDQUOT:
		return newError(op, name, ErrQuota, err, "could not %s %s: your disk quota is full; delete files you no longer need and try again", op, p)
	case errno == syscall.ENOSPC:
		return newError(op, name, ErrDiskFull, err, "could not %s %s: the server's disk is full; tell your teacher", op, p)
	case errno == syscall.EROFS:
		return newError(op, name, ErrReadOnly, err, "%s is read-only; you can read it but not change it", p)
	case errno == syscall.ENAMETOOLONG:
		return newError(op, name, ErrInvalidName, err, "the name %s is too long; choose a shorter one", p)
	case errno == syscall.ELOOP:
		return newError(op, name, nil, err, "could not %s %s: it goes through too many links", op, p)
	case errors.Is(err, fs.ErrPermission):
		return newError(op, name, nil, err, "could not %s %s: permission denied", op, p)
	case errno != 0:
		return newError(op, name, nil, err, "could not %s %s: %s", op, p, errno.Error())
	}
	return newError(op, name, nil, err, "could not %s %s: %v", op, p, err)
}

// disp is how a name appears in a sentence: slashes, relative to the home,
// quoted when it holds something a terminal should not print as it is.
func (h *Home) disp(name string) string {
	if name == "" || name == "." {
		return h.label
	}
	name = filepath.ToSlash(name)
	if strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) || r == unicode.ReplacementChar }) >= 0 {
		return strconv.Quote(name)
	}
	return name
}

// FormatSize writes a byte count the way the messages do: "512 bytes",
// "48 KiB", "3.2 MiB".
func FormatSize(n int64) string {
	if n < 1024 && n > -1024 {
		if n == 1 {
			return "1 byte"
		}
		return strconv.FormatInt(n, 10) + " bytes"
	}
	v := float64(n)
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	u := -1
	for (v >= 1024 || v <= -1024) && u < len(units)-1 {
		v /= 1024
		u++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + units[u]
}
