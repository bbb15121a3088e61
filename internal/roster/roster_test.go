package roster

import (
	"strings"
	"testing"
)

func TestRosterHeaderErrors(t *testing.T) {
	for csv, want := range map[string]string{
		"":                              "empty",
		"full_name,email\nA,a@b.c\n":    "no username column",
		"username,pasword\nann,x\n":     "unknown column",
		"username,username\nann,x\n":    "twice",
		"username,email\nann\n":         "line 2",
		"\xef\xbb\xbfusername\n\"ann\n": "line 2",
	} {
		_, err := Parse(strings.NewReader(csv))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", csv, err, want)
		}
	}
	rows, err := Parse(strings.NewReader("\xef\xbb\xbfUsername\nann\n"))
	if err != nil || len(rows) != 1 || rows[0].Username != "ann" || rows[0].Line != 2 {
		t.Errorf("BOM header: %+v %v", rows, err)
	}
}

// An exported cell with csvtext's leading apostrophe reads back as it was
// (#16 case 5).
func TestSpreadsheetTextImports(t *testing.T) {
	rows, err := Parse(strings.NewReader("username,full_name,email\nmal,'=cmd|' /C calc'!A0,'+x@example.edu\n"))
	if err != nil || len(rows) != 1 || rows[0].FullName != "=cmd|' /C calc'!A0" || rows[0].Email != "+x@example.edu" {
		t.Fatalf("Parse of an exported row: %+v, %v", rows, err)
	}
}
