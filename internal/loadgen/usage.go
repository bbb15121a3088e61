package loadgen

import (
	"os"
	"time"
)

// Usage is what the server, its sandboxes, the generator and the machine
// used during a hold. CPU percentages count one core as 100.
type Usage struct {
	ServerPID       int     `json:"server_pid,omitempty"`
	ServerCPUAvg    float64 `json:"server_cpu_percent_avg"`
	ServerCPUMax    float64 `json:"server_cpu_percent_max_1s"`
	ServerRSS       uint64  `json:"server_rss_bytes_avg"`
	ServerRSSMax    uint64  `json:"server_rss_bytes_max"`
	ServerRSSIdle   uint64  `json:"server_rss_bytes_idle"`    // before the first level
	PerStudentBytes int64   `json:"server_bytes_per_student"` // (ServerRSSMax - ServerRSSIdle) / connected students

	// The sandboxes: every process below the server, and where readable the
	// sum of their cgroups' memory use (which counts page cache too).
	SandboxProcs       int    `json:"sandbox_processes"`
	SandboxRSS         uint64 `json:"sandbox_rss_bytes_sum"`
	SandboxCgroups     int    `json:"sandbox_cgroups"`
	SandboxCgroupBytes uint64 `json:"sandbox_cgroup_memory_bytes"`

	GeneratorCPUAvg float64 `json:"generator_cpu_percent_avg"`
	MachineCPUBusy  float64 `json:"machine_cpu_busy_percent"` // of all cores
	Seconds         float64 `json:"seconds"`
}

// sampler reads the server's CPU and memory every interval until Stop.
type sampler struct {
	pid      int
	interval time.Duration
	stop     chan struct{}
	done     chan Usage
}

func startSampler(pid int, interval time.Duration) *sampler {
	s := &sampler{pid: pid, interval: interval, stop: make(chan struct{}), done: make(chan Usage, 1)}
	go s.run()
	return s
}

// Stop ends the sampling and returns what it saw.
func (s *sampler) Stop() Usage {
	close(s.stop)
	return <-s.done
}

func (s *sampler) run() {
	var u Usage
	start := time.Now()
	self := os.Getpid()
	self0, _ := procCPU(self)
	busy0, total0, _ := machineCPU()
	srv0, srvErr := uint64(0), error(nil)
	if s.pid > 0 {
		u.ServerPID = s.pid
		srv0, srvErr = procCPU(s.pid)
	}
	last, lastAt := srv0, start
	var rssSum uint64
	var rssN int
	t := time.NewTicker(s.interval)
	defer t.Stop()
	sample := func(now time.Time) {
		if s.pid <= 0 || srvErr != nil {
			return
		}
		if c, err := procCPU(s.pid); err == nil {
			if dt := now.Sub(lastAt).Seconds(); dt > 0 {
				u.ServerCPUMax = max(u.ServerCPUMax, float64(c-last)/clockTicks/dt*100)
			}
			last, lastAt = c, now
		}
		if r, err := procRSS(s.pid); err == nil {
			rssSum += r
			rssN++
			u.ServerRSSMax = max(u.ServerRSSMax, r)
		}
	}
loop:
	for {
		select {
		case now := <-t.C:
			sample(now)
		case <-s.stop:
			break loop
		}
	}
	end := time.Now()
	sample(end)
	u.Seconds = end.Sub(start).Seconds()
	if self1, err := procCPU(self); err == nil && u.Seconds > 0 {
		u.GeneratorCPUAvg = float64(self1-self0) / clockTicks / u.Seconds * 100
	}
	if busy1, total1, err := machineCPU(); err == nil && total1 > total0 {
		u.MachineCPUBusy = float64(busy1-busy0) / float64(total1-total0) * 100
	}
	if s.pid > 0 && srvErr == nil {
		u.ServerCPUAvg = float64(last-srv0) / clockTicks / lastAt.Sub(start).Seconds() * 100
		if rssN > 0 {
			u.ServerRSS = rssSum / uint64(rssN)
		}
		u.SandboxCgroupBytes, u.SandboxCgroups = cgroupMemory(s.pid)
		for _, p := range descendants(s.pid) {
			u.SandboxProcs++
			if r, err := procRSS(p); err == nil {
				u.SandboxRSS += r
			}
		}
	}
	s.done <- u
}
