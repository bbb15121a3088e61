package console

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/csvtext"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/workspace"
)

// Student is one row of the roster (professors included, whatever the
// name). PasswordHash is always empty.
type Student struct {
	store.User
	Online      bool // they have a live session (a connected view of their workspace)
	Connections int  // their own views (terminals, browser tabs); watchers not counted
}

// UserChange names the fields of a user to change; nil leaves one as it is.
type UserChange struct {
	FullName, Email *string
	Role            *store.Role
}

// Roster returns every user, by username, with who is online.
func (d *Desk) Roster(ctx context.Context) ([]Student, error) {
	if _, err := d.professor(ctx, ActionRoster, "", "see the roster"); err != nil {
		return nil, err
	}
	users, err := d.s.store.ListUsers(ctx)
	if err != nil {
		return nil, d.s.failed("read the roster", err)
	}
	out := make([]Student, len(users))
	for i, u := range users {
		u.PasswordHash = ""
		out[i] = Student{User: u}
		if ws := d.s.workspaces.Lookup(u.Username); ws != nil {
			out[i].Connections = ownViews(ws.ViewInfos())
			out[i].Online = out[i].Connections > 0
		}
	}
	return out, nil
}

// AddUser creates an account and its home. When nu.Password is empty a
// password is generated and returned, to be shown once (it is never stored
// in clear, and its owner must change it at the first login).
func (d *Desk) AddUser(ctx context.Context, nu accounts.NewUser) (store.User, string, error) {
	if _, err := d.professor(ctx, ActionUserAdd, nu.Username, "add users"); err != nil {
		return store.User{}, "", err
	}
	name, err := d.username(ctx, ActionUserAdd, nu.Username)
	if err != nil {
		return store.User{}, "", err
	}
	nu.Username = name
	if nu.Role == "" {
		nu.Role = store.RoleStudent
	}
	if !nu.Role.Valid() {
		return store.User{}, "", d.deny(ctx, ErrInvalid, ActionUserAdd, name, "invalid role",
			"The role must be student or professor; pick one and try again.")
	}
	if err := checkFullName(nu.FullName); err != nil {
		return store.User{}, "", err
	}
	if err := checkEmail(nu.Email); err != nil {
		return store.User{}, "", err
	}
	if nu.Password != "" {
		if err := accounts.CheckPassword(name, nu.Password); err != nil {
			return store.User{}, "", sentence(ErrInvalid, "The password was refused: "+err.Error()+"; choose another, or leave it empty to generate one.")
		}
	}
	if _, err := d.s.store.UserByName(ctx, name); err == nil {
		return store.User{}, "", sentence(ErrConflict, "A user named "+name+" exists already; pick another username, or edit "+name+" in the roster.")
	}
	u, pw, err := d.s.accounts.AddUser(ctx, d.by, nu)
	switch {
	case err != nil && u.ID != 0:
		// Added, but the home could not be made: it is retried at login,
		// and the password must still be shown.
		d.s.log.Warn("console: user added without a home", "user", name, "err", err)
		d.audit(ctx, ActionUserAdd, name, outcomeOK, "role "+string(u.Role)+"; home not created yet (retried at login)")
	case err != nil:
		if _, lookErr := d.s.store.UserByName(ctx, name); lookErr == nil {
			return store.User{}, "", sentence(ErrConflict, "A user named "+name+" was just added by someone else; edit them in the roster instead.")
		}
		return store.User{}, "", d.s.failed("add "+name, err)
	}
	u.PasswordHash = ""
	return u, pw, nil
}

// UpdateUser changes a user's full name, email or role. It is audited as
// "user.update" listing what changed, and as "user.role" when the role
// changes. A professor cannot change their own role (another professor
// must), so that nobody demotes themselves out of the console by mistake.
func (d *Desk) UpdateUser(ctx context.Context, username string, ch UserChange) (store.User, error) {
	me, err := d.professor(ctx, ActionUserUpdate, username, "edit users")
	if err != nil {
		return store.User{}, err
	}
	name, err := d.username(ctx, ActionUserUpdate, username)
	if err != nil {
		return store.User{}, err
	}
	if ch.FullName != nil {
		if err := checkFullName(*ch.FullName); err != nil {
			return store.User{}, err
		}
	}
	if ch.Email != nil {
		if err := checkEmail(*ch.Email); err != nil {
			return store.User{}, err
		}
	}
	if ch.Role != nil {
		if !ch.Role.Valid() {
			return store.User{}, d.deny(ctx, ErrInvalid, ActionUserRole, name, "invalid role",
				"The role must be student or professor; pick one and try again.")
		}
		if name == me.Username && *ch.Role != me.Role {
			return store.User{}, d.deny(ctx, ErrForbidden, ActionUserRole, name, "own role",
				"You cannot change your own role; ask another professor to do it.")
		}
	}
	before, after, err := d.s.store.UpdateUser(ctx, name, store.UserUpdate{FullName: ch.FullName, Email: ch.Email, Role: ch.Role})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.User{}, sentence(ErrNotFound, "There is no user "+quote(name)+"; refresh the roster and pick another.")
	case err != nil:
		return store.User{}, d.s.failed("change "+name, err)
	}
	var changes []string
	if before.FullName != after.FullName {
		changes = append(changes, fmt.Sprintf("full name %s -> %s", strconv.Quote(clip(before.FullName, 60)), strconv.Quote(clip(after.FullName, 60))))
	}
	if before.Email != after.Email {
		changes = append(changes, fmt.Sprintf("email %s -> %s", strconv.Quote(before.Email), strconv.Quote(after.Email)))
	}
	if len(changes) > 0 {
		d.audit(ctx, ActionUserUpdate, name, outcomeOK, strings.Join(changes, "; "))
	}
	if before.Role != after.Role {
		d.audit(ctx, ActionUserRole, name, outcomeOK, string(before.Role)+" -> "+string(after.Role))
	}
	after.PasswordHash = ""
	return after, nil
}

// SetDisabled disables or enables an account. A disabled user cannot log
// in; their browser logins end, and so do their open sessions (their
// workspace keeps their unsaved work for its grace period). A professor
// cannot disable themselves.
func (d *Desk) SetDisabled(ctx context.Context, username string, disabled bool) error {
	action := ActionUserEnable
	if disabled {
		action = ActionUserDisable
	}
	me, err := d.professor(ctx, action, username, "disable or enable users")
	if err != nil {
		return err
	}
	name, err := d.username(ctx, action, username)
	if err != nil {
		return err
	}
	if disabled && name == me.Username {
		return d.deny(ctx, ErrForbidden, action, name, "own account",
			"You cannot disable your own account; ask another professor to do it.")
	}
	if _, err := d.s.store.UserByName(ctx, name); errors.Is(err, store.ErrNotFound) {
		return sentence(ErrNotFound, "There is no user "+quote(name)+"; refresh the roster and pick another.")
	}
	if err := d.s.accounts.SetDisabled(ctx, d.by, name, disabled); err != nil {
		return d.s.failed("change "+name+"'s account", err) // audited by accounts when done
	}
	if disabled {
		if ws := d.s.workspaces.Lookup(name); ws != nil {
			ws.End("Your account has been disabled; ask your professor.")
		}
	}
	return nil
}

// ResetPassword gives username a new generated password, returned to be
// shown once; its owner must change it at the next login. Their browser
// logins end. Audited ("user.passwd", by accounts).
func (d *Desk) ResetPassword(ctx context.Context, username string) (string, error) {
	if _, err := d.professor(ctx, ActionPasswordReset, username, "reset passwords"); err != nil {
		return "", err
	}
	name, err := d.username(ctx, ActionPasswordReset, username)
	if err != nil {
		return "", err
	}
	if _, err := d.s.store.UserByName(ctx, name); errors.Is(err, store.ErrNotFound) {
		return "", sentence(ErrNotFound, "There is no user "+quote(name)+"; refresh the roster and pick another.")
	}
	pw, err := d.s.accounts.SetPassword(ctx, d.by, name, "")
	if err != nil {
		return "", d.s.failed("reset "+name+"'s password", err)
	}
	return pw, nil
}

// ExportColumns is the header of ExportCSV: the importer's own columns, so
// an exported roster imports again as it is (on another server, or after a
// mistake). Whether an account is disabled is not a roster matter.
var ExportColumns = []string{"username", "full_name", "email", "role"}

// ExportCSV returns the roster as CSV (ExportColumns; never a password or
// hash), by username. Audited ("user.export"): it is the class's personal data.
func (d *Desk) ExportCSV(ctx context.Context) ([]byte, error) {
	if _, err := d.professor(ctx, ActionExport, "", "export the roster"); err != nil {
		return nil, err
	}
	users, err := d.s.store.ListUsers(ctx)
	if err != nil {
		return nil, d.s.failed("read the roster", err)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(ExportColumns)
	for _, u := range users {
		// As text, not formulas, in a spreadsheet; the import takes the
		// apostrophe off again.
		_ = w.Write([]string{u.Username, csvtext.SpreadsheetText(u.FullName), csvtext.SpreadsheetText(u.Email), string(u.Role)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, d.s.failed("write the roster as CSV", err)
	}
	d.audit(ctx, ActionExport, "", outcomeOK, fmt.Sprintf("%d users", len(users)))
	return b.Bytes(), nil
}

// checkFullName refuses a name that would do anything but draw characters
// in a terminal: control characters, invalid UTF-8, line separators and
// text direction controls (a name could otherwise display differently in
// the console than it is stored).
func checkFullName(name string) error {
	if len(name) > 200 {
		return sentence(ErrInvalid, "The full name is longer than 200 characters; shorten it and try again.")
	}
	for _, r := range name { // first: accounts' check says less
		if r == '\uFFFD' || r == '\u2028' || r == '\u2029' || isBidi(r) {
			return sentence(ErrInvalid, fmt.Sprintf("The full name contains an invisible control character (U+%04X); type it again without it.", r))
		}
	}
	if err := accounts.ValidateFullName(name); err != nil {
		return sentence(ErrInvalid, "The full name contains a control character; type it again without it.")
	}
	return nil
}

// checkEmail accepts an empty address or a plain one.
func checkEmail(email string) error {
	if err := accounts.ValidateEmail(email); err != nil {
		return sentence(ErrInvalid, "The email "+quote(email)+" is not a plain address like name@example.edu; correct it, or leave it empty.")
	}
	return nil
}

// ownViews counts the student's own views (watchers left out).
func ownViews(views []workspace.ViewInfo) int {
	n := 0
	for _, v := range views {
		if v.Watcher == "" {
			n++
		}
	}
	return n
}
