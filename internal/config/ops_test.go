package config

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestMetricsAddr(t *testing.T) {
	valid := func() Server {
		var srv Server
		srv.RegisterServerFlags(pflag.NewFlagSet("x", pflag.ContinueOnError))
		return srv
	}
	srv := valid()
	if srv.MetricsAddr != "" {
		t.Errorf("metrics are served by default on %q; they must be off unless asked for", srv.MetricsAddr)
	}
	for _, ok := range []string{"127.0.0.1:9100", ":9100", "[::1]:9100", "127.0.0.1:0"} {
		srv := valid()
		srv.HTTPAddr = "127.0.0.1:0" // a random port each: not the same address
		srv.MetricsAddr = ok
		if err := srv.Validate(); err != nil {
			t.Errorf("--metrics-addr %s: %v", ok, err)
		}
	}
	for addr, want := range map[string]string{
		"9100":          "host:port",
		"localhost":     "host:port",
		DefaultHTTPAddr: "differ",
		DefaultSSHAddr:  "differ",
	} {
		srv := valid()
		srv.MetricsAddr = addr
		if err := srv.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--metrics-addr %q: %v, want an error about %s", addr, err, want)
		}
	}
}

func TestStatusFlagsReadTheServersAddress(t *testing.T) {
	var st Status
	fs := pflag.NewFlagSet("status", pflag.ContinueOnError)
	st.RegisterStatusFlags(fs)
	t.Setenv("CLASSROOMD_HTTP_ADDR", ":8443")
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if err := ApplyEnv(fs); err != nil {
		t.Fatal(err)
	}
	if st.HTTPAddr != ":8443" || st.Timeout <= 0 {
		t.Errorf("status: --http-addr %q, --timeout %v", st.HTTPAddr, st.Timeout)
	}
}
