package keys

import "charm.land/bubbles/v2/key"

// Assignment holds the keys of the student's assignment panel (opened with
// Workspace.Assignments). It takes no text, so letters are commands there.
type Assignment struct {
	Check          key.Binding // run the visible tests on the current files
	Submit         key.Binding // hand the files in now (asks first)
	Prev, Next     key.Binding // the other assignments
	Up, Down       key.Binding // scroll the README and results
	PageUp, PageDn key.Binding
	Close          key.Binding
}

func defaultAssignment() Assignment {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return Assignment{
		Check:  b("c", "check", "c"),
		Submit: b("s", "submit", "s"),
		Prev:   b("←", "previous assignment", "left"),
		Next:   b("→", "next assignment", "right"),
		Up:     b("↑", "scroll up", "up"),
		Down:   b("↓", "scroll down", "down"),
		PageUp: b("pgup", "page up", "pgup"),
		PageDn: b("pgdn", "page down", "pgdown"),
		Close:  b("esc", "close", "esc"),
	}
}

// AssignmentHelp is the help bar of the assignment panel.
func (k KeyMap) AssignmentHelp() []key.Binding {
	a := k.Assignment
	return []key.Binding{a.Close, a.Check, a.Submit, k.Help, a.Prev, a.Next, a.Down, a.Up, k.ForceQuit}
}

// AssignmentGroup is the full help's part about the assignment panel.
func (k KeyMap) AssignmentGroup() Group {
	a := k.Assignment
	return Group{Title: "Assignments", Entries: []Entry{
		{Binding: k.Workspace.Assignments, Desc: "assignments: due, README, check, submit; ctrl+o too"},
		{Binding: a.Check, Desc: "check: the visible tests on your files"},
		{Binding: a.Submit, Desc: "submit your files now (asks; a receipt)"},
		{Binding: key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "other assignments"))},
		{Binding: a.Close, Desc: "close the panel (a check goes on)"},
	}}
}

// assignmentContexts are the panel's keys, active together.
func (k KeyMap) assignmentContexts() map[string][]key.Binding {
	a, d := k.Assignment, k.Dialog
	return map[string][]key.Binding{
		"assignments": {a.Check, a.Submit, a.Prev, a.Next, a.Up, a.Down, a.PageUp, a.PageDn, a.Close,
			k.Workspace.Assignments, k.Help, k.ForceQuit},
		"assignments confirm": {d.Yes, d.No, d.Cancel, k.Help, k.ForceQuit},
	}
}
