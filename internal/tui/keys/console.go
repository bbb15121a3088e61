package keys

import "charm.land/bubbles/v2/key"

// The console's pages, as ConsoleHelp and the contexts name them.
const (
	ConsoleStudents      = "students"
	ConsoleLive          = "live"
	ConsoleHelpQueue     = "help"
	ConsoleAnnouncements = "announcements"
	ConsoleAudit         = "audit"
	ConsoleAssignments   = "assignments"
	ConsoleGrid          = "grid" // page 6's class grid of one assignment
)

// consoleListKeys are the keys of every console list, most useful first.
func (k KeyMap) consoleListKeys() []key.Binding {
	c := k.Console
	return []key.Binding{c.Up, c.Down, c.PageUp, c.PageDown, c.Top, c.Bottom, c.Open, c.Back, c.Filter, c.Sort, c.Reverse}
}

// consolePageKeys are the keys of one page of the console, its own first.
func (k KeyMap) consolePageKeys(page string) []key.Binding {
	c := k.Console
	switch page {
	case ConsoleStudents:
		return []key.Binding{c.Add, c.Edit, c.Disable, c.ResetPassword, c.Import, c.Export}
	case ConsoleLive:
		return []key.Binding{c.RestartREPL, c.EndSession, c.Browse}
	case ConsoleHelpQueue:
		return []key.Binding{c.Claim, c.Resolve}
	case ConsoleAnnouncements:
		return []key.Binding{c.Announce, c.EndAnnouncement}
	case ConsoleAudit, ConsoleAssignments:
		return []key.Binding{c.Refresh}
	case ConsoleGrid:
		return []key.Binding{c.Extend, c.Grade, c.Feedback}
	}
	return nil
}

// ConsoleHelp is the console's help bar on a page (ConsoleStudents...), most
// useful first: the bar drops what does not fit on the right.
func (k KeyMap) ConsoleHelp(page string) []key.Binding {
	c := k.Console
	what := "details"
	switch page {
	case ConsoleLive, ConsoleHelpQueue, ConsoleGrid:
		what = "watch"
	case ConsoleAssignments:
		what = "class grid"
	case ConsoleStudents:
		what = "edit"
	}
	open := key.NewBinding(key.WithKeys(c.Open.Keys()...), key.WithHelp(c.Open.Help().Key, what))
	out := []key.Binding{k.ForceQuit, k.Help}
	out = append(out, k.consolePageKeys(page)...)
	return append(out, open, c.Filter, c.Sort, c.Reverse, c.Page, c.NextPage, k.SwitchConsole)
}

// ConsoleFilterHelp is the help bar while a list's filter is being typed.
func (k KeyMap) ConsoleFilterHelp() []key.Binding {
	c := k.Console
	keep := key.NewBinding(key.WithKeys(c.Open.Keys()...), key.WithHelp(c.Open.Help().Key, "keep filter"))
	clear := key.NewBinding(key.WithKeys(c.Back.Keys()...), key.WithHelp(c.Back.Help().Key, "clear filter"))
	return []key.Binding{keep, clear, c.Up, c.Down, k.Form.Delete}
}

// ConsoleBrowseHelp is the help bar of the read-only file browser (the tree,
// or the viewer when viewing is true).
func (k KeyMap) ConsoleBrowseHelp(viewing bool) []key.Binding {
	if viewing {
		e := k.Editor
		return []key.Binding{k.Console.Back, k.Help, e.Find, e.GoToLine, e.Copy, e.PageDown, e.PageUp}
	}
	t := k.Tree
	open := key.NewBinding(key.WithKeys(t.Toggle.Keys()...), key.WithHelp(t.Toggle.Help().Key, "view/open"))
	return []key.Binding{k.Console.Back, k.Help, open, t.Up, t.Down, t.Hidden, k.Console.Page}
}

// ConsoleGroups is the console's full help (F1). It is the professor's: the
// student's help (Groups) does not list it.
func (k KeyMap) ConsoleGroups() []Group {
	c, f, d, t := k.Console, k.Form, k.Dialog, k.Tree
	watch := "watch the student (live view)"
	return []Group{
		{Title: "Console", Entries: []Entry{
			{Binding: c.Page, Desc: "Students, Live, Help, Announcements, Audit, Assignments (again: reload)"},
			{Binding: c.NextPage}, {Binding: c.PrevPage},
			{Binding: k.SwitchConsole, Desc: "your own workspace, and back"},
		}},
		{Title: "Every list", Entries: []Entry{
			{Binding: c.Up}, {Binding: c.Down}, {Binding: c.PageUp}, {Binding: c.PageDown},
			{Binding: c.Top}, {Binding: c.Bottom},
			{Binding: c.Open, Desc: "open the entry (edit a user, read an entry in full)"},
			{Binding: c.Back, Desc: "clear the filter, or go back"},
			{Binding: c.Filter, Desc: "filter: type to keep the matching rows"},
			{Binding: c.Sort, Desc: "sort by the next column"},
			{Binding: c.Reverse, Desc: "reverse the order"},
		}},
		{Title: "1 Students", Entries: []Entry{
			{Binding: c.Add, Desc: "add a user"},
			{Binding: c.Edit, Desc: "edit name, email, role"},
			{Binding: c.Disable, Desc: "disable or enable (asks)"},
			{Binding: c.ResetPassword, Desc: "reset the password (asks; shown once)"},
			{Binding: c.Import, Desc: "import a roster CSV (preview first)"},
			{Binding: c.Export, Desc: "export the roster as CSV to your home"},
		}},
		{Title: "2 Live", Entries: []Entry{
			{Binding: c.Open, Desc: watch},
			{Binding: c.TakeControl, Desc: "in the live view: take control (your keys then go to the student)"},
			{Binding: c.GiveBack, Desc: "in the live view: give control back (t would be typed to the student)"},
			{Binding: c.RestartREPL, Desc: "restart the student's Python (asks)"},
			{Binding: c.EndSession, Desc: "end the student's session with a message"},
			{Binding: c.Browse, Desc: "browse the student's files (read-only)"},
		}},
		{Title: "3 Help queue", Entries: []Entry{
			{Binding: c.Open, Desc: watch},
			{Binding: c.Claim, Desc: "claim the request, or give it up"},
			{Binding: c.Resolve, Desc: "mark resolved (asks; the student is told)"},
		}},
		{Title: "4 Announcements", Entries: []Entry{
			{Binding: c.Announce, Desc: "write one (enter sends it to every student)"},
			{Binding: c.EndAnnouncement, Desc: "end the selected one (asks)"},
		}},
		{Title: "5 Audit", Entries: []Entry{
			{Binding: c.Refresh, Desc: "load the latest entries"},
		}},
		{Title: "6 Assignments", Entries: []Entry{
			{Binding: c.Open, Desc: "open the class grid: a column per visible test, from students' checks, live"},
			{Binding: c.Refresh, Desc: "load the assignments again"},
			{Binding: c.Extend, Desc: "in the grid: extend the selected student (days, or a time)"},
			{Binding: c.Grade, Desc: "in the grid: grade every student whose deadline passed (asks; progress below)"},
			{Binding: c.Feedback, Desc: "in the grid: release the feedback to students (asks)"},
			{Binding: c.Back, Desc: "in the grid: back to the assignments"},
		}},
		{Title: "Browsing a student's files", Entries: []Entry{
			{Binding: t.Up}, {Binding: t.Down}, {Binding: t.Expand}, {Binding: t.Collapse},
			{Binding: t.Toggle, Desc: "view a file, open/close a folder"},
			{Binding: t.Hidden, Desc: "show or hide hidden files"},
			{Binding: c.Back, Desc: "back to the folder, then to Live"},
		}},
		{Title: "Forms and dialogs", Entries: []Entry{
			{Binding: f.Next}, {Binding: f.Prev},
			{Binding: c.Choice, Desc: "choose the role"},
			{Binding: f.Submit, Desc: "next field, or save"},
			{Binding: f.Clear},
			{Binding: d.Yes, Desc: "yes (in a question)"}, {Binding: d.No, Desc: "no"},
			{Binding: c.ImportPaste, Desc: "import: paste the CSV text"},
			{Binding: c.ImportFile, Desc: "import: a file on the server"},
			{Binding: c.Preview, Desc: "pasted text complete: preview"},
			{Binding: c.Dismiss, Desc: "close a password shown once"},
			{Binding: d.Cancel},
		}},
		{Title: "General", Entries: []Entry{
			{Binding: k.Help, Desc: "show or close this help"},
			{Binding: k.Close, Desc: "close this help"},
			{Binding: k.ForceQuit, Desc: "quit"},
		}},
	}
}

// consoleContexts are the console's sets of bindings active together.
func (k KeyMap) consoleContexts() map[string][]key.Binding {
	c, f, d, t, e := k.Console, k.Form, k.Dialog, k.Tree, k.Editor
	out := map[string][]key.Binding{}
	for _, page := range []string{ConsoleStudents, ConsoleLive, ConsoleHelpQueue, ConsoleAnnouncements, ConsoleAudit, ConsoleAssignments, ConsoleGrid} {
		bs := append(k.consoleListKeys(), c.Page, c.NextPage, c.PrevPage, k.Help, k.ForceQuit, k.SwitchConsole)
		out["console "+page] = append(bs, k.consolePageKeys(page)...)
	}
	// These take text: none of their keys may be printable (see keys_test).
	out["console filter"] = []key.Binding{c.Up, c.Down, c.PageUp, c.PageDown, c.Top, c.Bottom, c.Open, c.Back,
		f.Delete, f.Clear, k.Help, k.ForceQuit}
	out["console form"] = []key.Binding{f.Next, f.Prev, f.Submit, f.Cancel, f.Delete, f.Clear, c.Choice, k.Help, k.ForceQuit}
	out["console prompt"] = []key.Binding{d.Accept, d.Cancel, d.Delete, f.Clear, k.Help, k.ForceQuit}
	out["console text"] = []key.Binding{c.Newline, c.Preview, d.Cancel, d.Delete, f.Clear, k.Help, k.ForceQuit}

	out["console import"] = []key.Binding{c.ImportPaste, c.ImportFile, d.Cancel, k.Help, k.ForceQuit}
	out["console confirm"] = []key.Binding{d.Yes, d.No, d.Cancel, k.Help, k.ForceQuit}
	out["console preview"] = []key.Binding{d.Yes, d.No, d.Cancel, c.Up, c.Down, c.PageUp, c.PageDown, c.Top, c.Bottom,
		k.Help, k.ForceQuit}
	out["console secret"] = []key.Binding{c.Dismiss, c.Up, c.Down, c.PageUp, c.PageDown, c.Top, c.Bottom, k.Help, k.ForceQuit}
	out["console browse"] = []key.Binding{t.Up, t.Down, t.PageUp, t.PageDown, t.Top, t.Bottom, t.Expand, t.Collapse,
		t.Toggle, t.Hidden, c.Back, c.Page, c.NextPage, c.PrevPage, k.Help, k.ForceQuit, k.SwitchConsole}
	// ctrl+c copies here while something is selected (as in the editor), so
	// only ctrl+q quits.
	out["console viewer"] = []key.Binding{e.Up, e.Down, e.Left, e.Right, e.WordLeft, e.WordRight, e.Home, e.End,
		e.PageUp, e.PageDown, e.Top, e.Bottom, e.SelectUp, e.SelectDown, e.SelectLeft, e.SelectRight,
		e.SelectAll, e.Copy, e.Find, e.GoToLine, c.Back, k.Help, k.SwitchConsole,
		key.NewBinding(key.WithKeys("ctrl+q"), key.WithHelp("ctrl+q", "quit"))}
	return out
}
