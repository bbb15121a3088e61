package tui_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// overlaid is a model whose views are sent to it: content and overlay.
type overlaid struct{ v tea.View }

type setView tea.View

func (o overlaid) Init() tea.Cmd { return nil }
func (o overlaid) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if v, ok := msg.(setView); ok {
		o.v = tea.View(v)
	}
	return o, nil
}
func (o overlaid) View() tea.View { v := o.v; v.AltScreen = true; return v }

// written is what a program wrote, safe to read while it writes.
type written struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *written) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// next waits until the output holds want after the last call's end, and
// returns what came from there to the end of want.
func (w *written) next(t *testing.T, from *int, want string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		w.mu.Lock()
		s := w.b.String()[*from:]
		w.mu.Unlock()
		if i := strings.Index(s, want); i >= 0 {
			out := s[:i+len(want)]
			*from += len(out)
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output since: %q", want, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The renderer's overlay (third_party/bubbletea, View.Overlay, for figures
// in pixel protocols): drawn after the frame's cells, not again while it is
// unchanged, its erase written before the cells of the frame that changes
// it, and drawn again after the screen was erased (a resize).
func TestFigureOverlayDrawnAfterTheFrameAndErased(t *testing.T) {
	out := &written{}
	p := tea.NewProgram(overlaid{}, tea.WithInput(nil), tea.WithOutput(out),
		tea.WithWindowSize(40, 10), tea.WithColorProfile(colorprofile.TrueColor), tea.WithoutSignals())
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	defer func() {
		p.Quit()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	from := 0
	p.Send(setView{Content: "first frame", Overlay: "<IMAGE-A>", OverlayErase: "<ERASE-A>"})
	got := out.next(t, &from, "<IMAGE-A>")
	if !strings.Contains(got, "first frame") {
		t.Errorf("the overlay came before the frame's cells: %q", got)
	}

	// The text changes, the overlay does not: it is not sent again.
	p.Send(setView{Content: "second frame", Overlay: "<IMAGE-A>", OverlayErase: "<ERASE-A>"})
	got = out.next(t, &from, "second")
	p.Send(setView{Content: "third frame", Overlay: "<IMAGE-A>", OverlayErase: "<ERASE-A>"})
	got += out.next(t, &from, "third")
	if strings.Contains(got, "<IMAGE-A>") || strings.Contains(got, "<ERASE-A>") {
		t.Errorf("an unchanged overlay was written again: %q", got)
	}

	// It moves: the old one is erased before the cells, the new one after.
	p.Send(setView{Content: "fourth frame", Overlay: "<IMAGE-B>", OverlayErase: "<ERASE-B>"})
	got = out.next(t, &from, "<IMAGE-B>")
	e, c := strings.Index(got, "<ERASE-A>"), strings.Index(got, "fourth")
	if e < 0 || c < 0 || e > c {
		t.Errorf("want the old erase, then the cells, then the new image: %q", got)
	}

	// A resize erases the screen: drawn again, and not erased (nothing to).
	p.Send(tea.WindowSizeMsg{Width: 50, Height: 12})
	p.Send(setView{Content: "fifth frame", Overlay: "<IMAGE-B>", OverlayErase: "<ERASE-B>"})
	got = out.next(t, &from, "<IMAGE-B>")
	if strings.Contains(got, "<ERASE-B>") {
		t.Errorf("erased on a screen already erased: %q", got)
	}

	// Gone: erased, nothing drawn.
	p.Send(setView{Content: "no overlay now"})
	got = out.next(t, &from, "overlay now")
	if !strings.Contains(got, "<ERASE-B>") {
		t.Errorf("the overlay was not erased when it went: %q", got)
	}
}
