package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func (a *app) migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations (serve also does this at start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.openUnmigrated(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			applied, err := st.Migrate(ctx)
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintln(a.stdout, "The database is up to date.")
				return nil
			}
			fmt.Fprintf(a.stdout, "Applied %d migration(s): %s\n", len(applied), strings.Join(applied, ", "))
			return nil
		},
	}
}
