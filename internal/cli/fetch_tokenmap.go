package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
)

// newFetchTokenmapCmd is `medusa fetch-tokenmap`.
func newFetchTokenmapCmd(r *root) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "fetch-tokenmap",
		Short: "Print the token map of a backup",
		Long: `Print the token map recorded by a cluster backup (the one of its first node
backup): for each host, a line with the host, then a line with its tokens as a
Python list, e.g.

  10.0.0.11
  [-9223372036854775808, -3074457345618258603]

An unknown backup exits 1.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlag(cmd, "backup-name"); err != nil {
				return err
			}
			return r.withCatalog(cmd.Context(), func(cfg *config.Config, cat *catalog.Catalog) error {
				cb, err := cat.ClusterBackup(cmd.Context(), name)
				if errors.Is(err, layout.ErrBackupNotFound) {
					return r.unknownBackup(name, err)
				}
				if err != nil {
					return err
				}
				if cb.Tokenmap == nil {
					return fmt.Errorf("the tokenmap of backup %s cannot be read", name)
				}
				var b strings.Builder
				for _, h := range cb.Tokenmap.Hosts {
					b.WriteString(h.Host + "\n" + pyTokens(h) + "\n")
				}
				_, err = fmt.Fprint(cmd.OutOrStdout(), b.String())
				return err
			})
		},
	}
	cmd.Flags().StringVar(&name, "backup-name", "", "backup name (required)")
	return cmd
}

// pyTokens renders a host's tokens the way Python prints them: a list
// "[1, 2]", or the bare integer when the tokenmap held a scalar.
func pyTokens(h layout.TokenmapHost) string {
	toks := h.TokenStrings()
	if h.ScalarToken && len(toks) == 1 {
		return toks[0]
	}
	return "[" + strings.Join(toks, ", ") + "]"
}
