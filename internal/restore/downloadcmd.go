package restore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medusa-go/medusa/internal/layout"
)

// DownloadOptions describe `medusa download`.
type DownloadOptions struct {
	Backup string
	FQDN   string
	Prefix string
	// Destination must be an existing directory.
	Destination string
	Keyspaces   []string
	Tables      []string
	// IgnoreSystemKeyspaces leaves out system, system_schema, system_auth
	// and system_distributed.
	IgnoreSystemKeyspaces bool
	Concurrency           int
	SkipContentHash       bool
}

// Download fetches a node backup into Destination as
// <keyspace>/<table dir>/<files> plus manifest.json, schema.cql and
// tokenmap.json, after checking the free space, and verifies every file
// against the manifest like a restore does. Only d.Storage, Logger,
// Progress and Space are used.
func Download(ctx context.Context, d Deps, o DownloadOptions) (*Plan, error) {
	d.setDefaults()
	fi, err := os.Stat(o.Destination)
	if err != nil || !fi.IsDir() {
		return nil, stageErr(StagePlan, fmt.Errorf("%s is not a directory", o.Destination))
	}
	dest, err := filepath.Abs(o.Destination)
	if err != nil {
		return nil, stageErr(StagePlan, err)
	}
	if err := layout.ValidateBackupName(o.Backup); err != nil {
		return nil, stageErr(StagePlan, err)
	}
	if d.Storage == nil {
		return nil, stageErr(StagePlan, fmt.Errorf("download: no storage"))
	}
	ro := &Options{Backup: o.Backup, FQDN: o.FQDN, Prefix: o.Prefix, InPlace: true}
	f := Filter{Keyspaces: o.Keyspaces, Tables: o.Tables, IgnoreSystem: o.IgnoreSystemKeyspaces}
	p, err := buildPlan(ctx, &d, ro, o.FQDN, f, "")
	if err != nil {
		return nil, stageErr(StagePlan, err)
	}
	for _, t := range p.Ignored {
		d.Logger.Debug("Download of " + t + " was not requested, skipping")
	}
	needs, err := spaceNeeds(d.Space, p.Bytes, dest, "")
	if err == nil {
		err = checkSpace(needs)
	}
	if err != nil {
		return nil, stageErr(StagePrepare, err)
	}
	files, err := downloadPlan(ctx, &d, p, dest, max(o.Concurrency, 1))
	if err != nil {
		return nil, stageErr(StageDownload, err)
	}
	if err := newChecker(&d, o.SkipContentHash).checkAll(ctx, p, files); err != nil {
		return nil, stageErr(StageCheck, err)
	}
	d.Logger.Info(fmt.Sprintf("Downloaded backup %s of %s: %d tables, %d files, %s into %s", o.Backup, o.FQDN,
		len(p.Tables), p.Files, layout.FormatBytes(p.Bytes), dest))
	return p, nil
}
