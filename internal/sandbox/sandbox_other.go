//go:build !linux

package sandbox

import (
	"context"
	"fmt"
	"runtime"
)

// Process is a running sandbox; on this system none can be started.
type Process struct{}

// MaybeRunInit does nothing here: sandboxes exist only on Linux.
func MaybeRunInit() {}

// Probe reports that this system offers no isolation.
func Probe() Report {
	return Report{Level: None, Mechanisms: []Mechanism{{Name: "linux", Required: true, Detail: "sandboxes need Linux; this is " + runtime.GOOS}}}
}

// Start always fails here.
func Start(ctx context.Context, s Spec) (*Process, error) {
	return nil, fmt.Errorf("%w: sandboxes need Linux", ErrUnavailable)
}

func (p *Process) Read(b []byte) (int, error)     { return 0, ErrUnavailable }
func (p *Process) Write(b []byte) (int, error)    { return 0, ErrUnavailable }
func (p *Process) Resize(rows, cols uint16) error { return ErrUnavailable }
func (p *Process) Interrupt() error               { return ErrUnavailable }
func (p *Process) Kill() error                    { return ErrUnavailable }
func (p *Process) Wait() (int, error)             { return -1, ErrUnavailable }
func (p *Process) Done() <-chan struct{}          { return nil }
func (p *Process) OOMKilled() bool                { return false }
func (p *Process) Pid() int                       { return 0 }
func (p *Process) Close() error                   { return nil }
func (p *Process) HomeUsage() HomeUsage           { return HomeUsage{} }
func (p *Process) QuotaChanged() <-chan struct{}  { return nil }
