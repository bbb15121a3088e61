// Package tui is the student's workspace as seen in one terminal: a header,
// the file browser, the editor with its tabs and the Python REPL, a status
// bar and a help bar; over them, dialogs, the password form and the full
// help. It renders for a terminal of a given size and knows nothing of how
// the bytes reach it (SSH or the web bridge) or where accounts live, so it
// never imports internal/sshd, web, internal/accounts, or a SQL driver.
//
// The live state (open files, the REPL) is the workspace's; a Model is one
// view of it, attached from New until Close.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/tui/assignpanel"
	consoletui "github.com/classroomd/classroomd/internal/tui/console"
	"github.com/classroomd/classroomd/internal/tui/console/liveview"
	"github.com/classroomd/classroomd/internal/tui/editor"
	"github.com/classroomd/classroomd/internal/tui/filetree"
	"github.com/classroomd/classroomd/internal/tui/helpscreen"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/passwordform"
	"github.com/classroomd/classroomd/internal/tui/replpane"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// Lister lists a folder of the student's home ("." is the home itself).
// *files.Home implements it.
type Lister = filetree.Lister

// Options describe whose workspace this is.
type Options struct {
	// Wake, if set, wakes this view's event loop (Bubble Tea's
	// Program.Wake, bound once the program exists): the REPL's changes
	// then reach the view without a goroutine waiting for each.
	Wake func()

	Username string
	FullName string
	Role     string
	Home     Lister
	// Workspace is the student's live workspace (open files, REPL), shared by
	// all their connections; nil shows only the file list.
	Workspace *workspace.Workspace
	// Transport is how this terminal is connected ("ssh" or "web"), for
	// the professor's Live page, and whose figure choice applies ("" is
	// "ssh"; figures.go).
	Transport string
	// Classroom is the student's side of the class: announcements and the
	// help queue; nil leaves them out.
	Classroom Classroom
	// Desk is the console's server side for this user: a professor lands in
	// the console and switches to their workspace with F10. Nil: no console.
	Desk Desk
	// Assignments is the student's side of the course (F11, assignments.go);
	// nil says assignments are not set up.
	Assignments Assignments
	// Office is the professor's side of the course, the console's page 6
	// (a *course.Office); nil: the page says assignments are not set up.
	Office consoletui.Course

	// MustChangePassword shows only the password form, which cannot be
	// cancelled, until the password is changed; then the workspace opens.
	MustChangePassword bool
	// SSHHost and SSHPort are where students reach this server over SSH, for
	// the help's scp and sftp commands: "" shows HOST there and 0 PORT, with
	// a line saying what they stand for; port 22 is left out.
	SSHHost string
	SSHPort int

	// Graphics is the terminal's protocol for figures when it is known
	// (a browser's xterm.js): "auto" or "" detects it from the terminal,
	// else "blocks", "kitty", "iterm2", "sixel" or "off" (figure.Protocol).
	// The student's own setting, when not auto, wins.
	Graphics string

	// ChangePassword checks the current password and stores the next one;
	// its error is shown to the student as a sentence. It runs in a command,
	// off the event loop, as it may be slow (bcrypt, a database write). Nil
	// means changing the password is not available here.
	ChangePassword func(current, next string) error

	// Settings keeps this user's choices across connections: the figure
	// protocol ctrl+F4 chooses, one per transport (figures.go). Nil: the
	// choice lasts for this connection.
	Settings Settings
}

// Settings reads and stores the user's settings, bound to them (the
// server's store, through internal/accounts). The view calls it in
// commands, off the event loop, and never trusts a value it reads. An error
// is not shown to the student (log it): only that the choice was not kept.
type Settings interface {
	// Setting returns the value of the setting name, "" when unset.
	Setting(ctx context.Context, name string) (string, error)
	// SetSetting stores value as the setting name.
	SetSetting(ctx context.Context, name, value string) error
}

// pane is what has the keys in the workspace.
type pane int

const (
	paneFiles pane = iota
	paneEditor
	paneREPL
)

// Model is the root model for one terminal. It is a pointer: Update changes
// it in place and returns it. Call Close when the program has ended (or the
// connection dropped): it detaches the view from the workspace and ends
// every subscription.
type Model struct {
	drawn drawCache // the header, titles and status bar as last drawn
	opts  Options
	keys  keys.KeyMap
	theme theme.Theme
	help  help.Model
	tree  filetree.Model

	// What has the keys: the full help, else the password form, else a
	// dialog, else the focused pane.
	helpOpen   bool
	helpScreen helpscreen.Model
	formOpen   bool
	form       passwordform.Model
	forced     bool // the form is a forced change: the workspace stays closed

	treeStarted bool   // the home was listed (not before a forced change)
	notice      string // a sentence for the status bar until the next key
	noticeErr   bool

	width, height int

	// The workspace view; all unused when opts.Workspace is nil.
	ws        *workspace.Workspace
	ctx       context.Context // ends with Close: bounds what this view starts
	cancel    context.CancelFunc
	view      workspace.ViewID
	focus     pane
	tabs      []*tab
	cur       int // the current tab
	repl      replpane.Model
	dlg       *dialog
	recovered []workspace.Recovered // offered one at a time
	lay       layout
	closeOnce sync.Once

	helpKey, helpView string // the help bar last drawn, and what it showed
	reported          string // the selection last reported to a browser (transfer.go)

	// The watch on the folders the file list shows: a program in the REPL
	// that writes a file makes it appear.
	watched   string // the folders watched, joined
	watchGen  int
	watchStop context.CancelFunc
	watchCh   <-chan struct{}

	// Told when the workspace's open files change in any view, so that every
	// view shows the same tabs.
	filesCh   <-chan struct{}
	filesStop func()
	restore   pane            // the pane that had the keys when the last view left
	placed    workspace.Place // the place last told to the workspace

	// The class: announcements not dismissed (oldest first), the help
	// request, who watches this workspace, and why the session ended.
	classCh    <-chan classroom.Event
	classStop  func()
	news       []store.Announcement
	helpStatus classroom.HelpStatus
	// Counters of the classroom's questions asked and answers shown
	// (classroom.go): a late answer to an older question is dropped.
	newsAsked, newsShown uint64
	helpAsked, helpShown uint64
	watchers             []workspace.Watcher
	exitText             string

	// A professor's console and live view of a student (see consolemode.go).
	mode mode
	con  *consoletui.Model
	live *liveview.Model

	asg *assignpanel.Model // the assignment panel, once opened (assignments.go)

	figs figureState // how figures are drawn here (figures.go)
}

// tab is one open file in this view: its own editor (its own cursor) over
// the buffer every view shares.
type tab struct {
	file *workspace.OpenFile
	ed   editor.Model
}

// New returns the root model for one terminal. With a workspace, the view is
// attached at once: call Close when done.
func New(opts Options) *Model {
	// Assume a dark background until the terminal says otherwise.
	th := theme.New(true)
	km := keys.Default()
	h := help.New()
	h.Styles = th.Help
	m := &Model{
		opts:        opts,
		keys:        km,
		theme:       th,
		help:        h,
		tree:        filetree.New(lister(opts), km.Tree, th),
		helpScreen:  helpscreen.New(km, th),
		treeStarted: !opts.MustChangePassword,
		ws:          opts.Workspace,
	}
	m.helpScreen.SetNotes(m.transferNotes())
	m.ctx, m.cancel = context.WithCancel(context.Background())
	if m.ws != nil {
		m.view = m.ws.AttachView(workspace.ViewOptions{Transport: opts.Transport}, defaultCols, defaultRows)
		m.repl = replpane.NewWoken(m.ctx, m.ws.REPL(), km, th, opts.Wake)
		if m.ws.HasCourse() {
			m.tree.SetCourse(workspace.CoursePrefix)
		}
		m.filesCh, m.filesStop = m.ws.Changes()
		// A reconnection: the files this student has open come back as tabs,
		// each editor at its cursor, and the view where the last one left.
		place := m.ws.LastPlace()
		for i, f := range m.ws.Files() {
			m.tabs = append(m.tabs, m.newTab(f))
			if f.Path() == place.File {
				m.cur = i
			}
		}
		m.restore = paneNamed(place.Pane)
		m.recovered = m.ws.Recovered()
	}
	if opts.MustChangePassword {
		m.forced = true
		m.openForm(false)
	}
	m.layout()
	return m
}

// notePlace tells the workspace where this view is (the current file, its
// cursor, the pane with the keys) when that changed: a reconnection lands
// there, and a professor's live view follows it.
func (m *Model) notePlace() {
	p := workspace.Place{Pane: m.focus.String()}
	if t := m.current(); t != nil {
		p.File, p.Cursor = t.file.Path(), t.ed.CursorID()
	}
	if p != m.placed {
		m.placed = p
		m.ws.SetPlace(p)
	}
}

// ExitText is what to tell the student once the program ended, if the
// session was ended for them (a professor's message); "" otherwise.
func (m *Model) ExitText() string { return m.exitText }

// lister is what the file list shows: the workspace (the home and the
// course folder), or only the home.
func lister(opts Options) Lister {
	if opts.Workspace != nil {
		return opts.Workspace
	}
	return opts.Home
}

// String names a pane, for the place a view leaves in the workspace.
func (p pane) String() string {
	switch p {
	case paneEditor:
		return "editor"
	case paneREPL:
		return "python"
	}
	return "files"
}

func paneNamed(name string) pane {
	for _, p := range []pane{paneEditor, paneREPL} {
		if p.String() == name {
			return p
		}
	}
	return paneFiles
}

// The size a view is attached with until its terminal says.
const defaultCols, defaultRows = 80, 24

// Close detaches the view from the workspace and ends its subscriptions (the
// commands waiting on them return). Unsaved changes stay in the workspace.
// It is safe to call more than once.
func (m *Model) Close() {
	m.closeOnce.Do(func() {
		m.cancel()
		if m.ws == nil {
			return
		}
		m.closeConsole()
		m.filesStop()
		if m.classStop != nil {
			m.classStop()
		}
		m.notePlace()
		for _, t := range m.tabs {
			t.ed.Close()
		}
		m.repl.Close()
		m.ws.DetachView(m.view)
	})
}

func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	if m.treeStarted {
		cmds = append(cmds, m.tree.Init())
	}
	if m.ws != nil {
		cmds = append(cmds, m.repl.Init(), m.waitFiles(), m.classInit(), m.loadFigures())
		m.watchers = m.ws.Watchers()
		for _, t := range m.tabs {
			cmds = append(cmds, t.ed.Init())
		}
		switch {
		case m.forced:
		case m.restore == paneEditor && m.hasTab():
			m.setFocus(paneEditor)
		case m.restore == paneREPL && m.repl.Running():
			cmds = append(cmds, m.setFocus(paneREPL))
		}
		// Otherwise the file list has the keys: q quits there, and typing
		// goes nowhere unexpected.
		m.nextRecovered()
		if m.professor() && !m.forced {
			cmds = append(cmds, m.toggleConsole()) // a professor lands in the console
		}
	}
	return tea.Batch(cmds...)
}

// openForm shows a fresh password form, with nothing typed.
func (m *Model) openForm(cancellable bool) {
	opts := passwordform.Options{
		Title:       "Change your password",
		Intro:       "Type your current password, then the new one twice.",
		Cancellable: true,
		Change:      m.opts.ChangePassword,
	}
	if !cancellable {
		opts.Title = "Choose your own password"
		opts.Intro = "Your password was generated for you. Choose your own before your workspace opens."
		opts.Cancellable = false
	}
	m.form = passwordform.New(opts, m.keys.Form, m.theme)
	m.formOpen = true
	m.layout()
}

func (m *Model) say(text string, isErr bool) { m.notice, m.noticeErr = text, isErr }

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	handled, cmd := m.figureMsg(msg) // figures.go
	if !handled {
		var c tea.Cmd
		_, c = m.update(msg)
		cmd = tea.Batch(cmd, c)
	}
	if m.ws != nil {
		m.notePlace()
		cmd = tea.Batch(cmd, m.figuresAfter()) // kitty images about to show (figures.go)
	}
	if m.ws != nil && m.treeStarted {
		// The folders shown may have changed (one opened, or listed).
		if w := m.rewatch(); w != nil {
			cmd = tea.Batch(cmd, w)
		}
		if r := m.reportSelection(); r != nil {
			cmd = tea.Batch(cmd, r)
		}
	}
	return m, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		if m.con != nil {
			m.con.SetSize(m.width, m.height)
		}
		if m.live != nil {
			m.live.SetSize(m.width, max(m.height-1, 0))
		}
		if m.mode == modeWorkspace {
			m.activate()
		}
		return m, nil
	case tea.BackgroundColorMsg:
		m.theme = theme.New(msg.IsDark())
		m.drawn = nil // drawn in the old styles
		m.help.Styles = m.theme.Help
		m.tree.SetTheme(m.theme)
		m.form.SetTheme(m.theme)
		m.helpScreen.SetTheme(m.theme)
		m.helpKey = ""
		if m.con != nil {
			m.con.SetTheme(m.theme)
		}
		if m.asg != nil {
			m.asg.SetTheme(m.theme)
		}
		if m.ws != nil {
			m.repl.SetTheme(m.theme)
			for _, t := range m.tabs {
				t.ed.SetTheme(m.theme)
			}
		}
		return m, nil
	case tea.KeyPressMsg:
		if m.mode != modeWorkspace && !m.forced && !m.formOpen {
			controlling := m.mode == modeLive && m.live.Controlling()
			if key.Matches(msg, m.keys.ForceQuit) && !(controlling && key.Matches(msg, m.keys.REPL.Interrupt)) {
				m.toggleConsole() // back to the workspace, where quitting asks about unsaved work
				return m, m.quit()
			}
			return m, m.otherModeKey(msg)
		}
		m.activate()
		return m, m.handleKey(msg)
	case tea.PasteMsg:
		switch m.mode {
		case modeLive:
			return m, m.live.Update(msg)
		case modeConsole:
			_, cmd := m.con.Update(msg)
			return m, cmd
		}
		return m, m.paste(msg)
	case tea.MouseMsg:
		if m.mode != modeWorkspace {
			return m, nil
		}
		return m, m.mouse(msg)
	case passwordform.ChangedMsg:
		m.formOpen, m.forced = false, false
		m.say("Password changed.", false)
		m.layout()
		if !m.treeStarted {
			m.treeStarted = true
			return m, m.tree.Init()
		}
		return m, nil
	case passwordform.CancelledMsg:
		m.formOpen = false
		m.layout()
		return m, nil
	case editor.BufferChangedMsg:
		cmds := []tea.Cmd{m.forward(msg)}
		for _, t := range m.tabs { // each editor takes only its own
			var cmd tea.Cmd
			t.ed, cmd = t.ed.Update(msg)
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	case editor.CopyMsg:
		m.say(fmt.Sprintf("Copied %s.", plural(len([]rune(msg.Text)), "character")), false)
		return m, tea.SetClipboard(msg.Text)
	case editor.NoticeMsg:
		m.say(msg.Text, false)
		return m, nil
	case tea.WakeMsg: // Options.Wake: the REPL changed, or a figure is ready
		return m.Update(m.repl.Changed())
	case replpane.ChangedMsg:
		var cmd tea.Cmd
		m.repl, cmd = m.repl.Update(msg)
		return m, tea.Batch(cmd, m.forward(msg))
	case replpane.StartedMsg:
		m.forward(msg)
		m.repl, _ = m.repl.Update(msg)
		if msg.Err != nil {
			m.say(errSentence(msg.Err, msg.File), true)
		}
		return m, nil
	}
	if cmd, ok := m.consoleMsg(msg); ok {
		return m, cmd
	}
	if cmd, ok := m.assignMsg(msg); ok {
		return m, cmd
	}
	if cmd, ok := m.workspaceMsg(msg); ok {
		return m, cmd
	}
	if cmd, ok := m.classMsg(msg); ok {
		return m, cmd
	}
	// Anything else is an answer to a command (a listing, the password
	// check, the console's): each component ignores what is not its own.
	var treeCmd, formCmd tea.Cmd
	m.tree, treeCmd = m.tree.Update(msg)
	if m.formOpen {
		m.form, formCmd = m.form.Update(msg)
	}
	return m, tea.Batch(treeCmd, formCmd, m.forward(msg))
}

// activate tells the workspace this view is the one in use: the REPL's pty
// takes the size of this view's Python pane.
func (m *Model) activate() {
	if m.ws == nil || m.width <= 0 || m.height <= 0 {
		return
	}
	w, h := m.replSize()
	m.ws.Activate(m.view, w, h)
}

// handleKey gives a key to whatever has the keys. Only ctrl+q (and ctrl+c
// outside Python and a selection) act everywhere; letters are commands only
// in the file list and in questions, since elsewhere they are text.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.keys.ForceQuit) {
		switch {
		case m.forced || m.ws == nil:
			return tea.Quit
		case m.helpOpen || m.formOpen:
		case m.dlg != nil && m.dlg.kind == dlgQuit:
			return tea.Quit // asked twice: unsaved work stays in the workspace
		case m.dlg != nil:
		case m.focus == paneREPL && key.Matches(msg, m.keys.REPL.Interrupt):
			return m.replKey(msg)
		case m.focus == paneEditor && m.hasTab() && m.tabs[m.cur].ed.Handles(msg):
			return m.editorKey(msg)
		}
		m.helpOpen, m.dlg = false, nil
		return m.quit()
	}
	var cmd tea.Cmd
	switch {
	case m.helpOpen:
		if key.Matches(msg, m.keys.Close, m.keys.Help) {
			m.helpOpen = false
			return nil
		}
		m.helpScreen, cmd = m.helpScreen.Update(msg)
		return cmd
	case key.Matches(msg, m.keys.Help) && !m.forced:
		// Not during a forced change: the help is about a workspace that is
		// not open yet, and the form's help bar shows all its keys.
		m.helpOpen = true
		m.helpScreen.Top()
		return nil
	case m.formOpen:
		m.form, cmd = m.form.Update(msg)
		return cmd
	case m.dlg != nil:
		return m.dialogKey(msg)
	case m.assignmentsOpen():
		return m.asg.Key(msg)
	}

	m.notice = ""
	if key.Matches(msg, m.keys.Password) {
		if m.opts.ChangePassword == nil {
			m.say("Changing your password is not available on this server. Ask your teacher.", false)
			return nil
		}
		m.openForm(true)
		return m.form.Init()
	}
	if m.ws == nil {
		return m.filesKey(msg)
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	switch m.focus {
	case paneEditor:
		return m.editorKey(msg)
	case paneREPL:
		return m.replKey(msg)
	}
	return m.filesKey(msg)
}

// globalKey handles the workspace's keys, which act in every pane. In the
// REPL only the function keys and ctrl+s are the workspace's: the rest are
// Python's (readline uses ctrl+r, ctrl+p, ctrl+n, ctrl+w).
func (m *Model) globalKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	w := m.keys.Workspace
	inREPL := m.focus == paneREPL
	fn := strings.HasPrefix(msg.String(), "f") && len(msg.String()) <= 3
	switch {
	case key.Matches(msg, w.FocusFiles):
		return m.setFocus(paneFiles), true
	case key.Matches(msg, w.FocusEditor):
		return m.setFocus(paneEditor), true
	case key.Matches(msg, w.FocusREPL):
		return m.setFocus(paneREPL), true
	case key.Matches(msg, m.keys.SwitchConsole):
		return m.toggleConsole(), true
	case key.Matches(msg, w.AskHelp):
		m.askHelp()
		return nil, true
	case key.Matches(msg, w.Dismiss):
		return m.dismissNews(), true
	case key.Matches(msg, w.RestartREPL):
		if m.ws.REPL().State().Status == repl.NotStarted {
			return m.setFocus(paneREPL), true // starts it
		}
		cmd := m.repl.Restart() // first: the pane, focused next, then starts nothing itself
		m.setFocus(paneREPL)
		m.say("Python restarted: a fresh one, with nothing defined yet.", false)
		return cmd, true
	case inREPL && !fn && !key.Matches(msg, w.Save):
		return nil, false
	case key.Matches(msg, w.Assignments):
		return m.toggleAssignments(), true
	case key.Matches(msg, w.Run):
		return m.run(), true
	case key.Matches(msg, w.Save):
		return m.save(m.current(), false), true
	case key.Matches(msg, w.NextTab):
		m.switchTab(m.cur + 1)
		return nil, true
	case key.Matches(msg, w.PrevTab):
		m.switchTab(m.cur - 1)
		return nil, true
	case key.Matches(msg, w.CloseTab):
		return m.closeTab(m.current()), true
	case key.Matches(msg, w.NewFile):
		m.openNewFile()
		return nil, true
	case key.Matches(msg, w.QuickOpen):
		return m.openQuick(), true
	}
	return nil, false
}

func (m *Model) filesKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Quit):
		if m.ws == nil {
			return tea.Quit
		}
		return m.quit()
	case key.Matches(msg, m.keys.Refresh):
		return m.tree.Refresh()
	}
	if cmd, ok := m.fileKey(msg); ok {
		return cmd
	}
	switch {
	case m.ws != nil && key.Matches(msg, m.keys.Tree.Toggle):
		if e, rel, ok := m.tree.Selected(); ok && !e.IsDir {
			return m.open(rel)
		}
	}
	var cmd tea.Cmd
	m.tree, cmd = m.tree.Update(msg)
	return cmd
}

func (m *Model) editorKey(msg tea.KeyPressMsg) tea.Cmd {
	if !m.hasTab() {
		return nil
	}
	t := m.tabs[m.cur]
	var cmd tea.Cmd
	t.ed, cmd = t.ed.Update(msg)
	return cmd
}

func (m *Model) replKey(msg tea.KeyPressMsg) tea.Cmd {
	var cmd tea.Cmd
	m.repl, cmd = m.repl.Update(msg)
	return cmd
}

// paste goes where typing goes.
func (m *Model) paste(msg tea.PasteMsg) tea.Cmd {
	var cmd tea.Cmd
	switch {
	case m.helpOpen:
	case m.formOpen:
		m.form, cmd = m.form.Update(msg)
	case m.dlg != nil:
		if m.dlg.takesText() {
			first, _, _ := strings.Cut(strings.ReplaceAll(msg.Content, "\r", "\n"), "\n")
			m.dlg.input += first
			m.dlg.changed()
		}
	case m.ws == nil:
	case m.focus == paneEditor && m.hasTab():
		if no := pasteRefusal(len(msg.Content), maxEditorPaste, false); no != "" {
			m.say(no, true)
			break
		}
		t := m.tabs[m.cur]
		t.ed, cmd = t.ed.Update(msg)
	case m.focus == paneREPL:
		if no := pasteRefusal(len(msg.Content), maxPythonPaste, true); no != "" {
			m.say(no, true)
			break
		}
		m.repl, cmd = m.repl.Update(msg)
	}
	return cmd
}

// setFocus gives the keys to a pane; Python starts when its pane first gets
// them.
func (m *Model) setFocus(p pane) tea.Cmd {
	if m.ws == nil {
		return nil
	}
	m.focus = p
	for i, t := range m.tabs {
		if p == paneEditor && i == m.cur {
			t.ed.Focus()
		} else {
			t.ed.Blur()
		}
	}
	m.layout() // a small terminal shows the focused pane only
	if p == paneREPL {
		return m.repl.Focus()
	}
	m.repl.Blur()
	return nil
}

// quit quits, or asks first when files have unsaved changes.
func (m *Model) quit() tea.Cmd {
	if m.ws == nil {
		return tea.Quit
	}
	n := len(m.unsaved())
	if n == 0 {
		return tea.Quit
	}
	what := "1 file has"
	if n > 1 {
		what = fmt.Sprintf("%d files have", n)
	}
	m.dlg = &dialog{kind: dlgQuit, title: "Quit",
		text: what + " unsaved changes. Save all, discard them, or keep them: unsaved changes stay in your workspace " +
			"for a while after you leave, and come back when you log in again."}
	return nil
}

// unsaved lists the workspace's files with unsaved changes.
func (m *Model) unsaved() []*workspace.OpenFile {
	var out []*workspace.OpenFile
	for _, f := range m.ws.Files() {
		if f.Buf.Modified() {
			out = append(out, f)
		}
	}
	return out
}

func (m *Model) View() tea.View {
	if m.mode != modeWorkspace && !m.formOpen {
		v := tea.NewView(m.otherModeView())
		v.AltScreen = true
		v.WindowTitle = "classroomd console: " + termtext.Safe(m.opts.Username)
		if m.mode == modeLive {
			v.Cursor = m.liveCursor()
			v.Overlay, v.OverlayErase = m.figureOverlay() // figures.go
		}
		return v
	}
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.Overlay, v.OverlayErase = m.figureOverlay() // figures.go
	v.WindowTitle = "classroomd: " + termtext.Safe(m.opts.Username)
	if m.ws != nil {
		v.MouseMode = tea.MouseModeCellMotion
		if c := m.replCursor(); c != nil {
			v.Cursor = c
		}
	}
	return v
}

// Fixed rows: header, status bar, help bar. In the file-list-only view the
// body's first row is the pane title when there is room for a title and an
// entry. The password form and the full help have their own headings and no
// status bar: they get all but the header and the help bar.
const (
	fixedRows       = 3
	screenFixedRows = 2
)

func (m *Model) render() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := []string{m.header()}
	top := 1 // the rows above the panes
	if m.bannerRows() > 0 && !m.helpOpen && !m.formOpen {
		lines = append(lines, m.banner())
		top++
	}
	var panes []string // already fitted, row by row: not measured again
	switch {
	case m.helpOpen:
		if h > screenFixedRows {
			lines = append(lines, m.helpScreen.View())
		}
		lines = append(lines, m.help.ShortHelpView(m.keys.HelpScreenHelp()))
	case m.formOpen:
		if h > screenFixedRows {
			lines = append(lines, m.form.View())
		}
		lines = append(lines, m.help.ShortHelpView(m.keys.FormHelp(m.form.Cancellable())))
	case m.ws == nil:
		if body := h - fixedRows; body > 0 {
			if body >= 2 {
				lines = append(lines, m.theme.PaneTitle.Render(termtext.Fit("Your files", w)))
			}
			lines = append(lines, m.tree.View())
		}
		lines = append(lines, m.status(), m.help.ShortHelpView(m.keys.ShortHelp()))
	default:
		if body := h - fixedRows - m.bannerRows(); body > 0 {
			if m.dlg != nil {
				lines = append(lines, m.dialogView(w, body))
			} else if m.assignmentsOpen() {
				lines = append(lines, m.assignmentsView(w, body))
			} else {
				panes = m.panesView()
			}
		}
		lines = append(lines, m.status(), m.helpBarView())
	}

	// Every part is sized to fit already. This last pass guarantees it: a line
	// wider than the terminal wraps and scrolls the whole screen.
	all := strings.Split(strings.Join(lines, "\n"), "\n")
	for i, l := range all {
		all[i] = ansi.Truncate(l, w, "")
	}
	if len(panes) > 0 {
		all = append(all[:top], append(panes, all[top:]...)...)
	}
	if len(all) > h {
		// Shorter than the fixed rows: keep the header, then the status bar.
		all = all[:min(h, 2)]
	}
	return strings.Join(all, "\n")
}

// helpBarView draws the help bar, again only when its keys or the width
// changed: it is on every frame and costs as much as the editor's text.
func (m *Model) helpBarView() string {
	bs := m.helpBar()
	var k strings.Builder
	for _, b := range bs {
		k.WriteString(b.Help().Key)
		k.WriteByte(0)
		k.WriteString(b.Help().Desc)
		k.WriteByte(0)
	}
	fmt.Fprint(&k, m.width)
	if k.String() != m.helpKey {
		m.helpKey, m.helpView = k.String(), m.help.ShortHelpView(bs)
	}
	return m.helpView
}

func (m *Model) helpBar() []key.Binding {
	if m.dlg != nil {
		return m.dialogHelp()
	}
	if m.assignmentsOpen() {
		return m.asg.HelpBar()
	}
	switch m.focus {
	case paneEditor:
		if t := m.current(); t != nil {
			if open, find := t.ed.PromptOpen(); open {
				return m.keys.EditorPromptHelp(find)
			}
		}
		return m.keys.WorkspaceHelp("editor")
	case paneREPL:
		return m.keys.WorkspaceHelp("repl")
	}
	return m.keys.WorkspaceHelp("files")
}

// header shows "classroomd", who is logged in and their role. When space is
// short the role goes first, then the full name, then the brand: the
// username is what a student checks.
func (m *Model) header() string {
	w := m.width
	user := termtext.Safe(m.opts.Username)
	full := termtext.Safe(m.opts.FullName)
	brand := " classroomd "
	role := ""
	if m.opts.Role != "" {
		role = " " + termtext.Safe(m.opts.Role) + " "
	}
	if w := m.watchedBy(); w != "" {
		role = " " + w + " " // the student always sees who is watching
	}
	who := " " + user + " "
	if full != "" && full != user {
		who = " " + full + " (" + user + ") "
	}
	width := termtext.Width
	if width(brand)+width(who)+width(role) > w {
		role = ""
	}
	if width(brand)+width(who) > w {
		who = " " + user + " "
	}
	if width(brand)+width(who) > w {
		brand = ""
	}
	who = termtext.Fit(who, w-width(brand))
	gap := w - width(brand) - width(who) - width(role)
	return m.drawn.get("header\x00"+brand+"\x00"+who+"\x00"+role+"\x00"+strconv.Itoa(gap), func() string {
		return m.theme.Brand.Render(brand) +
			m.theme.Header.Render(who+strings.Repeat(" ", max(gap, 0))) +
			m.theme.HeaderMuted.Render(role)
	})
}

// status says what went wrong, as a sentence with what to do, or else
// describes what has the keys: the selected entry, the file being edited
// and where, or Python's state.
func (m *Model) status() string {
	w := m.width
	isErr := false
	var text, right string
	if m.ws != nil {
		right = replpane.Describe(m.ws.REPL().State()) + " "
	}
	switch {
	case m.assignmentsOpen():
		text, isErr = m.asg.Status()
	case m.notice != "":
		text = m.notice
		isErr = m.noticeErr
	case m.ws != nil && m.focus == paneEditor:
		text = m.editorStatus()
	case m.ws != nil && m.focus == paneREPL:
		text = replpane.Why(m.ws.REPL().State(), m.keys.REPL.Restart.Help().Key)
		if text == "" {
			text = "Python: type here; ctrl+c interrupts, ctrl+d ends it."
		}
		right = ""
	default:
		text, isErr = m.treeStatus()
	}
	left := " " + text
	if right != "" && termtext.Width(left)+2+termtext.Width(right) <= w {
		left = termtext.Pad(left, w-termtext.Width(right)) + right
	}
	return m.drawn.get("status\x00"+left+"\x00"+strconv.Itoa(w)+"\x00"+strconv.FormatBool(isErr), func() string {
		style := m.theme.Status
		if isErr {
			style = m.theme.StatusError
		}
		return style.Render(termtext.Pad(termtext.Fit(left, w), w))
	})
}

// treeStatus describes the selected entry, or says why the files are not
// listed (isErr).
func (m *Model) treeStatus() (text string, isErr bool) {
	if rel, err := m.tree.Err(); err != nil {
		return fmt.Sprintf("Could not list your files: %s. Try again with %s.",
			reason(rel, err), m.keys.Refresh.Help().Key), true
	} else if m.tree.Loading() {
		return "Loading your files…", false
	} else if m.tree.Empty() {
		return "Your home folder is empty.", false
	} else if e, rel, ok := m.tree.Selected(); ok {
		return describe(e, rel), false
	}
	return "", false
}

func (m *Model) editorStatus() string {
	t := m.current()
	if t == nil {
		return "No file open: enter on a file, ctrl+p to find one, ctrl+n for a new one."
	}
	line, col := t.ed.Position()
	s := termtext.Name(t.file.Path())
	if t.file.Buf.Modified() {
		s += " ● unsaved"
	}
	if t.file.ReadOnly {
		s += " · read-only"
	}
	return fmt.Sprintf("%s · Ln %d, Col %d", s, line, col)
}

// reason turns a listing error into words for a student: the common
// causes get plain words, anything else is shown as it is.
func reason(rel string, err error) string {
	var why string
	switch {
	case errors.Is(err, files.ErrOutsideHome):
		why = "that folder is outside your home"
	case errors.Is(err, fs.ErrPermission):
		why = "permission denied"
	case errors.Is(err, fs.ErrNotExist):
		why = "the folder no longer exists"
	default:
		why = termtext.Safe(err.Error())
	}
	if rel == filetree.Root || rel == "" {
		return why
	}
	return termtext.Name(rel) + "/: " + why
}

func describe(e files.Entry, rel string) string {
	name := termtext.Name(rel)
	switch {
	case e.IsDir:
		return name + "/ · folder"
	case e.Symlink:
		return name + " · symbolic link (not followed)"
	}
	return fmt.Sprintf("%s · %s · modified %s", name, size(e.Size), e.ModTime.Format("2006-01-02 15:04"))
}

func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffixes := float64(n)/unit, "KMGTPE"
	i := 0
	for v >= unit && i < len(suffixes)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", v, suffixes[i])
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}

// sentence makes an error (the files package's are sentences already) safe
// to show and ends it with a full stop.
func sentence(err error) string {
	s := strings.TrimSpace(termtext.Safe(err.Error()))
	if s == "" {
		return "Something went wrong."
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// errSentence is a failed start or run of Python in words.
func errSentence(err error, file string) string {
	var fe *files.Error
	if errors.As(err, &fe) {
		return sentence(err) // the save before a run failed
	}
	if file != "" && !errors.Is(err, repl.ErrClosed) {
		return "Could not run " + termtext.Safe(file) + ": " + strings.TrimSuffix(
			termtext.Safe(strings.TrimPrefix(err.Error(), "repl: ")), ".") + "."
	}
	return replpane.ErrText(err)
}
