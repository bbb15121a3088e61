package loadgen

// Keys as an xterm-256color terminal sends them (the same bytes OpenSSH's
// client passes on from a person's terminal; see internal/tui/keys for what
// each does in the workspace).
const (
	KeyEnter = "\r"
	KeyEsc   = "\x1b" // closes a dialog (alone: Bubble Tea waits 50 ms for more)
	KeyCtrlC = "\x03"
	KeyCtrlN = "\x0e"     // new file (in the file list and the editor)
	KeyCtrlS = "\x13"     // save
	KeyCtrlW = "\x17"     // close the editor's tab
	KeyF2    = "\x1bOQ"   // focus the file list
	KeyF3    = "\x1bOR"   // focus the editor
	KeyF4    = "\x1bOS"   // focus Python (starting it)
	KeyF5    = "\x1b[15~" // save and run the current file
)
