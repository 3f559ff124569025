package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newConfigCmd is medusa's own addition: it prints the effective
// configuration (defaults, medusa.ini, flags and environment merged) with
// every secret redacted, so operators can check what medusa will use.
func newConfigCmd(r *root) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration, secrets redacted",
		Long: `Print the configuration medusa will use: built-in defaults, then medusa.ini,
then the global flags, then environment variables and Kubernetes secret files.
Passwords, keys and tokens are shown as <redacted>. Warnings about unknown keys
are logged to stderr.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := r.open(cmd.Context(), nil)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), a.Config.Redacted())
			return err
		},
	}
}
