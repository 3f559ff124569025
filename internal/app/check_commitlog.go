package app

import (
	"context"
	"os"
	"path/filepath"

	"github.com/medusa-go/medusa/internal/check"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// commitlogChecks are the commit log archiving lines of `medusa check`
// (docs/check.md). b is the storage (nil when it could not be opened).
func (a *App) commitlogChecks(b storage.Backend) []check.Check {
	c := &check.Commitlog{Enabled: a.Config.Commitlog.Enabled}
	c.Paths, c.PathsErr = a.CommitlogPaths()
	if exe, err := os.Executable(); err == nil && a.Config.File != "" {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			if ini, err := filepath.Abs(a.Config.File); err == nil {
				c.ArchiveLine, _ = ArchiveCommand(exe, ini)
			}
		}
	}
	if b != nil {
		under := commitlog.Under(b, layout.New(a.Config.Storage.Prefix).KeyPrefix())
		c.Archived = func(ctx context.Context) (commitlog.Archived, error) {
			return commitlog.ListArchived(ctx, under, a.Config.Storage.FQDN)
		}
	}
	return c.Checks()
}
