package sshd

import "testing"

func TestBridgedGraphics(t *testing.T) {
	for _, c := range []struct {
		transport string
		env       []string
		want      string
	}{
		{TransportWeb, []string{"COLORTERM=truecolor", "CLASSROOMD_GRAPHICS=iterm2"}, "iterm2"},
		{TransportWeb, []string{"COLORTERM=truecolor"}, ""}, // an older bridge: detect
		// An ssh client sending the variable (SendEnv) does not choose for the TUI.
		{TransportSSH, []string{"CLASSROOMD_GRAPHICS=kitty"}, ""},
	} {
		if got := bridgedGraphics(c.transport, c.env); got != c.want {
			t.Errorf("bridgedGraphics(%s, %q) = %q, want %q", c.transport, c.env, got, c.want)
		}
	}
}
