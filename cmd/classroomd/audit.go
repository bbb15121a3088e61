package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/store"
)

func (a *app) auditCmd() *cobra.Command {
	var f store.AuditFilter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit log, newest first (logins, account changes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Limit < 1 {
				return fmt.Errorf("--limit must be at least 1")
			}
			st, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			entries, err := st.ListAudit(cmd.Context(), f)
			if err != nil {
				return fmt.Errorf("read audit log: %w", err)
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(entries)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tTARGET\tFROM\tOUTCOME\tDETAIL")
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04:05"),
					accounts.Printable(e.Actor), e.Action, accounts.Printable(e.Target), e.Remote, e.Outcome, accounts.Printable(e.Detail))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&f.User, "user", "", "only entries by or about this user")
	cmd.Flags().IntVar(&f.Limit, "limit", 50, "how many entries to show")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}
