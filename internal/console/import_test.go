package console

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/classroomd/classroomd/internal/store"
)

const badRoster = "username,full_name,email,role\n" +
	"alice,,,\n" + // 2: an update that keeps everything
	"carol,Carol C,carol@example.edu,\n" + // 3: new student
	"bad name,X,,\n" + // 4: invalid username
	"dan,Dan,not-an-email,\n" + // 5: invalid email
	"eve,Eve,,root\n" // 6: invalid role

// TestPreviewImportWritesNothingAndNamesBadLines checks the preview of a
// roster with bad lines: what would happen to each valid row, each bad line
// with why, and nothing written: no user, no audit entry, no home.
func TestPreviewImportWritesNothingAndNamesBadLines(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	users, _ := fx.store.ListUsers(ctx)
	audits := len(fx.allAudits())
	homes, _ := os.ReadDir(filepath.Join(fx.dir, "homes"))

	p, err := fx.prof.PreviewImport(ctx, ImportSource{Text: badRoster})
	if err != nil {
		t.Fatal(err)
	}
	want := []PreviewRow{
		{Line: 2, Username: "alice", FullName: "Alice A", Email: "alice@example.edu", Role: store.RoleStudent, HasPassword: false},
		{Line: 3, Username: "carol", FullName: "Carol C", Email: "carol@example.edu", Role: store.RoleStudent, New: true},
	}
	if !slices.Equal(p.Rows, want) || p.Create != 1 || p.Update != 1 {
		t.Errorf("preview rows %+v (create %d, update %d), want %+v", p.Rows, p.Create, p.Update, want)
	}
	var lines []int
	for _, e := range p.Errors {
		lines = append(lines, e.Line)
		if e.Err == nil || e.Err.Error() == "" {
			t.Errorf("line %d: no reason given", e.Line)
		}
	}
	if !slices.Equal(lines, []int{4, 5, 6}) {
		t.Errorf("bad lines %v (%v), want 4, 5, 6", lines, p.Errors)
	}
	after, _ := fx.store.ListUsers(ctx)
	homesAfter, _ := os.ReadDir(filepath.Join(fx.dir, "homes"))
	if len(after) != len(users) || len(fx.allAudits()) != audits || len(homesAfter) != len(homes) {
		t.Errorf("the preview wrote: users %d -> %d, audit entries %d -> %d, homes %d -> %d",
			len(users), len(after), audits, len(fx.allAudits()), len(homes), len(homesAfter))
	}

	// Import refuses the whole roster while any line is bad.
	rep, err := fx.prof.Import(ctx, ImportSource{Text: badRoster})
	wantKind(t, "importing a roster with bad lines", err, ErrInvalid)
	if len(rep.Invalid) != 3 || len(rep.Created)+len(rep.Updated) != 0 {
		t.Errorf("report of a refused import: %+v", rep)
	}
	if _, err := fx.store.UserByName(ctx, "carol"); err == nil {
		t.Error("a refused import created carol")
	}
	fx.wantAudit(ActionImport, "prof", "", "error")

	// Fixed, it imports, with a password for the new user shown once.
	good := "username,full_name,email,role\nalice,Alice Liddell,,\ncarol,Carol C,carol@example.edu,\nta,Teaching Assistant,,professor\n"
	rep, err = fx.prof.Import(ctx, ImportSource{Text: good})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Created, []string{"carol", "ta"}) || !slices.Equal(rep.Updated, []string{"alice"}) || len(rep.Generated) != 2 {
		t.Errorf("import report %+v", rep)
	}
	if u, _ := fx.store.UserByName(ctx, "ta"); u.Role != store.RoleProfessor {
		t.Errorf("ta imported as %q", u.Role)
	}
	if e := fx.wantAudit(ActionImport, "prof", "", "ok"); !strings.Contains(e.Detail, "created 2, updated 1") {
		t.Errorf("user.import detail %q", e.Detail)
	}
}

// TestImportFromAPathOnTheServer checks that a roster file on the server is
// read, and that anything but a regular, readable .csv file named by a plain
// absolute path is refused with a sentence (without hanging on a FIFO).
func TestImportFromAPathOnTheServer(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "Roster.CSV")
	if err := os.WriteFile(file, []byte("\xef\xbb\xbfusername,full_name\ncarol,Carol C\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := fx.prof.PreviewImport(ctx, ImportSource{Path: file})
	if err != nil || len(p.Rows) != 1 || p.Rows[0].Username != "carol" || !p.Rows[0].New {
		t.Fatalf("preview of %s: %+v, %v", file, p, err)
	}
	if rep, err := fx.prof.Import(ctx, ImportSource{Path: file}); err != nil || !slices.Equal(rep.Created, []string{"carol"}) {
		t.Fatalf("import of %s: %+v, %v", file, rep, err)
	}

	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder.csv")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(big, []byte("username\n"+strings.Repeat("a\n", MaxImportBytes/2+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	latin1 := filepath.Join(dir, "latin1.csv")
	if err := os.WriteFile(latin1, []byte("username,full_name\ncarol,Caf\xe9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notRoster := filepath.Join(dir, "other.csv")
	if err := os.WriteFile(notRoster, []byte("name,grade\nx,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"roster.csv",       // relative
		"../../etc/passwd", // relative, leaving
		dir + "/../" + filepath.Base(dir) + "/Roster.CSV", // with ..
		"/etc/passwd",                     // not a .csv file
		"/etc/shadow",                     // not a .csv file either
		filepath.Join(dir, "missing.csv"), // no such file
		link, fifo, folder, big, latin1, notRoster,
		"/tmp/x\x1b[2J.csv", // control characters
		"/" + strings.Repeat("a", 5000) + ".csv",
	} {
		_, err := fx.prof.PreviewImport(ctx, ImportSource{Path: path})
		wantKind(t, "PreviewImport("+quote(path)+")", err, ErrInvalid)
		_, err = fx.prof.Import(ctx, ImportSource{Path: path})
		wantKind(t, "Import("+quote(path)+")", err, ErrInvalid)
	}
	for _, src := range []ImportSource{{}, {Text: "username\nx\n", Path: file}, {Text: strings.Repeat("x", MaxImportBytes+1)}, {Text: "username\n"}} {
		_, err := fx.prof.PreviewImport(ctx, src)
		wantKind(t, "PreviewImport of a bad source", err, ErrInvalid)
	}
	if denied := fx.audits(ActionImportPreview); len(denied) == 0 || denied[0].Outcome != "denied" {
		t.Error("crafted import paths were not audited")
	}
	users, _ := fx.store.ListUsers(ctx)
	if len(users) != 6 {
		t.Errorf("%d users after refused imports, want the 5 of the fixture and carol", len(users))
	}
}
