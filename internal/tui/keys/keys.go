// Package keys declares every key binding of the TUI once. Components match
// keys against these bindings and the help bar renders them, so what the
// help says is what the keys do.
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

// KeyMap is the whole TUI's keymap. It implements help.KeyMap.
type KeyMap struct {
	Tree    Tree
	Refresh key.Binding
	Quit    key.Binding
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
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp is the one-line help bar, most useful first: the bar drops what
// does not fit on the right, so quit comes early enough to survive at 20 columns.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Quit, k.Tree.Up, k.Tree.Down, k.Tree.Toggle, k.Refresh}
}

// FullHelp lists every binding, grouped in columns.
func (k KeyMap) FullHelp() [][]key.Binding {
	t := k.Tree
	return [][]key.Binding{
		{t.Up, t.Down, t.PageUp, t.PageDown},
		{t.Top, t.Bottom, t.Expand, t.Collapse, t.Toggle},
		{k.Refresh, k.Quit},
	}
}
