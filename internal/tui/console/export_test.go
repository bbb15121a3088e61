package consoletui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/console"
)

// LiveRefreshForTest is the answer of the Live page's latest read, as if it
// had returned rows: for the benchmark, which applies it again and again.
func LiveRefreshForTest(m *Model, rows []console.LiveStudent) tea.Msg {
	return loadedMsg{page: PageLive, seq: m.seq[PageLive], live: rows, at: m.now()}
}
