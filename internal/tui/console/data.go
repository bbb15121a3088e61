package consoletui

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/console"
	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/tui/termtext"
)

// subscribedMsg carries the subscription to the classroom's events.
type subscribedMsg struct{ ch <-chan classroom.Event }

// eventMsg is one event (coalesced by the hub); ch is waited on again.
type eventMsg struct {
	ev classroom.Event
	ch <-chan classroom.Event
}

// tickMsg is a refresh of the Live (or Help) page; gen tells a tick of the
// current generation from an older one, which is dropped.
type tickMsg struct{ gen int }

// loadedMsg carries a page's rows (one of the slices, by page).
type loadedMsg struct {
	page    Page
	seq     uint64
	err     error
	at      time.Time
	roster  []console.Student
	live    []console.LiveStudent
	queue   []classroom.QueueEntry
	history []store.Announcement
	audit   []store.AuditEntry
	asg     []course.Summary
}

// resultMsg is the answer to an action.
type resultMsg struct {
	owner  *dialog // the dialog that asked: a failure shows in it while it is open
	what   string  // "reset bob's password", for "Could not reset bob's password: why"
	err    error
	done   string  // the notice on success
	reload []Page  // what to read again, whatever the outcome
	secret *dialog // a password to show once
}

// subscribe subscribes to the classroom's events in a command. A
// subscription that arrives after Close is ended at once.
func (m *Model) subscribe() tea.Cmd {
	desk := m.desk
	return func() tea.Msg {
		ch, cancel := desk.Subscribe()
		m.mu.Lock()
		closed := m.closed
		if !closed {
			m.unsub = cancel
		}
		m.mu.Unlock()
		if closed {
			cancel()
			return nil
		}
		return subscribedMsg{ch: ch}
	}
}

// waitEvent waits for the next event, or for Close.
func (m *Model) waitEvent(ch <-chan classroom.Event) tea.Cmd {
	done := m.ctx.Done()
	return func() tea.Msg {
		select {
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			return eventMsg{ev: ev, ch: ch}
		case <-done:
			return nil
		}
	}
}

// event reads again what an event says changed: the queue always (its count
// is in the header), the announcements when their page shows.
func (m *Model) event(ev classroom.Event) tea.Cmd {
	var cmds []tea.Cmd
	if ev.Queue || len(ev.Resolved) > 0 {
		cmds = append(cmds, m.load(PageHelp))
	}
	if ev.Announcements && m.page == PageAnnouncements {
		cmds = append(cmds, m.load(PageAnnouncements))
	}
	return tea.Batch(cmds...)
}

// nextTick waits a second (or for Close) and sends a tick of the current
// generation.
func (m *Model) nextTick() tea.Cmd {
	gen, done := m.tickGen, m.ctx.Done()
	return func() tea.Msg {
		t := time.NewTimer(refreshEvery)
		defer t.Stop()
		select {
		case <-t.C:
			return tickMsg{gen: gen}
		case <-done:
			return nil
		}
	}
}

// tick refreshes the page shown: Live reads the sessions again (unless a
// read is still on its way, or the file browser covers the list); Help
// counts the waiting times on.
func (m *Model) tick(msg tickMsg) tea.Cmd {
	if msg.gen != m.tickGen {
		return nil
	}
	switch m.page {
	case PageLive:
		var load tea.Cmd
		if !m.inflight[PageLive] && m.browse == nil {
			load = m.load(PageLive)
		}
		return tea.Batch(load, m.nextTick())
	case PageHelp:
		m.setQueueRows()
		return m.nextTick()
	case PageAssignments:
		if m.grid == nil {
			return nil
		}
		var load tea.Cmd
		if !m.grid.inflight {
			load = m.loadGrid()
		}
		return tea.Batch(load, m.nextTick())
	}
	return nil
}

// call runs fn in a command with a deadline, within the console's context.
// Once the console is closed nothing is sent.
func (m *Model) call(timeout time.Duration, fn func(ctx context.Context) tea.Msg) tea.Cmd {
	parent := m.ctx
	return func() tea.Msg {
		if parent.Err() != nil {
			return nil
		}
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		msg := fn(ctx)
		if parent.Err() != nil {
			return nil
		}
		return msg
	}
}

// load reads a page's rows in a command.
func (m *Model) load(p Page) tea.Cmd {
	m.seq[p]++
	m.inflight[p] = true
	seq, desk, now := m.seq[p], m.desk, m.opts.Now
	return m.call(loadTimeout, func(ctx context.Context) tea.Msg {
		msg := loadedMsg{page: p, seq: seq}
		switch p {
		case PageStudents:
			msg.roster, msg.err = desk.Roster(ctx)
		case PageLive:
			msg.live, msg.err = desk.Live(ctx)
		case PageHelp:
			msg.queue, msg.err = desk.Queue(ctx)
		case PageAnnouncements:
			msg.history, msg.err = desk.History(ctx, historyLimit)
		case PageAudit:
			msg.audit, msg.err = desk.Audit(ctx, auditLimit)
		case PageAssignments:
			if c := m.opts.Course; c != nil {
				msg.asg, msg.err = c.List(ctx)
			}
		}
		msg.at = now()
		return msg
	})
}

var loadWhat = [numPages]string{"read the roster", "read the live sessions", "read the help queue",
	"read the announcements", "read the audit log", "read the assignments"}

// loaded takes a page's rows, unless a later load was asked for.
func (m *Model) loaded(msg loadedMsg) {
	p := msg.page
	if msg.seq != m.seq[p] {
		return
	}
	m.inflight[p] = false
	if msg.err != nil {
		m.loadErr[p] = failure(loadWhat[p], msg.err)
		if !m.ready[p] {
			m.tables[p].SetEmpty(m.loadErr[p])
		}
		return
	}
	m.loadErr[p], m.ready[p] = "", true
	switch p {
	case PageStudents:
		m.roster = msg.roster
		m.setRosterRows()
		m.setQueueRows() // the names of those waiting
	case PageLive:
		m.live = msg.live
		m.setLiveRows()
	case PageHelp:
		m.queue, m.queueAt, m.queueOK = msg.queue, msg.at, true
		m.setQueueRows()
	case PageAnnouncements:
		m.history = msg.history
		m.setHistoryRows()
	case PageAudit:
		m.auditLog = msg.audit
		m.setAuditRows()
	case PageAssignments:
		m.assignments = msg.asg
		m.setAssignmentRows()
	}
}

// act runs an action in a command and answers with a resultMsg.
func (m *Model) act(owner *dialog, timeout time.Duration, what string, reload []Page,
	fn func(ctx context.Context) (done string, secret *dialog, err error)) tea.Cmd {
	if owner != nil {
		owner.busy, owner.err = true, ""
	}
	return m.call(timeout, func(ctx context.Context) tea.Msg {
		done, secret, err := fn(ctx)
		return resultMsg{owner: owner, what: what, err: err, done: done, reload: reload, secret: secret}
	})
}

// result shows an action's outcome: a failure in the dialog that asked while
// it is open (else in the status line), a success as a notice, a password in
// a dialog of its own; then reads again what changed.
func (m *Model) result(msg resultMsg) tea.Cmd {
	open := msg.owner != nil && m.dlg == msg.owner
	if open {
		m.dlg.busy = false
	}
	var cmds []tea.Cmd
	for _, p := range msg.reload {
		cmds = append(cmds, m.load(p))
	}
	if msg.err != nil {
		if open {
			m.dlg.err = sentence(msg.err)
		} else {
			m.say(failure(msg.what, msg.err), true)
		}
		return tea.Batch(cmds...)
	}
	if open {
		m.closeDialog()
	}
	if msg.done != "" {
		m.say(msg.done, false)
	}
	if msg.secret != nil {
		m.showSecret(msg.secret)
	}
	return tea.Batch(cmds...)
}

// sentence makes an error (the Desk's are sentences) safe to show and ends
// it with a full stop.
func sentence(err error) string {
	if errors.Is(err, context.DeadlineExceeded) && strings.Contains(err.Error(), "deadline exceeded") {
		return "The server did not answer in time; try again in a moment."
	}
	s := strings.TrimSpace(termtext.Safe(err.Error()))
	if s == "" {
		return "Something went wrong."
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// failure says what could not be done and why.
func failure(what string, err error) string {
	s := sentence(err)
	if strings.HasPrefix(s, "Could not ") || strings.HasPrefix(s, "The server did not") {
		return s
	}
	r := []rune(s)
	if len(r) > 1 && !isUpper(r[1]) {
		r[0] = []rune(strings.ToLower(string(r[0])))[0]
	}
	return "Could not " + termtext.Safe(what) + ": " + string(r)
}

func isUpper(r rune) bool { return r >= 'A' && r <= 'Z' }

func itoa(n int) string { return strconv.Itoa(n) }

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func plural(n int, one string) string {
	switch {
	case n == 1:
		return "1 " + one
	case strings.HasSuffix(one, "y"):
		return itoa(n) + " " + strings.TrimSuffix(one, "y") + "ies"
	}
	return itoa(n) + " " + one + "s"
}
