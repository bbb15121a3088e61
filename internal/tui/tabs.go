package tui

import (
	"context"
	"errors"
	"path"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/tui/editor"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/workspace"
)

// Answers of the commands that touch the disk or the workspace: opening,
// saving, creating a file, listing for quick open, discarding recovered
// work. Each runs off the event loop.
type (
	openedMsg struct {
		path    string
		file    *workspace.OpenFile
		err     error
		refresh bool // the file was just created: list the folders again
	}
	savedMsg struct {
		file  *workspace.OpenFile
		err   error
		close bool // close the tab once saved
	}
	savedAllMsg  struct{ err error }
	discardedMsg struct {
		path string
		err  error
	}
)

func (m *Model) newTab(f *workspace.OpenFile) *tab {
	ed := editor.New(f.Buf, editor.Options{ReadOnly: f.ReadOnly, Clipboard: m.ws.Clipboard()}, m.keys.Editor, m.theme)
	ed.Blur()
	return &tab{file: f, ed: ed}
}

func (m *Model) hasTab() bool { return m.cur >= 0 && m.cur < len(m.tabs) }

func (m *Model) current() *tab {
	if !m.hasTab() {
		return nil
	}
	return m.tabs[m.cur]
}

func (m *Model) switchTab(i int) {
	if len(m.tabs) == 0 {
		return
	}
	m.cur = (i%len(m.tabs) + len(m.tabs)) % len(m.tabs)
	m.setFocus(paneEditor)
}

// open opens rel in a tab (or goes to its tab), reading it in a command.
func (m *Model) open(rel string) tea.Cmd {
	for i, t := range m.tabs {
		if t.file.Path() == rel {
			m.switchTab(i)
			return nil
		}
	}
	ws := m.ws
	return func() tea.Msg {
		f, err := ws.Open(rel)
		return openedMsg{path: rel, file: f, err: err}
	}
}

// save saves t's file in a command; then, if close, closes its tab.
func (m *Model) save(t *tab, close bool) tea.Cmd {
	if t == nil {
		m.say("No file open to save.", false)
		return nil
	}
	if t.file.ReadOnly {
		m.say(termtext.Name(t.file.Path())+" is read-only: it cannot be saved here.", true)
		return nil
	}
	ws, f := m.ws, t.file
	return func() tea.Msg { return savedMsg{file: f, err: ws.Save(f), close: close} }
}

// closeTab closes t, asking first when its file has unsaved changes.
func (m *Model) closeTab(t *tab) tea.Cmd {
	if t == nil {
		return nil
	}
	if t.file.Buf.Modified() {
		m.dlg = &dialog{kind: dlgCloseTab, tab: t, title: "Close " + termtext.Name(baseName(t.file.Path())),
			text: termtext.Name(t.file.Path()) + " has unsaved changes. Save them, or discard them?"}
		return nil
	}
	m.dropTab(t, false)
	return nil
}

// dropTab removes t from this view; the file is closed in the workspace
// too (discarding its unsaved changes when discard is set).
func (m *Model) dropTab(t *tab, discard bool) {
	for i, u := range m.tabs {
		if u != t {
			continue
		}
		t.ed.Close()
		m.tabs = append(m.tabs[:i], m.tabs[i+1:]...)
		if m.cur >= len(m.tabs) || m.cur > i {
			m.cur = max(m.cur-1, 0)
		}
		break
	}
	if discard || !t.file.Buf.Modified() {
		m.ws.CloseFile(t.file)
	}
	m.setFocus(m.focus)
}

// run saves the current file and runs it in Python, whose pane gets the
// keys so that input() can be answered.
func (m *Model) run() tea.Cmd {
	t := m.current()
	if t == nil {
		m.say("Open a Python file to run it (enter on a file, or ctrl+p).", false)
		return nil
	}
	ws, f := m.ws, t.file
	var before func() error
	if f.Buf.Modified() && !f.ReadOnly {
		before = func() error { return ws.Save(f) }
	}
	// The run first, so that the pane, focused after it, sees Python
	// restarting and asks for no start of its own.
	cmd := m.repl.Run(f.Path(), before)
	_ = m.setFocus(paneREPL)
	// No "Running…" in the status bar: it would outlive the program. The
	// pane's title says running, waiting for input() or ready, as it is.
	m.say("", false)
	return cmd
}

// openNewFile asks for a new file's name, in the folder selected in the
// file list.
func (m *Model) openNewFile() {
	dir, where := m.targetDir()
	m.dlg = &dialog{kind: dlgNewFile, title: "New file", dir: dir,
		text: "Name of the new file in " + where + " (for example lab1.py):"}
}

// createFile creates dir/name and opens it.
func (m *Model) createFile(dir, name string) tea.Cmd {
	rel := path.Join(dir, name)
	ws := m.ws
	return func() tea.Msg {
		if err := ws.Home().NewFile(rel); err != nil {
			return openedMsg{path: rel, err: err}
		}
		f, err := ws.Open(rel)
		return openedMsg{path: rel, file: f, err: err, refresh: true}
	}
}

// workspaceMsg takes the answers of the workspace's commands.
func (m *Model) workspaceMsg(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case openedMsg:
		var refresh tea.Cmd
		if msg.refresh {
			refresh = m.tree.Refresh()
		}
		if msg.err != nil {
			if m.dlg != nil && m.dlg.kind == dlgNewFile {
				m.dlg.err = sentence(msg.err)
				return refresh, true
			}
			m.say(openError(msg.path, msg.err), true)
			return refresh, true
		}
		if m.dlg != nil && m.dlg.kind == dlgNewFile {
			m.dlg = nil
		}
		for i, t := range m.tabs {
			if t.file == msg.file {
				m.switchTab(i)
				return refresh, true
			}
		}
		t := m.newTab(msg.file)
		m.tabs = append(m.tabs, t)
		m.cur = len(m.tabs) - 1
		m.setFocus(paneEditor)
		if msg.file.ReadOnly {
			m.say(termtext.Name(msg.path)+" is read-only: you can read and copy it, not change it.", false)
		} else if msg.file.Buf.Modified() {
			m.say(termtext.Name(msg.path)+" has unsaved changes (recovered): ctrl+s saves them.", false)
		}
		return tea.Batch(refresh, t.ed.Init()), true
	case savedMsg:
		if msg.err != nil {
			m.say(sentence(msg.err), true)
			return nil, true
		}
		m.say("Saved "+termtext.Name(msg.file.Path())+".", false)
		if msg.close {
			for _, t := range m.tabs {
				if t.file == msg.file {
					m.dropTab(t, false)
					break
				}
			}
		}
		return m.tree.Refresh(), true
	case fileOpMsg:
		return m.fileOpDone(msg), true
	case describedMsg:
		m.askDelete(msg)
		return nil, true
	case savedAllMsg:
		if msg.err != nil {
			m.say(sentence(msg.err)+" Nothing was lost: fix it, or quit and keep your changes.", true)
			return nil, true
		}
		return tea.Quit, true
	case discardedMsg:
		if msg.err != nil {
			m.say(sentence(msg.err), true)
		}
		m.nextRecovered()
		return nil, true
	case filesChangedMsg:
		if text, ended := m.ws.Ended(m.view); ended {
			m.exitText = text
			return tea.Quit, true
		}
		m.watchers = m.ws.Watchers()
		return tea.Batch(m.syncTabs(), m.waitFiles()), true
	case watchReadyMsg:
		if msg.gen != m.watchGen {
			return nil, true // replaced meanwhile: its context is cancelled
		}
		m.watchCh = msg.ch
		// List again: what changed while the watch was being set up.
		return tea.Batch(m.tree.Refresh(), waitWatch(msg.ch, msg.gen)), true
	case watchedMsg:
		if msg.gen != m.watchGen || m.watchCh == nil {
			return nil, true
		}
		return tea.Batch(m.tree.Refresh(), waitWatch(m.watchCh, msg.gen)), true
	case quickListMsg:
		if m.dlg != nil && m.dlg.kind == dlgQuickOpen {
			pending := m.dlg.pending
			m.dlg.all, m.dlg.loading = msg.paths, false
			m.dlg.changed()
			if msg.err != nil {
				m.dlg.err = sentence(msg.err)
			}
			if pending {
				return m.accept(), true
			}
		}
		return nil, true
	}
	return nil, false
}

// openError says why a file did not open: the files package's sentence
// (binary, too large, not UTF-8...), or the workspace's.
func openError(rel string, err error) string {
	if errors.Is(err, workspace.ErrClosed) {
		return "Your workspace has ended; connect again."
	}
	var fe *files.Error
	if errors.As(err, &fe) {
		return sentence(err)
	}
	return "Could not open " + termtext.Name(rel) + ": " + strings.TrimSuffix(termtext.Safe(err.Error()), ".") + "."
}

// saveAll saves every file with unsaved changes, then quits; on the first
// failure it stays.
func (m *Model) saveAll() tea.Cmd {
	ws := m.ws
	todo := m.unsaved()
	return func() tea.Msg {
		for _, f := range todo {
			if f.ReadOnly {
				continue
			}
			if err := ws.Save(f); err != nil {
				return savedAllMsg{err: err}
			}
		}
		return savedAllMsg{}
	}
}

// nextRecovered offers the next file recovered from the journal, if any.
func (m *Model) nextRecovered() {
	if len(m.recovered) == 0 || m.dlg != nil {
		return
	}
	r := m.recovered[0]
	m.recovered = m.recovered[1:]
	m.dlg = &dialog{kind: dlgRecover, rec: r, title: "Recover unsaved changes",
		text: "Unsaved changes to " + termtext.Name(r.Path) + " from " + r.SavedAt.Format("2006-01-02 15:04") +
			" were kept when your last session ended. Recover them (the file opens with them, unsaved), or discard them?"}
}

// Messages of the watch on the folders shown; gen tells a current watch
// from one replaced since.
type (
	watchReadyMsg struct {
		gen int
		ch  <-chan struct{}
	}
	watchedMsg struct{ gen int }
)

// rewatch watches the folders the file list shows, when they changed since
// the last call: one Watch per view, ended when the folders change or the
// view closes.
func (m *Model) rewatch() tea.Cmd {
	rels := m.tree.Expanded()
	key := strings.Join(rels, "\x00")
	if key == m.watched {
		return nil
	}
	m.watched = key
	if m.watchStop != nil {
		m.watchStop()
	}
	m.watchGen++
	m.watchCh = nil
	ctx, stop := context.WithCancel(m.ctx)
	m.watchStop = stop
	ws, gen := m.ws, m.watchGen
	return func() tea.Msg {
		ch, err := ws.Watch(ctx, rels)
		if err != nil {
			return nil // the list still refreshes with r
		}
		return watchReadyMsg{gen: gen, ch: ch}
	}
}

func waitWatch(ch <-chan struct{}, gen int) tea.Cmd {
	return func() tea.Msg {
		if _, ok := <-ch; !ok {
			return nil
		}
		return watchedMsg{gen: gen}
	}
}

// filesChangedMsg says the workspace's open files changed, perhaps in
// another view.
type filesChangedMsg struct{}

// waitFiles waits for the next change of the workspace's open files.
func (m *Model) waitFiles() tea.Cmd {
	ch, ctx := m.filesCh, m.ctx
	return func() tea.Msg {
		select {
		case <-ch:
			return filesChangedMsg{}
		case <-ctx.Done():
			return nil
		}
	}
}

// syncTabs makes this view's tabs the workspace's open files, in their
// order: a file another view opened gets a tab here too, one it closed (or
// deleted) loses its tab, and a renamed one shows its new name. Editors of
// files still open are kept, with their cursors; the current tab stays.
func (m *Model) syncTabs() tea.Cmd {
	var cur *workspace.OpenFile
	if t := m.current(); t != nil {
		cur = t.file
	}
	old := make(map[*workspace.OpenFile]*tab, len(m.tabs))
	for _, t := range m.tabs {
		old[t.file] = t
	}
	open := m.ws.Files()
	tabs := make([]*tab, 0, len(open))
	var cmds []tea.Cmd
	for _, f := range open {
		if t := old[f]; t != nil {
			tabs = append(tabs, t)
			delete(old, f)
			continue
		}
		t := m.newTab(f)
		tabs = append(tabs, t)
		cmds = append(cmds, t.ed.Init())
	}
	for _, t := range old {
		t.ed.Close()
	}
	i := slices.IndexFunc(tabs, func(t *tab) bool { return t.file == cur })
	if i < 0 {
		i = min(m.cur, len(tabs)-1)
	}
	m.tabs, m.cur = tabs, max(i, 0)
	switch {
	case m.focus == paneEditor && len(tabs) == 0:
		m.setFocus(paneFiles)
	case m.focus != paneREPL: // new tabs are blurred, as Python keeps the keys
		m.setFocus(m.focus)
	}
	return tea.Batch(cmds...)
}
