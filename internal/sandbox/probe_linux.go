package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// probeUID is the uid the probe's trial sandbox runs as: nobody's, which owns
// nothing and only ever touches a temporary directory.
const probeUID = 65534

// Probe reports which isolation mechanisms this host offers and the level
// they add up to. Besides looking (root, namespaces, cgroup controllers,
// Landlock, seccomp) it starts one real sandbox running /bin/true, because
// some hosts (a default Docker container) offer namespaces that then fail
// at mount time. It takes a few milliseconds and needs MaybeRunInit to be
// called at the start of main, like Start.
func Probe() Report {
	var r Report
	add := func(name string, required, ok bool, detail string) {
		r.Mechanisms = append(r.Mechanisms, Mechanism{Name: name, OK: ok, Detail: detail, Required: required})
	}
	root := os.Geteuid() == 0
	// Without root a sandbox is rootless (Partial): every student's
	// program runs as the daemon's own host uid, and there are no cgroups.
	add("student uids", false, root, map[bool]string{true: "running as root: each student's programs run as their own host uid", false: fmt.Sprintf("not root: every student's programs run as this daemon's uid %d on the host (files in homes are owned by it; students are kept apart only by the namespaces, Landlock and seccomp)", os.Geteuid())}[root])

	maxNS, _ := os.ReadFile("/proc/sys/user/max_user_namespaces")
	var missingNS []string
	for _, ns := range []string{"user", "pid", "mnt", "net", "ipc", "uts"} {
		if _, err := os.Stat("/proc/self/ns/" + ns); err != nil {
			missingNS = append(missingNS, ns)
		}
	}
	nsOK := len(missingNS) == 0 && strings.TrimSpace(string(maxNS)) != "0"
	nsDetail := "user, pid, mount, net, ipc and uts namespaces"
	if len(missingNS) > 0 {
		nsDetail = "kernel lacks namespaces: " + strings.Join(missingNS, ", ")
	} else if !nsOK {
		nsDetail = "user namespaces are disabled (/proc/sys/user/max_user_namespaces is 0)"
	} else if !root && !rootlessWorks() {
		nsOK, nsDetail = false, "not root, and unprivileged user namespaces are disabled on this host"
	} else if !root {
		nsDetail += " (rootless: in a user namespace of this daemon's uid)"
	}
	add("namespaces", true, nsOK, nsDetail)

	layout, err := discoverCgroups()
	if !root {
		for _, c := range controllers {
			add("cgroup "+c, false, false, "not root: no "+map[string]string{"memory": "memory limit", "pids": "pids.max (a soft RLIMIT_NPROC in the sandbox's user namespace, which seccomp keeps programs from raising, bounds processes instead)", "cpu": "CPU share"}[c]+" per student")
		}
		add("tree kill", false, nsOK, "the pid namespace (killing the init kills the namespace); no cgroup.kill without root")
	} else if err != nil {
		add("cgroups", false, false, err.Error())
	} else {
		for _, c := range controllers {
			ok, detail := layout.has(c), "no "+c+" controller in any mounted cgroup hierarchy"
			if m, v1 := layout.v1[c]; v1 {
				detail = "v1 at " + filepath.Join(m.ownDir(), parentName)
				if unix.Access(m.ownDir(), unix.W_OK) != nil {
					ok, detail = false, detail+": not writable"
				}
			} else if ok {
				detail = "v2 at " + filepath.Join(layout.v2.ownDir(), parentName)
			}
			add("cgroup "+c, false, ok, detail)
		}
		kill := "the pid namespace (killing the init kills the namespace)"
		if layout.canKill() {
			kill += " and cgroup.kill in " + layout.v2.dir
		}
		add("tree kill", false, nsOK, kill)
	}

	abi := landlockABI()
	add("landlock", false, abi > 0, map[bool]string{true: fmt.Sprintf("ABI %d", abi), false: "not available in this kernel (or disabled at boot)"}[abi > 0])
	sc := seccompAvailable()
	add("seccomp", false, sc, map[bool]string{true: "deny-list filter", false: "not available on this kernel or architecture"}[sc])

	if nsOK {
		if err := trialStart(); err != nil {
			add("trial sandbox", true, false, err.Error())
		} else {
			add("trial sandbox", true, true, "started and ended /bin/true in a sandbox")
		}
	}

	r.Level = Full
	for _, m := range r.Mechanisms {
		if !m.OK && m.Required {
			r.Level = None
			break
		}
		if !m.OK {
			r.Level = Partial
		}
	}
	return r
}

func trialStart() error {
	dir, err := os.MkdirTemp("", "classroomd-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lim := DefaultLimits()
	p, err := Start(ctx, Spec{Username: "probe", UID: probeUID, GID: probeUID, Home: dir, Command: []string{"/bin/true"}, Limits: lim, Stdout: nopWriter{}})
	if err != nil {
		return err
	}
	defer p.Close()
	code, err := p.Wait()
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("/bin/true exited with status %d in the sandbox", code)
	}
	return p.Close()
}

type nopWriter struct{}

func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }
