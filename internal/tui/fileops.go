package tui

import (
	"path"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/tui/filetree"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/workspace"
)

// The file list's operations: new file, new folder, rename or move,
// duplicate, delete (after a question that says what it holds), and the
// hidden files. Each runs through internal/files in a command, off the
// event loop; its error is the files package's sentence, in the status bar
// (or in the dialog, while one is open, so the answer can be corrected).

// Answers of the file operations.
type (
	// fileOpMsg says an operation ended. reveal is the path to select
	// afterwards; from and to are set by a rename or move, gone by a delete.
	fileOpMsg struct {
		err    error
		done   string // said in the status bar when it worked
		reveal string
		from   string
		to     string
		gone   string
		moved  []movedTab // this view's tabs of renamed files, reopened
	}
	// describedMsg carries what a delete would remove, to ask about it.
	describedMsg struct {
		rel string
		sum files.Summary
		err error
	}
	movedTab struct {
		old  *workspace.OpenFile
		file *workspace.OpenFile // nil if the new path did not open
	}
)

// fileKey handles the file operations' keys; ok is false for other keys.
func (m *Model) fileKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	t := m.keys.Tree
	switch {
	case key.Matches(msg, t.Hidden):
		on := !m.tree.ShowHidden()
		m.tree.SetShowHidden(on)
		if on {
			m.say("Hidden files (names starting with .) are shown; "+t.Hidden.Help().Key+" hides them.", false)
		} else {
			m.say("Hidden files are hidden; "+t.Hidden.Help().Key+" shows them.", false)
		}
		return nil, true
	case m.ws == nil:
		return nil, false
	case key.Matches(msg, t.NewFile):
		m.openNewFile()
		return nil, true
	case key.Matches(msg, t.NewFolder):
		dir, where := m.targetDir()
		m.dlg = &dialog{kind: dlgNewFolder, title: "New folder", dir: dir,
			text: "Name of the new folder in " + where + " (for example lab2):"}
		return nil, true
	}
	_, rel, ok := m.tree.Selected()
	switch {
	case key.Matches(msg, t.Rename):
		if !ok {
			return nil, true
		}
		m.dlg = &dialog{kind: dlgRename, title: "Rename or move", dir: rel, input: rel,
			text: "New path of " + termtext.Safe(rel) + ", from your home folder: change the name to rename it, " +
				"the folders before it to move it (ending with / keeps the name)."}
		return nil, true
	case key.Matches(msg, t.Duplicate):
		if !ok {
			return nil, true
		}
		home := m.ws.Home()
		return func() tea.Msg {
			name, err := home.Duplicate(rel)
			if err != nil {
				return fileOpMsg{err: err}
			}
			to := path.Join(path.Dir(rel), path.Base(name))
			if strings.Contains(name, "/") {
				to = name
			}
			return fileOpMsg{done: "Duplicated " + termtext.Safe(rel) + " as " + termtext.Safe(to) + ".", reveal: to}
		}, true
	case key.Matches(msg, t.Delete):
		if !ok {
			return nil, true
		}
		home := m.ws.Home()
		return func() tea.Msg {
			s, err := home.Describe(rel)
			return describedMsg{rel: rel, sum: s, err: err}
		}, true
	}
	return nil, false
}

// targetDir is where a new file or folder goes: the selected folder, or the
// selected file's folder; and how to say it.
func (m *Model) targetDir() (dir, where string) {
	dir = filetree.Root
	if e, rel, ok := m.tree.Selected(); ok {
		if e.IsDir {
			dir = rel
		} else {
			dir = path.Dir(rel)
		}
	}
	where = "your home folder"
	if dir != filetree.Root {
		where = termtext.Safe(dir) + "/"
	}
	return dir, where
}

// under reports whether p is rel or inside it.
func under(p, rel string) bool { return p == rel || strings.HasPrefix(p, rel+"/") }

// askDelete asks before deleting rel, saying what it holds.
func (m *Model) askDelete(msg describedMsg) {
	if msg.err != nil {
		m.say(sentence(msg.err), true)
		return
	}
	name, s := termtext.Safe(msg.rel), msg.sum
	var q string
	switch {
	case s.Symlink:
		q = "Delete the link " + name + "? Only the link goes, not what it points to."
	case s.IsDir && s.Files+s.Folders+s.Links == 0:
		q = "Delete the empty folder " + name + "?"
	case s.IsDir:
		q = "Delete folder " + name + " with " + s.String() + "?"
	default:
		q = "Delete " + name + " (" + s.String() + ")?"
	}
	q += " This cannot be undone."
	var unsaved []string
	for _, f := range m.ws.Files() {
		if under(f.Path, msg.rel) && f.Buf.Modified() {
			unsaved = append(unsaved, termtext.Safe(f.Path))
		}
	}
	if len(unsaved) > 0 {
		q += " Unsaved changes to " + strings.Join(unsaved, ", ") + " will be lost too."
	}
	m.dlg = &dialog{kind: dlgDelete, title: "Delete", dir: msg.rel, text: q}
}

// deleteNow deletes rel (the question was answered yes).
func (m *Model) deleteNow(rel string) tea.Cmd {
	home := m.ws.Home()
	return func() tea.Msg {
		if err := home.Delete(rel); err != nil {
			return fileOpMsg{err: err}
		}
		return fileOpMsg{done: "Deleted " + termtext.Safe(rel) + ".", gone: rel}
	}
}

// create makes dir/name, a folder or an empty file, from a prompt's answer.
func (m *Model) create(dir, name string, folder bool) tea.Cmd {
	if err := files.ValidName(name); err != nil {
		m.dlg.err = sentence(err)
		return nil
	}
	if !folder {
		return m.createFile(dir, name)
	}
	rel, home := path.Join(dir, name), m.ws.Home()
	return func() tea.Msg {
		if err := home.NewFolder(rel); err != nil {
			return fileOpMsg{err: err}
		}
		return fileOpMsg{done: "Created the folder " + termtext.Safe(rel) + "/.", reveal: rel}
	}
}

// renameTo renames or moves rel to the path typed: a new name in the same
// folder is a rename; another folder is a move (then a rename, if the name
// changes too). Files with unsaved changes under rel must be saved first:
// their buffers would otherwise be saved under the old name.
func (m *Model) renameTo(rel, typed string) tea.Cmd {
	typed = strings.TrimSpace(typed)
	keepName := strings.HasSuffix(typed, "/")
	to := path.Clean(strings.TrimPrefix(typed, "./"))
	if typed == "" || to == "." || to == "/" {
		m.dlg.err = "Type the new path, for example lab1/" + termtext.Safe(path.Base(rel)) + "."
		return nil
	}
	if keepName {
		to = path.Join(to, path.Base(rel))
	}
	if to == rel {
		m.dlg = nil
		return nil
	}
	for _, f := range m.ws.Files() {
		if under(f.Path, rel) && f.Buf.Modified() {
			m.dlg.err = termtext.Safe(f.Path) + " has unsaved changes: save it (ctrl+s) or close it first."
			return nil
		}
	}
	var open []*workspace.OpenFile
	for _, t := range m.tabs {
		if under(t.file.Path, rel) {
			open = append(open, t.file)
		}
	}
	home, ws := m.ws.Home(), m.ws
	fromDir, toDir := path.Dir(rel), path.Dir(to)
	newName := path.Base(to)
	return func() tea.Msg {
		cur := rel
		if toDir != fromDir {
			if err := home.Move(rel, toDir); err != nil {
				return fileOpMsg{err: err}
			}
			cur = path.Join(toDir, path.Base(rel))
		}
		if newName != path.Base(cur) {
			if err := home.Rename(cur, newName); err != nil {
				if cur != rel {
					// Moved, not renamed: say so, and follow it.
					return fileOpMsg{err: err, reveal: cur, from: rel, to: cur, moved: reopen(ws, open, rel, cur)}
				}
				return fileOpMsg{err: err}
			}
		}
		verb := "Renamed "
		if toDir != fromDir {
			verb = "Moved "
		}
		return fileOpMsg{done: verb + termtext.Safe(rel) + " to " + termtext.Safe(to) + ".", reveal: to,
			from: rel, to: to, moved: reopen(ws, open, rel, to)}
	}
}

// reopen opens, under their new paths, the files of this view's tabs that
// were under from and are now under to.
func reopen(ws *workspace.Workspace, open []*workspace.OpenFile, from, to string) []movedTab {
	out := make([]movedTab, 0, len(open))
	for _, f := range open {
		np := to + strings.TrimPrefix(f.Path, from)
		nf, err := ws.Open(np)
		if err != nil {
			nf = nil
		}
		out = append(out, movedTab{old: f, file: nf})
	}
	return out
}

// fileOpDone takes an operation's end: the tabs follow, the list refreshes.
func (m *Model) fileOpDone(msg fileOpMsg) tea.Cmd {
	cmds := []tea.Cmd{nil}
	for _, mv := range msg.moved {
		for i, t := range m.tabs {
			if t.file != mv.old {
				continue
			}
			t.ed.Close()
			m.ws.CloseFile(mv.old)
			if mv.file == nil {
				m.tabs = append(m.tabs[:i], m.tabs[i+1:]...)
				m.cur = max(min(m.cur, len(m.tabs)-1), 0)
				break
			}
			nt := m.newTab(mv.file)
			m.tabs[i] = nt
			cmds = append(cmds, nt.ed.Init())
			break
		}
	}
	if msg.gone != "" {
		for i := 0; i < len(m.tabs); {
			if t := m.tabs[i]; under(t.file.Path, msg.gone) {
				m.dropTab(t, true)
				continue
			}
			i++
		}
	}
	m.setFocus(m.focus)
	if msg.err != nil {
		if m.dlg != nil && m.dlg.takesText() && len(msg.moved) == 0 && msg.from == "" {
			m.dlg.err = sentence(msg.err) // corrected in place
		} else {
			m.dlg = nil
			m.say(sentence(msg.err), true)
		}
	} else {
		m.dlg = nil
		m.say(msg.done, false)
	}
	if msg.reveal != "" {
		cmds[0] = m.tree.Reveal(msg.reveal)
	} else {
		cmds[0] = m.tree.Refresh()
	}
	return tea.Batch(cmds...)
}
