// Package theme holds every style of the TUI. Colours are plain lipgloss
// colours: Bubble Tea downsamples them to the terminal's profile, and under
// NO_COLOR only the text attributes (bold, reverse, faint) remain, so each
// style that matters also carries one of those.
package theme

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Theme is a set of styles for one background (dark or light).
type Theme struct {
	Header      lipgloss.Style // the top bar
	Brand       lipgloss.Style // "classroomd" inside the top bar
	HeaderMuted lipgloss.Style // the role, right of the top bar

	PaneTitle lipgloss.Style
	Dir       lipgloss.Style
	File      lipgloss.Style
	Symlink   lipgloss.Style
	Selected  lipgloss.Style // the tree's cursor row, over the whole width
	Muted     lipgloss.Style // hints such as "(empty)"

	Status      lipgloss.Style
	StatusError lipgloss.Style

	Heading      lipgloss.Style // a screen's title: the password form, the full help's groups
	Label        lipgloss.Style // a form field's name
	LabelFocused lipgloss.Style // the field being typed into (bold, so it shows without colour)
	Input        lipgloss.Style // what a field shows of its text (bullets)
	Cursor       lipgloss.Style // the cell where typing goes (reversed, so it shows without colour)
	Error        lipgloss.Style // a sentence saying what went wrong, inside a screen

	// The editor.
	LineNumber        lipgloss.Style // the gutter
	LineNumberCurrent lipgloss.Style // the cursor's line in the gutter (bold, so it shows without colour)
	Selection         lipgloss.Style // selected text (reversed, so it shows without colour)
	Prompt            lipgloss.Style // the find and go-to-line prompt's label
	Code              Code

	Help help.Styles
}

// Code holds the styles of highlighted Python. Under NO_COLOR keywords stay
// bold and comments italic; the rest is plain.
type Code struct {
	Keyword   lipgloss.Style // def, if, and, not...
	Constant  lipgloss.Style // True, False, None
	String    lipgloss.Style
	Number    lipgloss.Style
	Comment   lipgloss.Style
	Builtin   lipgloss.Style // print, len, self...
	Function  lipgloss.Style // the name after def or class
	Decorator lipgloss.Style
}

// New returns the theme for a dark or light terminal background.
func New(isDark bool) Theme {
	ld := lipgloss.LightDark(isDark)
	var (
		accent  = ld(lipgloss.Color("#5A3FC0"), lipgloss.Color("#B9A6FF"))
		barBG   = ld(lipgloss.Color("#E4E0F5"), lipgloss.Color("#2B2540"))
		barFG   = ld(lipgloss.Color("#1E1A2E"), lipgloss.Color("#ECE9F7"))
		muted   = ld(lipgloss.Color("#77728A"), lipgloss.Color("#8E89A3"))
		dir     = ld(lipgloss.Color("#1F5FBF"), lipgloss.Color("#7FB4FF"))
		link    = ld(lipgloss.Color("#0F7F7F"), lipgloss.Color("#6ED3D3"))
		errorFG = ld(lipgloss.Color("#B00020"), lipgloss.Color("#FF7A8A"))

		keyword  = ld(lipgloss.Color("#8A2BB0"), lipgloss.Color("#D7A6FF"))
		constant = ld(lipgloss.Color("#B35A00"), lipgloss.Color("#FFB86C"))
		str      = ld(lipgloss.Color("#2E7D32"), lipgloss.Color("#A5E07A"))
		number   = ld(lipgloss.Color("#B35A00"), lipgloss.Color("#FFB86C"))
		comment  = ld(lipgloss.Color("#6E6A80"), lipgloss.Color("#8E89A3"))
		builtin  = ld(lipgloss.Color("#0F7F7F"), lipgloss.Color("#6ED3D3"))
		function = ld(lipgloss.Color("#1F5FBF"), lipgloss.Color("#7FB4FF"))
		deco     = ld(lipgloss.Color("#8A6D00"), lipgloss.Color("#F1D36B"))
	)
	bar := lipgloss.NewStyle().Background(barBG).Foreground(barFG)

	// Our own help colours: bubbles' defaults are too dim to read on many
	// dark terminals.
	hkey := lipgloss.NewStyle().Foreground(accent).Bold(true)
	hdesc := lipgloss.NewStyle().Foreground(muted)
	hsep := lipgloss.NewStyle().Foreground(muted).Faint(true)
	h := help.Styles{
		Ellipsis:       hsep,
		ShortKey:       hkey,
		ShortDesc:      hdesc,
		ShortSeparator: hsep,
		FullKey:        hkey,
		FullDesc:       hdesc,
		FullSeparator:  hsep,
	}

	return Theme{
		Header:      bar,
		Brand:       bar.Foreground(accent).Bold(true),
		HeaderMuted: bar.Foreground(muted),

		PaneTitle: lipgloss.NewStyle().Foreground(accent).Bold(true),
		Dir:       lipgloss.NewStyle().Foreground(dir).Bold(true),
		File:      lipgloss.NewStyle(),
		Symlink:   lipgloss.NewStyle().Foreground(link).Italic(true),
		Selected:  lipgloss.NewStyle().Reverse(true),
		Muted:     lipgloss.NewStyle().Foreground(muted).Faint(true),

		Status:      bar,
		StatusError: bar.Foreground(errorFG).Bold(true),

		Heading:      lipgloss.NewStyle().Foreground(accent).Bold(true),
		Label:        lipgloss.NewStyle().Foreground(muted),
		LabelFocused: lipgloss.NewStyle().Foreground(accent).Bold(true),
		Input:        lipgloss.NewStyle().Foreground(accent),
		Cursor:       lipgloss.NewStyle().Reverse(true),
		Error:        lipgloss.NewStyle().Foreground(errorFG).Bold(true),

		LineNumber:        lipgloss.NewStyle().Foreground(muted),
		LineNumberCurrent: lipgloss.NewStyle().Foreground(barFG).Bold(true),
		Selection:         lipgloss.NewStyle().Reverse(true),
		Prompt:            lipgloss.NewStyle().Foreground(accent).Bold(true),
		Code: Code{
			Keyword:   lipgloss.NewStyle().Foreground(keyword).Bold(true),
			Constant:  lipgloss.NewStyle().Foreground(constant),
			String:    lipgloss.NewStyle().Foreground(str),
			Number:    lipgloss.NewStyle().Foreground(number),
			Comment:   lipgloss.NewStyle().Foreground(comment).Italic(true),
			Builtin:   lipgloss.NewStyle().Foreground(builtin),
			Function:  lipgloss.NewStyle().Foreground(function),
			Decorator: lipgloss.NewStyle().Foreground(deco),
		},

		Help: h,
	}
}
