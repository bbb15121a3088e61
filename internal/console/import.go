package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/roster"
	"github.com/classroomd/classroomd/internal/store"
)

// MaxImportBytes bounds a roster, pasted or read from a file: a class of
// roster.MaxRows people fits many times over.
const MaxImportBytes = 8 << 20

// maxPathLen bounds a path typed for an import.
const maxPathLen = 4096

// ImportSource is a roster CSV to import: exactly one of the two fields.
type ImportSource struct {
	Text string // pasted CSV text
	Path string // an absolute path of a .csv file on the server
}

// PreviewRow is what an import would do with one valid row: the account
// as it would be afterwards (a blank field of an existing user keeps its
// value).
type PreviewRow struct {
	Line                      int
	Username, FullName, Email string
	Role                      store.Role
	New                       bool // the user would be created
	// HasPassword: the row sets a password or hash. A new user without one
	// gets a generated password, shown once after the import.
	HasPassword bool
}

// ImportPreview is what Import would do, found without writing anything.
type ImportPreview struct {
	Rows   []PreviewRow
	Errors []roster.LineError // the invalid lines, with why: Import refuses the roster while there are any
	Create int                // users that would be created
	Update int                // users that would be updated
}

// PreviewImport reads and checks a roster exactly as Import would and says
// what Import would do, writing nothing. A file that cannot be read, or is
// no CSV roster at all, is an error; bad lines are listed in Errors.
func (d *Desk) PreviewImport(ctx context.Context, src ImportSource) (ImportPreview, error) {
	if _, err := d.professor(ctx, ActionImportPreview, "", "import rosters"); err != nil {
		return ImportPreview{}, err
	}
	rows, err := d.readRoster(ctx, ActionImportPreview, src)
	if err != nil {
		return ImportPreview{}, err
	}
	plan, err := d.s.accounts.PlanImport(ctx, rows)
	if err != nil {
		return ImportPreview{}, d.s.failed("check the roster", err)
	}
	p := ImportPreview{Errors: plan.Invalid, Rows: make([]PreviewRow, len(plan.Rows))}
	for i, r := range plan.Rows {
		p.Rows[i] = PreviewRow(r)
		if r.New {
			p.Create++
		} else {
			p.Update++
		}
	}
	return p, nil
}

// Import creates and updates the users of a roster, all or nothing, as the
// command line's `user import` does: with any invalid line nothing is
// written (the report lists them in Invalid). Passwords generated for new
// users are in the report's Generated, to be shown once. Audited
// ("user.import", by accounts; a refused roster with outcome "error").
func (d *Desk) Import(ctx context.Context, src ImportSource) (accounts.ImportReport, error) {
	if _, err := d.professor(ctx, ActionImport, "", "import rosters"); err != nil {
		return accounts.ImportReport{}, err
	}
	rows, err := d.readRoster(ctx, ActionImport, src)
	if err != nil {
		return accounts.ImportReport{}, err
	}
	rep, err := d.s.accounts.Import(ctx, d.by, rows, accounts.ImportOptions{})
	switch {
	case err == nil:
		return rep, nil
	case errors.Is(err, accounts.ErrInvalidRows):
		d.audit(ctx, ActionImport, "", "error", fmt.Sprintf("refused: %d of %d rows invalid; nothing imported", len(rep.Invalid), len(rows)))
		return rep, sentence(ErrInvalid, fmt.Sprintf("Nothing was imported: %d of %d rows are invalid (see the list); fix them in the file and import again.", len(rep.Invalid), len(rows)))
	case len(rep.Created)+len(rep.Updated) > 0:
		// Imported (and audited), but some homes could not be made yet.
		d.s.log.Warn("console: roster imported with homes missing", "err", err)
		return rep, classroom.Sentence(fmt.Sprintf("The roster was imported (%d created, %d updated), but some homes could not be created yet; they are created at each one's first login.", len(rep.Created), len(rep.Updated)), nil, err)
	}
	return accounts.ImportReport{}, d.s.failed("import the roster (nothing was imported)", err)
}

// readRoster reads src and parses it as a roster.
func (d *Desk) readRoster(ctx context.Context, action string, src ImportSource) ([]roster.Row, error) {
	var data []byte
	switch {
	case src.Text != "" && src.Path != "":
		return nil, sentence(ErrInvalid, "Give either pasted CSV text or a file path, not both.")
	case src.Text == "" && src.Path == "":
		return nil, sentence(ErrInvalid, "The roster is empty: paste its CSV text, or give the path of a .csv file on the server.")
	case src.Text != "":
		if len(src.Text) > MaxImportBytes {
			return nil, sentence(ErrInvalid, fmt.Sprintf("The pasted roster is larger than %d MB; split it, or put the file on the server and give its path.", MaxImportBytes>>20))
		}
		data = []byte(src.Text)
	default:
		b, err := d.readRosterFile(ctx, action, src.Path)
		if err != nil {
			return nil, err
		}
		data = b
	}
	if !utf8.Valid(data) {
		return nil, sentence(ErrInvalid, "The roster is not UTF-8 text; save it from the spreadsheet as \"CSV UTF-8\" and try again.")
	}
	rows, err := roster.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, sentence(ErrInvalid, "The roster could not be read: "+sanitize(clip(err.Error(), 300))+". Fix the file and try again.")
	}
	if len(rows) == 0 {
		return nil, sentence(ErrInvalid, "The roster has a header but no rows; add one line per person.")
	}
	return rows, nil
}

// readRosterFile reads a roster file on the server. The professor names it,
// but the daemon reads it with its own rights (often root), and a preview
// quotes bits of bad lines: so only a regular .csv file, named by a plain
// absolute path, not through a symbolic link at its end, is read. Refusals
// of crafted paths are audited.
func (d *Desk) readRosterFile(ctx context.Context, action, path string) ([]byte, error) {
	refuse := func(detail, msg string) error { return d.deny(ctx, ErrInvalid, action, "", detail+": "+path, msg) }
	switch {
	case len(path) > maxPathLen || !utf8.ValidString(path) || strings.IndexFunc(path, unicode.IsControl) >= 0:
		return nil, refuse("unusable path", "That path cannot be a roster file (too long, or with control characters); give the plain path of a .csv file.")
	case !filepath.IsAbs(path):
		return nil, refuse("relative path", "Give the full path of the file on the server, starting with /, for example /srv/class/roster.csv.")
	case slices.Contains(strings.Split(filepath.ToSlash(path), "/"), ".."):
		return nil, refuse("path with ..", "Give the path of the file without \"..\", for example /srv/class/roster.csv.")
	case !strings.EqualFold(filepath.Ext(path), ".csv"):
		return nil, refuse("not a .csv file", "Only .csv files can be imported; save the roster from the spreadsheet as CSV and give that file's path.")
	}
	shown := quote(path)
	// O_NOFOLLOW: a symbolic link at the end is refused; O_NONBLOCK: a FIFO
	// does not hang the open (it is then refused as not a regular file).
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, sentence(ErrInvalid, "There is no file "+shown+" on the server; check the path.")
	case errors.Is(err, syscall.ELOOP):
		return nil, refuse("symbolic link", shown+" is a symbolic link; give the path of the file itself.")
	case errors.Is(err, fs.ErrPermission):
		return nil, sentence(ErrInvalid, "The server may not read "+shown+" (permission denied); make the file readable, or paste its text instead.")
	case err != nil:
		return nil, sentence(ErrInvalid, "The server could not open "+shown+"; check the path, or paste the file's text instead.")
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, sentence(ErrInvalid, "The server could not read "+shown+"; check the path, or paste the file's text instead.")
	case fi.IsDir():
		return nil, sentence(ErrInvalid, shown+" is a folder; give the path of the .csv file in it.")
	case !fi.Mode().IsRegular():
		return nil, refuse("not a regular file", shown+" is not a regular file; give the path of an ordinary .csv file.")
	case fi.Size() > MaxImportBytes:
		return nil, sentence(ErrInvalid, fmt.Sprintf("%s is larger than %d MB; that is no class roster. Check the path.", shown, MaxImportBytes>>20))
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxImportBytes+1))
	switch {
	case err != nil:
		return nil, sentence(ErrInvalid, "The server could not read "+shown+"; check the file, or paste its text instead.")
	case len(b) > MaxImportBytes:
		return nil, sentence(ErrInvalid, fmt.Sprintf("%s is larger than %d MB; that is no class roster. Check the path.", shown, MaxImportBytes>>20))
	}
	return b, nil
}
