package sshd

import "strings"

// bridgedGraphicsEnv is the variable the web bridge sets on its session to
// say how the browser's page draws figures (web.GraphicsEnv; #15).
const bridgedGraphicsEnv = "CLASSROOMD_GRAPHICS"

// bridgedGraphics is the figure protocol for tui.Options.Graphics: what the
// page said it draws, on a bridged connection (the bridge passes on only
// the TUI's own names), and "" (detect from the terminal) on every other
// connection, whose client's environment is not believed.
func bridgedGraphics(transport string, environ []string) string {
	if transport != TransportWeb {
		return ""
	}
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, bridgedGraphicsEnv+"="); ok {
			return v
		}
	}
	return ""
}
