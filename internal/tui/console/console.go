// Package consoletui is the professor's console as seen in one terminal: a
// header naming the pages (1 Students, 2 Live, 3 Help, 4 Announcements,
// 5 Audit), the current page's list, a status line and a help bar; over them,
// the dialogs (forms, questions, the import preview, a password shown once)
// and the full help.
//
// Everything it shows comes from a Desk (*console.Desk, bound to the
// professor on the server, which checks and audits every call). Every Desk
// call runs in a command, never in Update, bounded by the model's context:
// Close cancels them all, ends the subscription to the classroom's events
// and stops the Live page's refresh, so no goroutine outlives the model.
//
// The package is named consoletui so that it reads apart from
// internal/console, the server side it calls.
package consoletui

import (
	"context"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/console"
	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/tui/console/table"
	"github.com/classroomd/classroomd/internal/tui/editor"
	"github.com/classroomd/classroomd/internal/tui/helpscreen"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

// Desk is what the console calls on the server: *console.Desk, bound to the
// professor. Tests give a fake. Each method may be slow (a database, bcrypt):
// the console calls them in commands only.
type Desk interface {
	Roster(ctx context.Context) ([]console.Student, error)
	AddUser(ctx context.Context, nu accounts.NewUser) (store.User, string, error)
	UpdateUser(ctx context.Context, username string, ch console.UserChange) (store.User, error)
	SetDisabled(ctx context.Context, username string, disabled bool) error
	ResetPassword(ctx context.Context, username string) (string, error)
	PreviewImport(ctx context.Context, src console.ImportSource) (console.ImportPreview, error)
	Import(ctx context.Context, src console.ImportSource) (accounts.ImportReport, error)
	ExportCSV(ctx context.Context) ([]byte, error)

	Live(ctx context.Context) ([]console.LiveStudent, error)
	RestartREPL(ctx context.Context, student string) error
	EndSession(ctx context.Context, student, message string) error
	BrowseHome(ctx context.Context, student string) (*files.Home, error)
	Audit(ctx context.Context, limit int) ([]store.AuditEntry, error)

	Announce(ctx context.Context, text string) (store.Announcement, error)
	Retract(ctx context.Context, id int64) error
	History(ctx context.Context, limit int) ([]store.Announcement, error)

	Queue(ctx context.Context) ([]classroom.QueueEntry, error)
	Claim(ctx context.Context, id int64) (store.HelpRequest, error)
	Unclaim(ctx context.Context, id int64) error
	Resolve(ctx context.Context, id int64) error

	Subscribe() (<-chan classroom.Event, func())
}

var _ Desk = (*console.Desk)(nil)

// Options configure a console.
type Options struct {
	// Username is the professor at this console: the claim key gives up
	// their own claims and claims the others.
	Username string
	// SaveFile writes data as name in the professor's own home (the roster
	// export). It runs in a command. Nil: exporting says it is not available.
	SaveFile func(name string, data []byte) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Course is page 6's server side (assignments.go); nil: the page says
	// assignments are not set up.
	Course Course
}

// OpenLiveView asks the root model to show the live view of a student's
// workspace: Enter on the Live page or on a help request sends it.
type OpenLiveView struct{ Username string }

// Page is one of the console's pages.
type Page int

const (
	PageStudents Page = iota
	PageLive
	PageHelp
	PageAnnouncements
	PageAudit
	PageAssignments
	numPages
)

// name is the page's name in the keymap (keys.ConsoleStudents...).
func (p Page) name() string {
	return [...]string{keys.ConsoleStudents, keys.ConsoleLive, keys.ConsoleHelpQueue,
		keys.ConsoleAnnouncements, keys.ConsoleAudit, keys.ConsoleAssignments}[p]
}

// How long the console waits for the server.
const (
	loadTimeout   = 15 * time.Second
	actionTimeout = 30 * time.Second
	importTimeout = 5 * time.Minute // hashing the passwords of a large roster
	refreshEvery  = time.Second
	auditLimit    = 500
	historyLimit  = 100
)

// Model is the console for one terminal. It is a pointer: Update changes it
// in place and returns it. Call Close when done.
type Model struct {
	desk  Desk
	opts  Options
	keys  keys.KeyMap
	theme theme.Theme
	help  help.Model

	ctx       context.Context // ends with Close: bounds every command
	cancel    context.CancelFunc
	mu        sync.Mutex // guards closed and unsub, set from a command
	closed    bool
	unsub     func()
	closeOnce sync.Once

	page          Page
	width, height int
	tables        [numPages]table.Model
	seq           [numPages]uint64 // the latest load asked for, per page
	inflight      [numPages]bool   // a load is on its way
	loadErr       [numPages]string // the last load's failure, as a sentence
	ready         [numPages]bool   // the page's rows were read once
	tickGen       int              // the refresh ticks of this generation count; others are dropped

	roster   []console.Student
	live     []console.LiveStudent
	queue    []classroom.QueueEntry
	queueAt  time.Time // when the queue was read: waiting times count from it
	queueOK  bool      // the queue was read once (the header's count)
	history  []store.Announcement
	auditLog []store.AuditEntry

	assignments []course.Summary
	grid        *gridView // page 6's class grid, when open

	browse *browser // the Live page's file browser, when open
	dlg    *dialog
	later  []*dialog // passwords to show once the current dialog closes

	helpOpen   bool
	helpScreen helpscreen.Model
	notice     string // a sentence for the status line until the next key
	noticeErr  bool
}

// New returns the console for desk. Call Init, then Close when done.
func New(ctx context.Context, desk Desk, km keys.KeyMap, th theme.Theme, opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := help.New()
	h.Styles = th.Help
	m := &Model{desk: desk, opts: opts, keys: km, theme: th, help: h,
		helpScreen: helpscreen.NewGroups(km.ConsoleGroups(), km, th)}
	m.ctx, m.cancel = context.WithCancel(ctx)
	m.tables = newTables(km, th)
	return m
}

// Init subscribes to the classroom's events and loads the first page and the
// help queue (its count is in the header).
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.subscribe(), m.show(m.page), m.load(PageHelp))
}

// Close cancels every command the console started and ends its
// subscription. It is safe to call more than once.
func (m *Model) Close() {
	m.closeOnce.Do(func() {
		m.cancel()
		m.mu.Lock()
		m.closed = true
		unsub := m.unsub
		m.mu.Unlock()
		if unsub != nil {
			unsub()
		}
		m.closeBrowser()
	})
}

// Page returns the page shown.
func (m *Model) Page() Page { return m.page }

// SetSize sets the cells the console draws into.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(width, 0), max(height, 0)
	m.layout()
}

// SetTheme changes the styles (after the terminal reports its background).
func (m *Model) SetTheme(th theme.Theme) {
	m.theme = th
	m.help.Styles = th.Help
	m.helpScreen.SetTheme(th)
	for i := range m.tables {
		m.tables[i].SetTheme(th)
	}
	if m.grid != nil {
		m.grid.table.SetTheme(th)
	}
	if b := m.browse; b != nil {
		b.tree.SetTheme(th)
		if b.ed != nil {
			b.ed.SetTheme(th)
		}
	}
	if m.dlg != nil && m.dlg.kind == dlgPreview {
		m.dlg.preview.SetTheme(th)
	}
}

// SetVisible tells the console whether it is on screen. Hidden (the
// professor is in their own workspace), it stops refreshing the Live page;
// shown again, it reloads the page.
func (m *Model) SetVisible(visible bool) tea.Cmd {
	m.tickGen++
	if visible {
		return m.show(m.page)
	}
	return nil
}

// fixed rows: the header, the status line and the help bar.
const fixedRows = 3

func (m *Model) bodyHeight() int { return max(m.height-fixedRows, 0) }

func (m *Model) layout() {
	body := m.bodyHeight()
	for i := range m.tables {
		m.tables[i].SetSize(m.width, body)
	}
	m.help.SetWidth(m.width)
	m.helpScreen.SetSize(m.width, max(m.height-2, 0))
	if b := m.browse; b != nil {
		b.setSize(m.width, body)
	}
	if m.grid != nil {
		m.grid.table.SetSize(m.width, body)
	}
	if m.dlg != nil {
		m.dlg.layout(m.width, body)
	}
}

// say puts a sentence in the status line until the next key. Names in it
// may come from users: it is made safe here.
func (m *Model) say(text string, isErr bool) { m.notice, m.noticeErr = termtext.Safe(text), isErr }

// Update handles keys, the answers of the commands, events and ticks.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	return m, m.update(msg)
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return nil
	case tea.BackgroundColorMsg:
		m.SetTheme(theme.New(msg.IsDark()))
		return nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.PasteMsg:
		return m.paste(msg)
	case table.ChosenMsg:
		return m.chosen(msg)
	case subscribedMsg:
		return m.waitEvent(msg.ch)
	case eventMsg:
		return tea.Batch(m.event(msg.ev), m.waitEvent(msg.ch))
	case tickMsg:
		return m.tick(msg)
	case loadedMsg:
		m.loaded(msg)
		return nil
	case gridMsg:
		m.gridLoaded(msg)
		return nil
	case resultMsg:
		return m.result(msg)
	case previewMsg:
		m.previewed(msg)
		return nil
	case importedMsg:
		return m.imported(msg)
	case browseMsg:
		return m.browsed(msg)
	case fileMsg:
		return m.fileRead(msg)
	case editor.BufferChangedMsg:
		if b := m.browse; b != nil && b.ed != nil {
			var cmd tea.Cmd
			*b.ed, cmd = b.ed.Update(msg)
			return cmd
		}
		return nil
	// The viewer's; a root model may pass on its own editors' too, which
	// are not the console's to show while no file is viewed here.
	case editor.CopyMsg:
		if m.browse == nil || m.browse.ed == nil {
			return nil
		}
		m.say("Copied "+plural(len([]rune(msg.Text)), "character")+".", false)
		return tea.SetClipboard(msg.Text)
	case editor.NoticeMsg:
		if m.browse != nil && m.browse.ed != nil {
			m.say(msg.Text, false)
		}
		return nil
	}
	// The file tree's listings.
	if b := m.browse; b != nil {
		var cmd tea.Cmd
		b.tree, cmd = b.tree.Update(msg)
		return cmd
	}
	return nil
}

// handleKey gives a key to what has the keys: the full help, a dialog, the
// filter being typed, the file browser, the page, its list.
func (m *Model) handleKey(k tea.KeyPressMsg) tea.Cmd {
	viewing := m.page == PageLive && m.browse != nil && m.browse.ed != nil
	if key.Matches(k, m.keys.ForceQuit) {
		if viewing && !m.helpOpen && m.dlg == nil && m.browse.ed.Handles(k) {
			return m.browseKey(k) // ctrl+c copies the selection
		}
		return tea.Quit
	}
	if m.helpOpen {
		if key.Matches(k, m.keys.Close, m.keys.Help) {
			m.helpOpen = false
			return nil
		}
		var cmd tea.Cmd
		m.helpScreen, cmd = m.helpScreen.Update(k)
		return cmd
	}
	if key.Matches(k, m.keys.Help) {
		m.helpOpen = true
		m.helpScreen.Top()
		return nil
	}
	if m.dlg != nil {
		return m.dialogKey(k)
	}
	m.notice = ""
	browsing := m.page == PageLive && m.browse != nil
	t := m.table()
	if !browsing && t.Filtering() {
		var cmd tea.Cmd
		*t, cmd = t.Update(k)
		return cmd
	}
	c := m.keys.Console
	if !viewing {
		switch {
		case key.Matches(k, c.Page):
			return m.show(Page(k.String()[0] - '1'))
		case key.Matches(k, c.NextPage):
			return m.show((m.page + 1) % numPages)
		case key.Matches(k, c.PrevPage):
			return m.show((m.page + numPages - 1) % numPages)
		}
	}
	if browsing {
		return m.browseKey(k)
	}
	if cmd, ok := m.pageKey(k); ok {
		return cmd
	}
	if t.Handles(k) {
		var cmd tea.Cmd
		*t, cmd = t.Update(k)
		return cmd
	}
	return nil
}

// pageKey handles the current page's own keys.
func (m *Model) pageKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch m.page {
	case PageStudents:
		return m.studentsKey(k)
	case PageLive:
		return m.liveKey(k)
	case PageHelp:
		return m.helpKey(k)
	case PageAnnouncements:
		return m.announcementsKey(k)
	case PageAudit:
		if key.Matches(k, m.keys.Console.Refresh) {
			return m.load(PageAudit), true
		}
	case PageAssignments:
		return m.assignmentsKey(k)
	}
	return nil, false
}

// paste goes where typing goes.
func (m *Model) paste(msg tea.PasteMsg) tea.Cmd {
	switch {
	case m.helpOpen:
	case m.dlg != nil:
		m.dlg.paste(msg.Content)
	case m.page == PageLive && m.browse != nil:
	case m.table().Filtering():
		*m.table(), _ = m.table().Update(msg)
	}
	return nil
}

// chosen is enter on a row.
func (m *Model) chosen(msg table.ChosenMsg) tea.Cmd {
	switch msg.Table {
	case tableLive:
		return openLiveView(msg.ID)
	case tableHelp:
		for _, e := range m.queue {
			if idString(e.ID) == msg.ID {
				return openLiveView(e.Student)
			}
		}
	case tableStudents:
		return m.editUser()
	case tableAnnouncements:
		m.announcementDetails(msg.ID)
	case tableAudit:
		m.auditDetails(msg.ID)
	case tableAssignments:
		return m.openGrid(msg.ID)
	case tableGrid:
		return openLiveView(msg.ID)
	}
	return nil
}

func openLiveView(username string) tea.Cmd {
	return func() tea.Msg { return OpenLiveView{Username: username} }
}

// show makes p the current page and reloads it; Live and Help start
// refreshing every second (a new generation of ticks: the old one stops).
func (m *Model) show(p Page) tea.Cmd {
	if p < 0 || p >= numPages {
		return nil
	}
	m.page = p
	m.tickGen++
	cmds := []tea.Cmd{m.load(p)}
	if p == PageLive || p == PageHelp || p == PageAssignments && m.grid != nil {
		cmds = append(cmds, m.nextTick())
	}
	if p == PageAssignments && m.grid != nil {
		cmds = append(cmds, m.loadGrid())
	}
	return tea.Batch(cmds...)
}

// View draws the console for a program of its own (tests, or a console
// without a workspace); a root model embedding it uses Render.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "classroomd console"
	return v
}

// Render draws exactly the console's height in lines, none wider than its width.
func (m *Model) Render() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := []string{m.header()}
	var body []string // already fitted, row by row: not measured again
	if m.helpOpen {
		if h > 2 {
			lines = append(lines, m.helpScreen.View())
		}
		lines = append(lines, m.help.ShortHelpView(m.keys.HelpScreenHelp()))
	} else {
		if n := m.bodyHeight(); n > 0 {
			body = strings.Split(m.body(w, n), "\n")
		}
		lines = append(lines, m.status(), m.help.ShortHelpView(m.helpBar()))
	}
	all := strings.Split(strings.Join(lines, "\n"), "\n")
	for i, l := range all {
		all[i] = ansi.Truncate(l, w, "")
	}
	if len(body) > 0 {
		all = append(all[:1], append(body, all[1:]...)...)
	}
	if len(all) > h {
		all = all[:min(h, 2)] // shorter than the fixed rows: the header, then the status
	}
	for len(all) < h {
		all = append(all, "")
	}
	return strings.Join(all, "\n")
}

func (m *Model) body(w, h int) string {
	switch {
	case m.dlg != nil:
		return m.dlg.view(m, w, h)
	case m.page == PageLive && m.browse != nil:
		return m.browse.view(m, w, h)
	}
	return m.table().View()
}

// header names the pages, the current one highlighted; the Help page says
// how many wait. When they do not all fit, the others show their number only.
func (m *Model) header() string {
	w := m.width
	waiting := ""
	if m.queueOK {
		waiting = " (" + itoa(len(m.queue)) + " waiting)"
	}
	full := []string{"1 Students", "2 Live", "3 Help" + waiting, "4 Announcements", "5 Audit", "6 Assignments"}
	short := []string{"1", "2", "3", "4", "5", "6"}
	if m.queueOK && len(m.queue) > 0 {
		short[2] = "3 (" + itoa(len(m.queue)) + ")"
	}
	labels := full
	if width(labels) > w {
		labels = append([]string(nil), short...)
		labels[m.page] = full[m.page]
	}
	var b strings.Builder
	used := 0
	for i, l := range labels {
		cell := termtext.Fit(" "+l+" ", w-used)
		used += termtext.Width(cell)
		if Page(i) == m.page {
			b.WriteString(m.theme.Selected.Render(cell))
		} else {
			b.WriteString(m.theme.Header.Render(cell))
		}
		if used >= w {
			break
		}
	}
	return b.String() + m.theme.Header.Render(strings.Repeat(" ", max(w-used, 0)))
}

func width(labels []string) int {
	n := 0
	for _, l := range labels {
		n += termtext.Width(l) + 2
	}
	return n
}

// status is the notice, else the page's load error, else what the page
// shows (the selected entry).
func (m *Model) status() string {
	style := m.theme.Status
	text := m.notice
	switch {
	case text != "":
		if m.noticeErr {
			style = m.theme.StatusError
		}
	case m.loadErr[m.page] != "" && (m.page != PageLive || m.browse == nil):
		text, style = m.loadErr[m.page], m.theme.StatusError
	default:
		text = m.describe()
	}
	return style.Render(termtext.Pad(termtext.Fit(" "+text, m.width), m.width))
}

func (m *Model) helpBar() []key.Binding {
	if m.dlg != nil {
		return m.dlg.helpBar(m.keys)
	}
	if m.page == PageLive && m.browse != nil {
		return m.keys.ConsoleBrowseHelp(m.browse.ed != nil)
	}
	if m.table().Filtering() {
		return m.keys.ConsoleFilterHelp()
	}
	if m.page == PageAssignments && m.grid != nil {
		return m.keys.ConsoleHelp(keys.ConsoleGrid)
	}
	return m.keys.ConsoleHelp(m.page.name())
}
