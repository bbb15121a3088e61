//go:build !linux

package files

func (h *Home) renameNoReplace(from, to string) error {
	return h.renameFallback(from, to)
}
