package console

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/workspace"
)

func TestRosterShowsWhoIsOnlineWithoutHashes(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.connect("alice", "ssh")
	ws, _ := fx.connect("alice", "web")
	watcher := ws.AttachView(workspace.ViewOptions{Transport: "ssh", Watcher: "prof"}, 80, 24) // not counted
	defer ws.DetachView(watcher)
	list, err := fx.prof.Roster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list {
		names = append(names, s.Username)
		if s.PasswordHash != "" {
			t.Errorf("Roster gives %s's password hash", s.Username)
		}
		switch s.Username {
		case "alice":
			if !s.Online || s.Connections != 2 {
				t.Errorf("alice: online %v, %d connections; want online with 2", s.Online, s.Connections)
			}
		case "bob":
			if s.Online || s.Connections != 0 {
				t.Errorf("bob: online %v, %d connections; want offline", s.Online, s.Connections)
			}
		case "dora":
			if !s.Disabled || s.Role != store.RoleProfessor {
				t.Errorf("dora: %+v; want a disabled professor", s.User)
			}
		}
	}
	if !slices.Equal(names, []string{"alice", "bob", "dora", "prof", "prof2"}) {
		t.Errorf("Roster order %v, want by username", names)
	}
}

func TestAddUser(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	u, pw, err := fx.prof.AddUser(ctx, accounts.NewUser{Username: "  Carol ", FullName: "Carol C", Email: "carol@example.edu"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "carol" || u.Role != store.RoleStudent || u.PasswordHash != "" || !u.MustChangePassword {
		t.Errorf("added %+v; want student carol, no hash shown, must change the password", u)
	}
	if len(pw) < 12 {
		t.Errorf("generated password %q", pw)
	}
	stored, _ := fx.store.UserByName(ctx, "carol")
	if bcrypt.CompareHashAndPassword([]byte(stored.PasswordHash), []byte(pw)) != nil {
		t.Error("the password shown is not carol's")
	}
	fx.wantAudit(ActionUserAdd, "prof", "carol", "ok")
	_, _, err = fx.prof.AddUser(ctx, accounts.NewUser{Username: "carol"})
	wantKind(t, "adding carol twice", err, ErrConflict)
	_, pw, err = fx.prof.AddUser(ctx, accounts.NewUser{Username: "ta", Role: store.RoleProfessor, Password: "a chosen secret"})
	if err != nil || pw != "" {
		t.Fatalf("adding a professor with a chosen password: %q, %v", pw, err)
	}
}

func TestUpdateUser(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	name, email := "Alice Liddell", "al@example.edu"
	u, err := fx.prof.UpdateUser(ctx, "alice", UserChange{FullName: &name, Email: &email})
	if err != nil {
		t.Fatal(err)
	}
	if u.FullName != name || u.Email != email || u.Role != store.RoleStudent || u.PasswordHash != "" {
		t.Errorf("after the update: %+v", u)
	}
	e := fx.wantAudit(ActionUserUpdate, "prof", "alice", "ok")
	for _, part := range []string{`"Alice A" -> "Alice Liddell"`, `"alice@example.edu" -> "al@example.edu"`} {
		if !strings.Contains(e.Detail, part) {
			t.Errorf("user.update detail %q does not say %s", e.Detail, part)
		}
	}
	if len(fx.audits(ActionUserRole)) != 0 {
		t.Error("a change of name was audited as a role change")
	}
	// A role change: user.role, and no user.update when nothing else changed.
	prof := store.RoleProfessor
	n := len(fx.audits(ActionUserUpdate))
	if u, err = fx.prof.UpdateUser(ctx, "alice", UserChange{Role: &prof}); err != nil || u.Role != prof {
		t.Fatalf("promote alice: %+v, %v", u, err)
	}
	if e := fx.wantAudit(ActionUserRole, "prof", "alice", "ok"); e.Detail != "student -> professor" {
		t.Errorf("user.role detail %q", e.Detail)
	}
	if len(fx.audits(ActionUserUpdate)) != n {
		t.Error("a role change alone also wrote user.update")
	}
	// Nobody changes their own role, nor disables themselves.
	student := store.RoleStudent
	_, err = fx.prof.UpdateUser(ctx, "prof", UserChange{Role: &student})
	wantKind(t, "demoting oneself", err, ErrForbidden)
	fx.wantAudit(ActionUserRole, "prof", "prof", "denied")
	wantKind(t, "disabling oneself", fx.prof.SetDisabled(ctx, "prof", true), ErrForbidden)
	fx.wantAudit(ActionUserDisable, "prof", "prof", "denied")
	if u, _ := fx.store.UserByName(ctx, "prof"); u.Role != store.RoleProfessor || u.Disabled {
		t.Errorf("prof changed themselves: %+v", u)
	}
	// Another professor may.
	if _, err := fx.as("prof2").UpdateUser(ctx, "prof", UserChange{Role: &student}); err != nil {
		t.Fatal(err)
	}
	_, err = fx.prof.Roster(ctx)
	wantKind(t, "the demoted professor's next call", err, ErrForbidden)
	_, err = fx.as("prof2").UpdateUser(ctx, "nobody", UserChange{FullName: &name})
	wantKind(t, "updating a missing user", err, ErrNotFound)
}

func TestDisableEndsTheSessionsAndEnableLetsBack(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	ws, view := fx.connect("bob", "ssh")
	if err := fx.prof.SetDisabled(ctx, "bob", true); err != nil {
		t.Fatal(err)
	}
	if u, _ := fx.store.UserByName(ctx, "bob"); !u.Disabled {
		t.Error("bob is not disabled")
	}
	if msg, ended := ws.Ended(view); !ended || !strings.Contains(msg, "disabled") {
		t.Errorf("bob's session after disabling: ended %v, %q", ended, msg)
	}
	fx.wantAudit(ActionUserDisable, "prof", "bob", "ok")
	if err := fx.prof.SetDisabled(ctx, "bob", false); err != nil {
		t.Fatal(err)
	}
	fx.wantAudit(ActionUserEnable, "prof", "bob", "ok")
	wantKind(t, "disabling nobody", fx.prof.SetDisabled(ctx, "nobody", true), ErrNotFound)
}

func TestResetPassword(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	old, _ := fx.store.UserByName(ctx, "alice")
	pw, err := fx.prof.ResetPassword(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := fx.store.UserByName(ctx, "alice")
	if u.PasswordHash == old.PasswordHash || !u.MustChangePassword || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) != nil {
		t.Errorf("after the reset: must change %v, the shown password matches: %v", u.MustChangePassword,
			bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) == nil)
	}
	fx.wantAudit(ActionPasswordReset, "prof", "alice", "ok")
	_, err = fx.prof.ResetPassword(ctx, "nobody")
	wantKind(t, "resetting nobody", err, ErrNotFound)
}

func TestExportCSV(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	b, err := fx.prof.ExportCSV(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("$2")) {
		t.Errorf("the export holds a password hash:\n%s", b)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, b)
	}
	if !slices.Equal(recs[0], []string{"username", "full_name", "email", "role"}) {
		t.Errorf("header %v", recs[0])
	}
	want := [][]string{
		{"alice", "Alice A", "alice@example.edu", "student"},
		{"bob", "Bob B", "", "student"},
		{"dora", "Dora D", "", "professor"},
		{"prof", "Professor P", "", "professor"},
		{"prof2", "Professor Q", "", "professor"},
	}
	if !slices.EqualFunc(recs[1:], want, slices.Equal) {
		t.Errorf("rows %v, want %v", recs[1:], want)
	}
	// What is exported imports again, changing nothing.
	p, err := fx.prof.PreviewImport(ctx, ImportSource{Text: string(b)})
	if err != nil || len(p.Errors) != 0 || p.Create != 0 {
		t.Errorf("re-importing the export: %+v, %v", p, err)
	}
	fx.wantAudit(ActionExport, "prof", "", "ok")
}
