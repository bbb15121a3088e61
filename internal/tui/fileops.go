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
	// afterwards; from is set by a rename or move.
	fileOpMsg struct {
		err    error
		done   string // said in the status bar when it worked
		reveal string
		from   string
	}
	// describedMsg carries what a delete would remove, to ask about it.
	describedMsg struct {
		rel string
		sum files.Summary
		err error
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
		if workspace.InCourse(rel) {
			_, err := m.ws.Rename(rel, rel)
			m.say(sentence(err), true)
			return nil, true
		}
		m.dlg = &dialog{kind: dlgRename, title: "Rename or move", dir: rel, input: rel,
			text: "New path of " + termtext.Name(rel) + ", from your home folder: change the name to rename it, " +
				"the folders before it to move it (ending with / keeps the name)."}
		return nil, true
	case key.Matches(msg, t.Duplicate):
		if !ok {
			return nil, true
		}
		ws := m.ws
		return func() tea.Msg {
			to, err := ws.Duplicate(rel)
			if err != nil {
				return fileOpMsg{err: err}
			}
			if workspace.InCourse(rel) {
				return fileOpMsg{done: "Copied " + termtext.Name(rel) + " into your home folder as " + termtext.Name(to) + ": this copy is yours to change.", reveal: to}
			}
			return fileOpMsg{done: "Duplicated " + termtext.Name(rel) + " as " + termtext.Name(to) + ".", reveal: to}
		}, true
	case key.Matches(msg, t.Delete):
		if !ok {
			return nil, true
		}
		if workspace.InCourse(rel) {
			m.say(sentence(m.ws.Delete(rel)), true)
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
	if e, rel, ok := m.tree.Selected(); ok && !workspace.InCourse(rel) {
		if e.IsDir {
			dir = rel
		} else {
			dir = path.Dir(rel)
		}
	}
	where = "your home folder"
	if dir != filetree.Root {
		where = termtext.Name(dir) + "/"
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
	name, s := termtext.Name(msg.rel), msg.sum
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
		if under(f.Path(), msg.rel) && f.Buf.Modified() {
			unsaved = append(unsaved, termtext.Name(f.Path()))
		}
	}
	if len(unsaved) > 0 {
		q += " Unsaved changes to " + strings.Join(unsaved, ", ") + " will be lost too."
	}
	m.dlg = &dialog{kind: dlgDelete, title: "Delete", dir: msg.rel, text: q}
}

// deleteNow deletes rel (the question was answered yes).
func (m *Model) deleteNow(rel string) tea.Cmd {
	ws := m.ws
	return func() tea.Msg {
		if err := ws.Delete(rel); err != nil {
			return fileOpMsg{err: err}
		}
		return fileOpMsg{done: "Deleted " + termtext.Name(rel) + "."}
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
		return fileOpMsg{done: "Created the folder " + termtext.Name(rel) + "/.", reveal: rel}
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
		m.dlg.err = "Type the new path, for example lab1/" + termtext.Name(path.Base(rel)) + "."
		return nil
	}
	if keepName {
		to = path.Join(to, path.Base(rel))
	}
	if to == rel {
		m.dlg = nil
		return nil
	}
	ws := m.ws
	return func() tea.Msg {
		cur, err := ws.Rename(rel, to)
		switch {
		case err != nil && cur != rel:
			// Moved, not renamed: say so, and show where it is.
			return fileOpMsg{err: err, reveal: cur, from: rel}
		case err != nil:
			return fileOpMsg{err: err}
		}
		verb := "Renamed "
		if path.Dir(to) != path.Dir(rel) {
			verb = "Moved "
		}
		return fileOpMsg{done: verb + termtext.Name(rel) + " to " + termtext.Name(to) + ".", reveal: to, from: rel}
	}
}

// fileOpDone takes an operation's end: the tabs follow, the list refreshes.
func (m *Model) fileOpDone(msg fileOpMsg) tea.Cmd {
	// The tabs follow through the workspace's Changes (syncTabs).
	var cmd tea.Cmd
	m.setFocus(m.focus)
	if msg.err != nil {
		if m.dlg != nil && m.dlg.takesText() && msg.from == "" {
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
		cmd = m.tree.Reveal(msg.reveal)
	} else {
		cmd = m.tree.Refresh()
	}
	return cmd
}
