package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// The database itself, not only RequestHelp, keeps one open request per
// student, and refuses texts longer than the service allows.
func TestClassroomSchemaConstraints(t *testing.T) {
	ctx := t.Context()
	s := openFile(t, filepath.Join(t.TempDir(), "classroomd.db"))
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	exec := func(q string, args ...any) error {
		_, err := s.db.ExecContext(ctx, q, args...)
		return err
	}
	if err := exec(`INSERT INTO users (username, password_hash, created_at) VALUES ('alice', 'x', 1)`); err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO help_requests (student, question, created_at, cancelled_at) VALUES ('alice', ?, 1, ?)`
	if err := exec(insert, "first", nil); err != nil {
		t.Fatalf("first open request: %v", err)
	}
	if err := exec(insert, "second", nil); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Errorf("a second open request for alice = %v, want a UNIQUE constraint error", err)
	}
	if err := exec(insert, "closed", 2); err != nil {
		t.Errorf("a cancelled request beside the open one: %v", err)
	}
	if err := exec(insert, strings.Repeat("é", 201), 2); err == nil {
		t.Error("a 201-character question was stored, want a CHECK failure")
	}
	if err := exec(`INSERT INTO announcements (author, text, created_at) VALUES ('alice', '', 1)`); err == nil {
		t.Error("an empty announcement was stored, want a CHECK failure")
	}
	if err := exec(`INSERT INTO announcements (author, text, created_at) VALUES ('alice', ?, 1)`, strings.Repeat("é", 500)); err != nil {
		t.Errorf("a 500-character announcement: %v", err)
	}
}
