package consoletui_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/console"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/roster"
	"github.com/classroomd/classroomd/internal/store"
	consoletui "github.com/classroomd/classroomd/internal/tui/console"
	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

// fakeDesk is a Desk in memory. It records the calls that change something
// (as "Method arg..."), answers with the errors set in errs (by method), and
// blocks the methods named in block until the caller's context ends.
type fakeDesk struct {
	mu      sync.Mutex
	roster  []console.Student
	live    []console.LiveStudent
	queue   []classroom.QueueEntry
	history []store.Announcement
	audit   []store.AuditEntry
	preview console.ImportPreview
	report  accounts.ImportReport
	homes   map[string]string // student -> home folder, for BrowseHome
	errs    map[string]error
	block   map[string]bool
	calls   []string
	reads   map[string]int // calls of the reading methods, by method

	subMu  sync.Mutex
	subs   []chan classroom.Event
	unsubs atomic.Int32
}

func newFake() *fakeDesk {
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	f := &fakeDesk{errs: map[string]error{}, block: map[string]bool{}, reads: map[string]int{}, homes: map[string]string{}}
	f.roster = []console.Student{
		{User: store.User{Username: "alice", FullName: "Alice Liddell", Email: "alice@example.edu", Role: store.RoleStudent,
			LastLoginAt: now.Add(-time.Hour)}, Online: true, Connections: 2},
		{User: store.User{Username: "bob", FullName: "Bob Marley", Role: store.RoleStudent, MustChangePassword: true}},
		{User: store.User{Username: "carol", FullName: "Carol Danvers", Role: store.RoleStudent, Disabled: true}},
		{User: store.User{Username: "prof", FullName: "Pat Professor", Role: store.RoleProfessor}, Online: true, Connections: 1},
	}
	f.live = []console.LiveStudent{
		{Username: "alice", FullName: "Alice Liddell", Connections: 2, Transports: []string{"ssh", "web"},
			Since: now.Add(-30 * time.Minute), Idle: 12 * time.Second, OpenFile: "lab1/primes.py", REPL: "running primes.py",
			CPUPercent: 87.5, MemoryBytes: 45 << 20, Watchers: []string{"prof"}},
		{Username: "dave", FullName: "Dave Grohl", Connections: 1, Transports: []string{"ssh"},
			Since: now.Add(-5 * time.Minute), Idle: 4 * time.Minute, REPL: "ready", CPUPercent: 0.5, MemoryBytes: 9 << 20},
	}
	f.queue = []classroom.QueueEntry{
		{HelpRequest: store.HelpRequest{ID: 7, Student: "alice", Question: "my loop never ends", CreatedAt: now.Add(-12 * time.Minute)},
			Place: 1, Waiting: 12 * time.Minute},
		{HelpRequest: store.HelpRequest{ID: 9, Student: "bob", CreatedAt: now.Add(-3 * time.Minute), ClaimedBy: "other"},
			Place: 2, Waiting: 3 * time.Minute},
	}
	f.history = []store.Announcement{
		{ID: 2, Author: "prof", Text: "Lab ends at noon", CreatedAt: now.Add(-10 * time.Minute)},
		{ID: 1, Author: "prof", Text: "Welcome to the lab", CreatedAt: now.Add(-2 * time.Hour), RetractedAt: now.Add(-time.Hour), RetractedBy: "prof"},
	}
	f.audit = []store.AuditEntry{
		{ID: 3, At: now.Add(-time.Minute), Actor: "prof", Action: "live.view", Target: "alice", Remote: "10.0.0.1:5555", Outcome: "ok"},
		{ID: 2, At: now.Add(-2 * time.Minute), Actor: "alice", Action: "console.roster", Remote: "10.0.0.2:4444", Outcome: "denied", Detail: "not a professor"},
		{ID: 1, At: now.Add(-3 * time.Minute), Actor: "prof", Action: "user.passwd", Target: "bob", Remote: "local", Outcome: "ok", Detail: "generated"},
	}
	return f
}

func (f *fakeDesk) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// enter records a call and returns its error; a blocked method waits for ctx.
func (f *fakeDesk) enter(ctx context.Context, method string) error {
	f.mu.Lock()
	f.reads[method]++
	err, block := f.errs[method], f.block[method]
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (f *fakeDesk) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeDesk) readCount(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads[method]
}

func (f *fakeDesk) set(fn func(f *fakeDesk)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeDesk) Roster(ctx context.Context) ([]console.Student, error) {
	if err := f.enter(ctx, "Roster"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]console.Student(nil), f.roster...), nil
}

func (f *fakeDesk) AddUser(ctx context.Context, nu accounts.NewUser) (store.User, string, error) {
	f.record("AddUser %s|%s|%s|%s", nu.Username, nu.FullName, nu.Email, nu.Role)
	if err := f.enter(ctx, "AddUser"); err != nil {
		return store.User{}, "", err
	}
	u := store.User{Username: nu.Username, FullName: nu.FullName, Email: nu.Email, Role: nu.Role, MustChangePassword: true}
	f.mu.Lock()
	f.roster = append(f.roster, console.Student{User: u})
	f.mu.Unlock()
	return u, "gen-pass-" + nu.Username, nil
}

func (f *fakeDesk) UpdateUser(ctx context.Context, username string, ch console.UserChange) (store.User, error) {
	show := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	role := "-"
	if ch.Role != nil {
		role = string(*ch.Role)
	}
	f.record("UpdateUser %s %s|%s|%s", username, show(ch.FullName), show(ch.Email), role)
	return store.User{Username: username}, f.enter(ctx, "UpdateUser")
}

func (f *fakeDesk) SetDisabled(ctx context.Context, username string, disabled bool) error {
	f.record("SetDisabled %s %v", username, disabled)
	return f.enter(ctx, "SetDisabled")
}

func (f *fakeDesk) ResetPassword(ctx context.Context, username string) (string, error) {
	f.record("ResetPassword %s", username)
	if err := f.enter(ctx, "ResetPassword"); err != nil {
		return "", err
	}
	return "new-pass-" + username, nil
}

func (f *fakeDesk) PreviewImport(ctx context.Context, src console.ImportSource) (console.ImportPreview, error) {
	f.record("PreviewImport text=%q path=%q", src.Text, src.Path)
	if err := f.enter(ctx, "PreviewImport"); err != nil {
		return console.ImportPreview{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.preview, nil
}

func (f *fakeDesk) Import(ctx context.Context, src console.ImportSource) (accounts.ImportReport, error) {
	f.record("Import text=%q path=%q", src.Text, src.Path)
	if err := f.enter(ctx, "Import"); err != nil {
		return accounts.ImportReport{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.report, nil
}

func (f *fakeDesk) ExportCSV(ctx context.Context) ([]byte, error) {
	f.record("ExportCSV")
	if err := f.enter(ctx, "ExportCSV"); err != nil {
		return nil, err
	}
	return []byte("username,full_name\nalice,Alice Liddell\n"), nil
}

func (f *fakeDesk) Live(ctx context.Context) ([]console.LiveStudent, error) {
	if err := f.enter(ctx, "Live"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]console.LiveStudent(nil), f.live...), nil
}

func (f *fakeDesk) RestartREPL(ctx context.Context, student string) error {
	f.record("RestartREPL %s", student)
	return f.enter(ctx, "RestartREPL")
}

func (f *fakeDesk) EndSession(ctx context.Context, student, message string) error {
	f.record("EndSession %s %q", student, message)
	return f.enter(ctx, "EndSession")
}

func (f *fakeDesk) BrowseHome(ctx context.Context, student string) (*files.Home, error) {
	f.record("BrowseHome %s", student)
	if err := f.enter(ctx, "BrowseHome"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	dir, ok := f.homes[student]
	f.mu.Unlock()
	if !ok {
		return nil, errors.New("there is no home for " + student)
	}
	return files.OpenReadOnly(dir)
}

func (f *fakeDesk) Audit(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	if err := f.enter(ctx, "Audit"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]store.AuditEntry(nil), f.audit...), nil
}

func (f *fakeDesk) Announce(ctx context.Context, text string) (store.Announcement, error) {
	f.record("Announce %q", text)
	if err := f.enter(ctx, "Announce"); err != nil {
		return store.Announcement{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a := store.Announcement{ID: int64(len(f.history) + 1), Author: "prof", Text: text, CreatedAt: time.Now()}
	f.history = append([]store.Announcement{a}, f.history...)
	return a, nil
}

func (f *fakeDesk) Retract(ctx context.Context, id int64) error {
	f.record("Retract %d", id)
	return f.enter(ctx, "Retract")
}

func (f *fakeDesk) History(ctx context.Context, limit int) ([]store.Announcement, error) {
	if err := f.enter(ctx, "History"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]store.Announcement(nil), f.history...), nil
}

func (f *fakeDesk) Queue(ctx context.Context) ([]classroom.QueueEntry, error) {
	if err := f.enter(ctx, "Queue"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]classroom.QueueEntry(nil), f.queue...), nil
}

func (f *fakeDesk) Claim(ctx context.Context, id int64) (store.HelpRequest, error) {
	f.record("Claim %d", id)
	return store.HelpRequest{ID: id}, f.enter(ctx, "Claim")
}

func (f *fakeDesk) Unclaim(ctx context.Context, id int64) error {
	f.record("Unclaim %d", id)
	return f.enter(ctx, "Unclaim")
}

func (f *fakeDesk) Resolve(ctx context.Context, id int64) error {
	f.record("Resolve %d", id)
	return f.enter(ctx, "Resolve")
}

func (f *fakeDesk) Subscribe() (<-chan classroom.Event, func()) {
	ch := make(chan classroom.Event, 1)
	f.subMu.Lock()
	f.subs = append(f.subs, ch)
	f.subMu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.unsubs.Add(1)
			f.subMu.Lock()
			defer f.subMu.Unlock()
			for i, c := range f.subs {
				if c == ch {
					f.subs = append(f.subs[:i], f.subs[i+1:]...)
				}
			}
			close(ch)
		})
	}
}

// publish sends e to every subscriber (as the hub does, without blocking).
func (f *fakeDesk) publish(e classroom.Event) {
	f.subMu.Lock()
	defer f.subMu.Unlock()
	for _, ch := range f.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

func (f *fakeDesk) subscribers() int {
	f.subMu.Lock()
	defer f.subMu.Unlock()
	return len(f.subs)
}

var _ consoletui.Desk = (*fakeDesk)(nil)

// The clock of the tests: the fake's times are around it.
var testNow = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)

// driver runs a console as a Program would, but from the test: commands run
// in goroutines and their messages are taken in, one at a time, by until.
type driver struct {
	t     testing.TB
	m     *consoletui.Model
	desk  *fakeDesk
	msgs  chan tea.Msg
	alive atomic.Int32 // commands running
	quit  atomic.Bool

	mu     sync.Mutex
	opened []string // the OpenLiveView messages, by username
	saved  map[string]string
}

// start runs a console on desk (and, given one, page 6 on a course).
func start(t testing.TB, desk *fakeDesk, w, h int, course ...consoletui.Course) *driver {
	t.Helper()
	d := &driver{t: t, desk: desk, msgs: make(chan tea.Msg, 256), saved: map[string]string{}}
	var c consoletui.Course
	if len(course) > 0 {
		c = course[0]
	}
	d.m = consoletui.New(context.Background(), desk, keys.Default(), theme.New(true), consoletui.Options{
		Username: "prof",
		Course:   c,
		Now:      func() time.Time { return testNow },
		SaveFile: func(name string, data []byte) error {
			if strings.Contains(name, "/") {
				return errors.New("a file name cannot hold a slash; type a name only")
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			d.saved[name] = string(data)
			return nil
		},
	})
	t.Cleanup(func() {
		d.m.Close()
		d.settle()
	})
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	d.exec(d.m.Init())
	d.until("the roster", func(s string) bool { return strings.Contains(s, "alice") })
	return d
}

func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	d.alive.Add(1)
	go func() {
		defer d.alive.Add(-1)
		switch msg := cmd().(type) {
		case nil:
		case tea.QuitMsg:
			d.quit.Store(true)
		case tea.BatchMsg:
			for _, c := range msg {
				d.exec(c)
			}
		default:
			d.msgs <- msg
		}
	}()
}

func (d *driver) send(msg tea.Msg) {
	if o, ok := msg.(consoletui.OpenLiveView); ok {
		d.mu.Lock()
		d.opened = append(d.opened, o.Username)
		d.mu.Unlock()
	}
	_, cmd := d.m.Update(msg)
	d.exec(cmd)
}

func (d *driver) openedViews() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.opened...)
}

func (d *driver) press(ks ...tea.KeyPressMsg) {
	for _, k := range ks {
		d.send(k)
		d.drain()
	}
}

func (d *driver) typeText(s string) {
	for _, r := range s {
		d.press(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// drain takes in the messages already waiting.
func (d *driver) drain() {
	for {
		select {
		case msg := <-d.msgs:
			d.send(msg)
		default:
			return
		}
	}
}

// settle takes in messages until every command has ended (after Close).
func (d *driver) settle() {
	deadline := time.Now().Add(10 * time.Second)
	for d.alive.Load() > 0 && time.Now().Before(deadline) {
		select {
		case <-d.msgs:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (d *driver) raw() string    { return d.m.Render() }
func (d *driver) screen() string { return ansi.Strip(d.raw()) }

// oneLine is the screen with its lines joined, for sentences that wrap.
func (d *driver) oneLine() string { return strings.Join(strings.Fields(d.screen()), " ") }

// status is the status line (above the help bar).
func (d *driver) status() string {
	ls := strings.Split(d.screen(), "\n")
	return strings.TrimSpace(ls[len(ls)-2])
}

// until takes in messages until cond holds for the screen.
func (d *driver) until(what string, cond func(screen string) bool) {
	d.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		d.drain()
		if cond(d.screen()) {
			return
		}
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-time.After(20 * time.Millisecond): // look again
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; screen:\n%s", what, d.screen())
		}
	}
}

// untilCalled waits for a call starting with prefix.
func (d *driver) untilCalled(prefix string) {
	d.t.Helper()
	d.untilTrue("a call "+prefix, func() bool {
		for _, c := range d.desk.called() {
			if strings.HasPrefix(c, prefix) {
				return true
			}
		}
		return false
	})
}

// untilTrue takes in messages until cond holds.
func (d *driver) untilTrue(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		d.drain()
		if cond() {
			return
		}
		select {
		case msg := <-d.msgs:
			d.send(msg)
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; calls %q; screen:\n%s", what, d.desk.called(), d.screen())
		}
	}
}

func (d *driver) hasCall(call string) bool {
	for _, c := range d.desk.called() {
		if c == call {
			return true
		}
	}
	return false
}

// checkFits fails unless the screen is exactly w x h cells at most.
func (d *driver) checkFits(w, h int, what string) {
	d.t.Helper()
	lines := strings.Split(d.raw(), "\n")
	if len(lines) != h {
		d.t.Errorf("%s at %dx%d: %d lines", what, w, h, len(lines))
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			d.t.Errorf("%s at %dx%d: line %d is %d cells wide: %q", what, w, h, i, lw, ansi.Strip(l))
		}
	}
}

// goroutines waits for the goroutine count to come down to n or below.
func goroutinesDownTo(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond) // polling a count, with a deadline
	}
}

var _ = roster.LineError{}
