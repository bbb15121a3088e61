// Package config defines classroomd's settings, the flags that set them, and
// the CLASSROOMD_* environment variables that give each flag its default.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// EnvPrefix starts the environment variable of every flag: --data-dir reads CLASSROOMD_DATA_DIR.
const EnvPrefix = "CLASSROOMD_"

// Store says where the roster lives. Every subcommand needs it.
type Store struct {
	DataDir     string // homes, host key and (without DatabaseURL) the SQLite file
	DatabaseURL string // postgres://... ; empty means embedded SQLite in DataDir
	BcryptCost  int    // cost for new hashes; logins re-hash hashes of another cost
	UIDBase     int    // a student's host uid is UIDBase + their user id
}

// Server holds the settings of `classroomd serve`.
type Server struct {
	SSHAddr             string
	HTTPAddr            string
	MetricsAddr         string        // Prometheus /metrics; "" = not served
	Pprof               bool          // also /debug/pprof/ on MetricsAddr
	HandshakeTimeout    time.Duration // time to finish key exchange and authentication
	IdleTimeout         time.Duration // an SSH connection with no traffic for this long is closed
	MaxSessionsPerUser  int
	MaxConnections      int // all connections, authenticated or not
	MaxConnectionsPerIP int
	// MaxUnauthenticated and MaxUnauthenticatedPerIP bound the connections
	// not logged in yet (in all, per address); when full, the oldest of the
	// busiest address is dropped for a new one.
	MaxUnauthenticated, MaxUnauthenticatedPerIP int
	ShutdownTimeout                             time.Duration // on SIGTERM, how long sessions get to end
	CollectEvery                                time.Duration // how often assignments are collected at students' deadlines
	// Student is what a student's programs may use: the same for serve's
	// REPLs and sandbox exec.
	Student
	// Python is the interpreter students run, inside their sandbox.
	Python string
	// WorkspaceGrace is how long a workspace (REPL, unsaved edits) outlives its last connection.
	WorkspaceGrace time.Duration
	// REPLIdle stops a REPL with no key and no output for this long.
	REPLIdle time.Duration
	// JournalEvery is how often unsaved edits are written to the journal:
	// the most typing a crash or a kill -9 can lose.
	JournalEvery time.Duration
	// InsecureNoSandbox allows serving students on a public address although
	// their programs cannot be isolated.
	InsecureNoSandbox bool
	Throttle          Throttle
	// TLSCert and TLSKey are PEM files; with both, the web server serves HTTPS.
	TLSCert, TLSKey string
	// WebOrigins may use the web login and terminal besides the server's own
	// host (scheme://host[:port]), for a reverse proxy that rewrites Host.
	WebOrigins []string
	// TrustedProxies (IPs or CIDRs) are reverse proxies in front of the web
	// server whose X-Forwarded-For and X-Forwarded-Proto are believed.
	TrustedProxies []string
	// AuditRetentionDays and LoginFailureRetentionDays are the ages past which
	// audit entries and login-failure counters are deleted; 0 keeps them forever.
	AuditRetentionDays, LoginFailureRetentionDays int
}

// Defaults of the retention flags: a term and a half of audit history, and a
// month of login-failure counters (one only counts within the login-failure
// window, minutes; a month lets an operator look back at a guessing campaign).
const (
	DefaultAuditRetentionDays        = 180
	DefaultLoginFailureRetentionDays = 30
)

// AuditRetention is AuditRetentionDays as a duration (0: forever).
func (s *Server) AuditRetention() time.Duration {
	return time.Duration(s.AuditRetentionDays) * 24 * time.Hour
}

// LoginFailureRetention is LoginFailureRetentionDays as a duration (0: forever).
func (s *Server) LoginFailureRetention() time.Duration {
	return time.Duration(s.LoginFailureRetentionDays) * 24 * time.Hour
}

// Student holds the limits of a student's sandbox.
type Student struct {
	// Limits per student: memory and /tmp in MiB, processes, CPU (100 = one core),
	// the largest file in MiB, output in KiB/s.
	LimitMemoryMiB, LimitPids, LimitCPUPercent, LimitFileMiB, LimitOutputKiBps int
	HomeQuotaMiB                                                               int // the size in MiB a student's home may reach
}

// RegisterStudentFlags adds the limits of a student's sandbox to fs
// (serve's, and sandbox exec's: the same sandbox has the same limits).
func (s *Student) RegisterStudentFlags(fs *pflag.FlagSet) {
	fs.IntVar(&s.LimitMemoryMiB, "limit-memory-mib", 512, "memory per student, in MiB")
	fs.IntVar(&s.LimitPids, "limit-pids", 64, "processes and threads per student")
	fs.IntVar(&s.LimitCPUPercent, "limit-cpu-percent", 100, "CPU per student (100 = one core)")
	fs.IntVar(&s.LimitFileMiB, "limit-file-mib", 100, "the largest file a student's program may write, in MiB")
	fs.IntVar(&s.LimitOutputKiBps, "limit-output-kib", 1024, "output per student, in KiB per second (a flood is slowed, not lost)")
	fs.IntVar(&s.HomeQuotaMiB, "home-quota-mib", 200, "the size in MiB a student's home may reach")
	bindEnv(fs, "limit-memory-mib", "limit-pids", "limit-cpu-percent", "limit-file-mib", "limit-output-kib", "home-quota-mib")
}

// Validate checks the limits.
func (s *Student) Validate() error {
	switch {
	case s.LimitMemoryMiB < 32 || s.LimitPids < 8 || s.LimitCPUPercent < 5 || s.LimitFileMiB < 1 || s.LimitOutputKiBps < 1:
		return fmt.Errorf("a student limit is too small to run Python: use at least --limit-memory-mib 32, --limit-pids 8, --limit-cpu-percent 5, --limit-file-mib 1, --limit-output-kib 1")
	case s.HomeQuotaMiB < 1:
		return fmt.Errorf("--home-quota-mib must be at least 1")
	}
	return nil
}

// Throttle is the login-guessing policy. Failures are counted per username and per
// remote IP within Window. From the UserFreeFailures+1-th failure on, the next attempt
// for that username must wait BaseDelay, doubling per further failure up to MaxDelay;
// other usernames from the same IP are not slowed until the IP itself has IPFreeFailures
// failures (a whole class often shares one NAT address).
type Throttle struct {
	Window           time.Duration
	UserFreeFailures int
	IPFreeFailures   int
	BaseDelay        time.Duration
	MaxDelay         time.Duration
}

// Defaults for the flags; tests start from these too.
const (
	DefaultDataDir    = "./data"
	DefaultSSHAddr    = ":2222"
	DefaultHTTPAddr   = ":8080"
	DefaultBcryptCost = 10
	// DefaultUIDBase puts students' uids far above those of the host's own users.
	DefaultUIDBase = 200000
)

// DefaultThrottle is the login-guessing policy a class can live with.
func DefaultThrottle() Throttle {
	return Throttle{
		Window:           15 * time.Minute,
		UserFreeFailures: 4,
		IPFreeFailures:   300,
		BaseDelay:        time.Second,
		MaxDelay:         30 * time.Second,
	}
}

// RegisterStoreFlags adds --data-dir, --database-url and --bcrypt-cost to fs.
func (s *Store) RegisterStoreFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.DataDir, "data-dir", DefaultDataDir, "folder for student homes, the SSH host key and the embedded SQLite database")
	fs.StringVar(&s.DatabaseURL, "database-url", "", "PostgreSQL URL (postgres://user@host/db); empty uses SQLite in the data dir")
	fs.IntVar(&s.BcryptCost, "bcrypt-cost", DefaultBcryptCost, "bcrypt cost for new password hashes (4-14)")
	fs.IntVar(&s.UIDBase, "uid-base", DefaultUIDBase, "students' host uids are this plus their user id (keep it fixed once homes exist)")
	bindEnv(fs, "data-dir", "database-url", "bcrypt-cost", "uid-base")
}

// The defaults of --max-unauthenticated and --max-unauthenticated-per-ip
// (a class of 128 behind one NAT address can log in at once).
const (
	DefaultMaxUnauthenticated      = 256
	DefaultMaxUnauthenticatedPerIP = 128
)

// RegisterServerFlags adds the flags of `serve` to fs.
func (s *Server) RegisterServerFlags(fs *pflag.FlagSet) {
	d := DefaultThrottle()
	fs.StringVar(&s.SSHAddr, "ssh-addr", DefaultSSHAddr, "address the SSH server listens on")
	fs.StringVar(&s.HTTPAddr, "http-addr", DefaultHTTPAddr, "address the web server listens on")
	fs.StringVar(&s.MetricsAddr, "metrics-addr", "", "address to serve Prometheus /metrics on, apart from the web server (e.g. 127.0.0.1:9100); empty: none")
	fs.BoolVar(&s.Pprof, "pprof", false, "also serve Go's profiles (/debug/pprof/) on --metrics-addr, for finding where time and memory go; never on the students' address")
	fs.DurationVar(&s.HandshakeTimeout, "handshake-timeout", 2*time.Minute, "time a client has to finish logging in")
	fs.DurationVar(&s.IdleTimeout, "idle-timeout", time.Hour, "close an SSH connection after this long with no traffic")
	fs.IntVar(&s.MaxSessionsPerUser, "max-sessions-per-user", 5, "concurrent sessions one user may have")
	fs.IntVar(&s.MaxConnections, "max-connections", 2000, "concurrent SSH connections in all")
	fs.IntVar(&s.MaxConnectionsPerIP, "max-connections-per-ip", 300, "concurrent SSH connections from one IP address (a class may share one NAT address)")
	fs.IntVar(&s.MaxUnauthenticated, "max-unauthenticated", DefaultMaxUnauthenticated, "SSH connections not logged in yet, in all; when full, the oldest from the busiest address is dropped for a new one")
	fs.IntVar(&s.MaxUnauthenticatedPerIP, "max-unauthenticated-per-ip", DefaultMaxUnauthenticatedPerIP, "SSH connections not logged in yet from one address; when full, its oldest is dropped for a new one")
	fs.DurationVar(&s.Throttle.Window, "login-failure-window", d.Window, "how long a failed login counts against a username or address")
	fs.IntVar(&s.Throttle.UserFreeFailures, "login-free-failures", d.UserFreeFailures, "failed logins for one username before further attempts are slowed")
	fs.IntVar(&s.Throttle.IPFreeFailures, "login-free-failures-per-ip", d.IPFreeFailures, "failed logins from one address (any username) before its attempts are slowed")
	fs.DurationVar(&s.Throttle.BaseDelay, "login-delay", d.BaseDelay, "first delay once slowed; doubles with each further failure")
	fs.DurationVar(&s.Throttle.MaxDelay, "login-max-delay", d.MaxDelay, "longest delay between attempts")
	fs.BoolVar(&s.InsecureNoSandbox, "insecure-no-sandbox", false, "serve on a non-loopback address even when students' programs cannot be isolated (never on a shared machine)")
	fs.DurationVar(&s.WorkspaceGrace, "workspace-grace", 30*time.Minute, "how long a student's workspace (REPL, unsaved edits) waits for them to reconnect")
	fs.DurationVar(&s.REPLIdle, "repl-idle", 30*time.Minute, "stop a student's Python after this long with no key and no output (they are told why)")
	fs.DurationVar(&s.JournalEvery, "journal-every", 3*time.Second, "how often students' unsaved edits are written to the journal: the most typing a crash of the server can lose")
	fs.StringVar(&s.Python, "python", "/usr/bin/python3", "the Python students run (a path inside the sandbox's read-only /usr)")
	s.Student.RegisterStudentFlags(fs)
	fs.DurationVar(&s.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "on SIGTERM, how long to wait for sessions to end before closing them")
	fs.DurationVar(&s.CollectEvery, "collect-every", 30*time.Second, "how often to collect the assignments of students whose deadline passed and who never submitted")
	fs.StringVar(&s.TLSCert, "tls-cert", "", "certificate chain (PEM) to serve the web page over HTTPS, with --tls-key")
	fs.StringVar(&s.TLSKey, "tls-key", "", "private key (PEM) of --tls-cert")
	fs.StringSliceVar(&s.WebOrigins, "web-origin", nil, "another origin (https://host[:port]) that may use the web login, behind a proxy that rewrites Host (repeatable)")
	fs.StringSliceVar(&s.TrustedProxies, "trusted-proxy", nil, "IP or CIDR of a reverse proxy in front of the web server whose X-Forwarded-For is believed (repeatable)")
	fs.IntVar(&s.AuditRetentionDays, "audit-retention-days", DefaultAuditRetentionDays, "delete audit log entries older than this many days, checked hourly (0 keeps them forever)")
	fs.IntVar(&s.LoginFailureRetentionDays, "login-failure-retention-days", DefaultLoginFailureRetentionDays, "delete login-failure counters whose last failure is older than this many days, checked hourly (0 keeps them forever)")
	fs.VisitAll(func(f *pflag.Flag) { bindEnv(fs, f.Name) })
}

// Status holds the settings of `classroomd status`.
type Status struct {
	HTTPAddr string        // the server's web address, as serve's --http-addr or a URL
	TLSCert  string        // the server's certificate: speak HTTPS and trust exactly it
	Timeout  time.Duration // for the whole question
	JSON     bool          // print the server's report as it is
}

// RegisterStatusFlags adds the flags of `status` to fs. --http-addr and
// --tls-cert read CLASSROOMD_HTTP_ADDR and CLASSROOMD_TLS_CERT, as serve's
// do: on the server's machine (or in its container) `classroomd status` asks
// the server that runs there.
func (s *Status) RegisterStatusFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.HTTPAddr, "http-addr", DefaultHTTPAddr, "the server's web address: host:port as serve's --http-addr takes it, or http(s)://host[:port]")
	fs.StringVar(&s.TLSCert, "tls-cert", "", "the server's certificate (PEM), as serve's --tls-cert: ask over HTTPS, trusting exactly that certificate")
	fs.DurationVar(&s.Timeout, "timeout", 5*time.Second, "how long to wait for the server's answer")
	fs.BoolVar(&s.JSON, "json", false, "print the server's readiness report as JSON")
	bindEnv(fs, "http-addr", "tls-cert")
}

// EnvName is the environment variable that sets the flag named flag.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// envAnnotation marks the flags that read an environment variable: settings of the
// installation, not the arguments of one command (CLASSROOMD_NAME must not name a user).
const envAnnotation = "classroomd-env"

// bindEnv makes the named flags read their environment variable and says so in --help.
func bindEnv(fs *pflag.FlagSet, names ...string) {
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil || f.Annotations[envAnnotation] != nil {
			continue
		}
		_ = fs.SetAnnotation(name, envAnnotation, []string{EnvName(name)})
		f.Usage += " [$" + EnvName(name) + "]"
	}
}

// ApplyEnv sets every env-bound flag that was not given on the command line from
// its environment variable, if that is set. A bad value is an error naming the variable.
func ApplyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Annotations[envAnnotation] == nil {
			return
		}
		v, ok := os.LookupEnv(EnvName(f.Name))
		if !ok {
			return
		}
		if e := f.Value.Set(v); e != nil {
			err = fmt.Errorf("environment variable %s=%q: %w", EnvName(f.Name), v, e)
		}
	})
	return err
}

// Validate checks values no flag parser can, with messages that say what to do.
func (s *Store) Validate() error {
	if strings.TrimSpace(s.DataDir) == "" {
		return fmt.Errorf("--data-dir is empty: give a folder for classroomd's data, e.g. --data-dir ./data")
	}
	if s.BcryptCost < 4 || s.BcryptCost > 14 {
		return fmt.Errorf("--bcrypt-cost %d is out of range: use 4-14 (10 takes about 70 ms per login)", s.BcryptCost)
	}
	if s.UIDBase < 1000 || s.UIDBase > 1<<30 {
		return fmt.Errorf("--uid-base %d is out of range: use 1000-%d, above the host's own users", s.UIDBase, 1<<30)
	}
	if s.DatabaseURL != "" && !strings.HasPrefix(s.DatabaseURL, "postgres://") && !strings.HasPrefix(s.DatabaseURL, "postgresql://") {
		return fmt.Errorf("--database-url must start with postgres:// (or leave it empty for the embedded SQLite database)")
	}
	return nil
}

// Validate checks the server settings.
func (s *Server) Validate() error {
	switch {
	case s.REPLIdle <= 0:
		return fmt.Errorf("--repl-idle must be positive")
	case s.JournalEvery < 10*time.Millisecond:
		return fmt.Errorf("--journal-every %s is too short: use at least 10ms (each write is fsynced; 3s is the default)", s.JournalEvery)
	case !strings.HasPrefix(s.Python, "/usr/"):
		return fmt.Errorf("--python %q must be under /usr/, the only system folder a sandbox sees", s.Python)
	case s.Student.Validate() != nil:
		return s.Student.Validate()
	case s.WorkspaceGrace <= 0:
		return fmt.Errorf("--workspace-grace must be positive")
	case s.MaxSessionsPerUser < 1:
		return fmt.Errorf("--max-sessions-per-user must be at least 1")
	case s.MaxConnections < 1 || s.MaxConnectionsPerIP < 1:
		return fmt.Errorf("--max-connections and --max-connections-per-ip must be at least 1")
	case s.MaxUnauthenticated < 1 || s.MaxUnauthenticatedPerIP < 1:
		return fmt.Errorf("--max-unauthenticated and --max-unauthenticated-per-ip must be at least 1")
	case s.HandshakeTimeout <= 0 || s.ShutdownTimeout <= 0:
		return fmt.Errorf("--handshake-timeout and --shutdown-timeout must be positive")
	case s.Throttle.Window <= 0 || s.Throttle.BaseDelay < 0 || s.Throttle.MaxDelay < s.Throttle.BaseDelay:
		return fmt.Errorf("login throttling needs a positive --login-failure-window and --login-max-delay >= --login-delay")
	case s.Throttle.MaxDelay >= s.HandshakeTimeout:
		return fmt.Errorf("--login-max-delay (%s) must be shorter than --handshake-timeout (%s), or slowed logins would time out", s.Throttle.MaxDelay, s.HandshakeTimeout)
	case s.MetricsAddr != "" && !validListenAddr(s.MetricsAddr):
		return fmt.Errorf("--metrics-addr %q is not host:port: use e.g. 127.0.0.1:9100 (or a private address Prometheus reaches)", s.MetricsAddr)
	case s.MetricsAddr != "" && !strings.HasSuffix(s.MetricsAddr, ":0") && (s.MetricsAddr == s.HTTPAddr || s.MetricsAddr == s.SSHAddr):
		return fmt.Errorf("--metrics-addr must differ from --http-addr and --ssh-addr: metrics are never served on the students' address")
	case s.Pprof && s.MetricsAddr == "":
		return fmt.Errorf("--pprof serves on --metrics-addr: give one too (e.g. --metrics-addr 127.0.0.1:9100)")
	case s.AuditRetentionDays < 0 || s.LoginFailureRetentionDays < 0:
		return fmt.Errorf("--audit-retention-days and --login-failure-retention-days cannot be negative (0 keeps the records forever)")
	case s.LoginFailureRetentionDays > 0 && s.LoginFailureRetention() < s.Throttle.Window:
		return fmt.Errorf("--login-failure-retention-days (%d) is shorter than --login-failure-window (%s): failures would be forgotten while they still count", s.LoginFailureRetentionDays, s.Throttle.Window)
	case (s.TLSCert == "") != (s.TLSKey == ""):
		return fmt.Errorf("--tls-cert and --tls-key go together: give both to serve HTTPS, or neither to serve HTTP (behind a proxy that does TLS)")
	}
	_, err := s.ParseTrustedProxies()
	return err
}

// validListenAddr reports whether addr is host:port with a port.
func validListenAddr(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port != ""
}

// ParseTrustedProxies reads TrustedProxies: an IP is a one-address prefix.
func (s *Server) ParseTrustedProxies() ([]netip.Prefix, error) {
	var ps []netip.Prefix
	for _, v := range s.TrustedProxies {
		v = strings.TrimSpace(v)
		if a, err := netip.ParseAddr(v); err == nil {
			ps = append(ps, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxy %q is neither an IP address nor a CIDR such as 10.0.0.0/8", v)
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

// HomesDir is where student homes live.
func (s *Store) HomesDir() string { return filepath.Join(s.DataDir, "homes") }

// SQLitePath is the embedded database file.
func (s *Store) SQLitePath() string { return filepath.Join(s.DataDir, "classroomd.db") }

// CourseDir is the read-only course folder every student sees at /course.
func (s *Store) CourseDir() string { return filepath.Join(s.DataDir, "course") }

// JournalDir holds each student's journal of unsaved edits.
func (s *Store) JournalDir() string { return filepath.Join(s.DataDir, "journal") }

// HostKeyPath is the SSH host key, generated on first start and kept.
func (s *Store) HostKeyPath() string { return filepath.Join(s.DataDir, "ssh_host_ed25519_key") }

// ErrNoIsolation refuses to expose a server whose students' programs would run unconfined.
var ErrNoIsolation = errors.New("students' programs cannot be isolated on this machine")

// SSHListenAddr decides where to listen for SSH given whether students' programs
// can be isolated. Without isolation, a server that would listen on every address
// becomes a loopback-only trial (trial is true: say so loudly), and one given an
// explicit public address is refused, unless InsecureNoSandbox.
func (s *Server) SSHListenAddr(isolated bool) (addr string, trial bool, err error) {
	return s.listenAddr("--ssh-addr", s.SSHAddr, isolated)
}

// HTTPListenAddr is SSHListenAddr for the web server, which opens the same
// workspaces in a browser.
func (s *Server) HTTPListenAddr(isolated bool) (addr string, trial bool, err error) {
	return s.listenAddr("--http-addr", s.HTTPAddr, isolated)
}

func (s *Server) listenAddr(flag, listen string, isolated bool) (addr string, trial bool, err error) {
	if isolated || s.InsecureNoSandbox {
		return listen, false, nil
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", false, fmt.Errorf("%s %q: %w", flag, listen, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		return net.JoinHostPort("127.0.0.1", port), true, nil
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return listen, true, nil
	}
	return "", false, fmt.Errorf("%w, so classroomd will not serve them on %s: run it as root on Linux with namespaces "+
		"(classroomd sandbox check says what is missing), listen on 127.0.0.1 to try it out, "+
		"or pass --insecure-no-sandbox if every student is trusted", ErrNoIsolation, listen)
}
