// Package health answers a supervisor's two questions on the HTTP address:
// /healthz, is the process alive (for a liveness probe: restart it if not),
// and /readyz, should it be sent students now (the store answers and it is
// not shutting down: for a readiness probe and a load balancer). Both answer
// in JSON; `classroomd status` reads /readyz with Fetch.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/classroomd/classroomd/internal/metrics"
)

// DefaultPingTimeout bounds the store check of /readyz.
const DefaultPingTimeout = 2 * time.Second

// Statuses of a Report.
const (
	StatusOK       = "ok"        // /healthz
	StatusReady    = "ready"     // /readyz, 200
	StatusNotReady = "not ready" // /readyz, 503
)

// Options configure a Checker.
type Options struct {
	// Store is pinged by every /readyz, within PingTimeout.
	Store interface{ Ping(context.Context) error }
	// Sandbox is the isolation level the sandbox probe reached (full,
	// partial, none): reported, not judged (the server decided at start
	// where it may listen with it).
	Sandbox     string
	PingTimeout time.Duration // 0: DefaultPingTimeout
	// Metrics, if set, get classroomd_ready.
	Metrics *metrics.Metrics
}

// Checker holds the server's readiness.
type Checker struct {
	opts     Options
	stopping atomic.Bool
}

// New returns a Checker of a server that accepts logins.
func New(o Options) *Checker {
	if o.PingTimeout <= 0 {
		o.PingTimeout = DefaultPingTimeout
	}
	o.Metrics.SetReady(true)
	return &Checker{opts: o}
}

// Stopping records that the server is shutting down: from now on /readyz
// answers 503, so that load balancers send nobody new.
func (c *Checker) Stopping() {
	c.stopping.Store(true)
	c.opts.Metrics.SetReady(false)
}

// Report is the JSON body of /healthz and /readyz.
type Report struct {
	Status string `json:"status"` // StatusOK, StatusReady or StatusNotReady
	// Store is "ok" or "unreachable" (/readyz only).
	Store           string `json:"store,omitempty"`
	Sandbox         string `json:"sandbox"`
	AcceptingLogins bool   `json:"accepting_logins"`
	// Problems say, for an operator, why the server is not ready.
	Problems []string `json:"problems,omitempty"`
}

// Ready reports whether the server is ready.
func (r Report) Ready() bool { return r.Status == StatusReady }

// Check decides readiness now.
func (c *Checker) Check(ctx context.Context) Report {
	r := Report{Status: StatusReady, Store: "ok", Sandbox: c.opts.Sandbox, AcceptingLogins: !c.stopping.Load()}
	if !r.AcceptingLogins {
		r.Problems = append(r.Problems, "the server is shutting down and accepts no new logins")
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.PingTimeout)
	defer cancel()
	if err := c.opts.Store.Ping(ctx); err != nil {
		// The error itself is not shown: it may name hosts and users.
		r.Store = "unreachable"
		r.Problems = append(r.Problems, fmt.Sprintf("the store did not answer within %s: check the database (--database-url) or the data dir's disk", c.opts.PingTimeout))
	}
	if len(r.Problems) > 0 {
		r.Status = StatusNotReady
	}
	return r
}

// Handler serves GET /healthz and GET /readyz.
func (c *Checker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		// Alive: this process serves HTTP. Not the store: a database
		// outage must not make a supervisor restart every node.
		write(w, http.StatusOK, Report{Status: StatusOK, Sandbox: c.opts.Sandbox, AcceptingLogins: !c.stopping.Load()})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rep := c.Check(r.Context())
		code := http.StatusOK
		if !rep.Ready() {
			code = http.StatusServiceUnavailable
		}
		write(w, code, rep)
	})
	return mux
}

func write(w http.ResponseWriter, code int, r Report) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(r)
}

// maxBody bounds what Fetch reads of an answer.
const maxBody = 64 << 10

// Fetch asks the server at base (http://host:port or https://...) for
// /readyz and returns its report: a server that answers, ready or not,
// gives a nil error.
func Fetch(ctx context.Context, client *http.Client, base string) (Report, error) {
	u, err := BaseURL(base)
	if err != nil {
		return Report{}, err
	}
	u = u.JoinPath("readyz")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Report{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return Report{}, fmt.Errorf("no answer from %s: %w (is classroomd serving there? give its web address with --http-addr)", u.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Report{}, fmt.Errorf("read the answer of %s: %w", u.Redacted(), err)
	}
	var rep Report
	if (resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable) ||
		json.Unmarshal(body, &rep) != nil || rep.Status == "" {
		return Report{}, fmt.Errorf("%s answered %s, not a classroomd readiness report: is --http-addr classroomd's web address (https://, or --tls-cert, if it serves HTTPS)?", u.Redacted(), resp.Status)
	}
	return rep, nil
}

// BaseURL reads an HTTP address as `serve --http-addr` takes it (":8080",
// "host:8080") or as a URL ("https://class.example.edu"). An address
// without a host is this machine.
func BaseURL(addr string) (*url.URL, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return nil, errors.New("no HTTP address: give classroomd's web address with --http-addr, e.g. http://127.0.0.1:8080")
	}
	if !strings.Contains(addr, "://") {
		if strings.HasPrefix(addr, ":") {
			addr = "127.0.0.1" + addr
		}
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--http-addr %q is not an address: use host:port or http(s)://host[:port]", addr)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--http-addr must not hold credentials, a query or a fragment: use http(s)://host[:port][/path]")
	}
	if h := u.Hostname(); h == "0.0.0.0" || h == "::" {
		// Where a server listens on every address, ask it on this machine.
		if p := u.Port(); p != "" {
			u.Host = net.JoinHostPort("127.0.0.1", p)
		} else {
			u.Host = "127.0.0.1"
		}
	}
	return u, nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
