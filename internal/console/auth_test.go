package console

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/store"
)

// call is one Desk method with the arguments a hostile terminal might send.
type call struct {
	name   string
	action string // the audit action of a refusal
	do     func(ctx context.Context, d *Desk) error
}

// huge is a text far beyond every limit.
var huge = strings.Repeat("A\x1b[2J", 1<<18)

// calls lists every Desk method, with crafted arguments where it takes any:
// usernames with escapes or of other students' paths, paths leaving the
// homes, huge texts. Whatever the arguments, a non-professor is refused.
func calls() []call {
	return []call{
		{"Roster", ActionRoster, func(ctx context.Context, d *Desk) error { _, err := d.Roster(ctx); return err }},
		{"AddUser", ActionUserAdd, func(ctx context.Context, d *Desk) error {
			_, _, err := d.AddUser(ctx, accounts.NewUser{Username: "mallory", Role: store.RoleProfessor})
			return err
		}},
		{"AddUser crafted", ActionUserAdd, func(ctx context.Context, d *Desk) error {
			_, _, err := d.AddUser(ctx, accounts.NewUser{Username: "x\x1b]0;pwned\a", FullName: huge, Role: store.RoleProfessor})
			return err
		}},
		{"UpdateUser", ActionUserUpdate, func(ctx context.Context, d *Desk) error {
			r := store.RoleProfessor
			_, err := d.UpdateUser(ctx, "alice", UserChange{Role: &r})
			return err
		}},
		{"UpdateUser crafted", ActionUserUpdate, func(ctx context.Context, d *Desk) error {
			name := huge
			_, err := d.UpdateUser(ctx, "../../etc", UserChange{FullName: &name})
			return err
		}},
		{"SetDisabled", ActionUserDisable, func(ctx context.Context, d *Desk) error { return d.SetDisabled(ctx, "prof", true) }},
		{"SetDisabled enable", ActionUserEnable, func(ctx context.Context, d *Desk) error { return d.SetDisabled(ctx, "dora", false) }},
		{"ResetPassword", ActionPasswordReset, func(ctx context.Context, d *Desk) error { _, err := d.ResetPassword(ctx, "prof"); return err }},
		{"PreviewImport", ActionImportPreview, func(ctx context.Context, d *Desk) error {
			_, err := d.PreviewImport(ctx, ImportSource{Path: "../../etc/shadow"})
			return err
		}},
		{"Import", ActionImport, func(ctx context.Context, d *Desk) error {
			_, err := d.Import(ctx, ImportSource{Text: "username,role\nmallory,professor\n"})
			return err
		}},
		{"ExportCSV", ActionExport, func(ctx context.Context, d *Desk) error { _, err := d.ExportCSV(ctx); return err }},
		{"Live", ActionLive, func(ctx context.Context, d *Desk) error { _, err := d.Live(ctx); return err }},
		{"Watch", ActionLiveView, func(ctx context.Context, d *Desk) error { _, err := d.Watch(ctx, "bob"); return err }},
		{"Watch crafted", ActionLiveView, func(ctx context.Context, d *Desk) error { _, err := d.Watch(ctx, "../bob\x1b[H"); return err }},
		{"ControlChanged", ActionControlStart, func(ctx context.Context, d *Desk) error { d.ControlChanged(ctx, "bob", true); return nil }},
		{"ControlChanged end", ActionControlEnd, func(ctx context.Context, d *Desk) error { d.ControlChanged(ctx, "bob", false); return nil }},
		{"RestartREPL", ActionRestartREPL, func(ctx context.Context, d *Desk) error { return d.RestartREPL(ctx, "bob") }},
		{"EndSession", ActionSessionEnd, func(ctx context.Context, d *Desk) error { return d.EndSession(ctx, "bob", huge) }},
		{"BrowseHome", ActionBrowseFiles, func(ctx context.Context, d *Desk) error { h, err := d.BrowseHome(ctx, "bob"); closeHome(h); return err }},
		{"BrowseHome crafted", ActionBrowseFiles, func(ctx context.Context, d *Desk) error {
			h, err := d.BrowseHome(ctx, "../../etc")
			closeHome(h)
			return err
		}},
		{"Audit", ActionAuditRead, func(ctx context.Context, d *Desk) error { _, err := d.Audit(ctx, 1<<30); return err }},
		{"Announce", "announce", func(ctx context.Context, d *Desk) error { _, err := d.Announce(ctx, "class is cancelled"); return err }},
		{"Retract", "announce.retract", func(ctx context.Context, d *Desk) error { return d.Retract(ctx, 1) }},
		{"History", "announce.history", func(ctx context.Context, d *Desk) error { _, err := d.History(ctx, 10); return err }},
		{"Queue", "help.queue", func(ctx context.Context, d *Desk) error { _, err := d.Queue(ctx); return err }},
		{"Claim", "help.claim", func(ctx context.Context, d *Desk) error { _, err := d.Claim(ctx, 1); return err }},
		{"Unclaim", "help.unclaim", func(ctx context.Context, d *Desk) error { return d.Unclaim(ctx, 1) }},
		{"Resolve", "help.resolve", func(ctx context.Context, d *Desk) error { return d.Resolve(ctx, 1) }},
		{"Subscribe", ActionSubscribe, func(ctx context.Context, d *Desk) error {
			ch, cancel := d.Subscribe()
			defer cancel()
			if _, open := <-ch; open {
				return nil // a live subscription: not refused
			}
			return sentence(ErrForbidden, "The subscription was refused.")
		}},
	}
}

// TestEveryMethodRefusesNonProfessors checks, for every Desk method, that a
// student, a disabled professor, an unknown account, an empty name and a
// professor demoted since their previous call are refused with a sentence
// matching ErrForbidden, that each refusal is audited as "denied" under the
// actor's (sanitised) name, and that nothing they asked for happened.
func TestEveryMethodRefusesNonProfessors(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	bobWS, bobView := fx.connect("bob", "ssh")
	// prof2 works normally until demoted between two calls.
	demoted := fx.as("prof2")
	if _, err := demoted.Roster(ctx); err != nil {
		t.Fatalf("prof2's first call: %v", err)
	}
	student := store.RoleStudent
	if _, err := fx.prof.UpdateUser(ctx, "prof2", UserChange{Role: &student}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, fx)
	actors := []struct {
		name      string
		desk      *Desk
		auditedAs string
	}{
		{"a student", fx.as("alice"), "alice"},
		{"a disabled professor", fx.as("dora"), "dora"},
		{"an unknown account", fx.as("ghost"), "ghost"},
		{"a crafted name", fx.as("prof\x1b[2J"), "prof?[2J"},
		{"no name", fx.as(""), ""},
		{"a professor demoted since their last call", demoted, "prof2"},
	}
	for _, a := range actors {
		for _, c := range calls() {
			n := len(fx.allAudits())
			err := c.do(ctx, a.desk)
			if c.name != "ControlChanged" && c.name != "ControlChanged end" {
				wantKind(t, a.name+" calling "+c.name, err, ErrForbidden)
			}
			entries := fx.allAudits()
			if len(entries) != n+1 {
				t.Errorf("%s calling %s: %d audit entries written, want 1", a.name, c.name, len(entries)-n)
				continue
			}
			e := entries[0]
			if e.Action != c.action || e.Outcome != "denied" || e.Actor != a.auditedAs {
				t.Errorf("%s calling %s: audit %q by %q, %s; want %q by %q, denied", a.name, c.name, e.Action, e.Actor, e.Outcome, c.action, a.auditedAs)
			}
		}
	}
	after := snapshot(t, fx)
	if after != before {
		t.Errorf("refused calls changed something:\n before %s\n after  %s", before, after)
	}
	if msg, ended := bobWS.Ended(bobView); ended {
		t.Errorf("a refused EndSession ended bob's session (%q)", msg)
	}
	if hasOK(fx.audits(ActionLiveView)) || hasOK(fx.audits(ActionBrowseFiles)) {
		t.Error("a refused live view or file browse was audited as done")
	}
}

// snapshot describes what refused calls must not change: the users (with
// their password hashes), the announcements and the help queue.
func snapshot(t *testing.T, fx *fixture) string {
	t.Helper()
	ctx := context.Background()
	users, err := fx.store.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, u := range users {
		b.WriteString(u.Username + "/" + string(u.Role) + "/" + u.FullName + "/" + u.PasswordHash[:20] + "/")
		if u.Disabled {
			b.WriteString("disabled")
		}
		b.WriteString(" ")
	}
	anns, err := fx.store.ListAnnouncements(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := fx.store.ListOpenHelpRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString(strings.Repeat("A", len(anns)) + strings.Repeat("H", len(reqs)))
	return b.String()
}

func hasOK(es []store.AuditEntry) bool {
	for _, e := range es {
		if e.Outcome == "ok" {
			return true
		}
	}
	return false
}

// TestCraftedInputFromAProfessor checks that a professor's session, too, is
// refused what no console page would send: names that are no usernames,
// other professors' sessions and files, paths leaving the homes, huge or
// escape-laden texts. Every refusal is a sentence without the escapes.
func TestCraftedInputFromAProfessor(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.connect("alice", "ssh")
	fx.connect("prof2", "ssh") // a professor's own workspace
	d := fx.prof
	for _, name := range []string{"../../etc", "/etc", "alice/../bob", "alice\x1b[2J", "al\u202eice", "", strings.Repeat("a", 33), huge} {
		_, err := d.Watch(ctx, name)
		wantKind(t, "Watch("+quoteShort(name)+")", err, ErrInvalid)
		h, err := d.BrowseHome(ctx, name)
		closeHome(h)
		wantKind(t, "BrowseHome("+quoteShort(name)+")", err, ErrInvalid)
		wantKind(t, "EndSession("+quoteShort(name)+")", d.EndSession(ctx, name, "bye"), ErrInvalid)
		wantKind(t, "RestartREPL("+quoteShort(name)+")", d.RestartREPL(ctx, name), ErrInvalid)
		_, err = d.ResetPassword(ctx, name)
		wantKind(t, "ResetPassword("+quoteShort(name)+")", err, ErrInvalid)
	}
	for _, e := range fx.allAudits() {
		if strings.IndexFunc(e.Target+e.Detail+e.Actor, func(r rune) bool { return r < ' ' || isBidi(r) }) >= 0 || len(e.Target) > 70 {
			t.Errorf("audit entry %q carries a control character or a long target: %+q", e.Action, e.Target)
		}
	}
	// Professors' sessions and files are not the console's.
	_, err := d.Watch(ctx, "prof2")
	wantKind(t, "Watch(prof2)", err, ErrForbidden)
	h, err := d.BrowseHome(ctx, "prof2")
	closeHome(h)
	wantKind(t, "BrowseHome(prof2)", err, ErrForbidden)
	wantKind(t, "EndSession(prof2)", d.EndSession(ctx, "prof2", ""), ErrForbidden)
	wantKind(t, "RestartREPL(prof2)", d.RestartREPL(ctx, "prof2"), ErrForbidden)
	fx.wantAudit(ActionRestartREPL, "prof", "prof2", "denied")
	// Unknown students.
	_, err = d.Watch(ctx, "nobody")
	wantKind(t, "Watch(nobody)", err, ErrNotFound)
	h, err = d.BrowseHome(ctx, "nobody")
	closeHome(h)
	wantKind(t, "BrowseHome(nobody)", err, ErrNotFound)
	// Texts.
	for _, msg := range []string{huge, "bye\x1b[2J", "line\nbreak", strings.Repeat("x", 201), "\u202egoodbye"} {
		wantKind(t, "EndSession(alice, "+quoteShort(msg)+")", d.EndSession(ctx, "alice", msg), ErrInvalid)
	}
	for _, nu := range []accounts.NewUser{
		{Username: "eve\x1b[2J"},
		{Username: "eve", FullName: "Eve\x1b[31m"},
		{Username: "eve", FullName: "Eve \u202eevE"},
		{Username: "eve", FullName: huge},
		{Username: "eve", Email: "eve@example.edu\r\nBcc: all@example.edu"},
		{Username: "eve", Role: "root"},
		{Username: "eve", Password: "short"},
	} {
		_, _, err := d.AddUser(ctx, nu)
		wantKind(t, "AddUser("+quoteShort(nu.Username+"/"+nu.FullName+"/"+nu.Email+"/"+string(nu.Role))+")", err, ErrInvalid)
	}
	if _, err := fx.store.UserByName(ctx, "eve"); !errors.Is(err, store.ErrNotFound) {
		t.Error("a refused AddUser created eve")
	}
	bad, root := "Alice\u2066", store.Role("root")
	_, err = d.UpdateUser(ctx, "alice", UserChange{FullName: &bad})
	wantKind(t, "UpdateUser(bidi name)", err, ErrInvalid)
	_, err = d.UpdateUser(ctx, "alice", UserChange{Role: &root})
	wantKind(t, "UpdateUser(role root)", err, ErrInvalid)
	if u, _ := fx.store.UserByName(ctx, "alice"); u.FullName != "Alice A" || u.Role != store.RoleStudent {
		t.Errorf("refused updates changed alice: %+v", u)
	}
	if list, err := d.Audit(ctx, 1<<30); err != nil || len(list) > maxAuditLimit {
		t.Errorf("Audit(huge limit): %d entries, %v", len(list), err)
	}
}

func quoteShort(s string) string { return quote(s) }

func closeHome(h *files.Home) {
	if h != nil {
		h.Close()
	}
}
