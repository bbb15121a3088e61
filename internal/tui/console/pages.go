package consoletui

import (
	"fmt"
	"strings"
	"time"

	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/tui/console/table"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/termtext"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

// The tables' names, in their ChosenMsg.
const (
	tableStudents      = "students"
	tableLive          = "live"
	tableHelp          = "help"
	tableAnnouncements = "announcements"
	tableAudit         = "audit"
)

// The columns of each page. Drop orders what a narrow terminal leaves out
// (the highest first).
var (
	studentCols = []table.Column{
		{Title: "Username", Min: 8},
		{Title: "Name", Flex: true, Drop: 2},
		{Title: "Email", Drop: 5, Max: 32},
		{Title: "Role", Drop: 3},
		{Title: "Status", Min: 8},
		{Title: "Last login", Drop: 4},
		{Title: "Online", Min: 6},
	}
	liveCols = []table.Column{
		{Title: "Username", Min: 8},
		{Title: "Name", Drop: 4, Max: 24},
		{Title: "Via", Drop: 2},
		{Title: "Since", Drop: 3},
		{Title: "Idle", Right: true, Numeric: true},
		{Title: "Open file", Flex: true, Drop: 1},
		{Title: "Python", Max: 24},
		{Title: "CPU %", Right: true, Numeric: true},
		{Title: "Memory", Right: true, Numeric: true},
		{Title: "Watched by", Drop: 5, Max: 20},
	}
	helpCols = []table.Column{
		{Title: "#", Right: true, Numeric: true},
		{Title: "Student", Min: 8},
		{Title: "Name", Drop: 2, Max: 24},
		{Title: "Question", Flex: true, Min: 12},
		{Title: "Waiting", Right: true, Numeric: true},
		{Title: "Claimed by", Drop: 1},
	}
	announcementCols = []table.Column{
		{Title: "When"},
		{Title: "Who", Drop: 1},
		{Title: "Text", Flex: true, Min: 16},
		{Title: "State"},
	}
	auditCols = []table.Column{
		{Title: "Time"},
		{Title: "Actor", Max: 20},
		{Title: "Action"},
		{Title: "Target", Drop: 2, Max: 20},
		{Title: "Outcome", Drop: 3},
		{Title: "Detail", Flex: true, Drop: 1},
		{Title: "From", Drop: 4, Max: 24},
	}
)

func newTables(km keys.KeyMap, th theme.Theme) [numPages]table.Model {
	var t [numPages]table.Model
	t[PageStudents] = table.New(tableStudents, studentCols, km, th)
	t[PageStudents].SetEmpty("Loading the roster…")
	t[PageLive] = table.New(tableLive, liveCols, km, th)
	t[PageLive].SetEmpty("Loading the live sessions…")
	t[PageHelp] = table.New(tableHelp, helpCols, km, th)
	t[PageHelp].SetEmpty("Loading the help queue…")
	t[PageAnnouncements] = table.New(tableAnnouncements, announcementCols, km, th)
	t[PageAnnouncements].SetEmpty("Loading the announcements…")
	t[PageAudit] = table.New(tableAudit, auditCols, km, th)
	t[PageAudit].SetEmpty("Loading the audit log…")
	t[PageAssignments] = table.New(tableAssignments, assignmentCols, km, th)
	t[PageAssignments].SetEmpty("Loading the assignments…")
	return t
}

func (m *Model) now() time.Time { return m.opts.Now() }

func (m *Model) setRosterRows() {
	now := m.now()
	rows := make([]table.Row, len(m.roster))
	for i, s := range m.roster {
		status := "active"
		switch {
		case s.Disabled:
			status = "disabled"
		case s.MustChangePassword:
			status = "must change password"
		}
		login := table.Cell{Text: "never"}
		if !s.LastLoginAt.IsZero() {
			login = table.Cell{Text: when(s.LastLoginAt, now), Key: timeKey(s.LastLoginAt)}
		}
		online := table.Cell{Text: "", Key: "0"}
		if s.Online {
			online = table.Cell{Text: "yes", Key: "1"}
			if s.Connections > 1 {
				online.Text = fmt.Sprintf("yes ×%d", s.Connections)
			}
		}
		rows[i] = table.Row{ID: s.Username, Muted: s.Disabled, Cells: []table.Cell{
			{Text: s.Username}, {Text: s.FullName}, {Text: s.Email}, {Text: string(s.Role)},
			{Text: status}, login, online,
		}}
	}
	t := &m.tables[PageStudents]
	t.SetEmpty("No one is in the roster yet: a adds a user, i imports a roster.")
	t.SetRows(rows)
}

func (m *Model) setLiveRows() {
	now := m.now()
	rows := make([]table.Row, len(m.live))
	for i, s := range m.live {
		via := strings.Join(s.Transports, "+")
		switch {
		case s.Connections == 0:
			via = "disconnected"
		case s.Connections > 1:
			via = strings.TrimSpace(via + fmt.Sprintf(" ×%d", s.Connections))
		}
		since := table.Cell{}
		if !s.Since.IsZero() {
			since = table.Cell{Text: when(s.Since, now), Key: timeKey(s.Since)}
		}
		rows[i] = table.Row{ID: s.Username, Cells: []table.Cell{
			{Text: s.Username}, {Text: s.FullName}, {Text: via}, since,
			{Text: duration(s.Idle), Num: s.Idle.Seconds()},
			{Text: s.OpenFile}, {Text: s.REPL},
			{Text: fmt.Sprintf("%.0f", s.CPUPercent), Num: s.CPUPercent},
			{Text: memory(s.MemoryBytes), Num: float64(s.MemoryBytes)},
			{Text: strings.Join(s.Watchers, ", ")},
		}}
	}
	t := &m.tables[PageLive]
	t.SetEmpty("No student is connected.")
	t.SetRows(rows)
}

// setQueueRows shows the queue, each wait counted on from when it was read.
func (m *Model) setQueueRows() {
	if !m.queueOK {
		return
	}
	names := make(map[string]string, len(m.roster))
	for _, s := range m.roster {
		names[s.Username] = s.FullName
	}
	since := max(m.now().Sub(m.queueAt), 0)
	rows := make([]table.Row, len(m.queue))
	for i, e := range m.queue {
		wait := e.Waiting + since
		q := e.Question
		if q == "" {
			q = "(no question)"
		}
		claimed := e.ClaimedBy
		if claimed != "" && claimed == m.opts.Username {
			claimed += " (you)"
		}
		rows[i] = table.Row{ID: idString(e.ID), Muted: e.ClaimedBy != "", Cells: []table.Cell{
			{Text: itoa(e.Place), Num: float64(e.Place)},
			{Text: e.Student}, {Text: names[e.Student]}, {Text: q},
			{Text: duration(wait), Num: wait.Seconds()},
			{Text: claimed},
		}}
	}
	t := &m.tables[PageHelp]
	t.SetEmpty("No one is waiting for help.")
	t.SetRows(rows)
}

func (m *Model) setHistoryRows() {
	now := m.now()
	rows := make([]table.Row, len(m.history))
	for i, a := range m.history {
		state := "active"
		switch {
		case !a.RetractedAt.IsZero():
			state = "ended"
			if a.RetractedBy != "" && a.RetractedBy != a.Author {
				state += " by " + a.RetractedBy
			}
		case !a.Active(now):
			state = "expired"
		}
		rows[i] = table.Row{ID: idString(a.ID), Muted: state != "active", Cells: []table.Cell{
			{Text: when(a.CreatedAt, now), Key: timeKey(a.CreatedAt)},
			{Text: a.Author}, {Text: a.Text}, {Text: state},
		}}
	}
	t := &m.tables[PageAnnouncements]
	t.SetEmpty("No announcement yet: n writes one.")
	t.SetRows(rows)
}

func (m *Model) setAuditRows() {
	rows := make([]table.Row, len(m.auditLog))
	for i, e := range m.auditLog {
		rows[i] = table.Row{ID: idString(e.ID), Alert: e.Outcome != "ok" && e.Outcome != "", Cells: []table.Cell{
			{Text: stamp(e.At, m.now()), Key: timeKey(e.At)},
			{Text: e.Actor}, {Text: e.Action}, {Text: e.Target}, {Text: e.Outcome}, {Text: e.Detail}, {Text: e.Remote},
		}}
	}
	t := &m.tables[PageAudit]
	t.SetEmpty("The audit log is empty.")
	t.SetRows(rows)
}

// describe is the status line of the page, when nothing else is said.
func (m *Model) describe() string {
	if m.page == PageLive && m.browse != nil {
		return m.browse.describe()
	}
	if !m.ready[m.page] {
		return "Loading…"
	}
	t := m.tables[m.page]
	sel, ok := t.Selected()
	switch m.page {
	case PageStudents:
		online := 0
		for _, s := range m.roster {
			if s.Online {
				online++
			}
		}
		text := fmt.Sprintf("%s, %d online.", plural(len(m.roster), "user"), online)
		if ok {
			if s, found := m.student(sel.ID); found && s.Email != "" {
				text += " " + termtext.Safe(s.Username) + " <" + termtext.Safe(s.Email) + ">"
			}
		}
		return text
	case PageLive:
		text := fmt.Sprintf("%s connected; refreshed every second.", plural(len(m.live), "student"))
		if ok {
			for _, s := range m.live {
				if s.Username == sel.ID && len(s.Watchers) > 0 {
					text = termtext.Safe(s.Username) + " is watched by " + termtext.Safe(strings.Join(s.Watchers, ", ")) + "."
				}
			}
		}
		return text
	case PageHelp:
		if len(m.queue) == 0 {
			return "No one is waiting for help."
		}
		if ok {
			return "enter watches " + sel.Cells[1].Text + "; c claims the request, r resolves it."
		}
		return plural(len(m.queue), "student") + " waiting."
	case PageAnnouncements:
		active := 0
		for _, a := range m.history {
			if a.Active(m.now()) {
				active++
			}
		}
		return fmt.Sprintf("%d active; students see an announcement until they dismiss it or it ends.", active)
	case PageAudit:
		return fmt.Sprintf("The latest %s, newest first; / filters, r reloads.", plural(len(m.auditLog), "entry"))
	case PageAssignments:
		return m.describeAssignments()
	}
	return ""
}

// when is a time of day for today, with the day otherwise.
func when(t, now time.Time) string {
	t = t.In(now.Location())
	switch {
	case sameDay(t, now):
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("Jan 2 15:04")
	}
	return t.Format("2006-01-02")
}

func stamp(t, now time.Time) string { return t.In(now.Location()).Format("2006-01-02 15:04:05") }

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// timeKey sorts times as text.
func timeKey(t time.Time) string { return t.UTC().Format("20060102150405.000000") }

// duration is short: 45s, 12m, 1h05m, 2d03h.
func duration(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

func memory(n int64) string {
	if n <= 0 {
		return ""
	}
	return files.FormatSize(n)
}
