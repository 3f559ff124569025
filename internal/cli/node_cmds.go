package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/cluster"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/restore"
)

// newNodeCmds are the hidden node-side commands the cluster commands run
// on every node over SSH (ours; docs/compatibility.md). Each reads the
// node's own medusa.ini.
func newNodeCmds(r *root) []*cobra.Command {
	check := &cobra.Command{
		Use:    cluster.NodeCheckCommand,
		Short:  "Print this node's medusa release, identity and bucket as JSON (run by backup-cluster)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := r.open(cmd.Context(), nil)
			if err != nil {
				return err
			}
			b, err := json.Marshal(a.NodeInfo(versionString(r.env.Version), r.g.configFile))
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(r.env.Stdout, string(b))
			return err
		},
	}

	var snapName string
	snap := &cobra.Command{
		Use:    cluster.NodeSnapshotCommand,
		Short:  "Take the snapshot medusa-<backup name> of this node unless it exists (run by backup-cluster)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := layout.ValidateBackupName(snapName); err != nil {
				return usageError{fmt.Errorf("invalid value for --backup-name: %w", err)}
			}
			a, err := r.open(cmd.Context(), nil)
			if err != nil {
				return err
			}
			tag := backup.SnapshotTag(snapName, false)
			created, err := a.TakeNodeSnapshot(cmd.Context(), tag)
			if err != nil {
				return err
			}
			if created {
				r.logger.Info("Snapshot taken", "tag", tag)
			} else {
				r.logger.Info("Snapshot already exists, it will be backed up", "tag", tag)
			}
			return nil
		},
	}
	snap.Flags().StringVar(&snapName, "backup-name", "", "backup name (required)")
	_ = snap.MarkFlagRequired("backup-name")

	var clearName string
	clearCmd := &cobra.Command{
		Use:    cluster.NodeClearSnapshotCommand,
		Short:  "Clear the snapshot medusa-<backup name> of this node (run by backup-cluster after a failure)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := layout.ValidateBackupName(clearName); err != nil {
				return usageError{fmt.Errorf("invalid value for --backup-name: %w", err)}
			}
			a, err := r.open(cmd.Context(), nil)
			if err != nil {
				return err
			}
			tag := backup.SnapshotTag(clearName, false)
			res, err := a.ClearNodeSnapshot(cmd.Context(), tag)
			switch {
			case err != nil:
				return err
			case res.Tables == 0:
				r.logger.Info("No snapshot to clear", "tag", tag)
			case res.OnDisk:
				r.logger.Info("Snapshot removed from disk (Cassandra is not running)", "tag", tag, "tables", res.Tables)
			default:
				r.logger.Info("Snapshot cleared", "tag", tag, "tables", res.Tables)
			}
			return nil
		},
	}
	clearCmd.Flags().StringVar(&clearName, "backup-name", "", "backup name (required)")
	_ = clearCmd.MarkFlagRequired("backup-name")
	return []*cobra.Command{check, snap, clearCmd}
}

// newStopCassandraCmd is the hidden node-side command restore-cluster
// runs on every target before restoring any: drain, stop_cmd, wait until
// the node is down.
func newStopCassandraCmd(r *root) *cobra.Command {
	var requireDrain bool
	cmd := &cobra.Command{
		Use:    cluster.StopCommand,
		Short:  "Drain and stop the local Cassandra node (run by restore-cluster)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := r.open(cmd.Context(), nil)
			if err != nil {
				return err
			}
			if err := a.StopCassandra(cmd.Context(), requireDrain); err != nil {
				return fmt.Errorf("stop Cassandra: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&requireDrain, "require-drain", false, "fail without stopping when nodetool drain fails")
	return cmd
}

// newRestoreGateCmd is the hidden node-side command restore-cluster runs
// to let a `restore-node --gate` waiting on the node go on: `medusa
// restore-gate <dir> stop|start|abort`.
func newRestoreGateCmd() *cobra.Command {
	return &cobra.Command{
		Use:    cluster.GateCommand + " <dir> stop|start|abort",
		Short:  "Let a restore-node waiting at a gate go on (run by restore-cluster)",
		Hidden: true,
		Args:   cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			return restore.OpenGate(args[0], args[1])
		},
	}
}
