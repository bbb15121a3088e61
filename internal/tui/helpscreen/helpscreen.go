// Package helpscreen is the full help: every key binding of the keymap,
// grouped under titles, in as many columns as the width allows, scrolled
// when they do not fit.
package helpscreen

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

// Note is a section of prose after the keys (how to copy files in and out,
// say): its lines are wrapped to the width; a line that starts with two
// spaces is a command, drawn as keys are.
type Note struct {
	Title string
	Lines []string
}

// Model is the full help screen.
type Model struct {
	groups []keys.Group
	notes  []Note
	keys   keys.Tree // scrolling uses the file list's movement keys
	theme  theme.Theme

	offset        int // first line shown
	width, height int
}

// New returns the help for the given keymap.
func New(km keys.KeyMap, th theme.Theme) Model {
	return Model{groups: km.Groups(), keys: km.Tree, theme: th}
}

// NewGroups returns a help of the given groups (the console's, say), scrolled
// with km's keys.
func NewGroups(groups []keys.Group, km keys.KeyMap, th theme.Theme) Model {
	return Model{groups: groups, keys: km.Tree, theme: th}
}

// SetNotes sets the sections shown after the keys.
func (m *Model) SetNotes(notes []Note) {
	m.notes = notes
	m.clamp()
}

// SetSize sets the cells the screen draws into.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(width, 0), max(height, 0)
	m.clamp()
}

// SetTheme changes the styles (after the terminal reports its background).
func (m *Model) SetTheme(th theme.Theme) { m.theme = th }

// Top scrolls back to the first line, as when the screen is opened again.
func (m *Model) Top() { m.offset = 0 }

// Update scrolls. Closing is the parent's business.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	page := max(m.height-1, 1)
	switch {
	case key.Matches(k, m.keys.Up):
		m.offset--
	case key.Matches(k, m.keys.Down):
		m.offset++
	case key.Matches(k, m.keys.PageUp):
		m.offset -= page
	case key.Matches(k, m.keys.PageDown):
		m.offset += page
	case key.Matches(k, m.keys.Top):
		m.offset = 0
	case key.Matches(k, m.keys.Bottom):
		m.offset = len(m.lines())
	}
	m.clamp()
	return m, nil
}

func (m *Model) clamp() {
	m.offset = max(min(m.offset, len(m.lines())-m.height), 0)
}

// View draws exactly height lines, none wider than width.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	all := m.lines()
	out := make([]string, 0, m.height)
	for i := m.offset; i < len(all) && len(out) < m.height; i++ {
		out = append(out, termtext.Fit(all[i], m.width))
	}
	for len(out) < m.height {
		out = append(out, "")
	}
	return strings.Join(out, "\n")
}

const colGap = 3 // cells between columns

// lines lays the groups out in columns: as many as fit side by side, each
// group whole in one column, columns about equally tall.
func (m Model) lines() []string {
	if m.width <= 0 {
		return nil
	}
	blocks := make([][]string, len(m.groups))
	colW := 0
	for i, g := range m.groups {
		blocks[i] = m.group(g)
		for _, l := range blocks[i] {
			colW = max(colW, termtext.Width(l))
		}
	}
	cols := max(min((m.width+colGap)/(colW+colGap), len(blocks)), 1)

	// Fill columns in order, moving on once a column would pass its share;
	// the smallest share whose columns all keep to it (groups stay whole).
	total := 0
	for _, b := range blocks {
		total += len(b) + 1 // a blank line after each group
	}
	var columns [][]string
	for share := (total + cols - 1) / cols; ; share++ {
		columns = pack(blocks, cols, share)
		tallest := 0
		for _, c := range columns {
			tallest = max(tallest, len(c))
		}
		if tallest <= share || share >= total {
			break
		}
	}

	height := 0
	for _, c := range columns {
		height = max(height, len(c))
	}
	out := make([]string, height)
	for row := range out {
		var b strings.Builder
		for ci, c := range columns {
			cell := ""
			if row < len(c) {
				cell = c[row]
			}
			if ci < len(columns)-1 {
				cell = termtext.Pad(cell, colW+colGap)
			}
			b.WriteString(cell)
		}
		out[row] = strings.TrimRight(b.String(), " ")
	}
	return append(out, m.noteLines()...)
}

// noteLines draws the notes across the whole width, below the columns.
func (m Model) noteLines() []string {
	var out []string
	for _, n := range m.notes {
		out = append(out, "", m.theme.Heading.Render(n.Title))
		for _, l := range n.Lines {
			style := m.theme.Help.FullDesc
			indent := ""
			if strings.HasPrefix(l, "  ") {
				trimmed := strings.TrimLeft(l, " ")
				indent = l[:len(l)-len(trimmed)]
				l = trimmed
				if len(indent) == 2 {
					style = m.theme.Help.FullKey
				}
			}
			for w := range strings.SplitSeq(ansi.Wrap(l, max(m.width-len(indent)-2, 1), ""), "\n") {
				out = append(out, "  "+indent+style.Render(w))
			}
		}
	}
	return out
}

// pack puts the blocks in at most cols columns, in order, starting a new
// column when a block would take the current one past share.
func pack(blocks [][]string, cols, share int) [][]string {
	columns := make([][]string, 1, cols)
	for i, b := range blocks {
		c := &columns[len(columns)-1]
		if len(*c) > 0 && len(*c)+len(b) > share && len(columns) < cols {
			columns = append(columns, nil)
			c = &columns[len(columns)-1]
		}
		*c = append(*c, b...)
		if i < len(blocks)-1 {
			*c = append(*c, "")
		}
	}
	return columns
}

// group is a title and its bindings, keys aligned in a column. On a
// terminal too narrow for a key and its description side by side, the
// description goes under the key, wrapped.
func (m Model) group(g keys.Group) []string {
	keyW := 0
	for _, e := range g.Entries {
		keyW = max(keyW, termtext.Width(e.Binding.Help().Key))
	}
	lines := []string{m.theme.Heading.Render(g.Title)}
	for _, e := range g.Entries {
		if !e.Binding.Enabled() {
			continue
		}
		k, desc := e.Binding.Help().Key, e.Description()
		if 2+keyW+2+termtext.Width(desc) > m.width {
			lines = append(lines, "  "+m.theme.Help.FullKey.Render(k))
			for l := range strings.SplitSeq(ansi.Wrap(desc, max(m.width-4, 1), ""), "\n") {
				lines = append(lines, "    "+m.theme.Help.FullDesc.Render(l))
			}
			continue
		}
		lines = append(lines, "  "+m.theme.Help.FullKey.Render(termtext.Pad(k, keyW))+"  "+m.theme.Help.FullDesc.Render(desc))
	}
	return lines
}
