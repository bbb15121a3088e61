package consoletui

import (
	"context"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/console"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/tui/console/table"
	"github.com/classroomd/classroomd/internal/tui/termtext"
)

// roles are the choices of the role field.
var roles = []string{string(store.RoleStudent), string(store.RoleProfessor)}

// onceText is said over every password shown.
const onceText = "Shown only this once: note it or hand it over now. They must choose their own password at the next login."

func (m *Model) student(username string) (console.Student, bool) {
	for _, s := range m.roster {
		if s.Username == username {
			return s, true
		}
	}
	return console.Student{}, false
}

func (m *Model) selectedStudent() (console.Student, bool) {
	s, ok := m.student(m.tables[PageStudents].SelectedID())
	if !ok {
		m.say("Select a user first (↑/↓).", false)
	}
	return s, ok
}

func (m *Model) studentsKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	c := m.keys.Console
	switch {
	case key.Matches(k, c.Add):
		m.openDialog(m.addForm())
	case key.Matches(k, c.Edit):
		return m.editUser(), true
	case key.Matches(k, c.Disable):
		m.askDisable()
	case key.Matches(k, c.ResetPassword):
		m.askReset()
	case key.Matches(k, c.Import):
		m.openDialog(&dialog{kind: dlgImportSource, title: "Import a roster",
			text: "A CSV file whose first line names its columns: username, and any of full_name, email, role, " +
				"password or password_hash. You see what it would change before anything is written."})
	case key.Matches(k, c.Export):
		m.openDialog(m.exportPrompt())
	default:
		return nil, false
	}
	return nil, true
}

func secret(title, text string, lines []string) *dialog {
	return &dialog{kind: dlgSecret, title: title, text: text, lines: lines}
}

// passwordLines lists usernames and passwords in two columns.
func passwordLines(names, passwords []string) []string {
	w := 0
	for _, n := range names {
		w = max(w, termtext.Width(termtext.Safe(n)))
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = termtext.Pad(termtext.Safe(n), w) + "   " + passwords[i]
	}
	return out
}

func (m *Model) addForm() *dialog {
	d := &dialog{kind: dlgForm, title: "Add a user", accept: "add",
		text:   "A password is generated and shown once; the user chooses their own at the first login.",
		fields: []field{{label: "Username"}, {label: "Full name"}, {label: "Email"}, {label: "Role", choices: roles}}}
	desk := m.desk
	d.submit = func(d *dialog) tea.Cmd {
		nu := accounts.NewUser{
			Username: strings.TrimSpace(d.fields[0].value),
			FullName: strings.TrimSpace(d.fields[1].value),
			Email:    strings.TrimSpace(d.fields[2].value),
			Role:     store.Role(d.fields[3].text()),
		}
		if nu.Username == "" {
			d.err, d.focus = "Type a username.", 0
			return nil
		}
		return m.act(d, actionTimeout, "add "+nu.Username, []Page{PageStudents},
			func(ctx context.Context) (string, *dialog, error) {
				u, pw, err := desk.AddUser(ctx, nu)
				if err != nil {
					return "", nil, err
				}
				done := u.Username + " was added."
				if pw == "" {
					return done, nil, nil
				}
				return done, secret(u.Username+"'s password", onceText,
					passwordLines([]string{u.Username}, []string{pw})), nil
			})
	}
	return d
}

// editUser opens the form that changes the selected user's name, email and role.
func (m *Model) editUser() tea.Cmd {
	s, ok := m.selectedStudent()
	if !ok {
		return nil
	}
	pick := max(slices.Index(roles, string(s.Role)), 0)
	d := &dialog{kind: dlgForm, title: "Edit " + s.Username, accept: "save", student: s.Username,
		text: "Change the name, the email or the role; the username stays.",
		fields: []field{{label: "Full name", value: s.FullName}, {label: "Email", value: s.Email},
			{label: "Role", choices: roles, pick: pick}}}
	desk := m.desk
	d.submit = func(d *dialog) tea.Cmd {
		var ch console.UserChange
		if v := strings.TrimSpace(d.fields[0].value); v != s.FullName {
			ch.FullName = &v
		}
		if v := strings.TrimSpace(d.fields[1].value); v != s.Email {
			ch.Email = &v
		}
		if r := store.Role(d.fields[2].text()); r != s.Role {
			ch.Role = &r
		}
		if ch.FullName == nil && ch.Email == nil && ch.Role == nil {
			m.closeDialog()
			m.say("Nothing changed.", false)
			return nil
		}
		return m.act(d, actionTimeout, "change "+s.Username, []Page{PageStudents},
			func(ctx context.Context) (string, *dialog, error) {
				if _, err := desk.UpdateUser(ctx, s.Username, ch); err != nil {
					return "", nil, err
				}
				return "Saved " + s.Username + ".", nil, nil
			})
	}
	m.openDialog(d)
	return nil
}

func (m *Model) askDisable() {
	s, ok := m.selectedStudent()
	if !ok {
		return
	}
	name, disable := s.Username, !s.Disabled
	d := &dialog{kind: dlgConfirm, title: "Disable " + name + "?", yes: "disable",
		text: name + " will no longer be able to log in, until enabled again."}
	verb, done := "disable "+name, name+" is disabled."
	if !disable {
		d.title, d.yes, d.text = "Enable "+name+"?", "enable", name+" will be able to log in again."
		verb, done = "enable "+name, name+" is enabled."
	}
	desk := m.desk
	d.onYes = func() tea.Cmd {
		return m.act(nil, actionTimeout, verb, []Page{PageStudents}, func(ctx context.Context) (string, *dialog, error) {
			return done, nil, desk.SetDisabled(ctx, name, disable)
		})
	}
	m.openDialog(d)
}

func (m *Model) askReset() {
	s, ok := m.selectedStudent()
	if !ok {
		return
	}
	name, desk := s.Username, m.desk
	m.openDialog(&dialog{kind: dlgConfirm, title: "Reset " + name + "'s password?", yes: "reset",
		text: "A new password is generated and shown once; the old one stops working at once, and " + name +
			" must choose their own at the next login.",
		onYes: func() tea.Cmd {
			return m.act(nil, actionTimeout, "reset "+name+"'s password", []Page{PageStudents},
				func(ctx context.Context) (string, *dialog, error) {
					pw, err := desk.ResetPassword(ctx, name)
					if err != nil {
						return "", nil, err
					}
					return name + "'s password was reset.", secret(name+"'s new password", onceText,
						passwordLines([]string{name}, []string{pw})), nil
				})
		}})
}

func (m *Model) exportPrompt() *dialog {
	d := &dialog{kind: dlgPrompt, title: "Export the roster", accept: "save",
		text:  "Every user as CSV (no passwords), saved in your own home as:",
		input: "roster-" + m.now().Format("2006-01-02") + ".csv"}
	desk, save := m.desk, m.opts.SaveFile
	d.submit = func(d *dialog) tea.Cmd {
		name := strings.TrimSpace(d.input)
		switch {
		case name == "":
			d.err = "Type a file name."
			return nil
		case save == nil:
			d.err = "Saving into your home is not available in this console."
			return nil
		}
		return m.act(d, actionTimeout, "export the roster", nil, func(ctx context.Context) (string, *dialog, error) {
			data, err := desk.ExportCSV(ctx)
			if err != nil {
				return "", nil, err
			}
			if err := save(name, data); err != nil {
				return "", nil, err
			}
			return "Saved the roster as " + name + " in your home (" + files.FormatSize(int64(len(data))) + ").", nil, nil
		})
	}
	return d
}

// previewMsg carries what an import would do.
type previewMsg struct {
	owner   *dialog
	src     console.ImportSource
	preview console.ImportPreview
	err     error
}

// importedMsg carries what an import did.
type importedMsg struct {
	owner  *dialog
	report accounts.ImportReport
	err    error
}

func (m *Model) importTextDialog() *dialog {
	d := &dialog{kind: dlgText, title: "Paste the roster",
		text: "Paste the CSV text (your terminal's paste), then ctrl+d to see what it would change. Nothing is written before you confirm."}
	d.text = strings.Replace(d.text, "ctrl+d", m.keys.Console.Preview.Help().Key, 1)
	d.submit = func(d *dialog) tea.Cmd {
		if strings.TrimSpace(d.input) == "" {
			d.err = "Paste the roster first."
			return nil
		}
		return m.preview(d, console.ImportSource{Text: d.input})
	}
	return d
}

func (m *Model) importPathDialog() *dialog {
	d := &dialog{kind: dlgPrompt, title: "Import a file on the server", accept: "preview",
		text: "The path of a CSV file on the server, for example /srv/class/roster.csv."}
	d.submit = func(d *dialog) tea.Cmd {
		p := strings.TrimSpace(d.input)
		if p == "" {
			d.err = "Type the file's path."
			return nil
		}
		return m.preview(d, console.ImportSource{Path: p})
	}
	return d
}

func (m *Model) preview(d *dialog, src console.ImportSource) tea.Cmd {
	d.busy, d.err = true, ""
	desk := m.desk
	return m.call(importTimeout, func(ctx context.Context) tea.Msg {
		p, err := desk.PreviewImport(ctx, src)
		return previewMsg{owner: d, src: src, preview: p, err: err}
	})
}

// previewCols: the note (a bad line's reason) comes early, so that a
// narrow terminal shows it.
var previewCols = []table.Column{
	{Title: "Line", Right: true, Numeric: true},
	{Title: "Change"},
	{Title: "Username", Min: 8},
	{Title: "Note", Flex: true, Min: 20},
	{Title: "Full name", Drop: 2, Max: 28},
	{Title: "Role", Drop: 1},
	{Title: "Email", Drop: 3, Max: 28},
}

// previewed shows what the import would do, in place of the dialog that
// asked (if it is still open).
func (m *Model) previewed(msg previewMsg) {
	if m.dlg != msg.owner {
		if msg.err != nil {
			m.say(failure("preview the import", msg.err), true)
		}
		return // cancelled
	}
	msg.owner.busy = false
	if msg.err != nil {
		msg.owner.err = sentence(msg.err)
		return
	}
	p := msg.preview
	var rows []table.Row
	for _, e := range p.Errors {
		why := "This line cannot be imported."
		if e.Err != nil {
			why = sentence(e.Err)
		}
		rows = append(rows, table.Row{ID: "e" + itoa(e.Line), Alert: true, Cells: []table.Cell{
			{Text: itoa(e.Line), Num: float64(e.Line)}, {Text: "bad line"}, {}, {Text: why}}})
	}
	for _, r := range p.Rows {
		change, note := "update", ""
		switch {
		case r.New && r.HasPassword:
			change, note = "create", "password from the file"
		case r.New:
			change, note = "create", "password generated, shown after the import"
		case r.HasPassword:
			note = "password replaced"
		}
		rows = append(rows, table.Row{ID: "r" + itoa(r.Line), Cells: []table.Cell{
			{Text: itoa(r.Line), Num: float64(r.Line)}, {Text: change}, {Text: r.Username}, {Text: note},
			{Text: r.FullName}, {Text: string(r.Role)}, {Text: r.Email}}})
	}
	text := plural(p.Create, "user") + " to create, " + itoa(p.Update) + " to update."
	can := len(p.Errors) == 0 && p.Create+p.Update > 0
	switch {
	case len(p.Errors) > 0:
		text += " " + plural(len(p.Errors), "line") + " cannot be imported (listed first, with the reason): " +
			"correct the file and import again; nothing is imported while a line is bad."
	case !can:
		text += " The roster holds no one to import."
	default:
		text += " Nothing is written until you confirm."
	}
	d := &dialog{kind: dlgPreview, title: "Import: what would change", text: text, src: msg.src, canImport: can}
	d.preview = table.New("preview", previewCols, m.keys, m.theme)
	d.preview.SetRows(rows)
	m.dlg = nil
	m.openDialog(d)
}

func (m *Model) importNow(d *dialog) tea.Cmd {
	if !d.canImport {
		if d.err == "" {
			d.err = "There is nothing to import: correct the file and import it again."
		}
		return nil
	}
	d.busy, d.err = true, ""
	desk, src := m.desk, d.src
	return m.call(importTimeout, func(ctx context.Context) tea.Msg {
		rep, err := desk.Import(ctx, src)
		return importedMsg{owner: d, report: rep, err: err}
	})
}

// imported says what the import did and shows the passwords it generated.
func (m *Model) imported(msg importedMsg) tea.Cmd {
	open := m.dlg == msg.owner
	if open {
		msg.owner.busy = false
	}
	reload := m.load(PageStudents)
	rep := msg.report
	if msg.err != nil && len(rep.Created)+len(rep.Updated) == 0 {
		if open {
			msg.owner.err = sentence(msg.err)
		} else {
			m.say(failure("import the roster", msg.err), true)
		}
		return reload
	}
	if open {
		m.closeDialog()
	}
	done := "Imported: " + itoa(len(rep.Created)) + " created, " + itoa(len(rep.Updated)) + " updated."
	if len(rep.Invalid) > 0 {
		done += " " + plural(len(rep.Invalid), "bad line") + " skipped."
	}
	if msg.err != nil { // imported, with something to say (homes not made yet)
		m.say(sentence(msg.err), true)
	} else {
		m.say(done, false)
	}
	if len(rep.Generated) > 0 {
		names := make([]string, len(rep.Generated))
		pws := make([]string, len(rep.Generated))
		for i, g := range rep.Generated {
			names[i], pws[i] = g.Username, g.Password
		}
		m.showSecret(secret("New users' passwords ("+itoa(len(names))+")",
			"Shown only this once: note them or hand them over now. Each must choose their own password at the first login.",
			passwordLines(names, pws)))
	}
	return reload
}
