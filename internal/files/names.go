package files

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes is the longest name a folder entry can have on Linux.
const MaxNameBytes = 255

// ValidName checks a single name a student typed for a new file or folder, or
// a rename: not empty, not "." or "..", no "/", no control characters (tabs,
// line breaks, NUL, escapes), valid UTF-8, at most 255 bytes, and no spaces at
// either end (invisible in a listing, and a source of "file not found"). The
// error, wrapping ErrInvalidName, says which rule was broken.
func ValidName(name string) error {
	bad := func(format string, args ...any) error {
		return newError("name", name, ErrInvalidName, nil, format, args...)
	}
	switch {
	case name == "":
		return bad("a name cannot be empty; type a name")
	case name == "." || name == "..":
		return bad("%q cannot be used as a name; choose another name", name)
	case strings.Contains(name, "/"):
		return bad("a name cannot contain /; to put it in another folder, create it there or move it")
	case !utf8.ValidString(name):
		return bad("%q is not valid text (UTF-8); type the name again", name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return bad("%q contains a control character (such as a tab or a line break); names cannot", name)
	case len(name) > MaxNameBytes:
		return bad("a name can be at most %d bytes long; this one is %d", MaxNameBytes, len(name))
	case strings.TrimSpace(name) != name:
		return bad("%q starts or ends with a space; remove it", name)
	}
	return nil
}

// copyName is the n-th candidate name for a duplicate of base: "name copy.py",
// "name copy 2.py", ... For a folder or a name with no extension the suffix
// goes at the end ("lab1 copy", ".bashrc copy"). A name that is itself a copy
// ("a copy.py") gives "a copy 2.py" rather than "a copy copy.py".
func copyName(base string, isDir bool, n int) string {
	stem, ext := base, ""
	if !isDir {
		if e := path.Ext(base); e != "" && e != base {
			stem, ext = strings.TrimSuffix(base, e), e
		}
	}
	stem = trimCopySuffix(stem)
	if n <= 1 {
		return stem + " copy" + ext
	}
	return stem + " copy " + strconv.Itoa(n) + ext
}

func trimCopySuffix(stem string) string {
	if s, ok := strings.CutSuffix(stem, " copy"); ok && s != "" {
		return s
	}
	if i := strings.LastIndex(stem, " copy "); i > 0 {
		if k, err := strconv.Atoi(stem[i+len(" copy "):]); err == nil && k > 1 && fmt.Sprint(k) == stem[i+len(" copy "):] {
			return stem[:i]
		}
	}
	return stem
}
