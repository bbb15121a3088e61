package tui

import (
	"net/url"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/tui/helpscreen"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/workspace"
)

// TransportWeb is Options.Transport for a browser (the web bridge).
const TransportWeb = "web"

// OSCSelection is the private OSC sequence number with which the file list
// tells a browser's page what is selected, so that its Upload button sends
// into that folder and its Download button fetches that file or folder:
//
//	ESC ] 7707 ; sel ; KIND ; PATH BEL
//
// KIND is "d" (a folder), "f" (a file) or "c" (in the read-only course
// folder); PATH is relative to the home ("." for the home), query-escaped,
// so it holds no control character, ";" or space. xterm.js gives the
// sequence to the page (web/static/files.js) and draws nothing. It is sent
// only to browsers: another terminal would ignore an OSC it does not know,
// but nothing says every one does. The page uses it as a default it shows
// and the student can change; the server confines every path to the home.
const OSCSelection = 7707

// reportSelection tells a browser the file list's selection when it
// changed; nil otherwise, and always over SSH.
func (m *Model) reportSelection() tea.Cmd {
	if m.opts.Transport != TransportWeb || m.mode != modeWorkspace {
		return nil
	}
	kind, rel := "d", "."
	if e, r, ok := m.tree.Selected(); ok {
		rel = r
		switch {
		case workspace.InCourse(r):
			kind = "c"
		case !e.IsDir:
			kind = "f"
		}
	}
	seq := "\x1b]" + strconv.Itoa(OSCSelection) + ";sel;" + kind + ";" + url.QueryEscape(rel) + "\a"
	if seq == m.reported {
		return nil
	}
	m.reported = seq
	return tea.Raw(seq)
}

// transferNotes is the help's section on files in and out: the exact scp
// and sftp commands for this user and server (HOST and PORT where the
// server did not say).
func (m *Model) transferNotes() []helpscreen.Note {
	host := m.opts.SSHHost
	if host == "" {
		host = "HOST"
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // an IPv6 address
	}
	dest := termtext.Safe(m.opts.Username) + "@" + termtext.Safe(host)
	port := "-P PORT " // scp and sftp both take -P (ssh's is -p)
	switch p := m.opts.SSHPort; p {
	case 22:
		port = ""
	case 0:
	default:
		port = "-P " + strconv.Itoa(p) + " "
	}
	lines := []string{
		"From your own computer's terminal (your password, or your SSH key):",
		"  scp " + port + "data.csv " + dest + ":",
		"      copies data.csv into your home folder",
		"  scp " + port + dest + ":lab1/report.py .",
		"      copies a file of yours to your computer",
		"  scp -r " + port + dest + ":lab1 .",
		"      copies a whole folder",
		"  sftp " + port + dest,
		"      put, get, ls, mkdir, rename, rm; FileZilla, WinSCP and Cyberduck work too (SFTP)",
		"In the browser: Upload (or files dropped on the page) sends into the folder selected here, " +
			"Download fetches the selected file, or a folder as a zip. New files appear in the list by themselves.",
	}
	switch {
	case host == "HOST" && m.opts.SSHPort == 0:
		lines = append(lines, "HOST and PORT are those you log in with: ssh -p PORT "+termtext.Safe(m.opts.Username)+"@HOST.")
	case host == "HOST":
		lines = append(lines, "HOST is the address you log in to with ssh.")
	case m.opts.SSHPort == 0:
		lines = append(lines, "PORT is the one you log in with: ssh -p PORT "+dest+".")
	}
	return []helpscreen.Note{{Title: "Files in and out", Lines: lines}}
}
