package passwordform

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/classroomd/classroomd/internal/tui/keys"
	"github.com/classroomd/classroomd/internal/tui/theme"
)

func newForm(change ChangeFunc, cancellable bool) Model {
	m := New(Options{Title: "Change your password", Intro: "Type your current password, then the new one twice.",
		Cancellable: cancellable, Change: change}, keys.Default().Form, theme.New(true))
	m.SetSize(80, 20)
	return m
}

// run feeds cmd's messages back until there are none; it returns the
// messages meant for the parent.
func run(m Model, cmd tea.Cmd) (Model, []tea.Msg) {
	var out []tea.Msg
	for cmd != nil {
		msg := cmd()
		switch msg.(type) {
		case ChangedMsg, CancelledMsg:
			return m, append(out, msg)
		}
		m, cmd = m.Update(msg)
	}
	return m, out
}

func typeText(m Model, s string) Model {
	for _, r := range s {
		m, _ = m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return m
}

func press(m Model, k tea.KeyPressMsg) (Model, []tea.Msg) {
	m, cmd := m.Update(k)
	return run(m, cmd)
}

var (
	enter = tea.KeyPressMsg{Code: tea.KeyEnter}
	tab   = tea.KeyPressMsg{Code: tea.KeyTab}
	esc   = tea.KeyPressMsg{Code: tea.KeyEscape}
)

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"the current password is wrong":    "The current password is wrong.",
		"Already a sentence.":              "Already a sentence.",
		"  über alles  ":                   "Über alles.",
		"is it?":                           "Is it?",
		"evil\x1b[2J":                      "Evil?[2J.",
		"":                                 "Something went wrong. Try again.",
		"that is a PRIVATE key: never…":    "That is a PRIVATE key: never…",
		"the password is too short: use 8": "The password is too short: use 8.",
	} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFieldsHoldAtMost72Bytes(t *testing.T) {
	var got [2]string
	m := newForm(func(c, n string) error { got = [2]string{c, n}; return nil }, true)
	m = typeText(m, strings.Repeat("a", 80))
	if !strings.Contains(ansi.Strip(m.View()), "at most 72 bytes") {
		t.Errorf("no sentence when the field is full:\n%s", ansi.Strip(m.View()))
	}
	m, _ = press(m, tab)
	// A paste is cut on a character boundary: "é" is two bytes.
	m, _ = m.Update(tea.PasteMsg{Content: "x" + strings.Repeat("é", 40)})
	m, _ = press(m, tab)
	m, _ = m.Update(tea.PasteMsg{Content: "x" + strings.Repeat("é", 35) + "\r\n"})
	m, _ = press(m, enter)
	want := "x" + strings.Repeat("é", 35)
	if got[0] != strings.Repeat("a", MaxBytes) || got[1] != want {
		t.Errorf("callback got %q, want 72 a's and %q", got, want)
	}
}

func TestPasteTakesTheFirstLine(t *testing.T) {
	for in, want := range map[string]string{
		"secret\n":         "secret",
		"secret\r\n":       "secret",
		"\nsecret\nmore\n": "secret",
		"tab\there":        "tab\there", // the field then drops the tab
	} {
		if got := pasted(in); got != want {
			t.Errorf("pasted(%q) = %q, want %q", in, got, want)
		}
	}
	var f field = newField("x")
	f.insert("a\tb\x1bc\xffd")
	if string(f.value) != "abcd" {
		t.Errorf("field kept control characters or invalid UTF-8: %q", f.value)
	}
}

func TestDeleteAndClear(t *testing.T) {
	f := newField("x")
	f.insert("aé€")
	backing := f.value[:cap(f.value)]
	f.deleteLast()
	if string(f.value) != "aé" {
		t.Errorf("after backspace: %q", f.value)
	}
	f.clear()
	if len(f.value) != 0 {
		t.Errorf("after clear: %q", f.value)
	}
	// Nothing of what was typed is left in memory the field owns.
	for i, b := range backing {
		if b != 0 {
			t.Fatalf("byte %d of the field is %#x after clear", i, b)
		}
	}
	f.deleteLast() // on an empty field: nothing happens
}

func TestEnterMovesOnUntilTheLastField(t *testing.T) {
	calls := 0
	m := newForm(func(string, string) error { calls++; return nil }, true)
	m = typeText(m, "old")
	m, _ = press(m, enter)
	m = typeText(m, "new")
	m, _ = press(m, enter)
	if calls != 0 || m.focus != fieldAgain {
		t.Fatalf("enter on an unfilled form: calls %d, focus %d", calls, m.focus)
	}
	m = typeText(m, "new")
	m, msgs := press(m, enter)
	if calls != 1 || len(msgs) != 1 {
		t.Fatalf("calls %d, messages %v", calls, msgs)
	}
	if _, ok := msgs[0].(ChangedMsg); !ok {
		t.Errorf("sent %T, want ChangedMsg", msgs[0])
	}
	for i, f := range m.fields {
		if len(f.value) != 0 {
			t.Errorf("field %d not cleared after success", i)
		}
	}
}

func TestErrorClearsTheCurrentPassword(t *testing.T) {
	m := newForm(func(string, string) error { return errors.New("the current password is wrong") }, true)
	m = typeText(m, "old")
	m, _ = press(m, tab)
	m = typeText(m, "new")
	m, _ = press(m, tab)
	m = typeText(m, "new")
	m, msgs := press(m, enter)
	if len(msgs) != 0 {
		t.Errorf("a failed change sent %v", msgs)
	}
	if len(m.fields[fieldCurrent].value) != 0 || m.focus != fieldCurrent {
		t.Error("the current password is not cleared and focused")
	}
	if string(m.fields[fieldNew].value) != "new" || string(m.fields[fieldAgain].value) != "new" {
		t.Error("the new passwords were lost")
	}
	if !strings.Contains(ansi.Strip(m.View()), "The current password is wrong.") {
		t.Errorf("error not shown:\n%s", ansi.Strip(m.View()))
	}
}

func TestCancel(t *testing.T) {
	m := newForm(nil, false)
	m = typeText(m, "abc")
	m, msgs := press(m, esc)
	if len(msgs) != 0 || string(m.fields[fieldCurrent].value) != "abc" {
		t.Errorf("esc cancelled a forced change: %v", msgs)
	}

	m = newForm(nil, true)
	m = typeText(m, "abc")
	m, msgs = press(m, esc)
	if len(msgs) != 1 {
		t.Fatalf("esc sent %v", msgs)
	}
	if _, ok := msgs[0].(CancelledMsg); !ok {
		t.Errorf("esc sent %T, want CancelledMsg", msgs[0])
	}
	if len(m.fields[fieldCurrent].value) != 0 {
		t.Error("cancelling kept what was typed")
	}
}

func TestLateAnswerFromAnotherForm(t *testing.T) {
	old := newForm(func(string, string) error { return nil }, true)
	old = typeText(old, "a")
	old, _ = press(old, tab)
	old = typeText(old, "b")
	old, _ = press(old, tab)
	old = typeText(old, "b")
	_, cmd := old.Update(enter)

	m := newForm(nil, true)
	m, next := m.Update(cmd())
	if next != nil {
		t.Error("a form took another form's answer")
	}
	if strings.Contains(ansi.Strip(m.View()), "Checking") {
		t.Error("a form took another form's answer")
	}
}

func TestViewFits(t *testing.T) {
	m := newForm(func(string, string) error {
		return errors.New("the new password is too short: use at least 10 characters and not your username")
	}, true)
	m = typeText(m, strings.Repeat("Ж", 36))
	m, _ = press(m, tab)
	m = typeText(m, "new")
	m, _ = press(m, tab)
	m = typeText(m, "new")
	m, _ = press(m, enter)
	for _, w := range []int{1, 5, 10, 20, 29, 30, 31, 40, 80, 200} {
		for _, h := range []int{1, 2, 3, 5, 8, 12, 30} {
			t.Run(fmt.Sprintf("%dx%d", w, h), func(t *testing.T) {
				for f := range numFields {
					m.focus = f
					m.SetSize(w, h)
					lines := strings.Split(m.View(), "\n")
					if len(lines) != h {
						t.Errorf("focus %d: %d lines, want %d", f, len(lines), h)
					}
					for i, l := range lines {
						if lw := ansi.StringWidth(l); lw > w {
							t.Errorf("focus %d: line %d is %d cells wide, want at most %d: %q", f, i, lw, w, ansi.Strip(l))
						}
					}
					// The focused field is what must survive a short screen.
					if h >= 2 && w >= 20 && !strings.Contains(ansi.Strip(m.View()), "▸") {
						t.Errorf("focus %d: the focused field is not shown:\n%s", f, ansi.Strip(m.View()))
					}
				}
			})
		}
	}
}
