package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/config"
)

// Helpers shared by the commands that read the backup index (list-backups,
// status, verify, fetch-tokenmap, get-last-complete-cluster-backup,
// build-index, report-last-backup).

// withCatalog loads medusa.ini, opens the catalog of the bucket (Medusa's
// index self-healing on, see internal/catalog), runs fn and closes the
// storage.
func (r *root) withCatalog(ctx context.Context, fn func(cfg *config.Config, cat *catalog.Catalog) error) error {
	a, err := r.open(ctx, nil)
	if err != nil {
		return err
	}
	cat, err := a.Catalog(ctx)
	if err != nil {
		return err
	}
	defer cat.Backend.Close()
	return fn(a.Config, cat)
}

// unknownBackup logs Medusa's "No such backup" and returns the error
// (exit code 1) naming the backup; err, a layout.ErrBackupNotFound, is
// only logged at debug level.
func (r *root) unknownBackup(name string, err error) error {
	r.logger.Error("No such backup")
	r.logger.Debug(err.Error())
	return fmt.Errorf("no such backup: %s", name)
}

// location is the time zone backup times are shown in: $TZ when set,
// else the system's local time (Medusa prints local time).
func (r *root) location() *time.Location {
	getenv := r.env.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	tz, ok := strings.CutPrefix(getenv("TZ"), ":")
	if tz == "" && !ok {
		return time.Local
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		r.logger.Warn("unknown time zone in TZ, using local time", "TZ", tz)
		return time.Local
	}
	return loc
}

// requireFlag fails with a usage error (exit 2, like click) when a
// required flag was not given.
func requireFlag(cmd *cobra.Command, name string) error {
	if !cmd.Flags().Changed(name) {
		return usageError{fmt.Errorf("missing option --%s\nRun '%s --help' for usage.", name, cmd.CommandPath())}
	}
	return nil
}

// checkOutput validates an --output value.
func checkOutput(output string) error {
	if output != "text" && output != "json" {
		return usageError{fmt.Errorf("invalid value %q for --output: choose text or json", output)}
	}
	return nil
}
