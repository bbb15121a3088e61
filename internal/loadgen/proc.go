package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Reading a process's and the machine's use from /proc (Linux).

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// procCPU returns a process's user+system CPU time in ticks.
func procCPU(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f, err := statFields(b)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	// After "pid (comm)": state is field 3; utime and stime are 14 and 15.
	u, err1 := strconv.ParseUint(f[14-3], 10, 64)
	s, err2 := strconv.ParseUint(f[15-3], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return u + s, nil
}

// statFields splits /proc/PID/stat after the command name (which may hold
// spaces and parentheses): the first field returned is the state.
func statFields(b []byte) ([]string, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, errors.New("no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return nil, errors.New("too few fields")
	}
	return f, nil
}

// procPPID returns a process's parent.
func procPPID(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f, err := statFields(b)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(f[4-3])
}

// procRSS returns a process's resident memory in bytes.
func procRSS(pid int) (uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS (a kernel thread, or gone)", pid)
}

// machineCPU returns the machine's busy and total CPU ticks (all cores).
func machineCPU() (busy, total uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, errors.New("/proc/stat: no cpu line")
	}
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		total += v
		if i != 3 && i != 4 { // idle and iowait
			busy += v
		}
	}
	return busy, total, nil
}

// descendants returns every process below pid.
func descendants(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, err := procPPID(p); err == nil {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// ListenerPID finds the process listening on TCP port (IPv4 or IPv6) from
// /proc/net/tcp* and the processes' socket descriptors. It needs to see the
// other processes' fds (root, or the same user).
func ListenerPID(port int) (int, error) {
	inodes := map[string]bool{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); ok && err == nil && int(p) == port {
				inodes[f[9]] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on TCP port %d here", port)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
			if err == nil && strings.HasPrefix(l, "socket:[") && inodes[strings.TrimSuffix(l[len("socket:["):], "]")] {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("port %d is listening, but no process here shows its socket (run as root, or give --server-pid)", port)
}

// cgroupMemory sums the memory use of the sandboxes' cgroups of the
// classroomd with this pid: leaves named PID-* under a "classroomd" group
// beside the daemon's own group (see internal/sandbox). It reports how many
// groups it read; none means the groups were not found or not readable.
func cgroupMemory(pid int) (bytes uint64, groups int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return 0, 0
	}
	prefix := strconv.Itoa(pid) + "-"
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var mount, file string
		switch {
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			mount, file = "/sys/fs/cgroup/memory", "memory.usage_in_bytes"
		case parts[0] == "0" && parts[1] == "":
			mount, file = "/sys/fs/cgroup", "memory.current"
			if _, err := os.Stat("/sys/fs/cgroup/unified"); err == nil {
				mount = "/sys/fs/cgroup/unified"
			}
		default:
			continue
		}
		own := filepath.Join(mount, parts[2])
		var sum uint64
		var n int
		// The daemon may sit in a leaf of its own ("classroomd-daemon"),
		// with the sandboxes' "classroomd" beside it.
		for _, dir := range []string{filepath.Join(own, "classroomd"), filepath.Join(filepath.Dir(own), "classroomd")} {
			ents, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, e := range ents {
				if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
					continue
				}
				v, err := os.ReadFile(filepath.Join(dir, e.Name(), file))
				if err != nil {
					continue
				}
				if x, err := strconv.ParseUint(strings.TrimSpace(string(v)), 10, 64); err == nil {
					sum += x
					n++
				}
			}
			if n > 0 {
				break
			}
		}
		if n > 0 {
			return sum, n
		}
	}
	return 0, 0
}

// ServerRSS is the resident memory of process pid.
func ServerRSS(pid int) (uint64, error) { return procRSS(pid) }

// Sandboxes counts the processes below pid: a classroomd's students'
// sandboxes (or an sshd's sessions). classroomd's sandbox spawner, which
// lives as long as the server, is not one.
func Sandboxes(pid int) int {
	n := 0
	for _, p := range descendants(pid) {
		if !isSpawner(p) {
			n++
		}
	}
	return n
}

// isSpawner reports whether process p is classroomd's sandbox spawner (its
// argv[0], as internal/sandbox names it).
func isSpawner(p int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/cmdline")
	if err != nil {
		return false
	}
	argv0, _, _ := strings.Cut(string(b), "\x00")
	return argv0 == "classroomd-sandbox-spawner"
}
