package table

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

var (
	keyDown  = tea.KeyPressMsg{Code: tea.KeyDown}
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	keyEsc   = tea.KeyPressMsg{Code: tea.KeyEscape}
	keyEnd   = tea.KeyPressMsg{Code: tea.KeyEnd}
	keyBack  = tea.KeyPressMsg{Code: tea.KeyBackspace}
)

func char(r rune) tea.KeyPressMsg { return tea.KeyPressMsg{Code: r, Text: string(r)} }

func cols() []Column {
	return []Column{
		{Title: "User", Min: 6},
		{Title: "Name", Drop: 2, Flex: true},
		{Title: "Email", Drop: 3},
		{Title: "CPU %", Right: true, Numeric: true},
		{Title: "Detail", Drop: 1, Flex: true},
	}
}

func people(n int) []Row {
	rows := make([]Row, n)
	for i := range rows {
		rows[i] = Row{ID: fmt.Sprintf("u%03d", i), Cells: []Cell{
			{Text: fmt.Sprintf("u%03d", i)},
			{Text: fmt.Sprintf("Person Number %d", i)},
			{Text: fmt.Sprintf("person%d@example.edu", i)},
			{Text: fmt.Sprintf("%.1f", float64((i*37)%100)), Num: float64((i * 37) % 100)},
			{Text: strings.Repeat("detail ", i%5)},
		}}
	}
	return rows
}

func newTable(w, h int, rows []Row) Model {
	m := New("t", cols(), keys.Default(), theme.New(true))
	m.SetSize(w, h)
	m.SetRows(rows)
	return m
}

func press(m Model, ks ...tea.KeyPressMsg) (Model, []tea.Msg) {
	var msgs []tea.Msg
	for _, k := range ks {
		var cmd tea.Cmd
		m, cmd = m.Update(k)
		if cmd != nil {
			msgs = append(msgs, cmd())
		}
	}
	return m, msgs
}

func checkFits(t *testing.T, m Model, w, h int) {
	t.Helper()
	lines := strings.Split(m.View(), "\n")
	if len(lines) != h {
		t.Errorf("%dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Errorf("%dx%d: line %d is %d cells wide: %q", w, h, i, got, ansi.Strip(l))
		}
	}
}

func TestWidthsFollowTheTerminal(t *testing.T) {
	for _, sz := range [][2]int{{200, 50}, {80, 24}, {40, 10}, {12, 3}, {1, 1}} {
		m := newTable(sz[0], sz[1], people(60))
		checkFits(t, m, sz[0], sz[1])
		m, _ = press(m, char('/'), char('u'), char('0'))
		checkFits(t, m, sz[0], sz[1])
	}
	wide := newTable(200, 50, people(10)).Widths()
	for c, w := range wide {
		if w == 0 {
			t.Errorf("200 columns: column %d left out (%v)", c, wide)
		}
	}
	narrow := newTable(50, 24, people(10)).Widths()
	if narrow[0] == 0 || narrow[3] == 0 {
		t.Errorf("50 columns: a column that is never left out was (%v)", narrow)
	}
	if narrow[2] != 0 {
		t.Errorf("50 columns: the email (dropped first) is shown (%v)", narrow)
	}
}

func TestSortCycleAndReverse(t *testing.T) {
	m := newTable(120, 30, people(20))
	m, _ = press(m, char('s')) // by user
	if c, desc := m.Sort(); c != 0 || desc {
		t.Fatalf("sort = %d %v", c, desc)
	}
	m, _ = press(m, char('s'), char('s'), char('s')) // by CPU
	if c, _ := m.Sort(); c != 3 {
		t.Fatalf("sort column %d, want 3 (CPU)", c)
	}
	m, _ = press(m, tea.KeyPressMsg{Code: tea.KeyHome})
	lo := m.rows[m.order[0]].Cells[3].Num
	m, _ = press(m, char('S'))
	hi := m.rows[m.order[0]].Cells[3].Num
	if lo > hi || hi != 99 && hi < 90 {
		t.Errorf("CPU ascending starts at %v, descending at %v", lo, hi)
	}
	if !strings.Contains(ansi.Strip(m.View()), "CPU % ▼") {
		t.Errorf("the sorted column is not marked:\n%s", ansi.Strip(m.View()))
	}
	m, _ = press(m, char('s'), char('s')) // past the last column: the order given
	if c, _ := m.Sort(); c != -1 || m.rows[m.order[0]].ID != "u000" {
		t.Errorf("after the last column: sort %d, first %s", c, m.rows[m.order[0]].ID)
	}
}

func TestCursorFollowsItsRowAcrossRefreshes(t *testing.T) {
	m := newTable(80, 10, people(30))
	m, _ = press(m, keyDown, keyDown, keyDown) // u003
	if m.SelectedID() != "u003" {
		t.Fatalf("selected %q", m.SelectedID())
	}
	rows := people(30)
	rows = append(rows[:1], rows[2:]...) // u001 left: u003 moves up
	m.SetRows(rows)
	if m.SelectedID() != "u003" {
		t.Errorf("after a refresh the cursor is on %q", m.SelectedID())
	}
	m, _ = press(m, keyEnd)
	if m.SelectedID() != "u029" {
		t.Errorf("end selects %q", m.SelectedID())
	}
	if !strings.Contains(ansi.Strip(m.View()), "u029") {
		t.Error("the last row is not scrolled into view")
	}
}

func TestFilterAndChoose(t *testing.T) {
	m := newTable(80, 24, people(30))
	m, _ = press(m, char('/'), char('N'), char('u'), char('m'), char('b'), char('e'), char('r'), char(' '), char('2'))
	if !m.Filtering() || m.Len() != 11 { // 2, 20..29
		t.Fatalf("filtering %v, %d rows", m.Filtering(), m.Len())
	}
	if s := ansi.Strip(m.View()); !strings.Contains(s, "/ Number 2") || !strings.Contains(s, "11 of 30") {
		t.Errorf("no filter line:\n%s", s)
	}
	m, _ = press(m, keyBack)
	if m.Filter() != "Number " {
		t.Errorf("backspace left %q", m.Filter())
	}
	m, _ = press(m, char('7'), keyEnter) // keeps the filter, stops typing
	if m.Filtering() || m.Filter() != "Number 7" || m.Len() != 1 {
		t.Fatalf("after enter: filtering %v, filter %q, %d rows", m.Filtering(), m.Filter(), m.Len())
	}
	m, msgs := press(m, keyEnter)
	if len(msgs) != 1 || msgs[0] != (ChosenMsg{Table: "t", ID: "u007"}) {
		t.Errorf("enter sent %v", msgs)
	}
	if !m.Handles(keyEsc) {
		t.Error("esc does not clear the filter")
	}
	m, _ = press(m, keyEsc)
	if m.Filter() != "" || m.Len() != 30 || m.Handles(keyEsc) {
		t.Errorf("esc left filter %q, %d rows", m.Filter(), m.Len())
	}
	m, _ = press(m, char('/'), char('z'), char('z'), char('z'))
	if s := ansi.Strip(m.View()); !strings.Contains(s, "Nothing matches “zzz”.") {
		t.Errorf("no sentence for an empty result:\n%s", s)
	}
}

func TestCraftedTextIsHarmless(t *testing.T) {
	evil := "\x1b]52;c;aGk=\x07\x1b[2J\u202eevil\r\nname\x9b31m"
	rows := []Row{{ID: "x", Cells: []Cell{{Text: evil}, {Text: evil}, {Text: evil}, {Text: "1"}, {Text: evil}}}}
	m := newTable(200, 5, rows)
	m, _ = press(m, char('/'))
	m, _ = m.Update(tea.PasteMsg{Content: "\x1b[31mev\nil"})
	v := m.View()
	for _, bad := range []string{"\x1b]", "\x1b[2J", "\u202e", "\r", "\x07", "\x9b"} {
		if strings.Contains(v, bad) {
			t.Errorf("the view holds %q", bad)
		}
	}
	if strings.Count(v, "\n") != 4 {
		t.Errorf("a newline in a cell broke the rows:\n%s", ansi.Strip(v))
	}
}

func TestEmpty(t *testing.T) {
	m := newTable(80, 5, nil)
	m.SetEmpty("No one is online.")
	if !strings.Contains(ansi.Strip(m.View()), "No one is online.") {
		t.Errorf("no empty text:\n%s", ansi.Strip(m.View()))
	}
	m, msgs := press(m, keyEnter, keyDown, keyEnd)
	if len(msgs) != 0 || m.Handles(keyEnter) {
		t.Error("enter chose a row in an empty table")
	}
	checkFits(t, m, 80, 5)
}

func BenchmarkSetRowsAndView200(b *testing.B) {
	m := newTable(200, 50, nil)
	rows := people(200)
	b.ReportAllocs()
	for b.Loop() {
		m.SetRows(rows)
		_ = m.View()
	}
}

// A cell from a user (a roster name, an audit detail) that holds an escape,
// an override or bytes that are not UTF-8 is drawn as characters only, its
// hidden parts shown as escapes so the professor sees them.
func TestHostileCellsShowEscaped(t *testing.T) {
	rows := []Row{{ID: "m", Cells: []Cell{
		{Text: "mallory"}, {Text: "Mal \u202eyrol"}, {Text: "m@example.edu"}, {Text: "1", Num: 1},
		{Text: "\x1b]0;PWNED\x07 \xff"},
	}}}
	view := newTable(150, 5, rows).View()
	for _, bad := range []string{"\u202e", "\x1b]0;", "\x07", "\xff"} {
		if strings.Contains(view, bad) {
			t.Errorf("the table drew %q as it is", bad)
		}
	}
	plain := ansi.Strip(view)
	for _, want := range []string{`Mal \u202eyrol`, `\x1b]0;PWNED\a \xff`} {
		if !strings.Contains(plain, want) {
			t.Errorf("the table does not show %q:\n%s", want, plain)
		}
	}
}
