package editor

import (
	"context"
	"io"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
	"github.com/classroomd/classroomd/internal/workspace/buffer"
)

// host is the least a parent does: size it, and quit on ctrl+q, or ctrl+c
// when the editor does not take it.
type host struct {
	ed Model
}

func (h host) Init() tea.Cmd { return h.ed.Init() }

func (h host) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		h.ed.SetSize(msg.Width, msg.Height)
		return h, nil
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+q" || msg.String() == "ctrl+c" && !h.ed.Handles(msg) {
			return h, tea.Quit
		}
	}
	var cmd tea.Cmd
	h.ed, cmd = h.ed.Update(msg)
	return h, cmd
}

func (h host) View() tea.View {
	v := tea.NewView(h.ed.View())
	v.MouseMode = tea.MouseModeCellMotion
	return v
}

// Real terminal input, decoded by Bubble Tea, reaches the right bindings.
func TestInProgram(t *testing.T) {
	b := buffer.New("")
	clip := &MemoryClipboard{}
	ed := New(b, Options{Clipboard: clip}, keys.Default().Editor, theme.New(true))
	defer ed.Close()
	r, w := io.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := tea.NewProgram(host{ed: ed}, tea.WithInput(r), tea.WithOutput(io.Discard),
		tea.WithWindowSize(80, 24), tea.WithContext(ctx), tea.WithoutSignals())
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()

	steps := []struct {
		input string
		want  string
	}{
		{"def f():\rreturn 1\r", "def f():\n    return 1\n"},
		{"\x1b[200~x = 1\ny = 2\x1b[201~", "def f():\n    return 1\nx = 1\ny = 2"},
		{"\x1a", "def f():\n    return 1\n"},                                                // ctrl+z: the paste goes at once
		{"\x19", "def f():\n    return 1\nx = 1\ny = 2"},                                    // ctrl+y
		{"\x1b[1;5H\x1b[1;2C\x1b[1;2C\x1b[1;2C\x18", " f():\n    return 1\nx = 1\ny = 2"},   // ctrl+home, shift+right x3, ctrl+x
		{"\x1b[1;5F\x16", " f():\n    return 1\nx = 1\ny = 2def"},                           // ctrl+end, ctrl+v
		{"\x7f\x7f\x7f", " f():\n    return 1\nx = 1\ny = 2"},                               // backspace x3
		{"\x1b[<0;6;2M\x1b[<0;6;2m!", " f():\n !   return 1\nx = 1\ny = 2"},                 // click at line 2, column 2
		{"\x1b[<0;5;3M\x1b[<32;7;3M\x1b[<0;7;3m\x03", " f():\n !   return 1\nx = 1\ny = 2"}, // drag over "x ", ctrl+c copies
		{"\x1b[F\x16", " f():\n !   return 1\nx = 1x \ny = 2"},                              // end, ctrl+v
	}
	for _, s := range steps {
		if _, err := io.WriteString(w, s.input); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for b.Text() != s.want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
		}
		if got := b.Text(); got != s.want {
			t.Fatalf("after %q:\n got %q\nwant %q", s.input, got, s.want)
		}
	}
	if got := clip.Get(); got != "x " {
		t.Errorf("clipboard %q, want %q", got, "x ")
	}
	io.WriteString(w, "\x03") // ctrl+c with nothing selected: the host quits
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("program: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ctrl+c without a selection did not reach the host")
	}
	w.Close()
}
