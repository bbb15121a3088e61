//go:build linux && !amd64 && !arm64

package sandbox

// No filter is built for this architecture: Probe reports seccomp missing.
const (
	seccompArch   = 0
	seccompX32Bit = 0
)

var seccompDenied []int
