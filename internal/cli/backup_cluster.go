package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/cluster"
	"github.com/medusa-go/medusa/internal/layout"
)

// backupClusterFlags are the options of `medusa backup-cluster`.
type backupClusterFlags struct {
	name                string
	seedTarget          string
	stagger             int
	md5Checks           bool
	mode                string
	tempDir             string
	parallelSnapshots   int
	parallelUploads     int
	keepSnapshot        bool
	useExistingSnapshot bool
	dryRun              bool
}

// newBackupClusterCmd is `medusa backup-cluster`: back up every node
// from this host over SSH.
func newBackupClusterCmd(r *root) *cobra.Command {
	var f backupClusterFlags
	cmd := &cobra.Command{
		Use:   "backup-cluster",
		Short: "Back up every node of the cluster from this host, over SSH",
		Long: `Back up every node of the cluster, all datacenters, from this host.

The nodes are read over CQL from --seed-target (default: [storage] fqdn) with
the [cassandra] credentials and TLS settings of this host's medusa.ini, and
named as tokenmap.json names them ([cassandra] resolve_ip_addresses): that name
is the host connected to over SSH ([ssh] section; host keys are checked
against known_hosts). Before anything changes, every node must be up, accept
the SSH login and run medusa, whose own /etc/medusa/medusa.ini must name the
node as the cluster does ([storage] fqdn) and write to the same bucket and
prefix as this host; every node that does not is named with its reason.

Then:
  1. on every node, --parallel-snapshots at a time: the snapshot
     medusa-<backup name> is taken (medusa node-snapshot);
  2. on every node, --parallel-uploads at a time: medusa backup-node runs with
     this command's --mode, --stagger, --enable-md5-checks, --keep-snapshot
     and --use-existing-snapshot, and no --config-file: each node uses its own
     medusa.ini. A node whose Cassandra is down fails at once; the others go on.
Every node's output is shown with "[host] " in front and kept in
<--temp-dir>/medusa-backup-cluster-<name>-<time>/<host>.log on this host. The
run ends with one line per node: result, files and size (read from the node's
manifest in the bucket) and durations.

If a node fails, the snapshots are cleared on every node (unless
--keep-snapshot or --use-existing-snapshot) and the error names each failed
node with its own error and its log. Run the same command with the same
--backup-name again: the nodes that finished are left alone and only the
others are backed up. A backup whose nodes all finished is refused.

--dry-run reads the topology and the bucket, checks every node as above and
prints the plan (nodes, the command each node runs) without changing anything.

Exit codes:
  0    every node was backed up (or --dry-run found every node ready)
  1    a node failed, a node is down or unreachable, or the backup is complete
  2    usage or configuration error (bad flags, missing or invalid medusa.ini)
  130  interrupted by SIGINT/SIGTERM (the snapshots are cleared first)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return r.runBackupCluster(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "backup-name", "",
		"backup name (default: the local time as YYYYMMDDHHMM, e.g. 202611271030)")
	fl.StringVar(&f.seedTarget, "seed-target", "",
		"node to read the topology from over CQL, host or host:port (default: [storage] fqdn)")
	fl.IntVar(&f.stagger, "stagger", 0,
		"passed to backup-node on every node: wait up to this many seconds for the previous node in token order")
	fl.BoolVar(&f.md5Checks, "enable-md5-checks", false,
		"compare hashes as well as sizes before reusing a stored file")
	fl.StringVar(&f.mode, "mode", string(backup.Differential), "backup mode: full or differential")
	fl.StringVar(&f.tempDir, "temp-dir", "",
		"where the nodes' output is kept on this host (default: $TMPDIR, else /tmp)")
	fl.IntVar(&f.parallelSnapshots, "parallel-snapshots", 500,
		"nodes taking their snapshot at once (also -ps)")
	fl.IntVar(&f.parallelUploads, "parallel-uploads", 1,
		"nodes running their backup at once (also -pu)")
	fl.BoolVar(&f.keepSnapshot, "keep-snapshot", false, "do not clear the snapshots, also after a failure")
	fl.BoolVar(&f.useExistingSnapshot, "use-existing-snapshot", false,
		"back up each node's existing snapshot named exactly like --backup-name (required) instead of taking one")
	fl.BoolVar(&f.dryRun, "dry-run", false, "check the nodes and print the plan; change nothing")
	return cmd
}

func (r *root) runBackupCluster(cmd *cobra.Command, f backupClusterFlags) error {
	mode, err := backup.ParseMode(f.mode)
	if err != nil {
		return usageError{fmt.Errorf("invalid value for --mode: %w", err)}
	}
	switch {
	case f.stagger < 0:
		return usageError{fmt.Errorf("invalid value for --stagger: %d is negative", f.stagger)}
	case f.parallelSnapshots < 1:
		return usageError{fmt.Errorf("invalid value for --parallel-snapshots: %d (at least 1)", f.parallelSnapshots)}
	case f.parallelUploads < 1:
		return usageError{fmt.Errorf("invalid value for --parallel-uploads: %d (at least 1)", f.parallelUploads)}
	case f.useExistingSnapshot && !cmd.Flags().Changed("backup-name"):
		return usageError{errors.New("--use-existing-snapshot requires --backup-name (the snapshot's name on every node)")}
	}
	now := time.Now().In(r.location())
	name := f.name
	if !cmd.Flags().Changed("backup-name") {
		name = now.Format("200601021504")
	}
	if err := layout.ValidateNewBackupName(name); err != nil {
		return usageError{fmt.Errorf("invalid value for --backup-name: %w", err)}
	}
	tempDir := f.tempDir
	if tempDir == "" {
		tempDir = r.tempDir()
	}
	a, err := r.open(cmd.Context(), nil)
	if err != nil {
		return err
	}
	o := cluster.BackupOptions{
		Name:                name,
		Mode:                string(mode),
		Stagger:             f.stagger,
		MD5Checks:           f.md5Checks,
		KeepSnapshot:        f.keepSnapshot,
		UseExistingSnapshot: f.useExistingSnapshot,
		ParallelSnapshots:   f.parallelSnapshots,
		ParallelUploads:     f.parallelUploads,
		DryRun:              f.dryRun,
		Verbosity:           r.g.verbosity,
		LogDir:              filepath.Join(tempDir, "medusa-backup-cluster-"+name+"-"+now.Format("20060102T150405")),
	}
	onPlan := func(res *cluster.BackupResult) { _ = res.WritePlan(r.env.Stdout) }
	res, err := a.BackupCluster(cmd.Context(), f.seedTarget, versionString(r.env.Version), o, r.env.Stderr, onPlan)
	if res != nil && !f.dryRun && !isNodesError(err) {
		_ = res.WriteSummary(r.env.Stdout)
	}
	return err
}

func isNodesError(err error) bool {
	var ne *cluster.NodesError
	return errors.As(err, &ne)
}
