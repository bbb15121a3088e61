package tui_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/tui"
	"github.com/classroomd/classroomd/internal/workspace"
)

// fakeClass is a student's seat in a class the test runs.
type fakeClass struct {
	mu        sync.Mutex
	news      []store.Announcement
	dismissed []int64
	question  string
	place     int
	events    chan classroom.Event
}

func newFakeClass() *fakeClass { return &fakeClass{events: make(chan classroom.Event, 1)} }

func (c *fakeClass) Current(context.Context) ([]store.Announcement, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []store.Announcement
	for _, a := range c.news {
		seen := false
		for _, id := range c.dismissed {
			seen = seen || id == a.ID
		}
		if !seen {
			out = append(out, a)
		}
	}
	return out, nil
}
func (c *fakeClass) Dismiss(_ context.Context, id int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dismissed = append(c.dismissed, id)
	// As the hub does: the other views (and this one, whose load may have
	// raced the dismissal) read the announcements again.
	go func() { c.events <- classroom.Event{Dismissed: []string{"alice"}} }()
	return nil
}
func (c *fakeClass) RequestHelp(_ context.Context, q string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.question, c.place = q, 3
	return 3, nil
}
func (c *fakeClass) CancelHelp(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.place = 0
	return nil
}
func (c *fakeClass) MyRequest(context.Context) (classroom.HelpStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.place == 0 {
		return classroom.HelpStatus{}, nil
	}
	return classroom.HelpStatus{Place: c.place, Waiting: 3 * time.Minute,
		Request: store.HelpRequest{Student: "alice", Question: c.question, ClaimedBy: "bob"}}, nil
}
func (c *fakeClass) Subscribe() (<-chan classroom.Event, func()) { return c.events, func() {} }

func (c *fakeClass) announce(a store.Announcement) {
	c.mu.Lock()
	c.news = append(c.news, a)
	c.mu.Unlock()
	c.events <- classroom.Event{Announcements: true}
}

func driveClass(t *testing.T, sp *space, c tui.Classroom) *driver {
	t.Helper()
	d := &driver{t: t, msgs: make(chan tea.Msg, 64), w: 100, h: 30}
	d.m = tui.New(tui.Options{Username: "alice", Role: "student", Workspace: sp.ws, Classroom: c})
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: d.w, Height: d.h})
	d.exec(d.m.Init())
	d.until("the files are listed", has("welcome.py"))
	return d
}

// An announcement shows at once as a banner over the panes, escapes and
// all made harmless, until the student dismisses it (F12); the layout
// gives the row back.
func TestAnnouncementBanner(t *testing.T) {
	sp := newSpace(t, nil)
	c := newFakeClass()
	d := driveClass(t, sp, c)
	c.announce(store.Announcement{ID: 7, Author: "bob", Text: "Lab ends at 5 \x1b[2J", CreatedAt: time.Now()})
	d.shows("Announcement from bob")
	d.shows("Lab ends at 5")
	if strings.Contains(d.raw(), "\x1b[2J") {
		t.Error("an escape sequence from the announcement reached the terminal")
	}
	d.fits("with the banner")
	if rows := strings.Split(d.screen(), "\n"); !strings.Contains(rows[1], "Announcement") || !strings.HasPrefix(rows[2], " Files") {
		t.Errorf("the banner is not the row under the header, above the panes:\n%s", d.screen())
	}
	d.press(tea.KeyPressMsg{Code: tea.KeyF12})
	d.until("the banner gone", func(s string) bool { return !strings.Contains(s, "Announcement from") })
	d.fits("after dismissing")
	d.until("the dismissal stored", func(string) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.dismissed) == 1 && c.dismissed[0] == 7
	})
}

// F9 asks for help with a question and says the place; F9 again says where
// the student is and who is coming, and can withdraw.
func TestAskForHelp(t *testing.T) {
	sp := newSpace(t, nil)
	c := newFakeClass()
	d := driveClass(t, sp, c)
	d.press(tea.KeyPressMsg{Code: tea.KeyF9})
	d.shows("Ask for help")
	d.typeText("my loop never ends")
	d.press(keyEnter)
	d.shows("You are number 3 in the help queue")
	c.mu.Lock()
	q := c.question
	c.mu.Unlock()
	if q != "my loop never ends" {
		t.Errorf("question %q", q)
	}
	d.press(tea.KeyPressMsg{Code: tea.KeyF9})
	d.shows("bob is coming to help you")
	d.press(letter('y'))
	d.shows("Your help request was withdrawn")
}

// The student always sees who watches, and who types in their workspace;
// a session ended by a professor quits with the professor's message.
func TestWatchedAndEnded(t *testing.T) {
	sp := newSpace(t, nil)
	d := drive(t, sp, 100, 30)
	prof := sp.ws.AttachView(workspace.ViewOptions{Watcher: "bob"}, 100, 30)
	d.shows("watched by bob")
	sp.ws.SetControl(prof, true)
	d.shows("bob is typing in your workspace")
	sp.ws.DetachView(prof)
	d.until("no watcher", func(s string) bool { return !strings.Contains(s, "bob") })

	sp.ws.End("Lab is over, see you Monday.")
	d.until("the program quit", func(string) bool { return d.quit.Load() })
	if got := d.m.ExitText(); got != "Lab is over, see you Monday." {
		t.Errorf("ExitText = %q", got)
	}
}
