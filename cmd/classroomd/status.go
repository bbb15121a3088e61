package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/health"
)

func (a *app) statusCmd() *cobra.Command {
	var st config.Status
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Ask a running server whether it is ready for students (exit status 0) or not (1)",
		Long: `Ask a running server, on its web address, whether it is ready for students:
its store answers and it is not shutting down. It prints what /readyz says
and exits 0 when ready, 1 when not or when nothing answers.

On the server's machine (or in its container) it needs no flags: --http-addr
and --tls-cert read CLASSROOMD_HTTP_ADDR and CLASSROOMD_TLS_CERT like serve's
do (with a certificate it asks over HTTPS and trusts exactly that one).
Elsewhere give the address:

    classroomd status --http-addr https://class.example.edu`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.status(cmd.Context(), st)
		},
	}
	st.RegisterStatusFlags(cmd.Flags())
	return cmd
}

func (a *app) status(ctx context.Context, st config.Status) error {
	if st.Timeout <= 0 {
		return errors.New("--timeout must be positive")
	}
	base, err := health.BaseURL(st.HTTPAddr)
	if err != nil {
		return err
	}
	if st.TLSCert != "" && !strings.Contains(st.HTTPAddr, "://") {
		base.Scheme = "https" // the server serves HTTPS with that certificate
	}
	client, err := health.Client(st.TLSCert)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, st.Timeout)
	defer cancel()
	rep, err := health.Fetch(ctx, client, base.String())
	if err != nil {
		return err
	}
	if st.JSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		yes := map[bool]string{true: "yes", false: "no"}
		fmt.Fprintf(a.stdout, "classroomd at %s: %s\n", base.Redacted(), rep.Status)
		fmt.Fprintf(a.stdout, "  store:             %s\n", rep.Store)
		fmt.Fprintf(a.stdout, "  sandbox:           %s\n", rep.Sandbox)
		fmt.Fprintf(a.stdout, "  accepting logins:  %s\n", yes[rep.AcceptingLogins])
		for _, p := range rep.Problems {
			fmt.Fprintf(a.stdout, "  problem:           %s\n", p)
		}
	}
	if !rep.Ready() {
		return fmt.Errorf("the server at %s is not ready: %s", base.Redacted(), strings.Join(rep.Problems, "; "))
	}
	return nil
}
