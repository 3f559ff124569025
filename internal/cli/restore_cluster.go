package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/cluster"
)

// restoreClusterFlags are the options of `medusa restore-cluster`.
type restoreClusterFlags struct {
	name, seedTarget, hostList string
	keepAuth, yes              bool
	verify, noVerify           bool
	keyspaces, tables          []string
	sstableloader              bool
	parallel                   int
	versionTarget              string
	ignoreRacks                bool
	tempDir                    string
	dryRun, allowIncomplete    bool
	pitr                       string
	pitrLatest                 bool
	pitrSkew                   time.Duration
}

// newRestoreClusterCmd is `medusa restore-cluster`.
func newRestoreClusterCmd(r *root) *cobra.Command {
	var f restoreClusterFlags
	cmd := &cobra.Command{
		Use:   "restore-cluster",
		Short: "Restore a whole cluster from a cluster backup, over SSH",
		Long: `Restore every node of a cluster from a cluster backup, driving the nodes over
SSH ([ssh] in medusa.ini). Each node runs its own medusa (found on the PATH of
the SSH login) with its own /etc/medusa/medusa.ini.

The targets are the nodes of the cluster of --seed-target (default: [storage]
fqdn), read over CQL, or the lines of --host-list ("is_seed,target,source",
separator [storage] host_file_separator; blank lines and # comments skipped).
The mode is chosen and printed before anything changes:
  in-place       the targets are the backed-up nodes;
  remote         another cluster of the same shape (node count, nodes per
                 rack, tokens per node; --ignore-racks maps by token order
                 alone), or a --host-list: each source's files and tokens go to
                 one target;
  sstableloader  any other topology, or --use-sstableloader: the schema is
                 created from the backup, then each target streams its share of
                 the sources (spread by bytes) while the cluster runs.
The mapping is deterministic (sorted by datacenter, rack and first token).

A backup missing node backups is refused, naming them, unless
--allow-incomplete. Every target must answer over SSH and run medusa before
anything changes. In the file modes every target downloads and checks its
backup while Cassandra still runs everywhere; once all are ready, all stop and
move the files in place (so no restored node meets a node still serving the
old data); once all are done, the seeds start first and the others once a seed
answers; each node's restore ends when it answers CQL. A failure before the
start aborts the others (unchanged, or rolled back and started again). With
-pr below the number of targets, every target is stopped first and restored
-pr at a time, seeds first. A failure names every failed node with its own
error and the command to run on it. --dry-run prints the plan (mapping, seeds,
bytes per node, what is stopped), checks the targets and changes nothing.

--pitr <time> (RFC 3339) restores every node in place to that point in time
from its own archived commit log ([cassandra] commitlog_archiving; docs/pitr.md): every
node is planned first (base backup, segments; a missing segment on any node
refuses before any node is stopped, naming the node), then each node runs
restore-node --pitr to the same time. --pitr-latest restores to the earliest of
the nodes' newest archived writes. Without --backup-name the base is the
newest backup taken before the time on every node. In place only: not with
--host-list, another cluster or --use-sstableloader.

` + exitHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return r.runRestoreCluster(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "backup-name", "", "backup to restore (required, except with --pitr)")
	fl.StringVar(&f.seedTarget, "seed-target", "", "a node of the target cluster (default [storage] fqdn)")
	fl.StringVar(&f.hostList, "host-list", "", "file of is_seed,target,source lines mapping backup nodes to targets")
	fl.BoolVar(&f.keepAuth, "keep-auth", false, "keep the target cluster's system_auth (not in place)")
	fl.BoolVarP(&f.yes, "bypass-checks", "y", false, "do not ask for confirmation")
	fl.BoolVar(&f.verify, "verify", false, "run the [checks] query on every node once it is up")
	fl.BoolVar(&f.noVerify, "no-verify", false, "do not run the [checks] query (the default)")
	fl.StringArrayVar(&f.keyspaces, "keyspace", nil, "restore this keyspace (repeatable)")
	fl.StringArrayVar(&f.tables, "table", nil, "restore this table, as keyspace.table (repeatable)")
	fl.BoolVar(&f.sstableloader, "use-sstableloader", false, "stream the backup into the running cluster with sstableloader")
	fl.IntVar(&f.parallel, "parallel-restores", 500, "nodes restored at the same time (Medusa's -pr works too)")
	fl.StringVar(&f.versionTarget, "version-target", "3.11.9", "accepted for compatibility; ports come from cassandra.yaml")
	fl.BoolVar(&f.ignoreRacks, "ignore-racks", false, "map nodes by token order alone, ignoring racks")
	fl.StringVar(&f.tempDir, "temp-dir", "", "directory each node downloads into (default: the node's $TMPDIR, else /tmp)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan, check the targets and change nothing")
	fl.BoolVar(&f.allowIncomplete, "allow-incomplete", false, "restore a backup some nodes' backups are missing from")
	fl.StringVar(&f.pitr, "pitr", "", "restore every node to this point in time (RFC 3339) from the archived commit logs")
	fl.BoolVar(&f.pitrLatest, "pitr-latest", false, "restore to the latest time every node's archived commit log reaches")
	fl.DurationVar(&f.pitrSkew, "pitr-skew", 0,
		"replay segments last written up to this long after the --pitr time (default 1m)")
	return cmd
}

// multiLetterShort are Medusa's two-letter short flags, which pflag
// cannot declare, and the long flags they stand for.
var multiLetterShort = map[string]string{
	"-pr": "--parallel-restores",
	"-ps": "--parallel-snapshots",
	"-pu": "--parallel-uploads",
}

// expandShortFlags rewrites Medusa's two-letter short flags (-pr N,
// -pr=N) into their long form.
func expandShortFlags(args []string) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		name, val, hasVal := strings.Cut(a, "=")
		if long, ok := multiLetterShort[name]; ok {
			a = long
			if hasVal {
				a += "=" + val
			}
		}
		out = append(out, a)
	}
	return out
}

func (f restoreClusterFlags) options() (cluster.RestoreOptions, error) {
	if f.seedTarget != "" && f.hostList != "" {
		return cluster.RestoreOptions{}, usageError{errors.New("--seed-target and --host-list exclude each other")}
	}
	if f.verify && f.noVerify {
		return cluster.RestoreOptions{}, usageError{errors.New("--verify and --no-verify exclude each other")}
	}
	if f.parallel < 1 {
		return cluster.RestoreOptions{}, usageError{fmt.Errorf("--parallel-restores %d: use 1 or more", f.parallel)}
	}
	for _, t := range f.tables {
		if ks, tb, ok := strings.Cut(t, "."); !ok || ks == "" || tb == "" {
			return cluster.RestoreOptions{}, usageError{fmt.Errorf("--table %q: use <keyspace>.<table>", t)}
		}
	}
	pitr, err := f.pitrOptions()
	if err != nil {
		return cluster.RestoreOptions{}, err
	}
	return cluster.RestoreOptions{
		PITR:   pitr,
		Backup: f.name, SeedTarget: f.seedTarget, HostList: f.hostList, KeepAuth: f.keepAuth,
		Verify: f.verify, Keyspaces: f.keyspaces, Tables: f.tables, UseSSTableLoader: f.sstableloader,
		IgnoreRacks: f.ignoreRacks, AllowIncomplete: f.allowIncomplete, Parallel: f.parallel,
		TempDir: f.tempDir, DryRun: f.dryRun, Yes: f.yes,
	}, nil
}

// pitrOptions reads --pitr, --pitr-latest and --pitr-skew.
func (f restoreClusterFlags) pitrOptions() (*cluster.PITROptions, error) {
	if f.pitr == "" && !f.pitrLatest {
		if f.pitrSkew != 0 {
			return nil, usageError{errors.New("--pitr-skew goes with --pitr")}
		}
		return nil, nil
	}
	switch {
	case f.pitr != "" && f.pitrLatest:
		return nil, usageError{errors.New("--pitr and --pitr-latest exclude each other")}
	case f.sstableloader || len(f.keyspaces) > 0 || len(f.tables) > 0:
		return nil, usageError{errors.New("--pitr restores every table of every node in place: it excludes " +
			"--use-sstableloader, --keyspace and --table")}
	case f.hostList != "":
		return nil, usageError{errors.New("--pitr restores every node in place from its own commit log: it " +
			"excludes --host-list")}
	}
	p := &cluster.PITROptions{Latest: f.pitrLatest, Skew: f.pitrSkew}
	if f.pitr != "" {
		t, err := parsePITRFlag(f.pitr)
		if err != nil {
			return nil, err
		}
		p.Target = t
	}
	return p, nil
}

func (r *root) runRestoreCluster(cmd *cobra.Command, f restoreClusterFlags) error {
	if f.pitr == "" && !f.pitrLatest {
		if err := requireFlag(cmd, "backup-name"); err != nil {
			return err
		}
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	a, err := r.open(cmd.Context(), nil)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	confirm := func(p *cluster.Plan) (bool, error) { return askYes(r.env.Stderr, os.Stdin, p) }
	res, err := a.RestoreCluster(cmd.Context(), opts, confirm, out)
	if err != nil {
		return err
	}
	if res.DryRun {
		return nil
	}
	fmt.Fprintf(out, "Restored backup %s onto %d nodes (%s) in %s\n", res.Plan.Backup, len(res.Nodes),
		res.Plan.Mode, res.Ended.Sub(res.Began).Round(100_000_000))
	if res.PITR != nil {
		fmt.Fprintf(out, "Point in time: %s\n", res.PITR.Target.UTC().Format("2006-01-02T15:04:05.000000Z"))
	}
	for _, n := range res.Nodes {
		replayed := ""
		if res.PITR != nil {
			replayed = ", replayed mutations unknown (see its system.log)"
			if c, ok := n.Replayed(); ok {
				replayed = fmt.Sprintf(", %d mutations replayed", c)
			}
		}
		fmt.Fprintf(out, "  %s: done in %s%s\n", n.Host, n.Duration.Round(100_000_000), replayed)
	}
	return nil
}

// askYes asks whether to go on; only y, yes or an empty answer (Medusa's
// default) proceed. No answer (end of input) is a no.
func askYes(w io.Writer, in io.Reader, p *cluster.Plan) (bool, error) {
	what := "restore"
	if p.Mode != cluster.ModeLoader {
		what = "stop and restore"
	}
	fmt.Fprintf(w, "This will %s %d nodes (%s). Are you sure you want to proceed? (Y/n) ", what, len(p.Assignments),
		strings.Join(p.Targets(), ", "))
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(w)
		return false, errors.New("no answer on standard input: pass -y to restore without asking")
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "", "y", "yes":
		return true, nil
	}
	return false, nil
}
