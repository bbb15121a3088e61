package tui

// drawCache keeps the strings that the parts of a frame which rarely
// change (the header, pane titles, the status bar) were drawn as, keyed by
// everything they were drawn from: a key changes one line of the screen,
// and styling the others again with lipgloss on every frame cost about a
// tenth of a keystroke's CPU (BenchmarkKeyToFrame's profile).
type drawCache map[string]string

// maxDrawCache bounds the cache: it is emptied when full (a resize or a
// burst of different notices), and refills as the frames are drawn.
const maxDrawCache = 64

// get returns what draw returns for key, calling it only for a new key.
func (c *drawCache) get(key string, draw func() string) string {
	if s, ok := (*c)[key]; ok {
		return s
	}
	if *c == nil || len(*c) >= maxDrawCache {
		*c = make(drawCache)
	}
	s := draw()
	(*c)[key] = s
	return s
}
