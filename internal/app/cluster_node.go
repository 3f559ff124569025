package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/cluster"
)

// The node side of the cluster commands: what backup-cluster runs on each
// node (through the hidden node-* commands) with that node's own
// medusa.ini.

// NodeInfo is what this node's medusa.ini says about where its backups go.
func (a *App) NodeInfo(version, configFile string) cluster.NodeInfo {
	st := a.Config.Storage
	return cluster.NodeInfo{
		Version:         version,
		ConfigFile:      configFile,
		FQDN:            st.FQDN,
		StorageProvider: st.StorageProvider,
		Bucket:          st.BucketName,
		Prefix:          st.Prefix,
	}
}

// TakeNodeSnapshot takes snapshot tag of the local node unless it exists
// (a re-run reuses it: Cassandra refuses a tag that exists in any
// table). created says whether it was taken now.
func (a *App) TakeNodeSnapshot(ctx context.Context, tag string) (created bool, err error) {
	nc, err := cassandra.ReadNodeConfig(a.Config.Cassandra.ConfigFile)
	if err != nil {
		return false, err
	}
	dirs, err := cassandra.SnapshotDirs(nc.DataDir, tag)
	if err != nil {
		return false, err
	}
	if len(dirs) > 0 {
		return false, nil
	}
	snap, err := Snapshotter(a.Config)
	if err != nil {
		return false, err
	}
	if err := snap.Create(ctx, tag); err != nil {
		return false, fmt.Errorf("take snapshot %s: %w", tag, err)
	}
	found, err := cassandra.FindSnapshot(nc.DataDir, tag)
	if err != nil {
		return false, fmt.Errorf("find snapshot %s: %w", tag, err)
	}
	if len(found) == 0 {
		return false, fmt.Errorf("snapshot %s was taken but no table directory holds it under %s: check [cassandra] "+
			"config_file (data_file_directories) and that nodetool reaches this node", tag, nc.DataDir)
	}
	return true, nil
}

// ClearResult says what ClearNodeSnapshot did.
type ClearResult struct {
	Tables int  // table directories that held the snapshot
	OnDisk bool // removed from disk because the node's Cassandra is not running
}

// ClearNodeSnapshot clears snapshot tag of the local node. Nothing is
// run when no table holds it. When the snapshot tool fails and no
// Cassandra process of this node runs (Cassandra died during the
// backup), the snapshot directories are removed from disk, which is all
// clearing a snapshot does for a stopped node.
func (a *App) ClearNodeSnapshot(ctx context.Context, tag string) (ClearResult, error) {
	nc, err := cassandra.ReadNodeConfig(a.Config.Cassandra.ConfigFile)
	if err != nil {
		return ClearResult{}, err
	}
	dirs, err := cassandra.SnapshotDirs(nc.DataDir, tag)
	if err != nil {
		return ClearResult{}, err
	}
	res := ClearResult{Tables: len(dirs)}
	if len(dirs) == 0 {
		return res, nil
	}
	snap, err := Snapshotter(a.Config)
	if err != nil {
		return res, err
	}
	cerr := snap.Clear(ctx, tag)
	if cerr == nil {
		return res, nil
	}
	if a.Config.Kubernetes.Enabled || cassandra.NodeProcess("/proc", nc.Path) != cassandra.ProcessAbsent {
		return res, fmt.Errorf("clear snapshot %s: %w", tag, cerr)
	}
	a.Logger.Warn("The snapshot tool failed and Cassandra is not running: removing the snapshot from disk",
		"tag", tag, "error", cerr.Error())
	var errs []error
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("clear snapshot %s (Cassandra is not running, so from disk): %w", tag, err)
	}
	res.OnDisk = true
	return res, nil
}
