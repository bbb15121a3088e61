// Package table is the console's list: rows under a header, columns whose
// widths follow the terminal's (the least useful columns are left out on a
// narrow one), sorted by any column, filtered by typing, with a cursor that
// stays on its row when the rows are replaced (a refresh every second).
//
// Every cell is made safe for the terminal here (termtext.Name, so that a
// hidden override or escape shows as one): names, questions and audit
// details come from users. Enter on a row sends a
// ChosenMsg naming the table and the row.
package table

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

// Column describes a column.
type Column struct {
	Title string
	// Min is the narrowest the column is drawn (0: its title's width); Max
	// the widest (0: its widest cell's).
	Min, Max int
	// Right aligns the cells right (numbers).
	Right bool
	// Numeric sorts by Cell.Num rather than by text.
	Numeric bool
	// Drop orders the columns left out when the width is short: the highest
	// first; 0 is never left out.
	Drop int
	// Flex takes the width left over once every column has its widest cell
	// (a question, an audit detail).
	Flex bool
}

// Cell is one value of a row.
type Cell struct {
	Text string  // what shows; made safe for the terminal by the table
	Num  float64 // the sort key of a Numeric column
	Key  string  // the sort key of a text column when it is not Text (a time); "" sorts by Text
}

// Row is one entry of the list.
type Row struct {
	ID    string // stable across refreshes: the cursor follows it
	Cells []Cell
	Muted bool // drawn dimmed (a disabled account, an ended announcement)
	Alert bool // drawn as an error (a bad line of an import)
}

// ChosenMsg is sent by enter on a row.
type ChosenMsg struct {
	Table string // the table's name (New)
	ID    string // the row's ID
}

// MaxFilter bounds the filter's text.
const MaxFilter = 200

// Model is the table. It is used by value: keep the latest copy returned by
// Update.
type Model struct {
	name  string
	cols  []Column
	keys  keys.Console
	form  keys.Form // the filter's delete and clear keys
	theme theme.Theme
	empty string // shown without rows

	rows    []Row
	hay     []string // each row's cells, lower case, for the filter
	natural []int    // each column's widest cell (and title)
	order   []int    // the rows shown: filtered and sorted, indexes into rows
	cursor  int      // index into order
	offset  int      // the first of order drawn

	sortCol   int // -1: the order given
	desc      bool
	filter    string
	filtering bool // the filter line takes the keys

	width, height int
	widths        []int // each column's width; 0: left out
}

// New returns an empty table named name (for ChosenMsg).
func New(name string, cols []Column, km keys.KeyMap, th theme.Theme) Model {
	m := Model{name: name, cols: cols, keys: km.Console, form: km.Form, theme: th, sortCol: -1}
	m.measure()
	return m
}

// SetEmpty sets what shows when there are no rows ("No one is online.").
func (m *Model) SetEmpty(text string) { m.empty = text }

// SetTheme changes the styles.
func (m *Model) SetTheme(th theme.Theme) { m.theme = th }

// SetSize sets the cells the table draws into.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(width, 0), max(height, 0)
	m.layout()
	m.scroll()
}

// SetSort sorts by column col (-1: the order given), descending or not.
func (m *Model) SetSort(col int, desc bool) {
	if col < -1 || col >= len(m.cols) {
		col = -1
	}
	m.sortCol, m.desc = col, desc
	m.apply(m.SelectedID())
}

// Sort returns the column sorted by (-1: the order given) and whether descending.
func (m Model) Sort() (col int, desc bool) { return m.sortCol, m.desc }

// SetRows replaces the rows. The cursor stays on the row with the same ID
// when there is one, else at the same place.
func (m *Model) SetRows(rows []Row) {
	keep := m.SelectedID()
	m.rows = make([]Row, len(rows))
	m.hay = make([]string, len(rows))
	for i, r := range rows {
		cells := make([]Cell, len(m.cols))
		var hay strings.Builder
		for c := range cells {
			if c < len(r.Cells) {
				cells[c] = r.Cells[c]
				cells[c].Text = safe(cells[c].Text)
			}
			hay.WriteString(strings.ToLower(cells[c].Text))
			hay.WriteByte(0)
		}
		r.Cells = cells
		m.rows[i] = r
		m.hay[i] = hay.String()
	}
	m.measure()
	m.layout()
	m.apply(keep)
}

// Len is the number of rows shown (those the filter keeps).
func (m Model) Len() int { return len(m.order) }

// Total is the number of rows, shown or not.
func (m Model) Total() int { return len(m.rows) }

// Selected returns the row under the cursor.
func (m Model) Selected() (Row, bool) {
	if m.cursor < 0 || m.cursor >= len(m.order) {
		return Row{}, false
	}
	return m.rows[m.order[m.cursor]], true
}

// SelectedID returns the ID of the row under the cursor, or "".
func (m Model) SelectedID() string {
	r, _ := m.Selected()
	return r.ID
}

// Select puts the cursor on the row with that ID, if it is shown.
func (m *Model) Select(id string) bool {
	for i, ri := range m.order {
		if m.rows[ri].ID == id {
			m.cursor = i
			m.scroll()
			return true
		}
	}
	return false
}

// Filter returns the filter's text.
func (m Model) Filter() string { return m.filter }

// Filtering reports whether the filter line takes the keys (typing).
func (m Model) Filtering() bool { return m.filtering }

// ClearFilter shows every row again and closes the filter line.
func (m *Model) ClearFilter() {
	m.filter, m.filtering = "", false
	m.apply(m.SelectedID())
}

// Handles reports whether Update acts on k: every key while filtering; else
// the moves, the filter, sorting, enter on a row and esc while filtered.
func (m Model) Handles(k tea.KeyPressMsg) bool {
	if m.filtering {
		return true
	}
	c := m.keys
	switch {
	case key.Matches(k, c.Up, c.Down, c.PageUp, c.PageDown, c.Top, c.Bottom, c.Filter, c.Sort, c.Reverse):
		return true
	case key.Matches(k, c.Open):
		return len(m.order) > 0
	case key.Matches(k, c.Back):
		return m.filter != ""
	}
	return false
}

// Update handles keys (see Handles) and pastes into the filter.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if m.filtering {
			first, _, _ := strings.Cut(strings.ReplaceAll(msg.Content, "\r", "\n"), "\n")
			m.setFilter(m.filter + first)
		}
	}
	return m, nil
}

func (m Model) key(k tea.KeyPressMsg) (Model, tea.Cmd) {
	c := m.keys
	if moved := m.move(k); moved {
		return m, nil
	}
	if m.filtering {
		switch {
		case key.Matches(k, c.Back):
			m.ClearFilter()
		case key.Matches(k, c.Open):
			m.filtering = false
			m.layout()
			m.scroll()
		case key.Matches(k, m.form.Delete):
			if r := []rune(m.filter); len(r) > 0 {
				m.setFilter(string(r[:len(r)-1]))
			}
		case key.Matches(k, m.form.Clear):
			m.setFilter("")
		default:
			if t := Typed(k); t != "" {
				m.setFilter(m.filter + t)
			}
		}
		return m, nil
	}
	switch {
	case key.Matches(k, c.Filter):
		m.filtering = true
		m.layout()
		m.scroll()
	case key.Matches(k, c.Back):
		m.ClearFilter()
	case key.Matches(k, c.Sort):
		m.nextSort()
	case key.Matches(k, c.Reverse):
		if m.sortCol < 0 {
			m.nextSort() // reversing the order given means sorting first
		} else {
			m.desc = !m.desc
			m.apply(m.SelectedID())
		}
	case key.Matches(k, c.Open):
		if r, ok := m.Selected(); ok {
			msg := ChosenMsg{Table: m.name, ID: r.ID}
			return m, func() tea.Msg { return msg }
		}
	}
	return m, nil
}

// move handles the moving keys.
func (m *Model) move(k tea.KeyPressMsg) bool {
	c := m.keys
	page := max(m.bodyRows()-1, 1)
	switch {
	case key.Matches(k, c.Up):
		m.cursor--
	case key.Matches(k, c.Down):
		m.cursor++
	case key.Matches(k, c.PageUp):
		m.cursor -= page
	case key.Matches(k, c.PageDown):
		m.cursor += page
	case key.Matches(k, c.Top):
		m.cursor = 0
	case key.Matches(k, c.Bottom):
		m.cursor = len(m.order) - 1
	default:
		return false
	}
	m.scroll()
	return true
}

// Typed is what a key types, or "" for a key that types nothing.
func Typed(k tea.KeyPressMsg) string {
	if k.Text == "" || k.Mod.Contains(tea.ModCtrl) || k.Mod.Contains(tea.ModAlt) ||
		k.Mod.Contains(tea.ModSuper) || k.Mod.Contains(tea.ModMeta) {
		return ""
	}
	return k.Text
}

func (m *Model) setFilter(s string) {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > MaxFilter {
		s = string(r[:MaxFilter])
	}
	m.filter = s
	m.apply(m.SelectedID())
}

// nextSort sorts by the next column shown, after the last back to the
// order given.
func (m *Model) nextSort() {
	next := -1
	for c := m.sortCol + 1; c < len(m.cols); c++ {
		if c < len(m.widths) && m.widths[c] > 0 {
			next = c
			break
		}
	}
	m.sortCol, m.desc = next, false
	m.apply(m.SelectedID())
}

// apply filters and sorts the rows, keeping the cursor on keep.
func (m *Model) apply(keep string) {
	at := m.cursor
	m.order = make([]int, 0, len(m.rows)) // not reused: copies of the model share it
	q := strings.ToLower(m.filter)
	for i := range m.rows {
		if q == "" || strings.Contains(m.hay[i], q) {
			m.order = append(m.order, i)
		}
	}
	if col := m.sortCol; col >= 0 {
		numeric := m.cols[col].Numeric
		slices.SortStableFunc(m.order, func(a, b int) int {
			ca, cb := m.rows[a].Cells[col], m.rows[b].Cells[col]
			var r int
			if numeric {
				r = cmp.Compare(ca.Num, cb.Num)
			} else {
				r = cmp.Compare(sortKey(ca), sortKey(cb))
			}
			if m.desc {
				r = -r
			}
			if r == 0 {
				r = cmp.Compare(a, b) // the order given
			}
			return r
		})
	}
	m.cursor = at
	if keep != "" {
		for i, ri := range m.order {
			if m.rows[ri].ID == keep {
				m.cursor = i
				break
			}
		}
	}
	m.scroll()
}

func sortKey(c Cell) string {
	if c.Key != "" {
		return c.Key
	}
	return strings.ToLower(c.Text)
}

// bodyRows is the number of rows drawn below the header, above the filter line.
func (m Model) bodyRows() int {
	n := m.height - 1
	if m.filtering || m.filter != "" {
		n--
	}
	return max(n, 0)
}

func (m *Model) scroll() {
	m.cursor = max(min(m.cursor, len(m.order)-1), 0)
	rows := m.bodyRows()
	if rows <= 0 {
		m.offset = m.cursor
		return
	}
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	m.offset = max(min(m.offset, len(m.order)-rows), 0)
}

// sortMark is the room a column's title keeps for the sort arrow.
const sortMark = 2

// measure finds each column's widest cell.
func (m *Model) measure() {
	m.natural = make([]int, len(m.cols))
	for c, col := range m.cols {
		w := termtext.Width(col.Title) + sortMark
		for _, r := range m.rows {
			w = max(w, textWidth(r.Cells[c].Text))
		}
		if col.Max > 0 {
			w = min(w, max(col.Max, col.Min))
		}
		m.natural[c] = w
	}
}

func (m Model) minWidth(c int) int {
	if m.cols[c].Min > 0 {
		return min(m.cols[c].Min, m.natural[c])
	}
	return min(termtext.Width(m.cols[c].Title)+sortMark, m.natural[c])
}

// flexWant is the width a Flex column asks for before columns are left out:
// it takes what is left over anyway.
const flexWant = 24

// want is the width a column asks for before columns are left out: its
// widest cell, or less for a Flex column.
func (m Model) want(c int) int {
	if m.cols[c].Flex {
		return max(min(m.natural[c], flexWant), m.minWidth(c))
	}
	return m.natural[c]
}

// layout gives each column its width: leave out columns (the highest Drop
// first) until every column shown has what it asks for, or none can be left
// out; start each at its smallest width and grow them in turn towards their
// widest cell; give what is left to the Flex columns.
func (m *Model) layout() {
	n := len(m.cols)
	m.widths = make([]int, n)
	shown := make([]bool, n)
	for c := range shown {
		shown[c] = true
	}
	avail := func() int { // the width for cells: a margin, a gap between columns
		k := 0
		for _, s := range shown {
			if s {
				k++
			}
		}
		return m.width - 1 - max(k-1, 0)
	}
	need := func() int {
		t := 0
		for c := range shown {
			if shown[c] {
				t += m.want(c)
			}
		}
		return t
	}
	// A column that could be left out and has nothing to show is.
	for c := range shown {
		if m.cols[c].Drop > 0 && len(m.rows) > 0 && m.natural[c] == termtext.Width(m.cols[c].Title)+sortMark && m.emptyColumn(c) {
			shown[c] = false
		}
	}
	for need() > avail() {
		drop := -1
		for c := n - 1; c >= 0; c-- {
			if shown[c] && m.cols[c].Drop > 0 && (drop < 0 || m.cols[c].Drop > m.cols[drop].Drop) {
				drop = c
			}
		}
		if drop < 0 {
			break
		}
		shown[drop] = false
	}
	left := avail()
	for c := range shown {
		if shown[c] {
			m.widths[c] = m.minWidth(c)
			left -= m.widths[c]
		}
	}
	for left > 0 {
		grew := false
		for c := range shown {
			if left > 0 && shown[c] && m.widths[c] < m.natural[c] {
				m.widths[c]++
				left--
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	var flex []int
	for c := range shown {
		if shown[c] && m.cols[c].Flex {
			flex = append(flex, c)
		}
	}
	for i := 0; left > 0 && len(flex) > 0; i++ {
		m.widths[flex[i%len(flex)]]++
		left--
	}
	if m.sortCol >= 0 && m.widths[m.sortCol] == 0 {
		m.sortCol = -1 // its column is no longer shown: the order given
		m.apply(m.SelectedID())
	}
}

func (m Model) emptyColumn(c int) bool {
	for _, r := range m.rows {
		if r.Cells[c].Text != "" {
			return false
		}
	}
	return true
}

// Widths returns each column's width (0: left out), for tests.
func (m Model) Widths() []int { return slices.Clone(m.widths) }

// View draws exactly height lines, each exactly width cells wide: the
// header, the rows, and the filter line while there is a filter.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	lines := make([]string, 0, m.height)
	lines = append(lines, m.header())
	rows := m.bodyRows()
	switch {
	case len(m.rows) == 0 && m.empty != "":
		lines = append(lines, m.theme.Muted.Render(m.pad(" "+m.empty)))
	case len(m.order) == 0 && m.filter != "":
		lines = append(lines, m.theme.Muted.Render(m.pad(" Nothing matches “"+termtext.Safe(m.filter)+"”.")))
	}
	for i := m.offset; i < len(m.order) && len(lines) < 1+rows; i++ {
		lines = append(lines, m.row(m.rows[m.order[i]], i == m.cursor))
	}
	for len(lines) < 1+rows && len(lines) < m.height {
		lines = append(lines, strings.Repeat(" ", m.width))
	}
	if (m.filtering || m.filter != "") && len(lines) < m.height {
		lines = append(lines, m.filterLine())
	}
	if len(lines) > m.height {
		lines = lines[:m.height]
	}
	return strings.Join(lines, "\n")
}

// pad makes s exactly width cells wide.
func (m Model) pad(s string) string {
	return termtext.Pad(termtext.Fit(s, m.width), m.width)
}

func (m Model) header() string {
	var b strings.Builder
	b.WriteByte(' ')
	first := true
	for c, col := range m.cols {
		w := m.widths[c]
		if w == 0 {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		title := col.Title
		if c == m.sortCol {
			if m.desc {
				title += " ▼"
			} else {
				title += " ▲"
			}
		}
		b.WriteString(cell(title, w, col.Right))
	}
	return m.theme.Heading.Render(m.pad(b.String()))
}

func (m Model) row(r Row, selected bool) string {
	var b strings.Builder
	b.Grow(m.width + 16)
	b.WriteByte(' ')
	used := 1 // each cell is exactly its column's width: no need to measure the line
	for c, col := range m.cols {
		w := m.widths[c]
		if w == 0 {
			continue
		}
		if used > 1 {
			b.WriteByte(' ')
			used++
		}
		b.WriteString(cell(r.Cells[c].Text, w, col.Right))
		used += w
	}
	line := b.String()
	switch {
	case used < m.width:
		line += strings.Repeat(" ", m.width-used)
	case used > m.width:
		line = m.pad(line)
	}
	switch {
	case selected:
		return m.theme.Selected.Render(line)
	case r.Alert:
		return m.theme.Error.Render(line)
	case r.Muted:
		return m.theme.Muted.Render(line)
	}
	return line
}

// safe is termtext.Name, quicker for printable ASCII (the common case).
func safe(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return termtext.Name(s)
		}
	}
	return s
}

// textWidth is the cells text takes (it holds no escape sequence): its
// length when it is ASCII, the common case, measured quickly.
func textWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// cell fits text into exactly w cells, aligned left or right.
func cell(text string, w int, right bool) string {
	tw := textWidth(text)
	if tw > w {
		text = termtext.Fit(text, w)
		tw = ansi.StringWidth(text)
	}
	if gap := w - tw; gap > 0 {
		if right {
			return strings.Repeat(" ", gap) + text
		}
		return text + strings.Repeat(" ", gap)
	}
	return text
}

func (m Model) filterLine() string {
	count := " " + strconv.Itoa(len(m.order)) + " of " + strconv.Itoa(len(m.rows))
	text := " / " + termtext.Safe(m.filter)
	var cursor string
	if m.filtering {
		cursor = m.theme.Cursor.Render(" ")
	}
	room := m.width - termtext.Width(count) - 1
	if room < 8 { // too narrow for the count: the filter matters more
		count, room = "", m.width-1
	}
	text = termtext.Fit(text, room)
	line := m.theme.Input.Render(text) + cursor
	gap := m.width - termtext.Width(text) - termtext.Width(cursor) - termtext.Width(count)
	return line + strings.Repeat(" ", max(gap, 0)) + m.theme.Muted.Render(count)
}
