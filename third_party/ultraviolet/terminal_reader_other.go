//go:build !windows
// +build !windows

package uv

import (
	"context"
)

// streamData sends data from the input stream to the event channel.
func (d *TerminalReader) streamData(ctx context.Context, handle func([]byte) bool) error { // classroomd patch: handle, not a channel
	return d.sendBytes(ctx, handle)
}
