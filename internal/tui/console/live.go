package consoletui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/tui/editor"
	"github.com/classroomd/classroomd/internal/tui/filetree"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/workspace/buffer"
)

// selectedLive returns the username under the Live page's cursor.
func (m *Model) selectedLive() (string, bool) {
	id := m.tables[PageLive].SelectedID()
	if id == "" {
		m.say("Select a student first (↑/↓).", false)
	}
	return id, id != ""
}

func (m *Model) liveKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	c := m.keys.Console
	switch {
	case key.Matches(k, c.RestartREPL):
		if name, ok := m.selectedLive(); ok {
			m.askRestart(name)
		}
	case key.Matches(k, c.EndSession):
		if name, ok := m.selectedLive(); ok {
			m.openDialog(m.endSessionPrompt(name))
		}
	case key.Matches(k, c.Browse):
		if name, ok := m.selectedLive(); ok {
			return m.openBrowser(name), true
		}
	default:
		return nil, false
	}
	return nil, true
}

func (m *Model) askRestart(name string) {
	desk := m.desk
	m.openDialog(&dialog{kind: dlgConfirm, title: "Restart " + name + "'s Python?", yes: "restart",
		text: "The program running stops and what was defined in Python is lost; " + name + "'s files are not touched.",
		onYes: func() tea.Cmd {
			return m.act(nil, actionTimeout, "restart "+name+"'s Python", []Page{PageLive},
				func(ctx context.Context) (string, *dialog, error) {
					return name + "'s Python was restarted.", nil, desk.RestartREPL(ctx, name)
				})
		}})
}

func (m *Model) endSessionPrompt(name string) *dialog {
	d := &dialog{kind: dlgPrompt, title: "End " + name + "'s session?", accept: "end session", student: name,
		text: name + "'s terminals close and show this message (you may leave it empty). " +
			"Their files and unsaved work stay in their workspace."}
	desk := m.desk
	d.submit = func(d *dialog) tea.Cmd {
		text := strings.TrimSpace(d.input)
		return m.act(d, actionTimeout, "end "+name+"'s session", []Page{PageLive},
			func(ctx context.Context) (string, *dialog, error) {
				return name + "'s session was ended.", nil, desk.EndSession(ctx, name, text)
			})
	}
	return d
}

// browser shows a student's home, read-only: the tree, or one file in a
// read-only editor.
type browser struct {
	student string
	home    *files.Home
	tree    filetree.Model
	ed      *editor.Model // the file viewed, or nil
	file    string
	width   int
	height  int
}

// browseMsg carries a student's home, opened read-only.
type browseMsg struct {
	student string
	home    *files.Home
	err     error
}

// fileMsg carries a file of the browser's to view.
type fileMsg struct {
	b   *browser
	rel string
	buf *buffer.Buffer
	err error
}

func (m *Model) openBrowser(name string) tea.Cmd {
	m.say("Opening "+name+"'s files…", false)
	desk, parent := m.desk, m.ctx
	// Not m.call: a home opened as the console closes must be closed here.
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, loadTimeout)
		defer cancel()
		h, err := desk.BrowseHome(ctx, name)
		if parent.Err() != nil {
			if h != nil {
				h.Close() // the console closed meanwhile: nobody takes it
			}
			return nil
		}
		return browseMsg{student: name, home: h, err: err}
	}
}

func (m *Model) browsed(msg browseMsg) tea.Cmd {
	if msg.err != nil {
		m.say(failure("open "+msg.student+"'s files", msg.err), true)
		return nil
	}
	m.closeBrowser()
	if m.notice == "Opening "+termtext.Safe(msg.student)+"'s files…" {
		m.notice = ""
	}
	b := &browser{student: msg.student, home: msg.home, tree: filetree.New(msg.home, m.keys.Tree, m.theme)}
	b.setSize(m.width, m.bodyHeight())
	m.browse = b
	return b.tree.Init()
}

// closeBrowser closes the file viewed and the home.
func (m *Model) closeBrowser() {
	b := m.browse
	if b == nil {
		return
	}
	m.browse = nil
	if b.ed != nil {
		b.ed.Close()
	}
	if b.home != nil {
		b.home.Close()
	}
}

func (b *browser) setSize(w, h int) {
	b.width, b.height = w, h
	b.tree.SetSize(w, max(h-1, 0))
	if b.ed != nil {
		b.ed.SetSize(w, max(h-1, 0))
	}
}

// browseKey: esc goes back (from the file to the tree, from the tree to
// the list), enter views a file; the rest moves in the tree or the file.
func (m *Model) browseKey(k tea.KeyPressMsg) tea.Cmd {
	b := m.browse
	if b.ed != nil {
		if open, _ := b.ed.PromptOpen(); !open && key.Matches(k, m.keys.Console.Back) {
			b.ed.Close()
			b.ed, b.file = nil, ""
			return nil
		}
		var cmd tea.Cmd
		*b.ed, cmd = b.ed.Update(k)
		return cmd
	}
	t := m.keys.Tree
	switch {
	case key.Matches(k, m.keys.Console.Back):
		m.closeBrowser()
		return nil
	case key.Matches(k, t.Hidden):
		b.tree.SetShowHidden(!b.tree.ShowHidden())
		return b.tree.Refresh()
	case key.Matches(k, t.Toggle):
		if e, rel, ok := b.tree.Selected(); ok && !e.IsDir && rel != filetree.Root {
			return m.readFile(b, rel)
		}
	case key.Matches(k, t.NewFile, t.NewFolder, t.Rename, t.Duplicate, t.Delete):
		m.say("These are "+termtext.Safe(b.student)+"'s files: read-only here.", false)
		return nil
	}
	var cmd tea.Cmd
	b.tree, cmd = b.tree.Update(k)
	return cmd
}

func (m *Model) readFile(b *browser, rel string) tea.Cmd {
	home := b.home
	return m.call(loadTimeout, func(context.Context) tea.Msg {
		data, err := home.ReadFile(rel)
		if err != nil {
			return fileMsg{b: b, rel: rel, err: err}
		}
		buf, err := buffer.Load(data)
		return fileMsg{b: b, rel: rel, buf: buf, err: err}
	})
}

func (m *Model) fileRead(msg fileMsg) tea.Cmd {
	b := m.browse
	if b == nil || b != msg.b || b.ed != nil {
		return nil // the browser was closed, or another file opened
	}
	if msg.err != nil {
		why := sentence(msg.err)
		if errors.Is(msg.err, buffer.ErrBinary) || errors.Is(msg.err, buffer.ErrNotUTF8) {
			why = "It is not a text file."
		}
		m.say("Could not show "+msg.rel+": "+strings.ToLower(why[:1])+why[1:], true)
		return nil
	}
	ed := editor.New(msg.buf, editor.Options{ReadOnly: true}, m.keys.Editor, m.theme)
	b.ed, b.file = &ed, msg.rel
	b.setSize(b.width, b.height)
	return ed.Init()
}

// view draws the browser: a title row, then the tree or the file.
func (b *browser) view(m *Model, w, h int) string {
	title := " " + termtext.Safe(b.student) + "'s files (read-only)"
	body := ""
	if b.ed != nil {
		title = " " + termtext.Safe(b.student) + ": " + termtext.Name(b.file) + " (read-only)"
		body = b.ed.View()
	} else {
		body = b.tree.View()
	}
	lines := []string{m.theme.Selected.Render(termtext.Pad(termtext.Fit(title, w), w))}
	lines = append(lines, strings.Split(body, "\n")...)
	return strings.Join(fitLines(lines, w, h), "\n")
}

// describe is the status line under the browser.
func (b *browser) describe() string {
	if b.ed != nil {
		line, col := b.ed.Position()
		return fmt.Sprintf("%s · Ln %d, Col %d · read-only; esc goes back to the folder.", termtext.Name(b.file), line, col)
	}
	if rel, err := b.tree.Err(); err != nil {
		return "Could not list " + termtext.Name(rel) + ": " + sentence(err)
	}
	if b.tree.Loading() {
		return "Listing " + termtext.Safe(b.student) + "'s files…"
	}
	if b.tree.Empty() {
		return termtext.Safe(b.student) + "'s home is empty."
	}
	if e, rel, ok := b.tree.Selected(); ok {
		if e.IsDir {
			return termtext.Name(rel) + "/ · folder"
		}
		return termtext.Name(rel) + " · " + files.FormatSize(e.Size) + " · modified " + e.ModTime.Format("2006-01-02 15:04")
	}
	return ""
}

// selectedRequest returns the help request under the Help page's cursor.
func (m *Model) selectedRequest() (classroom.QueueEntry, bool) {
	id := m.tables[PageHelp].SelectedID()
	for _, e := range m.queue {
		if idString(e.ID) == id {
			return e, true
		}
	}
	m.say("Select a request first (↑/↓).", false)
	return classroom.QueueEntry{}, false
}

func (m *Model) helpKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	c, desk := m.keys.Console, m.desk
	switch {
	case key.Matches(k, c.Claim):
		e, ok := m.selectedRequest()
		if !ok {
			return nil, true
		}
		id, name := e.ID, e.Student
		if e.ClaimedBy != "" && e.ClaimedBy == m.opts.Username {
			return m.act(nil, actionTimeout, "give up "+name+"'s request", []Page{PageHelp},
				func(ctx context.Context) (string, *dialog, error) {
					return "You gave up " + name + "'s request: another professor may claim it.", nil, desk.Unclaim(ctx, id)
				}), true
		}
		return m.act(nil, actionTimeout, "claim "+name+"'s request", []Page{PageHelp},
			func(ctx context.Context) (string, *dialog, error) {
				_, err := desk.Claim(ctx, id)
				return "You claimed " + name + "'s request: enter watches them.", nil, err
			}), true
	case key.Matches(k, c.Resolve):
		e, ok := m.selectedRequest()
		if !ok {
			return nil, true
		}
		id, name := e.ID, e.Student
		m.openDialog(&dialog{kind: dlgConfirm, title: "Mark " + name + "'s request resolved?", yes: "resolve",
			text: name + " leaves the queue and is told.",
			onYes: func() tea.Cmd {
				return m.act(nil, actionTimeout, "resolve "+name+"'s request", []Page{PageHelp},
					func(ctx context.Context) (string, *dialog, error) {
						return name + "'s request is resolved.", nil, desk.Resolve(ctx, id)
					})
			}})
		return nil, true
	}
	return nil, false
}

func (m *Model) announcementsKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	c, desk := m.keys.Console, m.desk
	switch {
	case key.Matches(k, c.Announce):
		d := &dialog{kind: dlgPrompt, title: "New announcement", accept: "send",
			text: "One line, shown at once on every connected student's screen (and to those who connect later) until they dismiss it or you end it."}
		d.submit = func(d *dialog) tea.Cmd {
			text := strings.TrimSpace(d.input)
			if text == "" {
				d.err = "Type the announcement."
				return nil
			}
			return m.act(d, actionTimeout, "send the announcement", []Page{PageAnnouncements},
				func(ctx context.Context) (string, *dialog, error) {
					_, err := desk.Announce(ctx, text)
					return "Announcement sent to every student.", nil, err
				})
		}
		m.openDialog(d)
		return nil, true
	case key.Matches(k, c.EndAnnouncement):
		id, err := strconv.ParseInt(m.tables[PageAnnouncements].SelectedID(), 10, 64)
		if err != nil {
			m.say("Select an announcement first (↑/↓).", false)
			return nil, true
		}
		for _, a := range m.history {
			if a.ID == id && !a.Active(m.now()) {
				m.say("That announcement has ended already.", false)
				return nil, true
			}
		}
		m.openDialog(&dialog{kind: dlgConfirm, title: "End this announcement?", yes: "end",
			text: "It disappears from every student's screen.",
			onYes: func() tea.Cmd {
				return m.act(nil, actionTimeout, "end the announcement", []Page{PageAnnouncements},
					func(ctx context.Context) (string, *dialog, error) {
						return "The announcement has ended.", nil, desk.Retract(ctx, id)
					})
			}})
		return nil, true
	}
	return nil, false
}

// announcementDetails shows an announcement in full.
func (m *Model) announcementDetails(id string) {
	for _, a := range m.history {
		if idString(a.ID) != id {
			continue
		}
		lines := []string{"By " + a.Author + ", " + stamp(a.CreatedAt, m.now()) + "."}
		switch {
		case !a.RetractedAt.IsZero():
			lines = append(lines, "Ended by "+a.RetractedBy+", "+stamp(a.RetractedAt, m.now())+".")
		case !a.ExpiresAt.IsZero():
			lines = append(lines, "Shown until "+stamp(a.ExpiresAt, m.now())+".")
		}
		lines = append(lines, "")
		lines = append(lines, wrap(a.Text, m.width-2)...)
		m.openDialog(&dialog{kind: dlgInfo, title: "Announcement #" + id, lines: lines})
		return
	}
}

// auditDetails shows an audit entry in full.
func (m *Model) auditDetails(id string) {
	for _, e := range m.auditLog {
		if idString(e.ID) != id {
			continue
		}
		lines := []string{
			"Time     " + stamp(e.At, m.now()),
			"Actor    " + e.Actor,
			"Action   " + e.Action,
			"Target   " + e.Target,
			"Outcome  " + e.Outcome,
			"From     " + e.Remote,
			"Detail",
		}
		lines = append(lines, wrap(e.Detail, m.width-4)...)
		m.openDialog(&dialog{kind: dlgInfo, title: "Audit entry #" + id, lines: lines})
		return
	}
}
