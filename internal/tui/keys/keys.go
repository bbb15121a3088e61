// Package keys declares every key binding of the TUI once. Components match
// keys against these bindings and the help bar renders them, so what the
// help says is what the keys do.
//
// A key may appear in two bindings that are never active together: enter
// opens a folder in the file list and submits the password form. Within one
// context (see Contexts) every key has one meaning.
package keys

import "charm.land/bubbles/v2/key"

// Tree holds the file browser's bindings.
type Tree struct {
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding
	Expand   key.Binding // open a folder
	Collapse key.Binding // close a folder, or go to the parent
	Toggle   key.Binding // enter: open or close a folder
}

// Form holds the password form's bindings. Its fields take text, so none of
// them is a printable character.
type Form struct {
	Next   key.Binding // to the next field
	Prev   key.Binding // to the previous field
	Submit key.Binding // next field, or submit on the last (or when all are filled)
	Cancel key.Binding // only where the change is not forced
	Delete key.Binding // the last character typed
	Clear  key.Binding // the whole field
}

// KeyMap is the whole TUI's keymap. It implements help.KeyMap for the
// workspace's help bar.
type KeyMap struct {
	Tree Tree
	Form Form

	// Letters act only while the file list has focus: elsewhere they are text.
	Refresh key.Binding
	Quit    key.Binding

	// Function and control keys act wherever the help says they do.
	Password  key.Binding // opens the password form
	Help      key.Binding // opens and closes the full help
	Close     key.Binding // closes the full help
	ForceQuit key.Binding // quits from anywhere, even a forced password change
}

// Default returns the standard bindings. Arrow keys come with vi letters
// because some terminals and the browser's soft keyboards lack arrows.
func Default() KeyMap {
	return KeyMap{
		Tree: Tree{
			Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
			Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
			PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
			PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
			Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "first")),
			Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "last")),
			Expand:   key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "open folder")),
			Collapse: key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "close folder")),
			Toggle:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open/close")),
		},
		Form: Form{
			Next:   key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field")),
			Prev:   key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous field")),
			Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit")),
			Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
			Delete: key.NewBinding(key.WithKeys("backspace", "ctrl+h"), key.WithHelp("backspace", "delete")),
			Clear:  key.NewBinding(key.WithKeys("ctrl+u", "ctrl+w"), key.WithHelp("ctrl+u", "clear field")),
		},
		Refresh:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Password:  key.NewBinding(key.WithKeys("f8"), key.WithHelp("F8", "password")),
		Help:      key.NewBinding(key.WithKeys("f1"), key.WithHelp("F1", "help")),
		Close:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c", "ctrl+q"), key.WithHelp("ctrl+c", "quit")),
	}
}

// ShortHelp is the workspace's one-line help bar, most useful first: the bar
// drops what does not fit on the right, so quit comes early enough to
// survive at 20 columns, and F1 next because it leads to everything else.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Quit, k.Help, k.Tree.Up, k.Tree.Down, k.Tree.Toggle, k.Password, k.Refresh}
}

// FormHelp is the help bar under the password form. A forced change cannot
// be cancelled, so there quitting is the way out and comes first.
func (k KeyMap) FormHelp(cancellable bool) []key.Binding {
	if cancellable {
		return []key.Binding{k.Form.Cancel, k.Form.Submit, k.Form.Next, k.ForceQuit}
	}
	return []key.Binding{k.ForceQuit, k.Form.Submit, k.Form.Next}
}

// HelpScreenHelp is the help bar under the full help.
func (k KeyMap) HelpScreenHelp() []key.Binding {
	return []key.Binding{k.Close, k.Tree.Up, k.Tree.Down, k.ForceQuit}
}

// Entry is one line of the full help. Desc, when set, replaces the binding's
// own description, which is worded for the terse help bar.
type Entry struct {
	Binding key.Binding
	Desc    string
}

// Description is what the full help says the binding does.
func (e Entry) Description() string {
	if e.Desc != "" {
		return e.Desc
	}
	return e.Binding.Help().Desc
}

// Group is a titled group of the full help.
type Group struct {
	Title   string
	Entries []Entry
}

// Groups lists every binding for the full help screen.
func (k KeyMap) Groups() []Group {
	t, f := k.Tree, k.Form
	return []Group{
		{Title: "Files", Entries: []Entry{
			{Binding: t.Up}, {Binding: t.Down}, {Binding: t.PageUp}, {Binding: t.PageDown},
			{Binding: t.Top}, {Binding: t.Bottom}, {Binding: t.Expand}, {Binding: t.Collapse},
			{Binding: t.Toggle}, {Binding: k.Refresh, Desc: "refresh the list"},
		}},
		{Title: "Account", Entries: []Entry{
			{Binding: k.Password, Desc: "change password"},
		}},
		{Title: "Password form", Entries: []Entry{
			{Binding: f.Next}, {Binding: f.Prev},
			{Binding: f.Submit, Desc: "next field, or change"},
			{Binding: f.Cancel}, {Binding: f.Delete, Desc: "delete last character"},
			{Binding: f.Clear},
		}},
		{Title: "General", Entries: []Entry{
			{Binding: k.Help, Desc: "show or close this help"},
			{Binding: k.Close, Desc: "close this help"},
			{Binding: k.Quit, Desc: "quit (in the file list)"},
			{Binding: k.ForceQuit, Desc: "quit anywhere; ctrl+q too"},
		}},
	}
}

// FullHelp lists every binding, grouped in columns (help.KeyMap).
func (k KeyMap) FullHelp() [][]key.Binding {
	var out [][]key.Binding
	for _, g := range k.Groups() {
		bs := make([]key.Binding, len(g.Entries))
		for i, e := range g.Entries {
			bs[i] = e.Binding
		}
		out = append(out, bs)
	}
	return out
}

// Contexts are the sets of bindings active together, by name: the file
// list, the password form and the full help. A key must not have two
// meanings within one of them.
func (k KeyMap) Contexts() map[string][]key.Binding {
	t, f := k.Tree, k.Form
	return map[string][]key.Binding{
		"files": {t.Up, t.Down, t.PageUp, t.PageDown, t.Top, t.Bottom, t.Expand, t.Collapse, t.Toggle,
			k.Refresh, k.Quit, k.Password, k.Help, k.ForceQuit},
		"form": {f.Next, f.Prev, f.Submit, f.Cancel, f.Delete, f.Clear, k.Help, k.ForceQuit},
		"help": {k.Close, k.Help, t.Up, t.Down, t.PageUp, t.PageDown, t.Top, t.Bottom, k.ForceQuit},
	}
}
