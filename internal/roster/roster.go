// Package roster reads and writes class rosters as CSV: a header row naming any of
// the columns username, full_name, email, role, password, password_hash (in any
// order; only username is required), then one row per person.
package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/classroomd/classroomd/internal/csvtext"
	"io"
	"strings"
)

// Columns lists the header names a roster may use.
var Columns = []string{"username", "full_name", "email", "role", "password", "password_hash"}

// MaxRows bounds a roster so a mistaken or hostile file cannot exhaust memory.
const MaxRows = 20000

// Row is one person as written in the file. Fields are trimmed, except Password.
type Row struct {
	Line         int // 1-based line number in the file, for error messages
	Username     string
	FullName     string
	Email        string
	Role         string
	Password     string
	PasswordHash string
}

// LineError is a problem with one line of the file.
type LineError struct {
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e LineError) Unwrap() error { return e.Err }

// Parse reads a roster. A problem with the header or the CSV structure is an
// error; rows are returned as written and validated by the caller.
func Parse(r io.Reader) ([]Row, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read roster: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // spreadsheets often write a BOM
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("the roster is empty: the first line must be a header such as %q", "username,full_name,email")
	}
	if err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}
	index, err := columnIndex(header)
	if err != nil {
		return nil, fmt.Errorf("line 1 (header): %w", err)
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, LineError{Line: pe.StartLine, Err: pe.Err}
			}
			return nil, fmt.Errorf("read roster: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rows) == MaxRows {
			return nil, LineError{Line: line, Err: fmt.Errorf("a roster may hold at most %d people; split the file", MaxRows)}
		}
		get := func(col string) string {
			if i, ok := index[col]; ok {
				return rec[i]
			}
			return ""
		}
		rows = append(rows, Row{
			Line:         line,
			Username:     strings.TrimSpace(get("username")),
			FullName:     csvtext.FromSpreadsheet(strings.TrimSpace(get("full_name"))),
			Email:        csvtext.FromSpreadsheet(strings.TrimSpace(get("email"))),
			Role:         strings.ToLower(strings.TrimSpace(get("role"))),
			Password:     get("password"),
			PasswordHash: strings.TrimSpace(get("password_hash")),
		})
	}
	return rows, nil
}

func columnIndex(header []string) (map[string]int, error) {
	known := map[string]bool{}
	for _, c := range Columns {
		known[c] = true
	}
	index := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if !known[name] {
			return nil, fmt.Errorf("unknown column %q: use %s", h, strings.Join(Columns, ", "))
		}
		if _, dup := index[name]; dup {
			return nil, fmt.Errorf("column %q appears twice", h)
		}
		index[name] = i
	}
	if _, ok := index["username"]; !ok {
		return nil, fmt.Errorf("there is no username column (columns: %s)", strings.Join(Columns, ", "))
	}
	return index, nil
}

// Generated is a password made for a new user during import, to hand out once.
type Generated struct {
	Username string
	Password string
}

// WritePasswords writes generated passwords as CSV (username,password).
func WritePasswords(w io.Writer, gen []Generated) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"username", "password"})
	for _, g := range gen {
		_ = cw.Write([]string{g.Username, g.Password})
	}
	cw.Flush()
	return cw.Error()
}
