// Package filetree is the file browser pane: a tree of the student's home
// whose folders are listed lazily, when first opened, through a Lister.
package filetree

import (
	"errors"
	"path"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

// Lister lists a folder of the home; rel is slash-separated and "." is the
// home itself. *files.Home implements it.
type Lister interface {
	List(rel string) ([]files.Entry, error)
}

// Root is the rel of the home itself.
const Root = "."

// errNoHome is reported when the model was built without a Lister.
var errNoHome = errors.New("no home folder is available")

type node struct {
	seq      uint64 // the load whose listing the children come from
	entry    files.Entry
	rel      string
	depth    int // 0 for the home, 1 for its entries
	parent   *node
	expanded bool
	loading  bool
	loaded   bool
	children []*node
}

func (n *node) isDir() bool { return n.entry.IsDir }

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.entry.Name == name {
			return c
		}
	}
	return nil
}

// loadedMsg carries listings back from a load command. owner identifies the
// tree that asked, so two trees in one program never take each other's results.
type loadedMsg struct {
	owner   *node
	seq     uint64 // the order the loads were asked in
	results []result
}

type result struct {
	rel     string
	entries []files.Entry
	err     error
}

// Model is the file tree. Like other Bubble Tea components it is used by
// value, but its nodes are shared between copies: keep only the latest copy
// returned by Update.
type Model struct {
	lister Lister
	keys   keys.Tree
	theme  theme.Theme

	root    *node
	visible []*node // the rows, in order: expanded folders show their children
	cursor  int     // index into visible
	offset  int     // first visible row drawn

	width, height int

	err    error  // the last load's failure, if it failed
	errRel string // the folder that failed

	course     *node              // the read-only course folder, after the home's entries; nil if none
	showHidden bool               // names starting with "." are listed
	want       string             // put the cursor here once it is listed (Reveal)
	loads      *uint64            // counts the loads asked for, shared by the copies
	drawn      *map[rowKey]string // rows as drawn, shared by the copies (see row)
}

// rowKey is what a row is drawn from: a row is styled once, not on every
// frame (the tree is on screen while the student types elsewhere).
type rowKey struct {
	depth                   int
	name                    string
	course, dir, open, link bool
	selected                bool
	width                   int
}

// maxDrawnRows bounds the drawn rows kept; the map is emptied when full.
const maxDrawnRows = 512

// New returns a tree of the home behind lister. Call Init to list the home.
func New(lister Lister, km keys.Tree, th theme.Theme) Model {
	root := &node{rel: Root, entry: files.Entry{Name: ".", IsDir: true}, expanded: true, loading: true}
	return Model{lister: lister, keys: km, theme: th, root: root, loads: new(uint64), drawn: new(map[rowKey]string)}
}

// Init lists the home.
func (m Model) Init() tea.Cmd {
	return m.load(Root)
}

// SetSize sets the cells the tree draws into.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(width, 0), max(height, 0)
	m.scroll()
}

// SetCourse shows the course folder, listed by the Lister under the path
// rel (which must start with "/", so that it is never a home path), as a
// read-only folder after the home's entries; "" shows none.
func (m *Model) SetCourse(rel string) {
	m.course = nil
	if rel != "" {
		m.course = &node{entry: files.Entry{Name: path.Base(rel), IsDir: true}, rel: rel, depth: 1, parent: m.root}
	}
}

// SetTheme changes the styles (after the terminal reports its background).
func (m *Model) SetTheme(th theme.Theme) {
	m.theme = th
	*m.drawn = nil // drawn in the old styles
}

// Selected returns the entry under the cursor and its path from the home.
func (m Model) Selected() (entry files.Entry, rel string, ok bool) {
	if m.cursor < 0 || m.cursor >= len(m.visible) {
		return files.Entry{}, "", false
	}
	n := m.visible[m.cursor]
	return n.entry, n.rel, true
}

// Err returns which folder the last listing failed on and why, or a nil error.
func (m Model) Err() (rel string, err error) { return m.errRel, m.err }

// Loading reports whether the home's first listing is still on its way.
func (m Model) Loading() bool { return m.root.loading && !m.root.loaded }

// Empty reports whether the home was listed and shows nothing (hidden
// files may be there, not shown).
func (m Model) Empty() bool {
	if !m.root.loaded {
		return false
	}
	for _, c := range m.root.children {
		if m.shown(c) {
			return false
		}
	}
	return true
}

// ShowHidden reports whether names starting with "." are listed.
func (m Model) ShowHidden() bool { return m.showHidden }

// SetShowHidden lists names starting with "." or hides them.
func (m *Model) SetShowHidden(on bool) {
	m.showHidden = on
	keep := ""
	if n := m.current(); n != nil {
		keep = n.rel
	}
	m.rebuild(keep)
}

// Hidden reports whether a name is hidden unless asked for: it starts with ".".
func Hidden(name string) bool { return strings.HasPrefix(name, ".") }

func (m *Model) shown(n *node) bool { return m.showHidden || !Hidden(n.entry.Name) }

// Reveal lists the home and the open folders again, opens the folders
// leading to rel that the tree knows, and puts the cursor on rel once it is
// listed (if it is shown).
func (m *Model) Reveal(rel string) tea.Cmd {
	m.want = rel
	for d := path.Dir(rel); d != Root && d != "/" && d != ""; d = path.Dir(d) {
		if n := m.find(d); n != nil && n.isDir() {
			n.expanded = true
		}
	}
	return m.Refresh()
}

// Expanded returns the folders the tree shows the contents of: the home
// (Root) and every open folder, parents first. They are what to watch.
func (m Model) Expanded() []string {
	rels := []string{Root}
	var walk func(n *node)
	walk = func(n *node) {
		for _, c := range n.children {
			if c.expanded {
				rels = append(rels, c.rel)
				walk(c)
			}
		}
	}
	walk(m.root)
	return rels
}

// Refresh lists the home and every open folder again, keeping what is open
// and the cursor where they still exist.
func (m Model) Refresh() tea.Cmd {
	rels := m.Expanded()
	for _, rel := range rels {
		if n := m.find(rel); n != nil {
			n.loading = true
		}
	}
	return m.load(rels...)
}

// load lists rels, in order, in a command: listing may touch a slow disk and
// must not block the program's event loop. The command reads nothing of the
// model but the lister.
func (m Model) load(rels ...string) tea.Cmd {
	lister, owner := m.lister, m.root
	*m.loads++
	seq := *m.loads
	return func() tea.Msg {
		msg := loadedMsg{owner: owner, seq: seq, results: make([]result, len(rels))}
		for i, rel := range rels {
			msg.results[i].rel = rel
			if lister == nil {
				msg.results[i].err = errNoHome
				continue
			}
			msg.results[i].entries, msg.results[i].err = lister.List(rel)
		}
		return msg
	}
}

// Update handles navigation keys and listings.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.owner == m.root {
			m.apply(msg.seq, msg.results)
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

func (m Model) handleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	m.want = "" // the student moves: a late listing must not move the cursor
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		m.moveTo(m.cursor - 1)
	case key.Matches(msg, k.Down):
		m.moveTo(m.cursor + 1)
	case key.Matches(msg, k.PageUp):
		m.moveTo(m.cursor - max(m.height-1, 1))
	case key.Matches(msg, k.PageDown):
		m.moveTo(m.cursor + max(m.height-1, 1))
	case key.Matches(msg, k.Top):
		m.moveTo(0)
	case key.Matches(msg, k.Bottom):
		m.moveTo(len(m.visible) - 1)
	case key.Matches(msg, k.Toggle):
		n := m.current()
		if n == nil || !n.isDir() {
			return m, nil
		}
		if n.expanded {
			m.collapse(n)
			return m, nil
		}
		return m, m.expand(n)
	case key.Matches(msg, k.Expand):
		n := m.current()
		switch {
		case n == nil || !n.isDir():
		case !n.expanded:
			return m, m.expand(n)
		case len(n.children) > 0:
			m.moveTo(m.cursor + 1)
		}
	case key.Matches(msg, k.Collapse):
		n := m.current()
		switch {
		case n == nil:
		case n.isDir() && n.expanded:
			m.collapse(n)
		case n.parent != m.root:
			m.selectRel(n.parent.rel)
		}
	}
	return m, nil
}

func (m *Model) current() *node {
	if m.cursor < 0 || m.cursor >= len(m.visible) {
		return nil
	}
	return m.visible[m.cursor]
}

// expand opens n at once with what is known of it and lists it again, so a
// reopened folder is never stale for long.
func (m *Model) expand(n *node) tea.Cmd {
	n.expanded = true
	n.loading = true
	m.rebuild(n.rel)
	return m.load(n.rel)
}

func (m *Model) collapse(n *node) {
	n.expanded = false
	m.rebuild(n.rel)
}

// apply takes in listings. Results come parents first, so a folder removed by
// its parent's new listing simply finds no node.
//
// Loads run concurrently, so an older listing can arrive after a newer
// one: it is dropped for the folders a newer one listed already.
func (m *Model) apply(seq uint64, results []result) {
	keep := ""
	if n := m.current(); n != nil {
		keep = n.rel
	}
	m.err, m.errRel = nil, ""
	for _, r := range results {
		n := m.find(r.rel)
		if n == nil || n.seq > seq {
			continue
		}
		n.seq = seq
		n.loading = false
		if r.err != nil {
			if m.err == nil {
				m.err, m.errRel = r.err, r.rel
			}
			if n != m.root {
				n.expanded = false // shown closed, so Enter retries
			}
			continue
		}
		n.children = merge(n, r.entries)
		if n == m.root && m.course != nil {
			n.children = append(n.children, m.course)
		}
		n.loaded = true
	}
	if m.want != "" && m.find(m.want) != nil {
		keep, m.want = m.want, ""
	}
	m.rebuild(keep)
}

// merge builds n's children from a new listing, reusing the old node of a
// folder that is still there so that it stays open with its contents.
func merge(n *node, entries []files.Entry) []*node {
	out := make([]*node, 0, len(entries))
	for _, e := range entries {
		if old := n.child(e.Name); old != nil && old.isDir() && e.IsDir {
			old.entry = e
			out = append(out, old)
			continue
		}
		out = append(out, &node{
			entry:  e,
			rel:    path.Join(n.rel, e.Name),
			depth:  n.depth + 1,
			parent: n,
		})
	}
	return out
}

// find returns the node at rel, or nil if it is not (or no longer) in the tree.
func (m *Model) find(rel string) *node {
	n := m.root
	if rel == Root {
		return n
	}
	if c := m.course; c != nil && (rel == c.rel || strings.HasPrefix(rel, c.rel+"/")) {
		n, rel = c, strings.TrimPrefix(strings.TrimPrefix(rel, c.rel), "/")
		if rel == "" {
			return n
		}
	}
	for name := range strings.SplitSeq(rel, "/") {
		if n = n.child(name); n == nil {
			return nil
		}
	}
	return n
}

// rebuild recomputes the visible rows and puts the cursor back on keep, or as
// near its old position as the rows allow.
func (m *Model) rebuild(keep string) {
	// A fresh slice: copies of the Model must not see their rows rewritten.
	m.visible = make([]*node, 0, len(m.visible))
	var walk func(n *node)
	walk = func(n *node) {
		for _, c := range n.children {
			if !m.shown(c) {
				continue
			}
			m.visible = append(m.visible, c)
			if c.expanded {
				walk(c)
			}
		}
	}
	walk(m.root)
	if !m.selectRel(keep) {
		m.moveTo(m.cursor)
	}
}

// selectRel moves the cursor to the row at rel if it is visible.
func (m *Model) selectRel(rel string) bool {
	for i, n := range m.visible {
		if n.rel == rel {
			m.moveTo(i)
			return true
		}
	}
	return false
}

func (m *Model) moveTo(i int) {
	m.cursor = max(min(i, len(m.visible)-1), 0)
	m.scroll()
}

// scroll keeps the cursor's row on screen.
func (m *Model) scroll() {
	if m.height <= 0 {
		return
	}
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+m.height {
		m.offset = m.cursor - m.height + 1
	}
	// Do not leave empty rows below the last entry while rows above are hidden.
	m.offset = max(min(m.offset, len(m.visible)-m.height), 0)
}

// View draws exactly height lines, none wider than width.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	lines := make([]string, 0, m.height)
	switch {
	case len(m.visible) == 0 && m.Loading():
		lines = append(lines, m.theme.Muted.Render(termtext.Fit("Loading…", m.width)))
	case len(m.visible) == 0 && m.Empty():
		lines = append(lines, m.theme.Muted.Render(termtext.Fit("(empty: no files yet)", m.width)))
	}
	for i := m.offset; i < len(m.visible) && len(lines) < m.height; i++ {
		lines = append(lines, m.row(m.visible[i], i == m.cursor))
	}
	for len(lines) < m.height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// row draws one entry: indent, a folder's open/closed marker, the name with
// "/" after a folder and "@" after a symlink, cut to the width.
func (m Model) row(n *node, selected bool) string {
	key := rowKey{depth: n.depth, name: n.entry.Name, course: n == m.course, dir: n.isDir(), open: n.expanded,
		link: n.entry.Symlink, selected: selected, width: m.width}
	if s, ok := (*m.drawn)[key]; ok {
		return s
	}
	if *m.drawn == nil || len(*m.drawn) >= maxDrawnRows {
		*m.drawn = make(map[rowKey]string)
	}
	s := m.drawRow(n, selected)
	(*m.drawn)[key] = s
	return s
}

func (m Model) drawRow(n *node, selected bool) string {
	prefix := strings.Repeat("  ", n.depth-1)
	switch {
	case n.isDir() && n.expanded:
		prefix += "▾ "
	case n.isDir():
		prefix += "▸ "
	default:
		prefix += "  "
	}
	label := termtext.Name(n.entry.Name)
	style := m.theme.File
	switch {
	case n == m.course:
		label += "/ (read-only)"
		style = m.theme.Dir
	case n.isDir():
		label += "/"
		style = m.theme.Dir
	case n.entry.Symlink:
		label += "@"
		style = m.theme.Symlink
	}

	if termtext.Width(prefix) >= m.width {
		// Too deep for this width: the indentation alone fills the line.
		prefix, label = termtext.Fit(prefix, m.width), ""
	} else {
		label = termtext.Fit(label, m.width-termtext.Width(prefix))
	}
	if selected {
		return m.theme.Selected.Render(termtext.Pad(prefix+label, m.width))
	}
	return m.theme.Muted.Render(prefix) + style.Render(label)
}
