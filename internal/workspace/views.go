package workspace

import (
	"slices"
	"strings"
	"time"
)

// ViewOptions say whose view a view is.
type ViewOptions struct {
	// Transport is how the view's terminal is connected: "ssh" or "web".
	Transport string
	// Watcher is the professor watching, for a live view of a student's
	// workspace; "" for the student's own views. A watcher's view is
	// read-only until they take control (SetControl).
	Watcher string
}

// ViewInfo describes an attached view, for the professor's Live page.
type ViewInfo struct {
	ID         ViewID
	Transport  string
	Watcher    string
	Control    bool
	Cols, Rows int
	Since      time.Time // attached at
	Active     time.Time // last key or resize; zero if none yet
}

// ViewInfos lists the attached views, oldest first.
func (w *Workspace) ViewInfos() []ViewInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]ViewInfo, 0, len(w.views))
	for id, v := range w.views {
		out = append(out, ViewInfo{ID: id, Transport: v.Transport, Watcher: v.Watcher, Control: v.control,
			Cols: v.cols, Rows: v.rows, Since: v.since, Active: v.active})
	}
	slices.SortFunc(out, func(a, b ViewInfo) int { return int(a.ID - b.ID) })
	return out
}

// Watcher is a professor watching the workspace, as the student is told.
type Watcher struct {
	Name    string
	Control bool // they type into the student's panes
}

// Watchers lists the professors watching, by name (one entry each even if
// they watch from two terminals; Control if any of them controls).
func (w *Workspace) Watchers() []Watcher {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Watcher
	for _, v := range w.views {
		if v.Watcher == "" {
			continue
		}
		i := slices.IndexFunc(out, func(x Watcher) bool { return x.Name == v.Watcher })
		if i < 0 {
			out = append(out, Watcher{Name: v.Watcher})
			i = len(out) - 1
		}
		out[i].Control = out[i].Control || v.control
	}
	slices.SortFunc(out, func(a, b Watcher) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// SetControl gives a watcher's view control of the student's panes (its keys
// go to the editor and Python, and the student is told) or takes it back.
// It reports whether id is a watcher's view.
func (w *Workspace) SetControl(id ViewID, on bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	v := w.views[id]
	if v == nil || v.Watcher == "" {
		return false
	}
	if v.control != on {
		v.control = on
		w.notifyLocked()
	}
	return true
}

// End ends the student's sessions with a message (a professor's decision):
// their views are told through Changes and quit, saying why. The workspace
// itself stays for its grace period, so nothing unsaved is lost.
func (w *Workspace) End(message string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ended, w.endedAt = &message, w.now()
	w.notifyLocked()
}

// Ended returns the message of the last End, if the student's views must
// quit; a view attached since then clears it (the student came back).
func (w *Workspace) Ended(id ViewID) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v := w.views[id]
	if w.ended == nil || v == nil || v.Watcher != "" || v.since.After(w.endedAt) {
		return "", false
	}
	return *w.ended, true
}
