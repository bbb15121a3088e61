package sandbox

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cgroups: one leaf per sandbox, named DAEMONPID-RANDOM-USERNAME, under a "classroomd"
// group made inside the cgroup the daemon itself runs in (per hierarchy). Nesting
// under our own group rather than at the root respects whatever delegated the
// daemon its group (systemd, a container runtime): the sandboxes' memory then
// counts against the daemon's service too, which is what an operator expects.
//
// Hosts come in two shapes (see FINDINGS): pure v2, where every controller is
// in the one cgroup2 tree; and hybrid/v1, where memory, pids and cpu are v1
// hierarchies and a controller-less cgroup2 tree (/sys/fs/cgroup/unified) still
// offers cgroup.kill and CLONE_INTO_CGROUP. We use, per controller, the v1
// hierarchy when one has it, else v2; and the v2 tree (when mounted) for
// placement at clone time and for cgroup.kill.
//
// Everything is recomputed on each Start from /proc/self/{mountinfo,cgroup}
// (a few hundred microseconds) so the package holds no mutable state.

var controllers = []string{"memory", "pids", "cpu"}

const (
	parentName = "classroomd"
	// daemonLeaf is where, on pure v2, the daemon moves itself so that its
	// own group may enable controllers for its children (the "no internal
	// processes" rule makes subtree_control fail with EBUSY otherwise).
	daemonLeaf = "classroomd-daemon"
)

type cgroupMount struct {
	dir  string // mount point
	root string // the mount's root inside the hierarchy (mountinfo field 4)
	own  string // the daemon's own group in this hierarchy (/proc/self/cgroup)
}

// path returns the directory of the daemon's own group in this hierarchy.
func (m cgroupMount) ownDir() string {
	rel := m.own
	if m.root != "/" {
		rel = strings.TrimPrefix(rel, m.root)
	}
	return filepath.Join(m.dir, rel)
}

type cgroupLayout struct {
	v1 map[string]cgroupMount // controller -> its v1 hierarchy
	v2 *cgroupMount           // the cgroup2 tree, if mounted
	// v2Controllers are the wanted controllers only v2 provides.
	v2Controllers []string
}

// has reports whether controller c is available in either version.
func (l cgroupLayout) has(c string) bool {
	if _, ok := l.v1[c]; ok {
		return true
	}
	for _, x := range l.v2Controllers {
		if x == c {
			return true
		}
	}
	return false
}

// canKill reports whether the v2 tree offers cgroup.kill (Linux 5.14+). The
// root group has no such file, so the kernel version decides when the daemon
// sits at the root.
func (l cgroupLayout) canKill() bool {
	if l.v2 == nil {
		return false
	}
	if _, err := os.Stat(filepath.Join(l.v2.ownDir(), "cgroup.kill")); err == nil {
		return true
	}
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	var major, minor int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor)
	return major > 5 || major == 5 && minor >= 14
}

func discoverCgroups() (cgroupLayout, error) {
	l := cgroupLayout{v1: map[string]cgroupMount{}}
	own, err := ownCgroups()
	if err != nil {
		return l, err
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return l, fmt.Errorf("read mounts: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, x := range fields {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || len(fields) < sep+4 {
			continue
		}
		root, dir, fstype, super := unescapeMount(fields[3]), unescapeMount(fields[4]), fields[sep+1], fields[sep+3]
		switch fstype {
		case "cgroup2":
			if l.v2 == nil {
				if p, ok := own[""]; ok {
					l.v2 = &cgroupMount{dir: dir, root: root, own: p}
				}
			}
		case "cgroup":
			for _, opt := range strings.Split(super, ",") {
				for _, c := range controllers {
					if opt != c {
						continue
					}
					if _, seen := l.v1[c]; seen {
						continue
					}
					if p, ok := own[c]; ok {
						l.v1[c] = cgroupMount{dir: dir, root: root, own: p}
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return l, fmt.Errorf("read mounts: %w", err)
	}
	if l.v2 != nil {
		// Controllers the v2 tree offers at our level.
		base := l.v2.ownDir()
		if filepath.Base(base) == daemonLeaf {
			base = filepath.Dir(base)
		}
		if b, err := os.ReadFile(filepath.Join(base, "cgroup.controllers")); err == nil {
			for _, c := range strings.Fields(string(b)) {
				if _, inV1 := l.v1[c]; !inV1 && contains(controllers, c) {
					l.v2Controllers = append(l.v2Controllers, c)
				}
			}
		}
	}
	return l, nil
}

// ownCgroups maps each v1 controller (and "" for v2) to the daemon's group.
func ownCgroups() (map[string]string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read own cgroup: %w", err)
	}
	own := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			own[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	return own, nil
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// cgroup is one sandbox's set of leaf groups.
type cgroup struct {
	v1     map[string]string // controller -> leaf dir
	v2     string            // leaf in the v2 tree ("" if none)
	v2Ctl  []string          // controllers enabled in the v2 leaf
	dirs   []string          // every leaf created, for removal
	parent []string          // the "classroomd" groups, removed when empty
}

// newCgroup creates the leaves for one sandbox and writes its limits. On
// error, whatever was created is removed again.
func newCgroup(l cgroupLayout, username string, lim Limits) (_ *cgroup, err error) {
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	return newCgroupNamed(l, strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(rnd[:])+"-"+username, lim)
}

func newCgroupNamed(l cgroupLayout, name string, lim Limits) (_ *cgroup, err error) {
	cg := &cgroup{v1: map[string]string{}}
	defer func() {
		if err != nil {
			cg.remove(time.Second)
		}
	}()
	// Several controllers may share one v1 hierarchy ("cpu,cpuacct"): make
	// each directory once.
	made := map[string]bool{}
	for c, m := range l.v1 {
		dir := filepath.Join(m.ownDir(), parentName, name)
		if !made[dir] {
			if err := mkLeaf(dir, nil); err != nil {
				return nil, err
			}
			cg.dirs = append(cg.dirs, dir)
			cg.parent = append(cg.parent, filepath.Dir(dir))
			made[dir] = true
		}
		cg.v1[c] = dir
	}
	if l.v2 != nil {
		base := l.v2.ownDir()
		if len(l.v2Controllers) > 0 {
			if base, err = prepareV2Base(base, l.v2Controllers); err != nil {
				return nil, err
			}
		}
		dir := filepath.Join(base, parentName, name)
		if err := mkLeaf(dir, l.v2Controllers); err != nil {
			return nil, err
		}
		cg.v2, cg.v2Ctl = dir, l.v2Controllers
		cg.dirs = append(cg.dirs, dir)
		cg.parent = append(cg.parent, filepath.Dir(dir))
	}
	return cg, cg.setLimits(lim)
}

// mkLeaf makes parent/leaf, enabling ctl in the parent's subtree_control
// (v2). A concurrent Close may remove the empty parent between our two
// mkdirs, so retry a few times.
func mkLeaf(dir string, ctl []string) error {
	var err error
	for range 5 {
		if err = os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", filepath.Dir(dir), err)
		}
		if len(ctl) > 0 {
			if err = enableControllers(filepath.Dir(dir), ctl); err != nil {
				continue
			}
		}
		if err = os.Mkdir(dir, 0o755); err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	return fmt.Errorf("create cgroup %s: %w", dir, err)
}

func enableControllers(dir string, ctl []string) error {
	var b strings.Builder
	for _, c := range ctl {
		b.WriteString(" +" + c)
	}
	if err := writeFile(filepath.Join(dir, "cgroup.subtree_control"), strings.TrimSpace(b.String())); err != nil {
		return fmt.Errorf("enable cgroup controllers %v in %s: %w", ctl, dir, err)
	}
	return nil
}

// prepareV2Base makes sure the daemon's own v2 group can have controller-
// enabled children: it moves the daemon into a leaf of its own group first
// (pure v2 only; see FINDINGS). It returns the group under which
// "classroomd" is made.
func prepareV2Base(own string, ctl []string) (string, error) {
	base := own
	if filepath.Base(own) == daemonLeaf {
		base = filepath.Dir(own)
	}
	if err := enableControllers(base, ctl); err == nil {
		return base, nil
	}
	// EBUSY: processes sit in base. Move ourselves into a leaf and retry.
	leaf := filepath.Join(base, daemonLeaf)
	if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("create cgroup %s: %w", leaf, err)
	}
	if err := writeFile(filepath.Join(leaf, "cgroup.procs"), strconv.Itoa(os.Getpid())); err != nil {
		return "", fmt.Errorf("move the daemon into %s: %w", leaf, err)
	}
	if err := enableControllers(base, ctl); err != nil {
		return "", fmt.Errorf("%w (other processes share the daemon's cgroup: run classroomd in a cgroup of its own, e.g. a systemd service)", err)
	}
	return base, nil
}

func (cg *cgroup) setLimits(lim Limits) error {
	type kv struct{ file, val string }
	var v1 = map[string][]kv{}
	var v2 []kv
	add := func(c string, v1kv []kv, v2kv []kv) {
		if _, ok := cg.v1[c]; ok {
			v1[c] = append(v1[c], v1kv...)
		} else if contains(cg.v2Ctl, c) {
			v2 = append(v2, v2kv...)
		}
	}
	if lim.MemoryBytes > 0 {
		m := strconv.FormatInt(lim.MemoryBytes, 10)
		add("memory", []kv{{"memory.limit_in_bytes", m}, {"memory.memsw.limit_in_bytes", m}},
			[]kv{{"memory.max", m}, {"memory.swap.max", "0"}})
	}
	if lim.Pids > 0 {
		p := strconv.Itoa(lim.Pids)
		add("pids", []kv{{"pids.max", p}}, []kv{{"pids.max", p}})
	}
	if lim.CPUPercent > 0 {
		q := strconv.Itoa(lim.CPUPercent * 1000)
		add("cpu", []kv{{"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", q}},
			[]kv{{"cpu.max", q + " 100000"}})
	}
	for c, kvs := range v1 {
		for _, x := range kvs {
			err := writeFile(filepath.Join(cg.v1[c], x.file), x.val)
			if err != nil && x.file == "memory.memsw.limit_in_bytes" && errors.Is(err, os.ErrNotExist) {
				continue // no swap accounting in this kernel: memory.limit_in_bytes is the limit
			}
			if err != nil {
				return fmt.Errorf("set cgroup limit %s=%s: %w", x.file, x.val, err)
			}
		}
	}
	for _, x := range v2 {
		err := writeFile(filepath.Join(cg.v2, x.file), x.val)
		if err != nil && x.file == "memory.swap.max" && errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("set cgroup limit %s=%s: %w", x.file, x.val, err)
		}
	}
	return nil
}

// addV1 moves pid (the whole process, all its threads) into every v1 leaf.
// The v2 leaf is joined at clone time through CgroupFD.
func (cg *cgroup) addV1(pid int) error {
	done := map[string]bool{}
	for _, dir := range cg.v1 {
		if done[dir] {
			continue
		}
		done[dir] = true
		if err := writeFile(filepath.Join(dir, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("place sandbox in cgroup %s: %w", dir, err)
		}
	}
	return nil
}

// kill SIGKILLs every process in the sandbox's v2 leaf (cgroup.kill). It
// reports false when there is no such file (no v2 tree, or a kernel before
// 5.14); the caller then relies on the pid namespace (killing its init kills
// everything in it), which no process of the sandbox can leave.
func (cg *cgroup) kill() bool {
	if cg == nil || cg.v2 == "" {
		return false
	}
	return writeFile(filepath.Join(cg.v2, "cgroup.kill"), "1") == nil
}

// oomKills reports how many processes the memory limit killed.
func (cg *cgroup) oomKills() int {
	if cg == nil {
		return 0
	}
	if dir, ok := cg.v1["memory"]; ok {
		b, _ := os.ReadFile(filepath.Join(dir, "memory.oom_control"))
		return fieldInt(string(b), "oom_kill")
	}
	if contains(cg.v2Ctl, "memory") {
		b, _ := os.ReadFile(filepath.Join(cg.v2, "memory.events"))
		return fieldInt(string(b), "oom_kill")
	}
	return 0
}

func fieldInt(s, key string) int {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == key {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// remove deletes the leaves, retrying while the kernel still counts exiting
// tasks in them (EBUSY), then the "classroomd" parents if they are now empty
// (another sandbox's leaf keeps its parent: rmdir fails, which is fine).
func (cg *cgroup) remove(timeout time.Duration) error {
	if cg == nil {
		return nil
	}
	deadline := time.Now().Add(timeout)
	var firstErr error
	for _, dir := range cg.dirs {
		delay := 200 * time.Microsecond
		for {
			err := unix.Rmdir(dir)
			if err == nil || errors.Is(err, syscall.ENOENT) {
				break
			}
			if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
				if firstErr == nil {
					firstErr = fmt.Errorf("remove cgroup %s: %w", dir, err)
				}
				break
			}
			time.Sleep(delay) // polling a kernel state with a deadline, not synchronisation between our own goroutines
			delay = min(delay*2, 20*time.Millisecond)
		}
	}
	for _, p := range cg.parent {
		_ = unix.Rmdir(p)
	}
	cg.dirs = nil
	return firstErr
}

func writeFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Sweep kills and removes what the sandboxes of a daemon that is no longer
// running left behind: call it when the daemon starts. Processes cannot
// normally outlive their daemon (the init has a parent-death signal and is
// pid 1 of its namespace), but its cgroups can, after a SIGKILL or a crash.
// Leaves of live processes (another daemon, a test binary) are left alone:
// a leaf's name starts with its daemon's pid. It returns how many sandboxes
// it removed.
func Sweep() (int, error) {
	l, err := discoverCgroups()
	if err != nil {
		return 0, err
	}
	var parents []string
	for _, m := range l.v1 {
		parents = append(parents, filepath.Join(m.ownDir(), parentName))
	}
	if l.v2 != nil {
		base := l.v2.ownDir()
		if filepath.Base(base) == daemonLeaf {
			base = filepath.Dir(base)
		}
		parents = append(parents, filepath.Join(base, parentName))
	}
	stale := map[string]*cgroup{} // leaf name -> its dirs
	for _, parent := range parents {
		entries, err := os.ReadDir(parent)
		if err != nil {
			continue
		}
		for _, e := range entries {
			pidStr, _, ok := strings.Cut(e.Name(), "-")
			pid, err := strconv.Atoi(pidStr)
			if !e.IsDir() || !ok || err != nil || pid <= 0 || pid == os.Getpid() || processExists(pid) {
				continue
			}
			cg := stale[e.Name()]
			if cg == nil {
				cg = &cgroup{}
				stale[e.Name()] = cg
			}
			cg.dirs = append(cg.dirs, filepath.Join(parent, e.Name()))
			cg.parent = append(cg.parent, parent)
		}
	}
	var firstErr error
	for _, cg := range stale {
		for _, dir := range cg.dirs {
			killAll(dir)
		}
		if err := cg.remove(5 * time.Second); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return len(stale), firstErr
}

// processExists reports whether pid is a live process. A zombie is not:
// a daemon killed with -9 stays one until its parent reaps it (seconds
// under some supervisors), and a restart meanwhile must still sweep it.
func processExists(pid int) bool {
	err := unix.Kill(pid, 0)
	return (err == nil || errors.Is(err, unix.EPERM)) && procState(pid) != 'Z'
}

// killAll empties a leaf: cgroup.kill where there is one, else SIGKILL to
// each listed process until none is left (they cannot fork faster than we
// kill: pids.max bounds them, and a killed process forks no more).
func killAll(dir string) {
	if writeFile(filepath.Join(dir, "cgroup.kill"), "1") == nil {
		return
	}
	for range 100 {
		b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if err != nil || len(strings.TrimSpace(string(b))) == 0 {
			return
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
		}
		time.Sleep(time.Millisecond) // let the kernel reap before listing again
	}
}
