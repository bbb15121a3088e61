package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store/postgres/pgtest"
)

// The database itself, not only RequestHelp, keeps one open request per
// student, and refuses texts longer than the service allows.
func TestClassroomSchemaConstraints(t *testing.T) {
	ctx := t.Context()
	s := openDB(t, pgtest.NewDatabase(t))
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	exec := func(q string, args ...any) error {
		_, err := s.pool.Exec(ctx, q, args...)
		return err
	}
	if err := exec(`INSERT INTO users (username, password_hash) VALUES ('alice', 'x')`); err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO help_requests (student, question, cancelled_at) VALUES ('alice', $1, $2)`
	if err := exec(insert, "first", nil); err != nil {
		t.Fatalf("first open request: %v", err)
	}
	if err := exec(insert, "second", nil); err == nil || !strings.Contains(err.Error(), "help_requests_one_open") {
		t.Errorf("a second open request for alice = %v, want a violation of help_requests_one_open", err)
	}
	if err := exec(insert, "closed", time.Now()); err != nil {
		t.Errorf("a cancelled request beside the open one: %v", err)
	}
	if err := exec(insert, strings.Repeat("é", 201), nil); err == nil {
		t.Error("a 201-character question was stored, want a CHECK failure")
	}
	if err := exec(`INSERT INTO announcements (author, text) VALUES ('alice', '')`); err == nil {
		t.Error("an empty announcement was stored, want a CHECK failure")
	}
	if err := exec(`INSERT INTO announcements (author, text) VALUES ('alice', $1)`, strings.Repeat("é", 500)); err != nil {
		t.Errorf("a 500-character announcement: %v", err)
	}
}
