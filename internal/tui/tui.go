// Package tui is the student's workspace as seen in one terminal: a header,
// the file browser, a status bar and a help bar; over it, the password form
// and the full help. It renders for a terminal of a given size and knows
// nothing of how the bytes reach it (SSH or the web bridge) or where accounts
// live, so it never imports internal/sshd, web, internal/accounts, or a SQL
// driver.
package tui

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/tui/filetree"
	"github.com/classroomd/classroomd/internal/tui/helpscreen"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/passwordform"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace"
)

// Lister lists a folder of the student's home ("." is the home itself).
// *files.Home implements it.
type Lister = filetree.Lister

// Options describe whose workspace this is.
type Options struct {
	Username string
	FullName string
	Role     string
	Home     Lister
	// Workspace is the student's live workspace (open files, REPL), shared by
	// all their connections; nil shows only the file list.
	Workspace *workspace.Workspace

	// MustChangePassword shows only the password form, which cannot be
	// cancelled, until the password is changed; then the workspace opens.
	MustChangePassword bool
	// ChangePassword checks the current password and stores the next one;
	// its error is shown to the student as a sentence. It runs in a command,
	// off the event loop, as it may be slow (bcrypt, a database write). Nil
	// means changing the password is not available here.
	ChangePassword func(current, next string) error
}

type model struct {
	opts  Options
	keys  keys.KeyMap
	theme theme.Theme
	help  help.Model
	tree  filetree.Model

	// What has the keys: the full help, else the password form, else the
	// file list.
	helpOpen   bool
	helpScreen helpscreen.Model
	formOpen   bool
	form       passwordform.Model
	forced     bool // the form is a forced change: the workspace stays closed

	treeStarted bool   // the home was listed (not before a forced change)
	notice      string // a sentence for the status bar until the next key

	width, height int
}

// New returns the root model for one terminal.
func New(opts Options) tea.Model {
	// Assume a dark background until the terminal says otherwise.
	th := theme.New(true)
	km := keys.Default()
	h := help.New()
	h.Styles = th.Help
	m := model{
		opts:        opts,
		keys:        km,
		theme:       th,
		help:        h,
		tree:        filetree.New(opts.Home, km.Tree, th),
		helpScreen:  helpscreen.New(km, th),
		treeStarted: !opts.MustChangePassword,
	}
	if opts.MustChangePassword {
		m.forced = true
		m.openForm(false)
	}
	return m
}

func (m model) Init() tea.Cmd {
	if !m.treeStarted {
		return tea.RequestBackgroundColor
	}
	return tea.Batch(m.tree.Init(), tea.RequestBackgroundColor)
}

// openForm shows a fresh password form, with nothing typed.
func (m *model) openForm(cancellable bool) {
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

func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.BackgroundColorMsg:
		m.theme = theme.New(msg.IsDark())
		m.help.Styles = m.theme.Help
		m.tree.SetTheme(m.theme)
		m.form.SetTheme(m.theme)
		m.helpScreen.SetTheme(m.theme)
		return m, nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.PasteMsg:
		// Only a field takes a paste, and only when it has the keys.
		var cmd tea.Cmd
		if m.formOpen && !m.helpOpen {
			m.form, cmd = m.form.Update(msg)
		}
		return m, cmd
	case passwordform.ChangedMsg:
		m.formOpen, m.forced = false, false
		m.notice = "Password changed."
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
	}
	// Anything else is an answer to a command (a listing, the password
	// check): each component ignores what is not its own.
	var treeCmd, formCmd tea.Cmd
	m.tree, treeCmd = m.tree.Update(msg)
	if m.formOpen {
		m.form, formCmd = m.form.Update(msg)
	}
	return m, tea.Batch(treeCmd, formCmd)
}

// handleKey gives a key to whatever has the keys. Only ctrl+c (and ctrl+q)
// act everywhere; letters are commands only in the file list, since in the
// password form they are text.
func (m model) handleKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if key.Matches(msg, m.keys.ForceQuit) {
		return m, tea.Quit
	}
	var cmd tea.Cmd
	switch {
	case m.helpOpen:
		if key.Matches(msg, m.keys.Close, m.keys.Help) {
			m.helpOpen = false
			return m, nil
		}
		m.helpScreen, cmd = m.helpScreen.Update(msg)
		return m, cmd
	case key.Matches(msg, m.keys.Help) && !m.forced:
		// Not during a forced change: the help is about a workspace that is
		// not open yet, and the form's help bar shows all its keys.
		m.helpOpen = true
		m.helpScreen.Top()
		return m, nil
	case m.formOpen:
		m.form, cmd = m.form.Update(msg)
		return m, cmd
	}

	m.notice = ""
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m, tea.Quit
	case key.Matches(msg, m.keys.Refresh):
		return m, m.tree.Refresh()
	case key.Matches(msg, m.keys.Password):
		if m.opts.ChangePassword == nil {
			m.notice = "Changing your password is not available on this server. Ask your teacher."
			return m, nil
		}
		m.openForm(true)
		return m, m.form.Init()
	}
	m.tree, cmd = m.tree.Update(msg)
	return m, cmd
}

// Fixed rows: header, status bar, help bar. The body gets the rest, and its
// first row is the pane title when there is room for a title and an entry.
// The password form and the full help have their own headings and no
// status bar: they get all but the header and the help bar.
const (
	fixedRows       = 3
	screenFixedRows = 2
)

func (m *model) layout() {
	body := max(m.height-fixedRows, 0)
	if body >= 2 {
		body-- // pane title
	}
	m.tree.SetSize(m.width, body)
	m.form.SetSize(m.width, max(m.height-screenFixedRows, 0))
	m.helpScreen.SetSize(m.width, max(m.height-screenFixedRows, 0))
	m.help.SetWidth(m.width)
}

func (m model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "classroomd: " + termtext.Safe(m.opts.Username)
	return v
}

func (m model) render() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := []string{m.header()}
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
	default:
		if body := h - fixedRows; body > 0 {
			if body >= 2 {
				lines = append(lines, m.theme.PaneTitle.Render(termtext.Fit("Your files", w)))
			}
			lines = append(lines, m.tree.View())
		}
		lines = append(lines, m.status(), m.help.ShortHelpView(m.keys.ShortHelp()))
	}

	// Every part is sized to fit already. This last pass guarantees it: a line
	// wider than the terminal wraps and scrolls the whole screen.
	all := strings.Split(strings.Join(lines, "\n"), "\n")
	if len(all) > h {
		// Shorter than the fixed rows: keep the header, then the status bar.
		all = all[:min(h, 2)]
	}
	for i, l := range all {
		all[i] = ansi.Truncate(l, w, "")
	}
	return strings.Join(all, "\n")
}

// header shows "classroomd", who is logged in and their role. When space is
// short the role goes first, then the full name, then the brand: the
// username is what a student checks.
func (m model) header() string {
	w := m.width
	user := termtext.Safe(m.opts.Username)
	full := termtext.Safe(m.opts.FullName)
	brand := " classroomd "
	role := ""
	if m.opts.Role != "" {
		role = " " + termtext.Safe(m.opts.Role) + " "
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
	return m.theme.Brand.Render(brand) +
		m.theme.Header.Render(who+strings.Repeat(" ", max(gap, 0))) +
		m.theme.HeaderMuted.Render(role)
}

// status says what went wrong, as a sentence with what to do, or else
// describes the selected entry.
func (m model) status() string {
	w := m.width
	style := m.theme.Status
	var text string
	if m.notice != "" {
		text = m.notice
	} else if rel, err := m.tree.Err(); err != nil {
		style = m.theme.StatusError
		text = fmt.Sprintf("Could not list your files: %s. Try again with %s.",
			reason(rel, err), m.keys.Refresh.Help().Key)
	} else if m.tree.Loading() {
		text = "Loading your files…"
	} else if m.tree.Empty() {
		text = "Your home folder is empty."
	} else if e, rel, ok := m.tree.Selected(); ok {
		text = describe(e, rel)
	}
	return style.Render(termtext.Pad(termtext.Fit(" "+text, w), w))
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
	return termtext.Safe(rel) + "/: " + why
}

func describe(e files.Entry, rel string) string {
	name := termtext.Safe(rel)
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
