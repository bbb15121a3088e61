package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestEnvFillsOnlyInstallationSettings(t *testing.T) {
	var st Store
	var srv Server
	var name string
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	st.RegisterStoreFlags(fs)
	srv.RegisterServerFlags(fs)
	fs.StringVar(&name, "name", "", "a per-command argument")
	t.Setenv("CLASSROOMD_DATA_DIR", "/srv/class")
	t.Setenv("CLASSROOMD_SSH_ADDR", ":22")
	t.Setenv("CLASSROOMD_LOGIN_DELAY", "3s")
	t.Setenv("CLASSROOMD_NAME", "Mallory")
	if err := fs.Parse([]string{"--ssh-addr", ":2200"}); err != nil {
		t.Fatal(err)
	}
	if err := ApplyEnv(fs); err != nil {
		t.Fatal(err)
	}
	if st.DataDir != "/srv/class" || srv.Throttle.BaseDelay != 3*time.Second {
		t.Errorf("env not applied: data dir %q, delay %v", st.DataDir, srv.Throttle.BaseDelay)
	}
	if srv.SSHAddr != ":2200" {
		t.Errorf("a flag on the command line must win over the environment; got %q", srv.SSHAddr)
	}
	if name != "" {
		t.Errorf("CLASSROOMD_NAME filled a per-command argument: %q", name)
	}
	if !strings.Contains(fs.Lookup("data-dir").Usage, "$CLASSROOMD_DATA_DIR") || strings.Contains(fs.Lookup("name").Usage, "$") {
		t.Error("--help must name the variable of env-bound flags, and only of those")
	}
}

func TestBadEnvValueNamesTheVariable(t *testing.T) {
	var srv Server
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	srv.RegisterServerFlags(fs)
	t.Setenv("CLASSROOMD_MAX_CONNECTIONS", "many")
	err := ApplyEnv(fs)
	if err == nil || !strings.Contains(err.Error(), "CLASSROOMD_MAX_CONNECTIONS") {
		t.Errorf("ApplyEnv = %v, want an error naming the variable", err)
	}
}

func TestValidateExplains(t *testing.T) {
	for _, c := range []struct {
		st   Store
		want string
	}{
		{Store{DataDir: "", BcryptCost: 10}, "--data-dir"},
		{Store{DataDir: "d", BcryptCost: 3}, "--bcrypt-cost"},
		{Store{DataDir: "d", BcryptCost: 10, UIDBase: DefaultUIDBase, DatabaseURL: "mysql://x"}, "postgres://"},
		{Store{DataDir: "d", BcryptCost: 10, UIDBase: 0}, "--uid-base"},
	} {
		if err := c.st.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want a message about %s", c.st, err, c.want)
		}
	}
	var srv Server
	srv.RegisterServerFlags(pflag.NewFlagSet("x", pflag.ContinueOnError))
	if err := srv.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	srv.Throttle.MaxDelay = 5 * time.Minute
	if err := srv.Validate(); err == nil {
		t.Error("a login delay longer than the handshake timeout must be refused")
	}
	srv.Throttle.MaxDelay = time.Second
	srv.Pprof = true
	if err := srv.Validate(); err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
		t.Errorf("--pprof without --metrics-addr: %v, want a message naming --metrics-addr", err)
	}
	srv.MetricsAddr = "127.0.0.1:9100"
	if err := srv.Validate(); err != nil {
		t.Errorf("--pprof with --metrics-addr: %v", err)
	}
}

func TestSSHListenAddrWithoutIsolation(t *testing.T) {
	for _, c := range []struct {
		addr, want string
		insecure   bool
		trial      bool
		refused    bool
	}{
		{addr: ":2222", want: "127.0.0.1:2222", trial: true},
		{addr: "0.0.0.0:2222", want: "127.0.0.1:2222", trial: true},
		{addr: "[::]:2222", want: "127.0.0.1:2222", trial: true},
		{addr: "127.0.0.1:2200", want: "127.0.0.1:2200", trial: true},
		{addr: "localhost:2200", want: "localhost:2200", trial: true},
		{addr: "192.0.2.10:2222", refused: true},
		{addr: "192.0.2.10:2222", insecure: true, want: "192.0.2.10:2222"},
		{addr: ":2222", insecure: true, want: ":2222"},
	} {
		s := Server{SSHAddr: c.addr, InsecureNoSandbox: c.insecure}
		got, trial, err := s.SSHListenAddr(false)
		switch {
		case c.refused && !errors.Is(err, ErrNoIsolation):
			t.Errorf("%s: err = %v, want ErrNoIsolation", c.addr, err)
		case !c.refused && (err != nil || got != c.want || trial != c.trial):
			t.Errorf("%s insecure=%v: %q trial=%v %v; want %q trial=%v", c.addr, c.insecure, got, trial, err, c.want, c.trial)
		}
	}
	s := Server{SSHAddr: "192.0.2.10:2222"}
	if got, trial, err := s.SSHListenAddr(true); got != "192.0.2.10:2222" || trial || err != nil {
		t.Errorf("with isolation the address is used as given: %q %v %v", got, trial, err)
	}
}
