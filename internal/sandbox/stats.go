package sandbox

import "time"

// Stats is what a sandbox has used, as its cgroup counts it: every process
// of the sandbox together (Python, and whatever it forked).
type Stats struct {
	// CPU is the CPU time used since the sandbox started (user and system,
	// all cores added up). Divide its growth by the wall time between two
	// readings for a share of one core.
	CPU time.Duration
	// MemoryBytes is the memory in use now, page cache included (what the
	// memory limit is compared with).
	MemoryBytes int64
}
