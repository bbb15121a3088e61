package tui

import (
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/workspace"
)

type dialogKind int

const (
	dlgQuit       dialogKind = iota // unsaved changes: save all, discard, keep
	dlgCloseTab                     // unsaved changes: save, discard
	dlgNewFile                      // a name to type
	dlgQuickOpen                    // part of a name to type, a list to pick from
	dlgRecover                      // journaled work: recover, discard
	dlgNewFolder                    // a name to type
	dlgRename                       // a path to type: rename or move dir (the path)
	dlgDelete                       // yes or no: delete dir (the path)
	dlgAskHelp                      // a question to type for the help queue
	dlgHelpQueued                   // yes or no: withdraw the help request
)

// dialog is a question or a prompt over the panes. Questions take letters
// as answers; prompts take text.
type dialog struct {
	kind  dialogKind
	title string
	text  string
	err   string // what went wrong with the last answer

	input string // what was typed (prompts)

	tab     *tab                // dlgCloseTab
	dir     string              // dlgNewFile: the folder
	rec     workspace.Recovered // dlgRecover
	all     []string            // dlgQuickOpen: every file found
	hit     []string            // dlgQuickOpen: those matching the input, best first
	sel     int                 // dlgQuickOpen: the chosen one in hit
	loading bool                // dlgQuickOpen: the list is on its way
	pending bool                // dlgQuickOpen: enter was pressed before the list came
}

func (d *dialog) takesText() bool {
	return d.kind == dlgNewFile || d.kind == dlgQuickOpen || d.kind == dlgNewFolder || d.kind == dlgRename || d.kind == dlgAskHelp
}

// changed recomputes what depends on the input.
func (d *dialog) changed() {
	d.err, d.pending = "", false
	if d.kind == dlgQuickOpen {
		d.hit = match(d.all, d.input)
		d.sel = 0
	}
}

func (m *Model) dialogHelp() []key.Binding {
	d, k := m.keys.Dialog, m.keys
	switch m.dlg.kind {
	case dlgQuit:
		save := key.NewBinding(key.WithKeys(d.Save.Keys()...), key.WithHelp(d.Save.Help().Key, "save all"))
		return k.DialogHelp(save, d.Discard, d.Keep)
	case dlgCloseTab:
		return k.DialogHelp(d.Save, d.Discard)
	case dlgRecover:
		return k.DialogHelp(d.Recover, d.Discard)
	case dlgQuickOpen:
		return k.DialogHelp(key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")), d.Up, d.Down)
	case dlgRename:
		return k.DialogHelp(key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "rename/move")), k.Form.Clear)
	case dlgDelete:
		yes := key.NewBinding(key.WithKeys(d.Yes.Keys()...), key.WithHelp(d.Yes.Help().Key, "delete"))
		return []key.Binding{yes, d.No}
	case dlgAskHelp:
		return k.DialogHelp(key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "join the queue")))
	case dlgHelpQueued:
		yes := key.NewBinding(key.WithKeys(d.Yes.Keys()...), key.WithHelp(d.Yes.Help().Key, "withdraw"))
		no := key.NewBinding(key.WithKeys(d.No.Keys()...), key.WithHelp(d.No.Help().Key, "keep waiting"))
		return []key.Binding{yes, no}
	}
	return k.DialogHelp(key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "create")))
}

func (m *Model) dialogKey(msg tea.KeyPressMsg) tea.Cmd {
	dl, d := m.dlg, m.keys.Dialog
	if key.Matches(msg, d.Cancel) {
		m.dlg = nil
		if dl.kind == dlgRecover {
			m.nextRecovered() // this one stays in the journal for next time
		}
		return nil
	}
	if dl.takesText() {
		switch {
		case key.Matches(msg, d.Accept):
			return m.accept()
		case key.Matches(msg, d.Delete):
			if dl.input != "" {
				// One character, or one byte that is not UTF-8: the
				// rest of a hostile name keeps its real bytes.
				_, n := utf8.DecodeLastRuneInString(dl.input)
				dl.input = dl.input[:len(dl.input)-n]
				dl.changed()
			}
		case key.Matches(msg, m.keys.Form.Clear):
			dl.input = ""
			dl.changed()
		case key.Matches(msg, d.Up):
			dl.sel = max(dl.sel-1, 0)
		case key.Matches(msg, d.Down):
			dl.sel = min(dl.sel+1, max(len(dl.hit)-1, 0))
		default:
			if t := typed(msg); t != "" {
				dl.input += t
				dl.changed()
			}
		}
		return nil
	}
	switch dl.kind {
	case dlgDelete:
		switch {
		case key.Matches(msg, d.Yes):
			m.dlg = nil
			return m.deleteNow(dl.dir)
		case key.Matches(msg, d.No):
			m.dlg = nil
		}
	case dlgHelpQueued:
		switch {
		case key.Matches(msg, d.Yes):
			m.dlg = nil
			return m.withdrawHelp()
		case key.Matches(msg, d.No):
			m.dlg = nil
		}
	case dlgQuit:
		switch {
		case key.Matches(msg, d.Save):
			return m.saveAll()
		case key.Matches(msg, d.Keep):
			return tea.Quit
		case key.Matches(msg, d.Discard):
			for _, f := range m.unsaved() {
				for _, t := range m.tabs {
					if t.file == f {
						m.dropTab(t, true)
						break
					}
				}
				m.ws.CloseFile(f) // also files open in other views only
			}
			return tea.Quit
		}
	case dlgCloseTab:
		switch {
		case key.Matches(msg, d.Save):
			m.dlg = nil
			return m.save(dl.tab, true)
		case key.Matches(msg, d.Discard):
			m.dlg = nil
			m.dropTab(dl.tab, true)
		}
	case dlgRecover:
		switch {
		case key.Matches(msg, d.Recover):
			m.dlg = nil
			cmd := m.open(dl.rec.Path) // the workspace puts the recovered text in
			m.nextRecovered()
			return cmd
		case key.Matches(msg, d.Discard):
			m.dlg = nil
			ws, p := m.ws, dl.rec.Path
			return func() tea.Msg { return discardedMsg{path: p, err: ws.DiscardRecovered(p)} }
		}
	}
	return nil
}

// typed is what a key types, or "" for a key that types nothing.
func typed(k tea.KeyPressMsg) string {
	if k.Text == "" || k.Mod.Contains(tea.ModCtrl) || k.Mod.Contains(tea.ModAlt) ||
		k.Mod.Contains(tea.ModSuper) || k.Mod.Contains(tea.ModMeta) {
		return ""
	}
	return k.Text
}

// accept takes a prompt's answer.
func (m *Model) accept() tea.Cmd {
	dl := m.dlg
	switch dl.kind {
	case dlgNewFile:
		name := dl.input
		if err := files.ValidName(name); err != nil {
			dl.err = sentence(err)
			return nil
		}
		return m.createFile(dl.dir, name)
	case dlgNewFolder:
		return m.create(dl.dir, dl.input, true)
	case dlgRename:
		return m.renameTo(dl.dir, dl.input)
	case dlgAskHelp:
		return m.requestHelp(strings.TrimSpace(dl.input))
	case dlgQuickOpen:
		if dl.sel < len(dl.hit) {
			m.dlg = nil
			return m.open(dl.hit[dl.sel])
		}
		if dl.loading {
			dl.pending = true // opens the best match when the list comes
		} else {
			dl.err = "No file matches."
		}
	}
	return nil
}

// dialogView draws the dialog in the body's place.
func (m *Model) dialogView(w, h int) string {
	dl := m.dlg
	var lines []string
	add := func(s string) { lines = append(lines, s) }
	addWrapped := func(s string, style func(...string) string) {
		for l := range strings.SplitSeq(ansi.Wrap(s, max(w-2, 1), ""), "\n") {
			add(style(" " + l))
		}
	}
	add(m.theme.Heading.Render(" " + termtext.Safe(dl.title)))
	add("")
	addWrapped(dl.text, m.theme.Label.Render)
	if dl.takesText() {
		add("")
		// Wrapped, not cut: a long name (up to 255 bytes, more once
		// escaped) is shown whole while it is being renamed.
		in := strings.Split(ansi.Hardwrap("> "+termtext.Name(dl.input), max(w-2, 1), true), "\n")
		for i, l := range in {
			l = " " + m.theme.Input.Render(l)
			if i == len(in)-1 {
				l += m.theme.Cursor.Render(" ")
			}
			add(l)
		}
	}
	if dl.err != "" {
		add("")
		addWrapped(dl.err, m.theme.Error.Render)
	}
	if dl.kind == dlgQuickOpen {
		add("")
		room := h - len(lines)
		from := 0
		if dl.sel >= room {
			from = dl.sel - room + 1
		}
		for i := from; i < len(dl.hit) && len(lines) < h; i++ {
			row := termtext.Pad(termtext.Fit("  "+termtext.Name(dl.hit[i]), w), w)
			if i == dl.sel {
				row = m.theme.Selected.Render(row)
			}
			add(row)
		}
		if dl.loading && len(dl.hit) == 0 {
			add(m.theme.Muted.Render("  Looking for your files…"))
		}
	}
	return strings.Join(fit(strings.Join(lines, "\n"), w, h), "\n")
}

// quickListMsg carries the files quick open chooses from.
type quickListMsg struct {
	paths []string
	err   error
}

// Quick open lists at most this many files, and looks at most this deep.
const (
	maxQuickFiles = 5000
	maxQuickDepth = 12
)

// openQuick opens the quick-open prompt and lists the home's files, folder
// by folder, in a command. Hidden folders and __pycache__ are skipped.
func (m *Model) openQuick() tea.Cmd {
	m.dlg = &dialog{kind: dlgQuickOpen, title: "Open a file", loading: true,
		text: "Type part of its name; enter opens the one highlighted."}
	home := m.ws.Home()
	return func() tea.Msg {
		var out []string
		queue := []string{"."}
		var firstErr error
		for len(queue) > 0 && len(out) < maxQuickFiles {
			dir := queue[0]
			queue = queue[1:]
			es, err := home.List(dir)
			if err != nil {
				if firstErr == nil && dir == "." {
					firstErr = err
				}
				continue
			}
			for _, e := range es {
				if strings.HasPrefix(e.Name, ".") || e.Name == "__pycache__" {
					continue
				}
				rel := path.Join(dir, e.Name)
				if e.IsDir {
					if strings.Count(rel, "/") < maxQuickDepth {
						queue = append(queue, rel)
					}
					continue
				}
				out = append(out, rel)
				if len(out) >= maxQuickFiles {
					break
				}
			}
		}
		return quickListMsg{paths: out, err: firstErr}
	}
}

// match returns the paths that hold q (ignoring case), best first: a name
// that starts with q, then a name that holds it, then a path; shorter
// before longer.
func match(all []string, q string) []string {
	q = strings.ToLower(q)
	type hit struct {
		p    string
		rank int
	}
	var hits []hit
	for _, p := range all {
		lp := strings.ToLower(p)
		base := strings.ToLower(baseName(p))
		switch {
		case strings.HasPrefix(base, q):
			hits = append(hits, hit{p, 0})
		case strings.Contains(base, q):
			hits = append(hits, hit{p, 1})
		case strings.Contains(lp, q):
			hits = append(hits, hit{p, 2})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].rank != hits[j].rank {
			return hits[i].rank < hits[j].rank
		}
		if len(hits[i].p) != len(hits[j].p) {
			return len(hits[i].p) < len(hits[j].p)
		}
		return hits[i].p < hits[j].p
	})
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.p
	}
	return out
}
