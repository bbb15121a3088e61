package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/classroomd/classroomd/internal/loadgen"
)

const passwordEnv = "CLASSROOM_LOAD_PASSWORD"

// options are the command line's.
type options struct {
	addr     string
	students []int

	web          string // the server's base URL: the students take the browser's path
	webURL       *url.URL
	webCA        string
	webInsecure  bool
	webForwarded bool

	ramp, hold   time.Duration
	typing, cpu  float64
	prefix       string
	professor    string
	passwordFile string
	cols, rows   int
	pace         loadgen.Pace
	seed         uint64

	stormN      int
	stormWithin time.Duration

	burstN      int
	burstWithin time.Duration

	serverPID int
	settle    time.Duration

	floor, floorOnly bool
	sshd, python     string

	createAccounts int
	classroomd     string
	dataDir        string

	jsonFile string
	samples  string
	verbose  bool
}

const usageText = `classroom-load simulates students over real SSH (or, with --web, through the
browser's WebSocket bridge) against a running classroomd and reports how fast
it answers them, and what it costs the server.

Each student logs in (accounts PREFIX001, PREFIX002..., one password for all,
from $CLASSROOM_LOAD_PASSWORD or --password-file), gets a %dx%d xterm-256color
terminal and starts Python (F4). Then, at a human pace with jitter:
  typing students  make a new file (F2, ctrl+n, a name), type a short program,
                   save it (ctrl+s), run it (F5), and evaluate two expressions
                   at Python's prompt, again and again;
  cpu students     run "while True: pass" for --cpu-burst, then ctrl+c;
  idle students    keep their workspace and Python open.
With --professor, a professor opens the console during the hold and switches
between its Students and Live pages (timed from the key to the page's data).
The output feeds a terminal emulator per student; each time is taken from the
key to the arrival of the frame that shows its effect: login (TCP connect to
the first frame of the workspace), echo (a key to its character on the
screen), save (ctrl+s to "Saved NAME."), run (F5 to the program's output),
python result, ctrl+c to prompt. For each level of --students the logins are
spread over --ramp; once all have logged in, the hold of --duration is
measured. The server's CPU and memory are read from /proc (--server-pid, or
the process listening on --addr's port, or --web's).

With --web URL every student (and the professor) takes the browser's path
instead of SSH, as classroomd's page does: POST /login with the form and the
page's Origin, GET /term, then /ws with the session cookie: the terminal size
first, then keys and output as binary messages, a ping every 20 s. The login
time then runs from the form's TCP connect to the workspace's first frame.
The server limits per client address the web logins (60 at once, then one a
second: 429), the WebSocket connects (120, then 4 a second) and the sessions
(--max-connections-per-ip); a class sits behind many addresses. By default
each student sends an X-Forwarded-For address of its own (10.0.0.1,
10.0.0.2...), which classroomd believes only when started with
--trusted-proxy 127.0.0.1 (the generator's address); without it every
student is 127.0.0.1. --web-forwarded-for=false measures one NAT address.

Usage:
  classroom-load [flags]                        the levels of --students
  classroom-load --login-storm 100 --within 10s  logins only, all at once
  classroom-load --burst 50 --key-interval 250ms [--floor]
                                                the start of a class: 50 logins in
                                                one second, F4 and typing at once
  classroom-load --web http://127.0.0.1:8080 ...  the same, through the browser's
                                                WebSocket bridge (see above)
  classroom-load --floor ...                    also the same Python keys against
                                                OpenSSH's sshd + python3 -i
  classroom-load --create-accounts 500 [--classroomd PATH --data-dir DIR]
        prints the roster CSV, or imports it with that classroomd binary

Flags:
`

// parseFlags reads args (without the program name).
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("classroom-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usageText, defaultCols, defaultRows)
		fs.PrintDefaults()
	}
	var students string
	fs.StringVar(&o.addr, "addr", "127.0.0.1:2222", "classroomd's SSH address")
	fs.StringVar(&o.web, "web", "", "classroomd's web address (http://HOST:PORT or https://...): the students log in with the web form and type through the WebSocket bridge instead of SSH")
	fs.StringVar(&o.webCA, "web-ca", "", "with an https --web: trust the server certificate's CA from this PEM file (else the system's)")
	fs.BoolVar(&o.webInsecure, "web-insecure", false, "with an https --web: do not verify the server's certificate at all")
	fs.BoolVar(&o.webForwarded, "web-forwarded-for", true, "with --web: each student sends an X-Forwarded-For address of its own (10.x.y.z), so the server's per-address limits see a class of many addresses; the server must trust it (classroomd serve --trusted-proxy 127.0.0.1)")
	fs.StringVar(&students, "students", "50", "levels to run one after another, comma-separated (50,200,500)")
	fs.DurationVar(&o.ramp, "ramp", 30*time.Second, "spread each level's logins over this long")
	fs.DurationVar(&o.hold, "duration", 60*time.Second, "how long each level is measured once every student has logged in")
	fs.Float64Var(&o.typing, "typing", 0.10, "share of the students who type, save and run (0-1)")
	fs.Float64Var(&o.cpu, "cpu", 0.05, "share of the students who run CPU-bound code (0-1)")
	fs.StringVar(&o.prefix, "prefix", "load", "the students' usernames are this and a number: load001, load002...")
	fs.StringVar(&o.professor, "professor", "", "a professor account (same password) that opens the console during each hold and switches between its Students and Live pages, timing each switch; with --create-accounts, also created")
	fs.StringVar(&o.passwordFile, "password-file", "", "read the students' password from the first line of this file (else $"+passwordEnv+")")
	fs.IntVar(&o.cols, "cols", defaultCols, "each terminal's width")
	fs.IntVar(&o.rows, "rows", defaultRows, "each terminal's height")
	fs.DurationVar(&o.pace.Key, "key-interval", 200*time.Millisecond, "mean pause between two keys")
	fs.DurationVar(&o.pace.Think, "think", 2*time.Second, "mean pause between two steps")
	fs.DurationVar(&o.pace.CPUBurst, "cpu-burst", 15*time.Second, "how long a CPU-bound loop runs before ctrl+c")
	fs.Float64Var(&o.pace.Jitter, "jitter", 0.5, "each pause is drawn within ±this share of its mean")
	fs.DurationVar(&o.pace.Timeout, "timeout", 15*time.Second, "the longest wait for a screen (or a login) before it counts as an error")
	fs.Uint64Var(&o.seed, "seed", 1, "seed for the roles, the pauses and the programs typed")
	fs.IntVar(&o.stormN, "login-storm", 0, "instead of the levels: this many students log in within --within, and leave")
	fs.DurationVar(&o.stormWithin, "within", 10*time.Second, "the login storm's length")
	fs.IntVar(&o.burstN, "burst", 0, "instead of the levels: the start of a class. This many students log in within --burst-within, each presses F4 and types an expression at once (a key every --key-interval, not waiting for Python), then enter; its value must show. Run twice: cold (fresh workspaces), then warm (the same students again). Reports lost keys and failed starts")
	fs.DurationVar(&o.burstWithin, "burst-within", time.Second, "the burst's logins are spread over this long")
	fs.IntVar(&o.serverPID, "server-pid", 0, "classroomd's process id (default: the process listening on --addr's port)")
	fs.DurationVar(&o.settle, "settle", 3*time.Minute, "before a level, wait at most this long for the previous level's sandboxes to end (start classroomd with a short --workspace-grace)")
	fs.BoolVar(&o.floor, "floor", false, "after classroomd's levels, run the same levels' Python keys against OpenSSH's sshd with ForceCommand python3 -i on a loopback port")
	fs.BoolVar(&o.floorOnly, "floor-only", false, "run only the floor")
	fs.StringVar(&o.sshd, "sshd", "/usr/sbin/sshd", "OpenSSH's server, for the floor")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "the Python the floor's sessions run (classroomd's default too)")
	fs.IntVar(&o.createAccounts, "create-accounts", 0, "print a roster CSV of this many students (username,full_name,role,password), or import it with --classroomd")
	fs.StringVar(&o.classroomd, "classroomd", "", "with --create-accounts: import the roster with this classroomd binary (user import -, the roster on its standard input)")
	fs.StringVar(&o.dataDir, "data-dir", "", "with --classroomd: the server's --data-dir (PostgreSQL: set CLASSROOMD_DATABASE_URL)")
	fs.StringVar(&o.jsonFile, "json", "", "also write the results to this JSON file (rewritten after each level)")
	fs.StringVar(&o.samples, "samples", "", "also write every sample that counts to this file, a line each: when its key was sent (µs since the epoch), the measure, how long it took (µs)")
	fs.BoolVar(&o.verbose, "verbose", false, "print the first error of each kind with the screen it left")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: every setting is a flag (see --help)", fs.Arg(0))
	}
	for _, s := range strings.Split(students, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--students %q: want positive numbers separated by commas, like 50,200,500", students)
		}
		o.students = append(o.students, n)
	}
	return o, o.check()
}

const (
	defaultCols = 100
	defaultRows = 30
)

func (o *options) check() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if o.typing < 0 || o.cpu < 0 || o.typing+o.cpu > 1 {
		bad("--typing and --cpu are shares between 0 and 1 whose sum is at most 1 (got %g and %g)", o.typing, o.cpu)
	}
	if o.ramp < 0 || o.hold <= 0 || o.stormWithin < 0 {
		bad("--ramp and --within must not be negative, and --duration must be positive")
	}
	if o.pace.Key < 0 || o.pace.Think < 0 || o.pace.CPUBurst < 0 || o.pace.Timeout <= 0 {
		bad("--key-interval, --think and --cpu-burst must not be negative, and --timeout must be positive")
	}
	if o.pace.Jitter < 0 || o.pace.Jitter > 1 {
		bad("--jitter is a share between 0 and 1 (got %g)", o.pace.Jitter)
	}
	if o.cols < 60 || o.cols > 400 || o.rows < 20 || o.rows > 200 {
		bad("--cols must be 60-400 and --rows 20-200, so that the workspace shows its panes side by side (got %dx%d)", o.cols, o.rows)
	}
	if err := loadgen.CheckPrefix(o.prefix); err != nil {
		errs = append(errs, err)
	}
	if o.professor != "" {
		if err := loadgen.CheckPrefix(o.professor); err != nil {
			bad("--professor %q is not a username classroomd takes", o.professor)
		} else if strings.HasPrefix(o.professor, o.prefix) {
			bad("--professor %q must not start with the students' prefix %q", o.professor, o.prefix)
		}
	}
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		bad("--addr %q: want HOST:PORT", o.addr)
	}
	if o.web != "" {
		u, err := loadgen.ParseWebURL(o.web)
		if err != nil {
			bad("--web %w", err)
		}
		o.webURL = u
	}
	if (o.webCA != "" || o.webInsecure) && (o.webURL == nil || o.webURL.Scheme != "https") {
		bad("--web-ca and --web-insecure are for an https:// --web")
	}
	if o.webCA != "" && o.webInsecure {
		bad("--web-ca trusts one CA, --web-insecure none at all: give one of them")
	}
	if o.classroomd != "" && (o.createAccounts == 0 || o.dataDir == "") {
		bad("--classroomd imports accounts: it needs --create-accounts N and --data-dir DIR")
	}
	if o.burstN > 0 && o.stormN > 0 {
		bad("--burst and --login-storm are two different runs: give one of them")
	}
	if o.createAccounts < 0 || o.stormN < 0 || o.burstN < 0 || o.burstWithin < 0 {
		bad("--create-accounts, --login-storm and --burst take a number of students, and --burst-within must not be negative")
	}
	return errors.Join(errs...)
}

// password reads the students' password from --password-file or the
// environment: never from the command line, which other users can read.
func (o *options) password() (string, error) {
	pw := os.Getenv(passwordEnv)
	if o.passwordFile != "" {
		b, err := os.ReadFile(o.passwordFile)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		pw = strings.TrimRight(line, "\r")
	}
	if pw == "" {
		return "", fmt.Errorf("no password for the students: set $%s or give --password-file", passwordEnv)
	}
	if err := loadgen.CheckPassword(o.prefix, pw); err != nil {
		return "", err
	}
	if o.professor != "" && strings.Contains(strings.ToLower(pw), o.professor) {
		return "", fmt.Errorf("the password must not contain the professor's username %q (classroomd refuses it)", o.professor)
	}
	return pw, nil
}

// webTLS is the TLS configuration for an https --web: nil (the system's
// roots), the CA of --web-ca, or no verification with --web-insecure.
func (o *options) webTLS() (*tls.Config, error) {
	switch {
	case o.webInsecure:
		return &tls.Config{InsecureSkipVerify: true}, nil //nolint:gosec // asked for with --web-insecure
	case o.webCA != "":
		pem, err := os.ReadFile(o.webCA)
		if err != nil {
			return nil, fmt.Errorf("--web-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--web-ca %s: no PEM certificate in it", o.webCA)
		}
		return &tls.Config{RootCAs: pool}, nil
	}
	return nil, nil
}
