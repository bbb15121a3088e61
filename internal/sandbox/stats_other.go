//go:build !linux

package sandbox

import "time"

// Stats always fails here: sandboxes exist only on Linux.
func (p *Process) Stats() (Stats, error) { return Stats{}, ErrUnavailable }

func (p *Process) cpuTime() (time.Duration, error) { return 0, ErrUnavailable }
func (p *Process) setCPUWeight(low bool) error     { return ErrUnavailable }
