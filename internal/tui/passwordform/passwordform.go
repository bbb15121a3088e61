// Package passwordform is the form in which a student changes their
// password: the current one, then the new one twice. What is typed is shown
// as bullets, one per character, never as itself.
//
// The fields are this package's own rather than bubbles' textinput: textinput
// reads the clipboard of the machine it runs on for ctrl+v, which here is the
// server, not the student's computer. Pasting arrives as a bracketed paste.
package passwordform

import (
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

// MaxBytes is the longest password a field takes: bcrypt uses 72 bytes and
// x/crypto/bcrypt refuses longer ones.
const MaxBytes = 72

// ChangeFunc checks the current password and stores the next one. It may be
// slow (bcrypt, a database write), so the form calls it in a command, never in
// Update. Its error is shown to the student as a sentence.
type ChangeFunc func(current, next string) error

// Options configure a form.
type Options struct {
	Title       string // the heading
	Intro       string // a sentence under the heading; may be empty
	Cancellable bool   // whether esc closes the form (a forced change cannot be cancelled)
	Change      ChangeFunc
}

// ChangedMsg is sent when the password was changed. The fields are already
// cleared.
type ChangedMsg struct{}

// CancelledMsg is sent when the student cancels the form.
type CancelledMsg struct{}

// errUnavailable is the answer when the form was built without a ChangeFunc.
var errUnavailable = errors.New("changing your password is not available on this server; ask your teacher")

// resultMsg carries the ChangeFunc's answer. owner identifies the form that
// asked, so a late answer never lands in a newer form.
type resultMsg struct {
	owner *int
	err   error
}

const (
	fieldCurrent = iota
	fieldNew
	fieldAgain
	numFields
)

// Model is the form. Like other Bubble Tea components it is used by value,
// but the fields' bytes are shared between copies: keep only the latest copy
// returned by Update.
type Model struct {
	opts  Options
	keys  keys.Form
	theme theme.Theme
	owner *int

	fields [numFields]field
	focus  int
	busy   bool   // the ChangeFunc is running
	msg    string // a sentence under the fields
	msgErr bool   // whether msg says something went wrong

	width, height int
}

// New returns a form with the first field focused.
func New(opts Options, km keys.Form, th theme.Theme) Model {
	m := Model{opts: opts, keys: km, theme: th, owner: new(int)}
	for i, label := range []string{"Current password", "New password", "New password again"} {
		m.fields[i] = newField(label)
	}
	return m
}

// Init does nothing: the form waits for keys.
func (m Model) Init() tea.Cmd { return nil }

// SetSize sets the cells the form draws into.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(width, 0), max(height, 0)
}

// SetTheme changes the styles (after the terminal reports its background).
func (m *Model) SetTheme(th theme.Theme) { m.theme = th }

// Cancellable reports whether esc closes the form.
func (m Model) Cancellable() bool { return m.opts.Cancellable }

// Busy reports whether the form is waiting for the ChangeFunc.
func (m Model) Busy() bool { return m.busy }

// Clear forgets everything typed, as when the form is closed.
func (m *Model) Clear() {
	for i := range m.fields {
		m.fields[i].clear()
	}
}

// Update handles keys, pastes and the ChangeFunc's answer.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		if msg.owner != m.owner {
			return m, nil
		}
		return m.finish(msg.err)
	case tea.PasteMsg:
		if !m.busy {
			m.insert(pasted(msg.Content))
		}
		return m, nil
	case tea.KeyPressMsg:
		// While checking, the fields hold what is being checked: typing
		// or cancelling then would not undo a change already under way.
		if m.busy {
			return m, nil
		}
		return m.handleKey(msg)
	}
	return m, nil
}

func (m Model) handleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Cancel):
		if !m.opts.Cancellable {
			return m, nil
		}
		m.Clear()
		return m, func() tea.Msg { return CancelledMsg{} }
	case key.Matches(msg, k.Next):
		m.focus = (m.focus + 1) % numFields
	case key.Matches(msg, k.Prev):
		m.focus = (m.focus + numFields - 1) % numFields
	case key.Matches(msg, k.Submit):
		if m.focus == numFields-1 || m.allFilled() {
			return m.submit()
		}
		m.focus++
	case key.Matches(msg, k.Delete):
		m.fields[m.focus].deleteLast()
	case key.Matches(msg, k.Clear):
		// ctrl+w clears too: deleting a word one cannot see is guesswork.
		m.fields[m.focus].clear()
	default:
		// Text is empty for keys that type nothing (arrows, F-keys, ctrl+…).
		m.insert(msg.Text)
	}
	return m, nil
}

func (m *Model) insert(text string) {
	if !m.fields[m.focus].insert(text) {
		m.say("A password can be at most 72 bytes long; the rest was left out.", true)
	}
}

// pasted is the part of a paste that belongs in a field: its first line, so
// that a password copied with its line ending does not gain a character.
func pasted(s string) string {
	s, _, _ = strings.Cut(strings.TrimLeft(s, "\r\n"), "\n")
	return strings.TrimSuffix(s, "\r")
}

func (m Model) allFilled() bool {
	for _, f := range m.fields {
		if len(f.value) == 0 {
			return false
		}
	}
	return true
}

// submit checks what it can without the ChangeFunc, then calls it in a
// command. The strings passed are copies: the fields can be wiped while the
// command runs.
func (m Model) submit() (Model, tea.Cmd) {
	cur, next, again := m.fields[fieldCurrent].value, m.fields[fieldNew].value, m.fields[fieldAgain].value
	switch {
	case len(cur) == 0:
		m.focus = fieldCurrent
		m.say("Type your current password first.", true)
		return m, nil
	case len(next) == 0:
		m.focus = fieldNew
		m.say("Type a new password.", true)
		return m, nil
	case !slices.Equal(next, again):
		// Both are cleared: bullets cannot show which one has the typo.
		m.fields[fieldNew].clear()
		m.fields[fieldAgain].clear()
		m.focus = fieldNew
		m.say("The new passwords do not match. Type the new one twice again.", true)
		return m, nil
	}
	change, current, nextPw, owner := m.opts.Change, string(cur), string(next), m.owner
	m.busy = true
	m.say("Checking…", false)
	return m, func() tea.Msg {
		if change == nil {
			return resultMsg{owner: owner, err: errUnavailable}
		}
		return resultMsg{owner: owner, err: change(current, nextPw)}
	}
}

// finish takes the ChangeFunc's answer. On failure the current password is
// cleared (it is the field most often wrong, and need not stay in memory);
// the new ones stay so that a mistyped current password costs one field.
func (m Model) finish(err error) (Model, tea.Cmd) {
	m.busy = false
	if err != nil {
		m.fields[fieldCurrent].clear()
		m.focus = fieldCurrent
		m.say(sentence(err.Error()), true)
		return m, nil
	}
	m.Clear()
	m.focus = fieldCurrent
	m.say("", false)
	return m, func() tea.Msg { return ChangedMsg{} }
}

func (m *Model) say(text string, isErr bool) { m.msg, m.msgErr = text, isErr }

// sentence turns an error's text into a sentence: capital first, full stop
// last, nothing a terminal would interpret.
func sentence(s string) string {
	s = strings.TrimSpace(termtext.Safe(s))
	if s == "" {
		return "Something went wrong. Try again."
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.ContainsAny(s[len(s)-1:], ".!?") && !strings.HasSuffix(s, "…") {
		s += "."
	}
	return s
}

// field is one masked input. Its bytes have a fixed capacity of MaxBytes,
// so typing never copies them elsewhere and clear wipes the only copy.
type field struct {
	label string
	value []byte
}

func newField(label string) field {
	return field{label: label, value: make([]byte, 0, MaxBytes)}
}

// insert appends what it can of text, leaving out control characters and
// invalid UTF-8. It reports false when text did not fit in MaxBytes.
func (f *field) insert(text string) bool {
	for _, r := range text {
		if r == utf8.RuneError || unicode.IsControl(r) {
			continue
		}
		if len(f.value)+utf8.RuneLen(r) > MaxBytes {
			return false
		}
		f.value = utf8.AppendRune(f.value, r)
	}
	return true
}

func (f *field) deleteLast() {
	_, n := utf8.DecodeLastRune(f.value)
	clear(f.value[len(f.value)-n:])
	f.value = f.value[:len(f.value)-n]
}

func (f *field) clear() {
	clear(f.value)
	f.value = f.value[:0]
}

// Layout. The form is at most maxWidth wide, for lines one can read; the
// label sits left of its field when there is room for both.
const (
	maxWidth    = 64
	marker      = "▸ " // before the focused field, so focus shows without colour
	labelGap    = 2
	minInput    = 8
	inlineLabel = 18 // the widest label, "New password again"
)

// View draws exactly height lines, none wider than width. When the height
// is short, the focused field and the message come first, then the
// heading, the other fields and the introduction.
func (m Model) View() string {
	w, h := min(m.width, maxWidth), m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	type block struct {
		lines []string
		prio  int                  // lower is kept first
		cut   func(n int) []string // how to show it in fewer lines, if it can be
	}
	var blocks []block
	blocks = append(blocks, block{lines: []string{m.theme.Heading.Render(termtext.Fit(m.opts.Title, w))}, prio: 2})
	if m.opts.Intro != "" {
		blocks = append(blocks, block{lines: m.wrap(m.opts.Intro, w, m.theme.File.Render), prio: 5})
	}
	blocks = append(blocks, block{lines: []string{""}, prio: 6})
	for i := range m.fields {
		lines := m.fieldView(i, w)
		b := block{lines: lines, prio: 3}
		if i == m.focus {
			// Too short for the label: the line being typed into stays.
			b.prio, b.cut = 0, func(n int) []string { return lines[len(lines)-n:] }
		}
		blocks = append(blocks, b)
	}
	if m.msg != "" {
		style := m.theme.Muted.Render
		if m.msgErr {
			style = m.theme.Error.Render
		}
		lines := m.wrap(m.msg, w, style)
		blocks = append(blocks,
			block{lines: []string{""}, prio: 7},
			block{lines: lines, prio: 1, cut: func(n int) []string {
				// The last line that fits ends with an ellipsis.
				rest := strings.Join(strings.Split(ansi.Wrap(m.msg, w, ""), "\n")[n-1:], " ")
				return append(slices.Clone(lines[:n-1]), style(termtext.Fit(rest, w)))
			}},
		)
	}

	kept := make([][]string, len(blocks))
	order := make([]int, len(blocks))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return blocks[a].prio - blocks[b].prio })
	room := h
	for _, i := range order {
		b := blocks[i]
		switch {
		case len(b.lines) <= room:
			kept[i] = b.lines
		case b.cut != nil && room > 0:
			kept[i] = b.cut(room)
		}
		room -= len(kept[i])
	}
	out := make([]string, 0, h)
	for _, ls := range kept {
		out = append(out, ls...)
	}
	for len(out) < h {
		out = append(out, "")
	}
	return strings.Join(out, "\n")
}

// wrap breaks text into styled lines of at most w cells.
func (m Model) wrap(text string, w int, style func(...string) string) []string {
	lines := strings.Split(ansi.Wrap(text, w, ""), "\n")
	for i, l := range lines {
		lines[i] = style(termtext.Fit(l, w))
	}
	return lines
}

// fieldView is a field's label and input: on one line when the width
// allows, else the label above the input.
func (m Model) fieldView(i, w int) []string {
	f := m.fields[i]
	focused := i == m.focus
	prefix, label := "  ", m.theme.Label.Render
	if focused {
		prefix, label = marker, m.theme.LabelFocused.Render
	}
	pw := termtext.Width(prefix)
	if inline := w - pw - inlineLabel - labelGap; inline >= minInput {
		name := termtext.Pad(f.label, inlineLabel+labelGap)
		return []string{prefix + label(name) + m.input(f, focused, inline)}
	}
	return []string{
		termtext.Fit(prefix+label(f.label), w),
		strings.Repeat(" ", min(pw, w)) + m.input(f, focused, w-pw),
	}
}

// input shows one bullet per character typed, and the cursor after them.
// When they do not fit, the first shown is an ellipsis.
func (m Model) input(f field, focused bool, w int) string {
	if w <= 0 {
		return ""
	}
	n := utf8.RuneCount(f.value)
	room := w
	if focused {
		room-- // the cursor's cell
	}
	dots := strings.Repeat("•", min(n, room))
	if n > room && room > 0 {
		dots = termtext.Ellipsis + strings.Repeat("•", room-1)
	}
	out := m.theme.Input.Render(dots)
	if focused {
		out += m.theme.Cursor.Render(" ")
	}
	return out
}
