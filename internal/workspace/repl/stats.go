package repl

import "github.com/classroomd/classroomd/internal/sandbox"

// Stats is the CPU time and memory of the running Python's sandbox (see
// sandbox.Stats), for the professor's Live page. It reports false when no
// Python runs, or when the sandbox cannot count (no cgroup: not root). The
// CPU time restarts from zero with each new Python process.
func (r *REPL) Stats() (sandbox.Stats, bool) {
	r.mu.Lock()
	inc := r.cur
	r.mu.Unlock()
	if inc == nil {
		return sandbox.Stats{}, false
	}
	// Read outside the lock: a few small files. If the process ends
	// meanwhile, its cgroup is gone and this fails, which is "not running".
	st, err := inc.proc.Stats()
	if err != nil {
		return sandbox.Stats{}, false
	}
	return st, true
}
