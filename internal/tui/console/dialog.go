package consoletui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/console"
	"github.com/classroomd/classroomd/internal/tui/console/table"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/termtext"
)

type dialogKind int

const (
	dlgConfirm      dialogKind = iota // a question: yes runs onYes
	dlgPrompt                         // one line of text: accept runs submit
	dlgForm                           // fields: submit runs submit
	dlgImportSource                   // paste the CSV, or a file on the server
	dlgText                           // lines of pasted text: preview runs submit
	dlgPreview                        // what an import would do: yes imports
	dlgSecret                         // a password shown once: only enter closes it
	dlgInfo                           // an entry in full: enter or esc closes it
)

// Bounds on what is typed or pasted.
const (
	maxLine      = 500                    // a prompt's or a field's characters
	maxTextBytes = console.MaxImportBytes // a pasted roster
)

// dialog is a question, a form or a message over the page.
type dialog struct {
	kind  dialogKind
	title string
	text  string // a sentence under the title
	err   string // what went wrong with the last answer
	busy  bool   // the server is working on the answer: only esc acts

	// dlgConfirm
	yes   string // what yes does, for the help bar ("disable")
	onYes func() tea.Cmd

	// dlgPrompt, dlgText, dlgForm
	input   string
	accept  string // what enter does, for the help bar ("send")
	submit  func(d *dialog) tea.Cmd
	fields  []field
	focus   int
	student string // the user a form or prompt is about

	// dlgPreview
	preview   table.Model
	src       console.ImportSource
	canImport bool

	// dlgSecret, dlgInfo
	lines  []string
	offset int

	width, height int
}

// field is one field of a form: text, or a choice among values.
type field struct {
	label   string
	value   string
	choices []string
	pick    int
}

func (f *field) text() string {
	if f.choices != nil {
		return f.choices[f.pick]
	}
	return f.value
}

// openDialog shows d over the page.
func (m *Model) openDialog(d *dialog) {
	m.dlg = d
	d.layout(m.width, m.bodyHeight())
}

// closeDialog closes the dialog; a password waiting to be shown comes next.
func (m *Model) closeDialog() {
	m.dlg = nil
	if len(m.later) > 0 {
		next := m.later[0]
		m.later = m.later[1:]
		m.openDialog(next)
	}
}

// showSecret shows a password (once): now, or after the dialog open.
func (m *Model) showSecret(d *dialog) {
	if m.dlg != nil {
		m.later = append(m.later, d)
		return
	}
	m.openDialog(d)
}

func (d *dialog) layout(w, h int) {
	d.width, d.height = w, h
	if d.kind == dlgPreview {
		d.preview.SetSize(w, max(h-d.fixedLines(), 1))
	}
	d.scroll(0)
}

// fixedLines is the rows a preview's table leaves for the rest.
func (d *dialog) fixedLines() int {
	n := 3 + len(wrap(d.text, d.width))
	if d.err != "" {
		n += 1 + len(wrap(d.err, d.width))
	}
	return n
}

// dialogKey gives a key to the dialog.
func (m *Model) dialogKey(k tea.KeyPressMsg) tea.Cmd {
	d := m.dlg
	dk, f, c := m.keys.Dialog, m.keys.Form, m.keys.Console
	switch d.kind {
	case dlgSecret:
		if key.Matches(k, c.Dismiss) {
			m.closeDialog()
		} else {
			d.scrollKey(k, c)
		}
		return nil
	case dlgInfo:
		if key.Matches(k, c.Dismiss, dk.Cancel) {
			m.closeDialog()
		} else {
			d.scrollKey(k, c)
		}
		return nil
	}
	if key.Matches(k, dk.Cancel) {
		// A busy answer still arrives: its outcome goes to the status line.
		m.closeDialog()
		return nil
	}
	if d.busy {
		return nil
	}
	switch d.kind {
	case dlgConfirm:
		switch {
		case key.Matches(k, dk.Yes):
			m.closeDialog()
			return d.onYes()
		case key.Matches(k, dk.No):
			m.closeDialog()
		}
	case dlgImportSource:
		switch {
		case key.Matches(k, c.ImportPaste):
			m.openDialog(m.importTextDialog())
		case key.Matches(k, c.ImportFile):
			m.openDialog(m.importPathDialog())
		}
	case dlgPrompt:
		switch {
		case key.Matches(k, dk.Accept):
			return d.submit(d)
		default:
			d.edit(k, dk.Delete, f.Clear, maxLine)
		}
	case dlgText:
		switch {
		case key.Matches(k, c.Preview):
			return d.submit(d)
		case key.Matches(k, c.Newline):
			d.add("\n", maxTextBytes)
		default:
			d.edit(k, dk.Delete, f.Clear, maxTextBytes)
		}
	case dlgForm:
		return m.formKey(d, k)
	case dlgPreview:
		switch {
		case key.Matches(k, dk.Yes):
			return m.importNow(d)
		case key.Matches(k, dk.No):
			m.closeDialog()
		case key.Matches(k, c.Up, c.Down, c.PageUp, c.PageDown, c.Top, c.Bottom):
			d.preview, _ = d.preview.Update(k)
		}
	}
	return nil
}

func (m *Model) formKey(d *dialog, k tea.KeyPressMsg) tea.Cmd {
	f, c := m.keys.Form, m.keys.Console
	fl := &d.fields[d.focus]
	switch {
	case key.Matches(k, f.Next):
		d.focus = (d.focus + 1) % len(d.fields)
	case key.Matches(k, f.Prev):
		d.focus = (d.focus + len(d.fields) - 1) % len(d.fields)
	case key.Matches(k, f.Submit):
		if d.focus < len(d.fields)-1 {
			d.focus++
			return nil
		}
		return d.submit(d)
	case fl.choices != nil && key.Matches(k, c.Choice):
		step := 1
		if k.String() == "left" {
			step = len(fl.choices) - 1
		}
		fl.pick = (fl.pick + step) % len(fl.choices)
		d.err = ""
	case fl.choices == nil && key.Matches(k, f.Delete):
		fl.value = dropLast(fl.value)
		d.err = ""
	case fl.choices == nil && key.Matches(k, f.Clear):
		fl.value = ""
		d.err = ""
	case fl.choices == nil:
		if t := table.Typed(k); t != "" && utf8.RuneCountInString(fl.value) < maxLine {
			fl.value += oneLine(t)
			d.err = ""
		}
	}
	return nil
}

// edit handles the keys that change a prompt's text.
func (d *dialog) edit(k tea.KeyPressMsg, del, clear key.Binding, limit int) {
	switch {
	case key.Matches(k, del):
		d.input = dropLast(d.input)
		d.err = ""
	case key.Matches(k, clear):
		d.input = ""
		d.err = ""
	default:
		if t := table.Typed(k); t != "" {
			d.add(t, limit)
		}
	}
}

// add appends text, up to limit (characters for a line, bytes for pasted text).
func (d *dialog) add(t string, limit int) {
	d.err = ""
	if d.kind == dlgText {
		if len(d.input)+len(t) > limit {
			d.err = "That is more than " + itoa(limit>>20) + " MiB of text; import it from a file on the server instead."
			return
		}
		d.input += t
		return
	}
	t = oneLine(t)
	if n := limit - utf8.RuneCountInString(d.input); n < utf8.RuneCountInString(t) {
		t = string([]rune(t)[:max(n, 0)])
	}
	d.input += t
}

// paste takes a bracketed paste: all of it in the pasted text, the first
// line elsewhere.
func (d *dialog) paste(content string) {
	if d.busy {
		return
	}
	content = strings.ReplaceAll(strings.ReplaceAll(content, "\r\n", "\n"), "\r", "\n")
	switch d.kind {
	case dlgText:
		d.add(keepText(content), maxTextBytes)
	case dlgPrompt:
		first, _, _ := strings.Cut(content, "\n")
		d.add(first, maxLine)
	case dlgForm:
		if fl := &d.fields[d.focus]; fl.choices == nil {
			first, _, _ := strings.Cut(content, "\n")
			fl.value += oneLine(first)
			if r := []rune(fl.value); len(r) > maxLine {
				fl.value = string(r[:maxLine])
			}
		}
	}
}

// oneLine drops what is not printable on one line (control characters).
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}

// keepText drops control characters but newlines and tabs.
func keepText(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

func dropLast(s string) string {
	_, n := utf8.DecodeLastRuneInString(s)
	return s[:len(s)-n]
}

// scrollKey scrolls the lines of a secret or an entry.
func (d *dialog) scrollKey(k tea.KeyPressMsg, c keys.Console) {
	page := max(d.lineRows()-1, 1)
	switch {
	case key.Matches(k, c.Up):
		d.scroll(-1)
	case key.Matches(k, c.Down):
		d.scroll(1)
	case key.Matches(k, c.PageUp):
		d.scroll(-page)
	case key.Matches(k, c.PageDown):
		d.scroll(page)
	case key.Matches(k, c.Top):
		d.offset = 0
	case key.Matches(k, c.Bottom):
		d.scroll(len(d.lines))
	}
}

func (d *dialog) scroll(by int) {
	d.offset = max(min(d.offset+by, len(d.lines)-d.lineRows()), 0)
}

// lineRows is the rows a secret's or an entry's lines get.
func (d *dialog) lineRows() int {
	return max(d.height-3-len(wrap(d.text, d.width)), 1)
}

// wrap cuts text into lines of the dialog's width (with a margin).
func wrap(text string, w int) []string {
	if text == "" {
		return nil
	}
	return strings.Split(ansi.Wrap(termtext.Safe(text), max(w-2, 1), ""), "\n")
}

// view draws the dialog in the body's place: exactly h lines of w cells.
func (d *dialog) view(m *Model, w, h int) string {
	th := m.theme
	var top, bottom []string
	top = append(top, th.Heading.Render(" "+termtext.Safe(d.title)), "")
	for _, l := range wrap(d.text, w) {
		top = append(top, th.Label.Render(" "+l))
	}
	if d.err != "" {
		bottom = append(bottom, "")
		for _, l := range wrap(d.err, w) {
			bottom = append(bottom, th.Error.Render(" "+l))
		}
	}
	if d.busy {
		bottom = append(bottom, "", th.Muted.Render(" Working… (esc closes this; the answer will show below)"))
	}
	room := max(h-len(top)-len(bottom)-1, 0) // a blank line under the text
	var mid []string
	switch d.kind {
	case dlgPrompt:
		mid = []string{d.inputLine(m, w)}
	case dlgText:
		mid = d.textLines(m, w, room)
	case dlgForm:
		mid = d.formLines(m, w)
	case dlgImportSource:
		c := m.keys.Console
		mid = []string{
			"  " + th.Help.FullKey.Render(c.ImportPaste.Help().Key) + "  paste the CSV text into this screen",
			"  " + th.Help.FullKey.Render(c.ImportFile.Help().Key) + "  read a CSV file on the server (type its path)",
		}
	case dlgPreview:
		t := d.preview
		t.SetSize(w, max(room, 1))
		if room > 0 {
			mid = strings.Split(t.View(), "\n")
		}
	case dlgSecret, dlgInfo:
		end := min(d.offset+room, len(d.lines))
		for _, l := range d.lines[min(d.offset, end):end] {
			line := "  " + termtext.Safe(l)
			if d.kind == dlgSecret {
				line = th.Input.Render(line)
			}
			mid = append(mid, line)
		}
	}
	if len(mid) > room {
		mid = mid[:room]
	}
	all := append(top, "")
	all = append(all, mid...)
	all = append(all, bottom...)
	return strings.Join(fitLines(all, w, h), "\n")
}

// inputLine is a prompt's text with the cursor after it; a long text shows its end.
func (d *dialog) inputLine(m *Model, w int) string {
	text := termtext.Safe(d.input)
	room := max(w-5, 1)
	if tw := termtext.Width(text); tw > room {
		text = ansi.TruncateLeft(text, tw-room+1, termtext.Ellipsis)
	}
	return " " + m.theme.Input.Render("> "+text) + m.theme.Cursor.Render(" ")
}

// textLines shows the end of the pasted text.
func (d *dialog) textLines(m *Model, w, room int) []string {
	if room <= 0 {
		return nil
	}
	n := strings.Count(d.input, "\n") + 1
	head := m.theme.Muted.Render(" " + plural(n, "line") + ", " + sizeText(len(d.input)) + ":")
	rows := room - 1
	var lines []string
	rest := d.input
	for len(lines) < rows {
		i := strings.LastIndexByte(rest, '\n')
		lines = append(lines, rest[i+1:])
		if i < 0 {
			break
		}
		rest = rest[:i]
	}
	out := []string{head}
	for i := len(lines) - 1; i >= 0; i-- {
		l := m.theme.Muted.Render(" │ ") + termtext.Fit(termtext.Safe(lines[i]), max(w-4, 1))
		if i == 0 {
			l += m.theme.Cursor.Render(" ")
		}
		out = append(out, l)
	}
	return out
}

func sizeText(n int) string {
	if n < 1024 {
		return plural(n, "byte")
	}
	return itoa(n>>10) + " KiB"
}

// formLines shows each field on a line: its label, then its value.
func (d *dialog) formLines(m *Model, w int) []string {
	labelW := 0
	for _, f := range d.fields {
		labelW = max(labelW, termtext.Width(f.label))
	}
	var out []string
	for i, f := range d.fields {
		focused := i == d.focus
		label := m.theme.Label.Render(" " + termtext.Pad(f.label, labelW) + "  ")
		if focused {
			label = m.theme.LabelFocused.Render(" " + termtext.Pad(f.label, labelW) + "  ")
		}
		value := termtext.Safe(f.text())
		room := max(w-labelW-5, 1)
		if f.choices != nil {
			if focused {
				value = "‹ " + value + " ›"
			}
			out = append(out, label+m.theme.Input.Render(termtext.Fit(value, room)))
			continue
		}
		if tw := termtext.Width(value); tw > room {
			value = ansi.TruncateLeft(value, tw-room+1, termtext.Ellipsis)
		}
		line := label + m.theme.Input.Render(value)
		if focused {
			line += m.theme.Cursor.Render(" ")
		}
		out = append(out, line)
	}
	return out
}

// fitLines makes exactly h lines, none wider than w.
func fitLines(lines []string, w, h int) []string {
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = ansi.Truncate(lines[i], w, "")
		}
	}
	return out
}

// helpBar is the help bar under the dialog.
func (d *dialog) helpBar(km keys.KeyMap) []key.Binding {
	dk, f, c := km.Dialog, km.Form, km.Console
	relabel := func(b key.Binding, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
	}
	if d.busy {
		return []key.Binding{relabel(dk.Cancel, "close")}
	}
	switch d.kind {
	case dlgConfirm:
		return []key.Binding{relabel(dk.Yes, d.yes), dk.No, dk.Cancel}
	case dlgPrompt:
		return []key.Binding{relabel(dk.Accept, d.accept), dk.Cancel, f.Clear}
	case dlgText:
		return []key.Binding{c.Preview, c.Newline, dk.Cancel, f.Clear}
	case dlgForm:
		bs := []key.Binding{relabel(f.Submit, "next/"+d.accept), f.Next, dk.Cancel}
		for _, fl := range d.fields {
			if fl.choices != nil {
				bs = append(bs, c.Choice)
				break
			}
		}
		return bs
	case dlgImportSource:
		return []key.Binding{c.ImportPaste, c.ImportFile, dk.Cancel}
	case dlgPreview:
		if d.canImport {
			return []key.Binding{relabel(dk.Yes, "import"), dk.No, c.Up, c.Down, c.PageDown}
		}
		return []key.Binding{relabel(dk.No, "back"), c.Up, c.Down, c.PageDown}
	case dlgSecret:
		return []key.Binding{relabel(c.Dismiss, "done: noted"), c.Up, c.Down}
	case dlgInfo:
		return []key.Binding{relabel(c.Dismiss, "close"), c.Up, c.Down}
	}
	return []key.Binding{dk.Cancel}
}
