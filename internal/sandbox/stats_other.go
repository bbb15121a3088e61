//go:build !linux

package sandbox

// Stats always fails here: sandboxes exist only on Linux.
func (p *Process) Stats() (Stats, error) { return Stats{}, ErrUnavailable }
