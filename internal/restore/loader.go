package restore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
)

// runLoader restores with sstableloader (--use-sstableloader): Cassandra
// keeps running. First, unless o.Schema is SchemaSkip, the selected part
// of the backup's schema (the first node's meta/schema.cql and
// meta/dropped_columns.json) is created where the cluster lacks it (see
// createSchema). Then, one node of FQDN (comma-separated) at a time, so
// that the disk holds one node's backup at most, the selected tables are
// downloaded and checked, and every table directory, except the system
// and system_schema keyspaces (and system_auth with --keep-auth), is
// streamed into the cluster, and the download removed. Loading appends
// data: a failure part-way cannot be undone, but running the load again
// is harmless (the same cells are written again).
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
		if i == 0 && o.Schema != SchemaSkip && !o.DryRun {
			sr, err := createSchema(ctx, d, o, p)
			if err != nil {
				return nil, stageErr(StageSchema, err)
			}
			res.Schema = sr
			if o.Schema == SchemaOnly {
				break
			}
		}
		staging := filepath.Join(o.TempDir, fmt.Sprintf("medusa-restore-%s-%d", o.ID, i))
		if o.DryRun {
			res.Previews = append(res.Previews, Preview{Plan: p, Staging: staging, Loader: true, KeepAuth: o.KeepAuth,
				Select: f, Schema: o.Schema, First: i == 0})
			if o.Schema == SchemaOnly {
				break
			}
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

// createSchema creates the selected part of the schema of the backup of
// plan p in the cluster and logs what it did.
func createSchema(ctx context.Context, d *Deps, o *Options, p *Plan) (*cassandra.SchemaResult, error) {
	cat := &catalog.Catalog{Backend: d.Storage, Prefix: o.Prefix, Logger: d.Logger}
	dropped, recorded, err := cat.DroppedColumns(ctx, p.Backup, p.FQDN)
	if err != nil {
		return nil, fmt.Errorf("read the dropped columns of backup %s of %s: %w", p.Backup, p.FQDN, err)
	}
	sel := cassandra.SchemaSelection{Keyspaces: o.Keyspaces, Tables: o.Tables, Truncate: o.Truncate}
	sr, err := d.Schema.RecreateSchema(ctx, string(p.Schema), dropped, sel)
	for _, st := range sr.Done {
		d.Logger.Info("Schema: " + st.What)
	}
	if err != nil {
		done := "none"
		if len(sr.Done) > 0 {
			var whats []string
			for _, st := range sr.Done {
				whats = append(whats, st.What)
			}
			done = strings.Join(whats, "; ")
		}
		return nil, fmt.Errorf("create the schema of backup %s (from %s): %w (schema changes made before the "+
			"failure: %s; running the restore again continues from there)", p.Backup, p.FQDN, err, done)
	}
	if !recorded && slices.ContainsFunc(sr.Done, func(st cassandra.SchemaStep) bool {
		return strings.HasPrefix(st.What, "create table ")
	}) {
		d.Logger.Warn("The backup has no record of dropped columns (meta/" + layout.DroppedColumnsFile +
			"; backups of Python Medusa and of older medusa versions have none): a table this restore created " +
			"cannot load SSTables that still hold cells of a column dropped before the backup")
	}
	for _, w := range sr.Warnings {
		d.Logger.Warn("Schema: " + w)
	}
	for _, f := range sr.Failed {
		d.Logger.Warn("Schema: could not " + f)
	}
	d.Logger.Info(fmt.Sprintf("Schema ready: %d statements run, %d selected tables and views kept as they were",
		len(sr.Done), len(sr.Kept)))
	return &sr, nil
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
	for _, t := range loadable(p, o.KeepAuth, Filter{Keyspaces: o.Keyspaces, Tables: o.Tables}) {
		dir := filepath.Join(staging, t.Keyspace, t.Dir)
		d.Logger.Info(fmt.Sprintf("Loading %s (%d files, %s) with sstableloader", t.Name(), len(t.Files),
			layout.FormatBytes(t.Bytes)))
		if err := loadTable(ctx, d, t.Name(), dir); err != nil {
			if strings.Contains(err.Error(), "Unknown column") {
				err = fmt.Errorf("%w (the table in the cluster lacks the record of a column dropped before the backup; "+
					"record it with ALTER TABLE <table> ADD <column> <type> then ALTER TABLE <table> DROP <column> "+
					"USING TIMESTAMP <a time in microseconds before the backup>, and run the restore again)", err)
			}
			return stageErr(StageLoad, fmt.Errorf("%s: %w", t.Name(), err))
		}
	}
	return nil
}

// loadRetryDelay is the wait before a table's load is tried a second time.
const loadRetryDelay = 10 * time.Second

// loadTable streams one table directory, a second time when the first
// load failed in streaming (a peer busy or restarting: seen with several
// loaders at once on a loaded cluster). Loading the same SSTables twice
// writes the same cells with the same timestamps, so a retry cannot change
// the result. A table the cluster lacks or cannot read is not retried.
func loadTable(ctx context.Context, d *Deps, name, dir string) error {
	err := d.Loader.Load(ctx, dir)
	if err == nil || ctx.Err() != nil || strings.Contains(err.Error(), "Unknown column") ||
		strings.Contains(err.Error(), "did not load every file") {
		return err
	}
	d.Logger.Warn(fmt.Sprintf("Loading %s failed, trying once more in %s: %v", name, loadRetryDelay, err))
	if serr := d.Sleep(ctx, loadRetryDelay); serr != nil {
		return err
	}
	return d.Loader.Load(ctx, dir)
}

// loadable returns the tables sstableloader streams: those with files,
// outside system and system_schema (never loaded) and system_auth with
// keepAuth. With a selection (--keyspace, --table), the other system
// keyspaces (system_auth, system_distributed, ...) are loaded only when
// selected by name: the plan keeps them for the file restores, but loading
// a user table must not stream the backup's roles into the cluster.
func loadable(p *Plan, keepAuth bool, sel Filter) []Table {
	var out []Table
	for _, t := range p.Tables {
		if len(t.Files) == 0 || t.Keyspace == "system" || t.Keyspace == "system_schema" ||
			(keepAuth && t.Keyspace == "system_auth") {
			continue
		}
		if strings.HasPrefix(t.Keyspace, "system") && (len(sel.Keyspaces) > 0 || len(sel.Tables) > 0) &&
			!slices.Contains(sel.Keyspaces, t.Keyspace) && !slices.Contains(sel.Tables, t.Keyspace+"."+TableName(t.Dir)) {
			continue
		}
		out = append(out, t)
	}
	return out
}
