package restore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medusa-go/medusa/internal/layout"
)

// runLoader restores with sstableloader (--use-sstableloader): Cassandra
// keeps running. For each node of FQDN (comma-separated) the selected
// tables are downloaded and checked, then every table directory, except
// the system and system_schema keyspaces (and system_auth with
// --keep-auth), is streamed into the cluster. Loading appends data: a
// failure part-way cannot be undone, but running the load again is
// harmless (the same cells are written again).
func runLoader(ctx context.Context, d *Deps, o *Options) (*Result, error) {
	res := &Result{Began: d.Now(), DryRun: o.DryRun}
	unlock := func() {}
	if !o.DryRun {
		var err error
		if unlock, err = acquireLock(o.TempDir); err != nil {
			return nil, stageErr(StagePrepare, err)
		}
	}
	defer unlock()
	f := Filter{Keyspaces: o.Keyspaces, Tables: o.Tables}
	for i, fqdn := range o.fqdns() {
		p, err := buildPlan(ctx, d, o, fqdn, f, "")
		if err != nil {
			return nil, stageErr(StagePlan, err)
		}
		if len(p.Tables) == 0 {
			return nil, stageErr(StagePlan, ErrNothingToRestore)
		}
		res.Plan = p
		staging := filepath.Join(o.TempDir, fmt.Sprintf("medusa-restore-%s-%d", o.ID, i))
		if o.DryRun {
			res.Previews = append(res.Previews, Preview{Plan: p, Staging: staging, Loader: true, KeepAuth: o.KeepAuth})
			continue
		}
		err = loadOne(ctx, d, o, p, staging)
		if rmErr := os.RemoveAll(staging); rmErr != nil {
			d.Logger.Warn("could not remove the download directory", "path", staging, "error", rmErr.Error())
		}
		if err != nil {
			return nil, err
		}
		d.Logger.Info("Finished loading backup from " + fqdn)
	}
	if o.Verify && !o.DryRun {
		if err := runChecks(ctx, d, o.Checks); err != nil {
			return nil, stageErr(StageVerify, err)
		}
	}
	res.Finished = d.Now()
	return res, nil
}

// loadOne downloads, checks and loads one node's backup.
func loadOne(ctx context.Context, d *Deps, o *Options, p *Plan, staging string) error {
	needs, err := spaceNeeds(d.Space, p.Bytes, o.TempDir, "")
	if err == nil {
		err = checkSpace(needs)
	}
	if err != nil {
		return stageErr(StagePrepare, err)
	}
	files, err := downloadPlan(ctx, d, p, staging, o.Concurrency)
	if err != nil {
		return stageErr(StageDownload, err)
	}
	if err := newChecker(d, o.SkipContentHash).checkAll(ctx, p, files); err != nil {
		return stageErr(StageCheck, err)
	}
	for _, t := range loadable(p, o.KeepAuth) {
		dir := filepath.Join(staging, t.Keyspace, t.Dir)
		d.Logger.Info(fmt.Sprintf("Loading %s (%d files, %s) with sstableloader", t.Name(), len(t.Files),
			layout.FormatBytes(t.Bytes)))
		if err := d.Loader.Load(ctx, dir); err != nil {
			return stageErr(StageLoad, fmt.Errorf("%s: %w", t.Name(), err))
		}
	}
	return nil
}

// loadable returns the tables sstableloader streams: those with files,
// outside system and system_schema (never loaded) and system_auth with
// keepAuth.
func loadable(p *Plan, keepAuth bool) []Table {
	var out []Table
	for _, t := range p.Tables {
		if len(t.Files) == 0 || t.Keyspace == "system" || t.Keyspace == "system_schema" ||
			(keepAuth && t.Keyspace == "system_auth") {
			continue
		}
		out = append(out, t)
	}
	return out
}
