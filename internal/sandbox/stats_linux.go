package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Stats reads the sandbox's CPU time and memory from its cgroup. It fails
// with ErrUnavailable when the sandbox has no cgroup (rootless) or none that
// counts either, and with an error once Close removed the cgroup. A counter
// the host does not offer (no memory controller) reads as 0.
func (p *Process) Stats() (Stats, error) {
	if p.cg == nil {
		return Stats{}, fmt.Errorf("%w: this sandbox has no cgroup to count its use (classroomd does not run as root)", ErrUnavailable)
	}
	return p.cg.stats()
}

// stats reads memory from the v1 memory hierarchy (memory.usage_in_bytes)
// or the v2 leaf when it has the memory controller (memory.current); and CPU
// time from cpuacct.usage (nanoseconds) where the v1 cpu hierarchy is
// mounted together with cpuacct, else from the v2 leaf's cpu.stat
// (usage_usec), which every v2 group has, with or without the cpu controller
// (so it works on hybrid hosts, where the v2 tree has no controllers).
func (cg *cgroup) stats() (Stats, error) {
	var (
		st    Stats
		found bool
	)
	switch dir, ok := cg.v1["memory"]; {
	case ok:
		n, err := readCounter(filepath.Join(dir, "memory.usage_in_bytes"))
		if err != nil {
			return Stats{}, err
		}
		st.MemoryBytes, found = n, true
	case cg.v2 != "" && contains(cg.v2Ctl, "memory"):
		n, err := readCounter(filepath.Join(cg.v2, "memory.current"))
		if err != nil {
			return Stats{}, err
		}
		st.MemoryBytes, found = n, true
	}
	cpu, err := cg.cpuTime()
	switch {
	case err == nil:
		st.CPU, found = cpu, true
	case !errors.Is(err, ErrUnavailable):
		return Stats{}, err
	}
	if !found {
		return Stats{}, fmt.Errorf("%w: no cgroup controller here counts the sandbox's memory or CPU time", ErrUnavailable)
	}
	return st, nil
}

// cpuTime is the sandbox's CPU time (see stats); ErrUnavailable when
// nothing counts it.
func (p *Process) cpuTime() (time.Duration, error) {
	if p.cg == nil {
		return 0, ErrUnavailable
	}
	return p.cg.cpuTime()
}

func (cg *cgroup) cpuTime() (time.Duration, error) {
	if dir, ok := cg.v1["cpu"]; ok {
		// Only where cpu and cpuacct share a hierarchy ("cpu,cpuacct").
		n, err := readCounter(filepath.Join(dir, "cpuacct.usage"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
		if err == nil {
			return time.Duration(n), nil
		}
	}
	if cg.v2 != "" {
		b, err := os.ReadFile(filepath.Join(cg.v2, "cpu.stat"))
		if err != nil {
			return 0, fmt.Errorf("read the sandbox's CPU time: %w", err)
		}
		us, ok := statField(string(b), "usage_usec")
		if !ok {
			return 0, fmt.Errorf("read the sandbox's CPU time: no usage_usec in %s", filepath.Join(cg.v2, "cpu.stat"))
		}
		return time.Duration(us) * time.Microsecond, nil
	}
	return 0, ErrUnavailable
}

// setCPUWeight lowers (or restores) the sandbox's CPU weight against the
// other sandboxes' (see governor.go).
func (p *Process) setCPUWeight(low bool) error {
	if p.cg == nil {
		return ErrUnavailable
	}
	cg := p.cg
	if dir, ok := cg.v1["cpu"]; ok {
		v := "1024"
		if low {
			v = "2"
		}
		return writeFile(filepath.Join(dir, "cpu.shares"), v)
	}
	if cg.v2 != "" && contains(cg.v2Ctl, "cpu") {
		v := "100"
		if low {
			v = "1"
		}
		return writeFile(filepath.Join(cg.v2, "cpu.weight"), v)
	}
	return ErrUnavailable
}

// readCounter reads a cgroup file that holds one number.
func readCounter(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return n, nil
}

// statField returns the value of key in a "key value" per line file.
func statField(s, key string) (int64, bool) {
	for line := range strings.SplitSeq(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == key {
			n, err := strconv.ParseInt(f[1], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
