//go:build !linux

package files

import "context"

func (h *Home) watchInotify(ctx context.Context, dirs []string, out chan struct{}) bool {
	return false
}
