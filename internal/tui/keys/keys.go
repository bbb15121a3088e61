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

	// File operations, handled by the workspace (the file list only moves).
	NewFile   key.Binding // in the selected folder, or beside the selected file
	NewFolder key.Binding
	Rename    key.Binding // rename or move: a path typed from the home
	Duplicate key.Binding
	Delete    key.Binding // asks first, saying what it holds
	Hidden    key.Binding // show or hide names starting with "."
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

// Editor holds the editor's bindings. Printable characters are text there,
// so none of them is a printable character.
//
// ctrl+c copies only while something is selected: with nothing selected the
// editor leaves ctrl+c to the workspace (which quits), so a student who
// presses it out of habit is not surprised either way. The workspace asks
// the editor first (editor.Model.Handles).
type Editor struct {
	Up, Down, Left, Right key.Binding
	WordLeft, WordRight   key.Binding
	Home, End             key.Binding // the line's first non-blank or start; its end
	PageUp, PageDown      key.Binding
	Top, Bottom           key.Binding // the start and end of the file

	SelectUp, SelectDown, SelectLeft, SelectRight key.Binding
	SelectWordLeft, SelectWordRight               key.Binding
	SelectHome, SelectEnd                         key.Binding
	SelectPageUp, SelectPageDown                  key.Binding
	SelectTop, SelectBottom                       key.Binding
	SelectAll                                     key.Binding

	Newline   key.Binding // with auto-indent
	Indent    key.Binding // tab: spaces to the next stop, or indent the selected lines
	Dedent    key.Binding
	Backspace key.Binding // in the indentation, one level
	Delete    key.Binding

	Undo, Redo       key.Binding
	Cut, Copy, Paste key.Binding

	Find     key.Binding // opens the find prompt
	GoToLine key.Binding // opens the go-to-line prompt

	// In the find and go-to-line prompts, which take text.
	PromptNext   key.Binding // enter: the next match, or go to the line
	PromptPrev   key.Binding // the previous match
	PromptCase   key.Binding // find ignores case, or not
	PromptDelete key.Binding
	PromptClose  key.Binding
}

// Workspace holds the keys that act in every pane of the workspace. None is
// a printable character, since the editor and the REPL take text. In the
// REPL pane only the function keys, ctrl+s and ctrl+q are the workspace's:
// every other key goes to Python (ctrl+r, ctrl+p, ctrl+n and ctrl+w are
// readline's there).
type Workspace struct {
	FocusFiles  key.Binding
	FocusEditor key.Binding
	FocusREPL   key.Binding
	Run         key.Binding // save and run the current file in the REPL
	RestartREPL key.Binding // a fresh Python, even when the program is stuck
	AskHelp     key.Binding // put me in the professor's help queue
	Dismiss     key.Binding // hide the announcement shown on top
	Save        key.Binding
	CloseTab    key.Binding
	NewFile     key.Binding
	QuickOpen   key.Binding
	NextTab     key.Binding
	PrevTab     key.Binding
	Assignments key.Binding // the assignment panel (assignments.go)
	Figures     key.Binding // how this terminal draws figures (figures.go)
}

// REPL holds the keys the REPL pane explains; they are Python's (the pane
// sends them on), except Restart when Python is not running.
type REPL struct {
	Interrupt key.Binding // KeyboardInterrupt
	EOF       key.Binding // ends Python at an empty prompt
	Restart   key.Binding // starts Python again when it is not running
	// Earlier and Later scroll the pane through the output that went off
	// its top (the scrollback); any other key returns to the end.
	Earlier key.Binding
	Later   key.Binding
}

// Dialog holds the keys of the workspace's dialogs (questions, a name to
// type, quick open). Answers are letters only in questions, which take no
// text.
type Dialog struct {
	Accept key.Binding // enter: the name typed, the file chosen
	Cancel key.Binding
	Up     key.Binding
	Down   key.Binding
	Delete key.Binding

	// Answers to questions, which take no text.
	Save    key.Binding
	Discard key.Binding
	Keep    key.Binding // quit and keep unsaved changes in the workspace
	Recover key.Binding
	Yes     key.Binding // do it (delete)
	No      key.Binding // do not (as esc)
}

// Console holds the bindings of the professor's console. Its lists take no
// text until Filter opens the filter line, so letters are commands there,
// and a letter may mean different things on different pages (r restarts
// Python on Live, resolves a request on Help, reloads the audit). Its forms
// and prompts use the Form and Dialog bindings.
type Console struct {
	Page     key.Binding // 1-5: the page of that number (pressed again: reload it)
	NextPage key.Binding
	PrevPage key.Binding

	// Every list. No vi letters: letters are the pages' commands.
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open                                    key.Binding // enter: the selected entry
	Back                                    key.Binding // esc: clears the filter, goes back
	Filter                                  key.Binding // type to keep only the matching rows
	Sort                                    key.Binding // sort by the next column
	Reverse                                 key.Binding // flip the order

	// Students.
	Add, Edit, Disable, ResetPassword, Import, Export key.Binding
	// Where a roster to import comes from, and the pasted text's keys.
	ImportPaste, ImportFile key.Binding
	Newline                 key.Binding // enter in the pasted text
	Preview                 key.Binding // the pasted text is complete: show what it would change
	Choice                  key.Binding // the role in the user form
	Dismiss                 key.Binding // a password shown once was noted

	// Live.
	RestartREPL, EndSession, Browse key.Binding
	TakeControl                     key.Binding // in the live view: the professor types for the student
	// GiveBack ends control: not t, which is typed to the student then.
	GiveBack key.Binding
	// Help queue.
	Claim, Resolve key.Binding
	// Announcements.
	Announce, EndAnnouncement key.Binding
	// Audit.
	Refresh key.Binding
	// Assignments' class grid.
	Extend, Grade, Feedback key.Binding
}

// KeyMap is the whole TUI's keymap. It implements help.KeyMap for the
// workspace's help bar.
type KeyMap struct {
	Tree      Tree
	Form      Form
	Editor    Editor
	Workspace Workspace
	REPL      REPL
	Dialog    Dialog
	Console   Console
	// Assignment is the student's assignment panel (assignments.go).
	Assignment Assignment

	// Letters act only while the file list has focus: elsewhere they are text.
	Refresh key.Binding
	Quit    key.Binding

	// Function and control keys act wherever the help says they do.
	Password key.Binding // opens the password form
	Help     key.Binding // opens and closes the full help
	Close    key.Binding // closes the full help
	// ForceQuit quits from anywhere, even a forced password change; in the
	// workspace it asks first when files have unsaved changes. ctrl+c is
	// Python's in the REPL pane and copies in the editor while something is
	// selected.
	ForceQuit key.Binding
	// SwitchConsole takes a professor from the console to their own
	// workspace and back.
	SwitchConsole key.Binding
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

			NewFile:   key.NewBinding(key.WithKeys("a", "n"), key.WithHelp("a", "new file")),
			NewFolder: key.NewBinding(key.WithKeys("A", "N"), key.WithHelp("A", "new folder")),
			Rename:    key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "rename/move")),
			Duplicate: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "duplicate")),
			Delete:    key.NewBinding(key.WithKeys("d", "delete"), key.WithHelp("d", "delete")),
			Hidden:    key.NewBinding(key.WithKeys("."), key.WithHelp(".", "hidden files")),
		},
		Form: Form{
			Next:   key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field")),
			Prev:   key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous field")),
			Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit")),
			Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
			Delete: key.NewBinding(key.WithKeys("backspace", "ctrl+h"), key.WithHelp("backspace", "delete")),
			Clear:  key.NewBinding(key.WithKeys("ctrl+u", "ctrl+w"), key.WithHelp("ctrl+u", "clear field")),
		},
		Editor: defaultEditor(),
		Workspace: Workspace{
			FocusFiles:  key.NewBinding(key.WithKeys("f2"), key.WithHelp("F2", "files")),
			FocusEditor: key.NewBinding(key.WithKeys("f3"), key.WithHelp("F3", "editor")),
			FocusREPL:   key.NewBinding(key.WithKeys("f4"), key.WithHelp("F4", "python")),
			Run:         key.NewBinding(key.WithKeys("f5", "ctrl+r"), key.WithHelp("F5", "run")),
			RestartREPL: key.NewBinding(key.WithKeys("ctrl+f5"), key.WithHelp("ctrl+F5", "restart python")),
			AskHelp:     key.NewBinding(key.WithKeys("f9"), key.WithHelp("F9", "ask for help")),
			Dismiss:     key.NewBinding(key.WithKeys("f12"), key.WithHelp("F12", "dismiss")),
			Save:        key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save")),
			CloseTab:    key.NewBinding(key.WithKeys("ctrl+w"), key.WithHelp("ctrl+w", "close tab")),
			NewFile:     key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("ctrl+n", "new file")),
			QuickOpen:   key.NewBinding(key.WithKeys("ctrl+p"), key.WithHelp("ctrl+p", "open")),
			NextTab:     key.NewBinding(key.WithKeys("f7", "ctrl+pgdown"), key.WithHelp("F7", "next tab")),
			PrevTab:     key.NewBinding(key.WithKeys("f6", "ctrl+pgup"), key.WithHelp("F6", "previous tab")),
			// F11 is the one function key left; some terminals and browsers
			// take it for full screen, hence ctrl+o (outside Python).
			Assignments: key.NewBinding(key.WithKeys("f11", "ctrl+o"), key.WithHelp("F11", "assignments")),
			Figures:     key.NewBinding(key.WithKeys("ctrl+f4"), key.WithHelp("ctrl+F4", "figures")),
		},
		REPL: REPL{
			Interrupt: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "interrupt")),
			EOF:       key.NewBinding(key.WithKeys("ctrl+d"), key.WithHelp("ctrl+d", "end python")),
			Restart:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "restart")),
			Earlier:   key.NewBinding(key.WithKeys("shift+pgup"), key.WithHelp("shift+pgup", "earlier output")),
			Later:     key.NewBinding(key.WithKeys("shift+pgdown"), key.WithHelp("shift+pgdn", "later output")),
		},
		Dialog: Dialog{
			Accept: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")),
			Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
			Up:     key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "up")),
			Down:   key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "down")),
			Delete: key.NewBinding(key.WithKeys("backspace", "ctrl+h"), key.WithHelp("backspace", "delete")),

			Save:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save")),
			Discard: key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "discard")),
			Keep:    key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "keep for later")),
			Recover: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "recover")),
			Yes:     key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
			No:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "no")),
		},
		Refresh:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Quit:       key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Password:   key.NewBinding(key.WithKeys("f8"), key.WithHelp("F8", "password")),
		Help:       key.NewBinding(key.WithKeys("f1"), key.WithHelp("F1", "help")),
		Close:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
		ForceQuit:  key.NewBinding(key.WithKeys("ctrl+q", "ctrl+c"), key.WithHelp("ctrl+q", "quit")),
		Console:    defaultConsole(),
		Assignment: defaultAssignment(),

		SwitchConsole: key.NewBinding(key.WithKeys("f10"), key.WithHelp("F10", "console/workspace")),
	}
}

func defaultConsole() Console {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return Console{
		Page:     b("1-6", "page", "1", "2", "3", "4", "5", "6"),
		NextPage: b("tab", "next page", "tab"),
		PrevPage: b("shift+tab", "previous page", "shift+tab"),

		Up:       b("↑", "up", "up"),
		Down:     b("↓", "down", "down"),
		PageUp:   b("pgup", "page up", "pgup"),
		PageDown: b("pgdn", "page down", "pgdown"),
		Top:      b("home", "first", "home"),
		Bottom:   b("end", "last", "end"),
		Open:     b("enter", "open", "enter"),
		Back:     b("esc", "back", "esc"),
		Filter:   b("/", "filter", "/"),
		Sort:     b("s", "sort", "s"),
		Reverse:  b("S", "reverse", "S"),

		Add:           b("a", "add", "a"),
		Edit:          b("e", "edit", "e"),
		Disable:       b("d", "disable/enable", "d"),
		ResetPassword: b("p", "reset password", "p"),
		Import:        b("i", "import", "i"),
		Export:        b("x", "export", "x"),
		ImportPaste:   b("p", "paste CSV", "p"),
		ImportFile:    b("f", "file on the server", "f"),
		Newline:       b("enter", "new line", "enter"),
		Preview:       b("ctrl+d", "preview", "ctrl+d"),
		Choice:        b("←/→", "role", "left", "right"),
		Dismiss:       b("enter", "done", "enter"),

		RestartREPL: b("r", "restart python", "r"),
		EndSession:  b("k", "end session", "k"),
		Browse:      b("b", "browse files", "b"),
		TakeControl: b("t", "take control", "t"),
		GiveBack:    b("ctrl+t", "give control back", "ctrl+t"),

		Claim:   b("c", "claim/unclaim", "c"),
		Resolve: b("r", "resolve", "r"),

		Announce:        b("n", "new", "n"),
		EndAnnouncement: b("x", "end", "x"),

		Refresh: b("r", "refresh", "r"),

		Extend:   b("e", "extend", "e"),
		Grade:    b("g", "grade", "g"),
		Feedback: b("f", "release feedback", "f"),
	}
}

func defaultEditor() Editor {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	k := func(keys ...string) []string { return keys }
	return Editor{
		Up:        b(k("up"), "↑", "line up"),
		Down:      b(k("down"), "↓", "line down"),
		Left:      b(k("left"), "←", "character left"),
		Right:     b(k("right"), "→", "character right"),
		WordLeft:  b(k("ctrl+left", "alt+left", "alt+b"), "ctrl+←", "word left"),
		WordRight: b(k("ctrl+right", "alt+right", "alt+f"), "ctrl+→", "word right"),
		Home:      b(k("home"), "home", "start of line"),
		End:       b(k("end"), "end", "end of line"),
		PageUp:    b(k("pgup"), "pgup", "page up"),
		PageDown:  b(k("pgdown"), "pgdn", "page down"),
		Top:       b(k("ctrl+home"), "ctrl+home", "start of file"),
		Bottom:    b(k("ctrl+end"), "ctrl+end", "end of file"),

		SelectUp:        b(k("shift+up"), "shift+↑", "select up"),
		SelectDown:      b(k("shift+down"), "shift+↓", "select down"),
		SelectLeft:      b(k("shift+left"), "shift+←", "select left"),
		SelectRight:     b(k("shift+right"), "shift+→", "select right"),
		SelectWordLeft:  b(k("ctrl+shift+left", "alt+shift+left"), "ctrl+shift+←", "select word left"),
		SelectWordRight: b(k("ctrl+shift+right", "alt+shift+right"), "ctrl+shift+→", "select word right"),
		SelectHome:      b(k("shift+home"), "shift+home", "select to line start"),
		SelectEnd:       b(k("shift+end"), "shift+end", "select to line end"),
		SelectPageUp:    b(k("shift+pgup"), "shift+pgup", "select page up"),
		SelectPageDown:  b(k("shift+pgdown"), "shift+pgdn", "select page down"),
		SelectTop:       b(k("ctrl+shift+home"), "ctrl+shift+home", "select to file start"),
		SelectBottom:    b(k("ctrl+shift+end"), "ctrl+shift+end", "select to file end"),
		SelectAll:       b(k("ctrl+a"), "ctrl+a", "select all"),

		Newline:   b(k("enter"), "enter", "new line (indented)"),
		Indent:    b(k("tab"), "tab", "indent"),
		Dedent:    b(k("shift+tab"), "shift+tab", "dedent"),
		Backspace: b(k("backspace", "ctrl+h"), "backspace", "delete back"),
		Delete:    b(k("delete"), "delete", "delete forward"),

		Undo:  b(k("ctrl+z"), "ctrl+z", "undo"),
		Redo:  b(k("ctrl+y", "ctrl+shift+z"), "ctrl+y", "redo"),
		Cut:   b(k("ctrl+x"), "ctrl+x", "cut"),
		Copy:  b(k("ctrl+c"), "ctrl+c", "copy"),
		Paste: b(k("ctrl+v"), "ctrl+v", "paste"),

		Find:     b(k("ctrl+f"), "ctrl+f", "find"),
		GoToLine: b(k("ctrl+g"), "ctrl+g", "go to line"),

		PromptNext:   b(k("enter", "down"), "enter/↓", "next match"),
		PromptPrev:   b(k("up", "shift+enter"), "↑", "previous match"),
		PromptCase:   b(k("tab"), "tab", "match case or not"),
		PromptDelete: b(k("backspace", "ctrl+h"), "backspace", "delete"),
		PromptClose:  b(k("esc"), "esc", "close"),
	}
}

// EditorHelp is the help bar while the editor has the keys.
func (k KeyMap) EditorHelp() []key.Binding {
	e := k.Editor
	return []key.Binding{k.Help, e.Undo, e.Redo, e.Cut, e.Copy, e.Paste, e.Find, e.GoToLine, e.SelectAll}
}

// EditorPromptHelp is the help bar while the editor's find or go-to-line
// prompt is open.
func (k KeyMap) EditorPromptHelp(find bool) []key.Binding {
	e := k.Editor
	if find {
		return []key.Binding{e.PromptClose, e.PromptNext, e.PromptPrev, e.PromptCase}
	}
	return []key.Binding{e.PromptClose, key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "go"))}
}

// EditorGroup is the editor's part of the full help.
func (k KeyMap) EditorGroup() Group {
	e := k.Editor
	return Group{Title: "Editor", Entries: []Entry{
		{Binding: e.Up}, {Binding: e.Down}, {Binding: e.Left}, {Binding: e.Right},
		{Binding: e.WordLeft}, {Binding: e.WordRight}, {Binding: e.Home}, {Binding: e.End},
		{Binding: e.PageUp}, {Binding: e.PageDown}, {Binding: e.Top}, {Binding: e.Bottom},
		{Binding: e.SelectLeft, Desc: "select (shift with any move; or drag the mouse)"},
		{Binding: e.SelectAll},
		{Binding: e.Newline}, {Binding: e.Indent, Desc: "indent (4 spaces, or the selected lines)"},
		{Binding: e.Dedent}, {Binding: e.Backspace, Desc: "delete back (one indent level in the indentation)"},
		{Binding: e.Delete},
		{Binding: e.Undo}, {Binding: e.Redo},
		{Binding: e.Cut}, {Binding: e.Copy, Desc: "copy the selection (without one, ctrl+c quits)"}, {Binding: e.Paste},
		{Binding: e.Find, Desc: "find (enter next, ↑ previous, tab case, esc close)"},
		{Binding: e.GoToLine},
	}}
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

// WorkspaceHelp is the help bar of the workspace, by the pane that has the
// keys ("files", "editor" or "repl"), most useful first: the bar drops what
// does not fit on the right.
func (k KeyMap) WorkspaceHelp(pane string) []key.Binding {
	w := k.Workspace
	switch pane {
	case "editor":
		return []key.Binding{k.ForceQuit, k.Help, w.Save, w.Run, w.QuickOpen, w.CloseTab, w.FocusFiles, w.FocusREPL, w.Assignments, w.NewFile}
	case "repl":
		return []key.Binding{k.ForceQuit, k.Help, w.Run, k.REPL.Interrupt, k.REPL.EOF, w.FocusEditor, w.FocusFiles}
	}
	open := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open"))
	t := k.Tree
	return []key.Binding{k.Quit, k.Help, open, w.Assignments, t.NewFile, t.NewFolder, t.Rename, t.Delete, t.Duplicate, t.Hidden,
		w.QuickOpen, w.FocusEditor, w.FocusREPL, w.Run, k.Password, k.Refresh}
}

// DialogHelp is the help bar under a dialog: its answers, then cancel.
func (k KeyMap) DialogHelp(answers ...key.Binding) []key.Binding {
	return append(answers, k.Dialog.Cancel)
}

// WorkspaceGroup is the full help's part about the keys that act in every
// pane.
func (k KeyMap) WorkspaceGroup() Group {
	w := k.Workspace
	return Group{Title: "Workspace", Entries: []Entry{
		{Binding: w.FocusFiles, Desc: "go to the files (or click a pane)"},
		{Binding: w.FocusEditor, Desc: "go to the editor"},
		{Binding: w.FocusREPL, Desc: "go to Python (starts it)"},
		{Binding: w.Run, Desc: "save and run the file in Python; ctrl+r too"},
		{Binding: w.RestartREPL, Desc: "a fresh Python (when a program is stuck)"},
		{Binding: w.AskHelp, Desc: "ask your professor for help (join the queue)"},
		{Binding: w.Assignments, Desc: "your assignments: due time, check, submit, results"},
		{Binding: w.Figures, Desc: "figures: auto, blocks, kitty, iterm2, sixel, off"},
		{Binding: w.Dismiss, Desc: "dismiss the announcement on top"},
		{Binding: w.Save, Desc: "save the file"},
		{Binding: w.QuickOpen, Desc: "open a file by typing part of its name"},
		{Binding: w.NewFile, Desc: "new file"},
		{Binding: w.CloseTab, Desc: "close the tab"},
		{Binding: w.PrevTab, Desc: "previous tab; ctrl+pgup too"},
		{Binding: w.NextTab, Desc: "next tab; ctrl+pgdn too"},
	}}
}

// REPLGroup is the full help's part about the Python pane.
func (k KeyMap) REPLGroup() Group {
	r := k.REPL
	return Group{Title: "Python", Entries: []Entry{
		{Binding: r.Interrupt, Desc: "interrupt the program running"},
		{Binding: r.EOF, Desc: "end Python (at an empty prompt)"},
		{Binding: r.Restart, Desc: "start Python again once it ended"},
		{Binding: key.NewBinding(key.WithKeys("shift+pgup"), key.WithHelp("shift+pgup/dn", "scroll")), Desc: "earlier output (the wheel too)"},
		{Binding: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r…", "Python's")), Desc: "Python's (readline) in this pane"},
	}}
}

// Groups lists every binding for the full help screen.
func (k KeyMap) Groups() []Group {
	t, f := k.Tree, k.Form
	return []Group{
		k.WorkspaceGroup(),
		{Title: "Files", Entries: []Entry{
			{Binding: t.Up}, {Binding: t.Down}, {Binding: t.PageUp}, {Binding: t.PageDown},
			{Binding: t.Top}, {Binding: t.Bottom}, {Binding: t.Expand}, {Binding: t.Collapse},
			{Binding: t.Toggle, Desc: "open a file, open/close a folder"}, {Binding: k.Refresh, Desc: "refresh the list"},
		}},
		{Title: "In the file list", Entries: []Entry{
			{Binding: t.NewFile, Desc: "new file in the selected folder; n too"},
			{Binding: t.NewFolder, Desc: "new folder there; N too"},
			{Binding: t.Rename, Desc: "rename or move (edit its path)"},
			{Binding: t.Duplicate, Desc: "duplicate (as \"name copy\")"},
			{Binding: t.Delete, Desc: "delete (asks first); delete key too"},
			{Binding: t.Hidden, Desc: "show or hide hidden files (.name)"},
		}},
		k.AssignmentGroup(),
		k.EditorGroup(),
		k.REPLGroup(),
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
			{Binding: k.ForceQuit, Desc: "quit anywhere (asks if unsaved)"},
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
// list, the password form, the full help, the editor and its prompt. A key must not have two
// meanings within one of them.
func (k KeyMap) Contexts() map[string][]key.Binding {
	t, f, e, w, d := k.Tree, k.Form, k.Editor, k.Workspace, k.Dialog
	ctxs := k.consoleContexts() // console.go
	global := []key.Binding{w.FocusFiles, w.FocusEditor, w.FocusREPL, w.Run, w.RestartREPL, w.AskHelp, w.Dismiss, w.Save, w.CloseTab,
		w.NewFile, w.QuickOpen, w.NextTab, w.PrevTab, w.Assignments, k.Password, k.Help, k.SwitchConsole}
	out := map[string][]key.Binding{
		"files": append([]key.Binding{t.Up, t.Down, t.PageUp, t.PageDown, t.Top, t.Bottom, t.Expand, t.Collapse, t.Toggle,
			t.NewFile, t.NewFolder, t.Rename, t.Duplicate, t.Delete, t.Hidden,
			k.Refresh, k.Quit, k.ForceQuit}, global...),
		// In the REPL pane only these are the workspace's; the rest is Python's.
		"repl": {w.FocusFiles, w.FocusEditor, w.FocusREPL, w.RestartREPL, w.AskHelp, w.Dismiss, w.Save, w.NextTab, w.PrevTab, k.REPL.Earlier, k.REPL.Later,
			k.Password, k.Help, k.SwitchConsole, key.NewBinding(key.WithKeys("f5"), key.WithHelp("F5", "run")),
			key.NewBinding(key.WithKeys("f11"), key.WithHelp("F11", "assignments")),
			key.NewBinding(key.WithKeys("ctrl+q"), key.WithHelp("ctrl+q", "quit"))},
		"dialog":   {d.Accept, d.Cancel, d.Up, d.Down, d.Delete, k.ForceQuit},
		"question": {d.Save, d.Discard, d.Keep, d.Recover, d.Cancel, k.ForceQuit},
		"confirm":  {d.Yes, d.No, d.Cancel, k.ForceQuit},
		"form":     {f.Next, f.Prev, f.Submit, f.Cancel, f.Delete, f.Clear, k.Help, k.ForceQuit},
		"help":     {k.Close, k.Help, t.Up, t.Down, t.PageUp, t.PageDown, t.Top, t.Bottom, k.ForceQuit},
		// ctrl+c is Copy here while something is selected (see Editor).
		"editor": {e.Up, e.Down, e.Left, e.Right, e.WordLeft, e.WordRight, e.Home, e.End,
			e.PageUp, e.PageDown, e.Top, e.Bottom,
			e.SelectUp, e.SelectDown, e.SelectLeft, e.SelectRight, e.SelectWordLeft, e.SelectWordRight,
			e.SelectHome, e.SelectEnd, e.SelectPageUp, e.SelectPageDown, e.SelectTop, e.SelectBottom, e.SelectAll,
			e.Newline, e.Indent, e.Dedent, e.Backspace, e.Delete,
			e.Undo, e.Redo, e.Cut, e.Copy, e.Paste, e.Find, e.GoToLine,
			w.FocusFiles, w.FocusEditor, w.FocusREPL, w.Run, w.Save, w.CloseTab, w.NewFile, w.QuickOpen,
			w.NextTab, w.PrevTab, w.Assignments, k.Password, k.Help},
		"editor prompt": {e.PromptNext, e.PromptPrev, e.PromptCase, e.PromptDelete, e.PromptClose, k.Help},
	}
	for name, bs := range k.assignmentContexts() {
		ctxs[name] = bs
	}
	for name, bs := range ctxs {
		out[name] = bs
	}
	return out
}
