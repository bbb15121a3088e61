package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/testkit"
)

// #16 case 3: with the journal's disk full, unsaved edits are kept in the
// workspace (the journal fails, nothing else does) and journaled as soon as
// there is room; what was journaled before stays whole.
func TestJournalOnAFullDisk(t *testing.T) {
	disk := testkit.SmallDisk(t, "1m")
	homeDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(homeDir, "a.py"), []byte("x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	home, err := files.OpenHome(homeDir)
	if err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(disk, "journal")
	w, err := New(Options{Username: "alice", Home: home, JournalDir: journal, JournalEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	f, err := w.Open("a.py")
	if err != nil {
		t.Fatal(err)
	}
	id := f.Buf.AddCursor()
	f.Buf.InsertText(id, "first = 1\n")
	w.flushJournal()
	filler, err := os.Create(filepath.Join(disk, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := filler.Write(make([]byte, 64<<10)); err != nil {
			break
		}
	}
	filler.Close()

	f.Buf.InsertText(id, strings.Repeat("second = 2\n", 20000)) // 220 KB: no room
	w.flushJournal()                                            // fails, and says so in the log
	if !f.Buf.Modified() || !strings.Contains(f.Buf.Text(), "second = 2") {
		t.Fatal("the edit is gone from the workspace")
	}
	entries, _ := os.ReadDir(journal)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("the failed journal write left %s", e.Name())
		}
	}
	// What was journaled before the disk filled is still whole.
	j, err := openJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := j.list()
	j.close()
	if len(rec) != 1 || !strings.HasPrefix(rec[0].Text, "first = 1\n") || strings.Contains(rec[0].Text, "second") {
		t.Fatalf("the journal before the disk filled: %+v", rec)
	}

	// Room again: the next flush journals the edit.
	if err := os.Remove(filepath.Join(disk, "filler")); err != nil {
		t.Fatal(err)
	}
	w.flushJournal()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = openJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	rec, _ = j.list()
	if len(rec) != 1 || !strings.Contains(rec[0].Text, "second = 2") {
		t.Fatalf("once there was room, the edit was not journaled: %d entries", len(rec))
	}
}
