package console

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/workspace"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

// LiveStudent is one student with a live workspace, as the Live page shows them.
type LiveStudent struct {
	Username, FullName string
	// Connections counts the student's own views (terminals, browser tabs),
	// not watchers. 0: they are disconnected and their workspace waits for
	// them until its grace period ends.
	Connections int
	Transports  []string      // distinct, sorted: "ssh", "web"
	Since       time.Time     // the oldest of their views' attach times; zero with no view
	Idle        time.Duration // since the latest key or resize in any of their views (since Since if none)
	OpenFile    string        // the file they were last in, or the first open one; "" if none
	// REPL says where Python is, in the Python pane's words: "not started",
	// "starting", "ready", "running prog.py", "exited (1)", "killed
	// (memory)", "could not start", "stopped", "closed".
	REPL string
	// CPUPercent is the share of one core their sandbox used since this
	// Desk's previous Live call (0 on the first, and after a restart).
	CPUPercent  float64
	MemoryBytes int64    // their sandbox's memory in use; 0 when Python does not run
	Watchers    []string // professors watching, sorted
}

// cpuSample is a student's sandbox CPU time when a Live call read it.
type cpuSample struct {
	cpu time.Duration
	at  time.Time // the real clock
}

// Live lists the students with a live workspace, by username, with how
// they are connected, what they are doing and what their Python uses.
// Professors' own workspaces are left out.
func (d *Desk) Live(ctx context.Context) ([]LiveStudent, error) {
	if _, err := d.professor(ctx, ActionLive, "", "see who is online"); err != nil {
		return nil, err
	}
	names := d.s.workspaces.Live()
	if len(names) == 0 {
		d.mu.Lock()
		clear(d.cpu)
		d.mu.Unlock()
		return []LiveStudent{}, nil
	}
	users, err := d.s.store.ListUsers(ctx)
	if err != nil {
		return nil, d.s.failed("read the roster", err)
	}
	byName := make(map[string]store.User, len(users))
	for _, u := range users {
		byName[u.Username] = u
	}
	now := d.s.now()
	out := make([]LiveStudent, 0, len(names))
	samples := make(map[string]cpuSample, len(names))
	for _, name := range names {
		u, ok := byName[name]
		if !ok || u.Role != store.RoleStudent {
			continue
		}
		ws := d.s.workspaces.Lookup(name)
		if ws == nil {
			continue // ended meanwhile
		}
		ls := LiveStudent{Username: u.Username, FullName: u.FullName}
		var active time.Time
		for _, v := range ws.ViewInfos() {
			if v.Watcher != "" {
				continue
			}
			ls.Connections++
			if !slices.Contains(ls.Transports, v.Transport) && v.Transport != "" {
				ls.Transports = append(ls.Transports, v.Transport)
			}
			if ls.Since.IsZero() || v.Since.Before(ls.Since) {
				ls.Since = v.Since
			}
			if v.Active.After(active) {
				active = v.Active
			}
		}
		slices.Sort(ls.Transports)
		switch {
		case !active.IsZero():
			ls.Idle = max(now.Sub(active), 0)
		case !ls.Since.IsZero():
			ls.Idle = max(now.Sub(ls.Since), 0)
		}
		ls.OpenFile = openFile(ws)
		ls.REPL = "none"
		if r := ws.REPL(); r != nil {
			ls.REPL = replWords(r.State())
			if st, ok := r.Stats(); ok {
				ls.MemoryBytes = st.MemoryBytes
				samples[name] = cpuSample{cpu: st.CPU, at: d.s.mono()}
			}
		}
		for _, w := range ws.Watchers() {
			ls.Watchers = append(ls.Watchers, w.Name)
		}
		out = append(out, ls)
	}
	d.mu.Lock()
	for i := range out {
		cur, ok := samples[out[i].Username]
		prev, had := d.cpu[out[i].Username]
		if ok && had && cur.cpu >= prev.cpu && cur.at.After(prev.at) {
			out[i].CPUPercent = 100 * float64(cur.cpu-prev.cpu) / float64(cur.at.Sub(prev.at))
		}
	}
	d.cpu = samples // students gone (or whose Python stopped) are forgotten
	d.mu.Unlock()
	return out, nil
}

// openFile is the file the student was last in, or their first open one.
func openFile(ws *workspace.Workspace) string {
	p := ws.LastPlace().File
	if p == "" {
		if fs := ws.Files(); len(fs) > 0 {
			p = fs[0].Path()
		}
	}
	return sanitize(clip(p, 200))
}

// replWords says where Python is, as the Python pane does, without "Python: ".
func replWords(st repl.State) string {
	switch st.Status {
	case repl.NotStarted:
		return "not started"
	case repl.Starting, repl.Restarting:
		return "starting"
	case repl.Running:
		if st.File != "" {
			return "running " + sanitize(clip(st.File, 60))
		}
		return "ready"
	case repl.Exited:
		if st.OOMKilled {
			return "killed (memory)"
		}
		return fmt.Sprintf("exited (%d)", st.ExitCode)
	case repl.Failed:
		return "could not start"
	case repl.Stopped:
		return "stopped"
	case repl.Closed:
		return "closed"
	}
	return st.Status.String()
}

// connected returns the student's workspace when they have a live session
// (at least one view of their own), or a sentence saying they have none.
func (d *Desk) connected(name, doing string) (*workspace.Workspace, error) {
	ws := d.s.workspaces.Lookup(name)
	if ws == nil || ownViews(ws.ViewInfos()) == 0 {
		return nil, sentence(ErrNotConnected, "There is no session of "+name+" to "+doing+": they are not connected. Try again once they have logged in.")
	}
	return ws, nil
}

// Watch opens a live view of a student's session: it returns their
// workspace, to which the caller attaches a view with its Watcher set to
// this professor (read-only until SetControl). Students only, and only while
// they are connected. Audited ("live.view").
func (d *Desk) Watch(ctx context.Context, student string) (*workspace.Workspace, error) {
	if _, err := d.professor(ctx, ActionLiveView, student, "watch students' sessions"); err != nil {
		return nil, err
	}
	name, err := d.username(ctx, ActionLiveView, student)
	if err != nil {
		return nil, err
	}
	if _, err := d.student(ctx, ActionLiveView, name); err != nil {
		return nil, err
	}
	ws, err := d.connected(name, "watch")
	if err != nil {
		return nil, err
	}
	d.audit(ctx, ActionLiveView, name, outcomeOK, "")
	return ws, nil
}

// ControlChanged records that this professor took control of a student's
// session (on) or gave it back, as "live.control.start" / "live.control.end".
// The view itself changes control (Workspace.SetControl); call this at once
// after, both ways.
func (d *Desk) ControlChanged(ctx context.Context, student string, on bool) {
	action := ActionControlEnd
	if on {
		action = ActionControlStart
	}
	if _, err := d.professor(ctx, action, student, "control students' sessions"); err != nil {
		return
	}
	name, err := d.username(ctx, action, student)
	if err != nil {
		return
	}
	d.audit(ctx, action, name, outcomeOK, "")
}

// RestartREPL restarts a student's Python (a stuck program, a dead REPL):
// what they ran is lost, their files are not. Audited ("live.restart").
func (d *Desk) RestartREPL(ctx context.Context, student string) error {
	if _, err := d.professor(ctx, ActionRestartREPL, student, "restart students' Python"); err != nil {
		return err
	}
	name, err := d.username(ctx, ActionRestartREPL, student)
	if err != nil {
		return err
	}
	if _, err := d.student(ctx, ActionRestartREPL, name); err != nil {
		return err
	}
	ws := d.s.workspaces.Lookup(name)
	if ws == nil || ws.REPL() == nil {
		return sentence(ErrNotConnected, "There is no Python of "+name+" to restart: they have no session running (it starts when they log in).")
	}
	if err := ws.REPL().Restart(ctx); err != nil {
		d.audit(ctx, ActionRestartREPL, name, "error", clip(err.Error(), 200))
		if errors.Is(err, repl.ErrClosed) {
			return sentence(ErrNotConnected, "The session of "+name+" ended meanwhile; there is no Python to restart.")
		}
		return d.s.failed("restart "+name+"'s Python", err)
	}
	d.audit(ctx, ActionRestartREPL, name, outcomeOK, "")
	return nil
}

// DefaultEndMessage is what a student whose session a professor ended is
// told when the professor gave no message.
const DefaultEndMessage = "A professor ended your session."

// EndSession ends a student's sessions (every terminal and browser tab of
// theirs) with a message they see as they are disconnected: one line of at
// most classroom.MaxQuestionLen characters, no control characters; empty
// means DefaultEndMessage. Their workspace (unsaved work, Python) stays for
// its grace period. Audited ("session.end").
func (d *Desk) EndSession(ctx context.Context, student, message string) error {
	if _, err := d.professor(ctx, ActionSessionEnd, student, "end students' sessions"); err != nil {
		return err
	}
	name, err := d.username(ctx, ActionSessionEnd, student)
	if err != nil {
		return err
	}
	if _, err := d.student(ctx, ActionSessionEnd, name); err != nil {
		return err
	}
	msg, err := classroom.ValidateQuestion(message)
	if err != nil {
		return sentence(ErrInvalid, strings.Replace(err.Error(), "The question", "The message", 1))
	}
	if msg == "" {
		msg = DefaultEndMessage
	}
	ws, err := d.connected(name, "end")
	if err != nil {
		return err
	}
	ws.End(msg)
	d.audit(ctx, ActionSessionEnd, name, outcomeOK, clip(msg, 120))
	return nil
}

// BrowseHome opens a student's home read-only, to list and read their files
// (whether or not they are connected). The caller closes it. Audited
// ("files.browse").
func (d *Desk) BrowseHome(ctx context.Context, student string) (*files.Home, error) {
	if _, err := d.professor(ctx, ActionBrowseFiles, student, "browse students' files"); err != nil {
		return nil, err
	}
	name, err := d.username(ctx, ActionBrowseFiles, student)
	if err != nil {
		return nil, err
	}
	if _, err := d.student(ctx, ActionBrowseFiles, name); err != nil {
		return nil, err
	}
	dir, err := d.s.accounts.EnsureHome(ctx, name)
	if err != nil {
		return nil, d.s.failed("find "+name+"'s home", err)
	}
	h, err := files.OpenReadOnly(dir)
	if err != nil {
		return nil, d.s.failed("open "+name+"'s home", err)
	}
	d.audit(ctx, ActionBrowseFiles, name, outcomeOK, "")
	return h, nil
}
