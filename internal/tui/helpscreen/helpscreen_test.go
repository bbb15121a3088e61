package helpscreen

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

var (
	down = tea.KeyPressMsg{Code: tea.KeyDown}
	end  = tea.KeyPressMsg{Code: tea.KeyEnd}
	home = tea.KeyPressMsg{Code: tea.KeyHome}
)

// seen is everything the screen shows while scrolled from top to bottom,
// one screen a line, words joined by single spaces (descriptions may wrap).
func seen(m Model) string {
	var b strings.Builder
	m, _ = m.Update(home)
	for range len(m.lines()) + 1 {
		b.WriteString(strings.Join(strings.Fields(ansi.Strip(m.View())), " ") + "\n")
		m, _ = m.Update(down)
	}
	return b.String()
}

func TestListsEveryBinding(t *testing.T) {
	km := keys.Default()
	for _, size := range [][2]int{{80, 22}, {40, 10}, {20, 6}, {200, 50}} {
		m := New(km, theme.New(true))
		m.SetSize(size[0], size[1])
		all := seen(m)
		for _, g := range km.Groups() {
			if !strings.Contains(all, g.Title) {
				t.Errorf("%v: group %q missing", size, g.Title)
			}
			for _, e := range g.Entries {
				h := e.Binding.Help()
				if !strings.Contains(all, h.Key) || !strings.Contains(all, e.Description()) {
					t.Errorf("%v: %q %q missing", size, h.Key, e.Description())
				}
			}
		}
	}
}

// At 80x24 the workspace's own keys (the first group) and the start of the
// next show on the first screen, without scrolling; the rest is a scroll
// away. A large terminal shows everything at once, in columns.
func TestLayout(t *testing.T) {
	m := New(keys.Default(), theme.New(true))
	m.SetSize(80, 22)
	scr := ansi.Strip(m.View())
	for _, want := range []string{"Workspace", "F2", "F5", "ctrl+p", "ctrl+s", "Files"} {
		if !strings.Contains(scr, want) {
			t.Errorf("80x22: %q not on the first screen:\n%s", want, scr)
		}
	}
	m.SetSize(200, 48)
	if n := len(m.lines()); n > 48 {
		t.Errorf("%d lines at 200 columns, want at most 48", n)
	}
	scr = ansi.Strip(m.View())
	if !strings.Contains(scr, "F8  change password") || !strings.Contains(scr, "ctrl+z") {
		t.Errorf("200x48 does not show everything:\n%s", scr)
	}
	if cols := strings.Count(strings.Split(scr, "\n")[0], "  "); cols == 0 {
		t.Errorf("200x48 is one column:\n%s", scr)
	}
}

func TestFits(t *testing.T) {
	for _, w := range []int{1, 10, 20, 40, 79, 80, 120, 200} {
		for _, h := range []int{1, 3, 10, 40} {
			t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
				m := New(keys.Default(), theme.New(true))
				m.SetSize(w, h)
				for _, k := range []tea.KeyPressMsg{home, end, down} {
					m, _ = m.Update(k)
					lines := strings.Split(m.View(), "\n")
					if len(lines) != h {
						t.Errorf("after %s: %d lines, want %d", k, len(lines), h)
					}
					for i, l := range lines {
						if lw := ansi.StringWidth(l); lw > w {
							t.Errorf("after %s: line %d is %d cells wide: %q", k, i, lw, ansi.Strip(l))
						}
					}
				}
			})
		}
	}
}
