package tui_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/tui"
)

// fakeSettings is tui.Settings in memory. With hold set, each call waits
// until a value is sent on it (or the test ends); failSet makes writes fail.
type fakeSettings struct {
	mu       sync.Mutex
	values   map[string]string
	writes   []string // name=value, in the order stored
	inFlight int      // writes running now
	most     int      // the most writes ever running at once
	failSet  error
	hold     chan struct{}
}

func newFakeSettings(t *testing.T, kv ...string) *fakeSettings {
	f := &fakeSettings{values: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.values[kv[i]] = kv[i+1]
	}
	return f
}

func (f *fakeSettings) wait(ctx context.Context) error {
	f.mu.Lock()
	hold := f.hold
	f.mu.Unlock()
	if hold == nil {
		return nil
	}
	select {
	case <-hold:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeSettings) Setting(ctx context.Context, name string) (string, error) {
	if err := f.wait(ctx); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.values[name], nil
}

func (f *fakeSettings) SetSetting(ctx context.Context, name, value string) error {
	f.mu.Lock()
	f.inFlight++
	f.most = max(f.most, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if err := f.wait(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failSet != nil {
		return f.failSet
	}
	f.values[name] = value
	f.writes = append(f.writes, name+"="+value)
	return nil
}

func (f *fakeSettings) get(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.values[name]
}

// driveSettings is drive with Settings and a transport.
func driveSettings(t *testing.T, sp *space, transport string, st tui.Settings) *driver {
	t.Helper()
	d := &driver{t: t, msgs: make(chan tea.Msg, 64), w: 120, h: 40}
	d.m = tui.New(tui.Options{Username: "alice", Role: "student", Home: sp.home, Workspace: sp.ws,
		Transport: transport, Settings: st})
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: d.w, Height: d.h})
	d.exec(d.m.Init())
	d.until("the files are listed", has("welcome.py"))
	return d
}

var ctrlF4 = tea.KeyPressMsg{Code: tea.KeyF4, Mod: tea.ModCtrl}

// statusIs waits for the status bar to start with want.
func (d *driver) statusIs(want string) {
	d.t.Helper()
	d.until("the status "+want, func(string) bool { return strings.HasPrefix(d.status(), want) })
}

// ctrl+F4 stores the choice for this transport and says it is remembered;
// the next login (a new view) reads it, applies it and says so, and the next
// ctrl+F4 goes on from it. The browser's choice is another one.
func TestFigureChoiceRemembered(t *testing.T) {
	sp := newSpace(t, nil)
	st := newFakeSettings(t)
	d := driveSettings(t, sp, "ssh", st)
	d.press(ctrlF4)
	d.statusIs("Figures: blocks, remembered for your ssh logins (ctrl+F4 to change).")
	if got := st.get("figures.ssh"); got != "blocks" {
		t.Fatalf("figures.ssh = %q after ctrl+F4, want blocks", got)
	}
	d.m.Close()

	again := driveSettings(t, sp, "ssh", st)
	again.statusIs("Figures: blocks, remembered for your ssh logins (ctrl+F4 to change).")
	again.press(ctrlF4)
	again.statusIs("Figures: kitty, remembered for your ssh logins")
	if got := st.get("figures.ssh"); got != "kitty" {
		t.Errorf("figures.ssh = %q, want kitty", got)
	}

	// The browser: its own setting, untouched by the ssh choice.
	web := driveSettings(t, sp, "web", st)
	if s := web.status(); strings.Contains(s, "Figures") {
		t.Errorf("a browser view says %q: the ssh choice reached it", s)
	}
	web.press(ctrlF4)
	web.statusIs("Figures: blocks, remembered for your browser logins")
	if got, ssh := st.get("figures.web"), st.get("figures.ssh"); got != "blocks" || ssh != "kitty" {
		t.Errorf("figures.web = %q, figures.ssh = %q; want blocks and kitty", got, ssh)
	}
}

// A stored value that is not a choice a student can make (an unknown word,
// escapes, the page's own protocol, another case) is read as auto: nothing
// is said and the next ctrl+F4 gives blocks, the one after auto.
func TestFigureChoiceUnknownIsAuto(t *testing.T) {
	sp := newSpace(t, nil)
	for _, v := range []string{"bogus", "page", "KITTY", "kitty\x1b[2J", " blocks", "auto"} {
		st := newFakeSettings(t, "figures.ssh", v)
		d := driveSettings(t, sp, "ssh", st)
		d.press(ctrlF4)
		d.statusIs("Figures: blocks, remembered")
		if strings.Contains(d.raw(), "\x1b[2J") {
			t.Errorf("the stored %q reached the terminal", v)
		}
		d.m.Close()
	}
}

// A store that fails: the choice applies to this connection all the same,
// the status says (as an error) that it was not remembered, and ctrl+F4
// goes on from it.
func TestFigureChoiceNotStored(t *testing.T) {
	sp := newSpace(t, nil)
	st := newFakeSettings(t)
	st.failSet = errors.New("database is locked")
	d := driveSettings(t, sp, "ssh", st)
	d.press(ctrlF4)
	d.statusIs("Figures: blocks, for this connection only: the server could not remember the choice for your next logins.")
	if strings.Contains(d.status(), "locked") {
		t.Errorf("the store's error reached the student: %q", d.status())
	}
	d.press(ctrlF4)
	d.statusIs("Figures: kitty")
}

// Choices made faster than the store writes are stored one at a time and
// the last is the one kept; a remembered choice that arrives after the
// student chose does not undo theirs.
func TestFigureChoiceOrder(t *testing.T) {
	sp := newSpace(t, map[string]string{})
	st := newFakeSettings(t, "figures.ssh", "sixel")
	st.hold = make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(st.hold) }) }
	t.Cleanup(release)
	d := driveSettings(t, sp, "ssh", st) // the load waits

	d.press(ctrlF4, ctrlF4, ctrlF4) // blocks, kitty, iterm2: the first write waits
	d.statusIs("Figures: iterm2 (ctrl+F4 to change).")
	release()
	d.statusIs("Figures: iterm2, remembered for your ssh logins")
	d.until("iterm2 stored", func(string) bool { return st.get("figures.ssh") == "iterm2" })
	st.mu.Lock()
	writes, most := strings.Join(st.writes, " "), st.most
	st.mu.Unlock()
	if writes != "figures.ssh=blocks figures.ssh=iterm2" || most != 1 {
		t.Errorf("writes %q with at most %d at once; want blocks then iterm2, one at a time", writes, most)
	}
	d.press(ctrlF4)
	d.statusIs("Figures: sixel") // after iterm2: the late "sixel" read changed nothing
}

// The remembered choice is what the view draws with, over what the client
// claims: the browser-like option says iterm2, the student chose blocks at
// an earlier login, and plt.show() draws half blocks and no image.
func TestRememberedFigureChoiceIsDrawn(t *testing.T) {
	needSandbox(t)
	sp := newSpace(t, nil)
	st := newFakeSettings(t, "figures.ssh", "blocks")
	d := &driver{t: t, msgs: make(chan tea.Msg, 64), w: 200, h: 50}
	d.m = tui.New(tui.Options{Username: "alice", Role: "student", Home: sp.home, Workspace: sp.ws, Graphics: "iterm2",
		Transport: "ssh", Settings: st})
	t.Cleanup(d.m.Close)
	d.send(tea.WindowSizeMsg{Width: d.w, Height: d.h})
	d.exec(d.m.Init())
	d.statusIs("Figures: blocks, remembered for your ssh logins")
	d.press(tea.KeyPressMsg{Code: tea.KeyF4})
	d.shows(">>>")
	d.typeText("import matplotlib.pyplot as plt; plt.plot([1, 3, 2]); plt.show()\n")
	d.shows("[figure saved: ~/figures/python-1.png]")
	d.until("the figure in half blocks", func(string) bool { return strings.Count(d.raw(), "▀") > 100 })
	if v := d.m.View(); strings.Contains(v.Overlay, "\x1b]1337") {
		t.Errorf("an iTerm2 image drawn, not the remembered blocks: %q", v.Overlay[:min(len(v.Overlay), 40)])
	}
}
