package cli

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/progress"
)

// verifyFlags are the flags of `medusa verify`.
type verifyFlags struct {
	name    string
	md5     bool
	deep    bool
	percent float64
	seed    int64
}

// newVerifyCmd is `medusa verify`.
func newVerifyCmd(r *root) *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify that a cluster backup is complete and matches its manifests",
		Long: `Verify a cluster backup: every node of its tokenmap must have a finished
backup, and every object each node's manifest names must exist in storage with
the recorded size (and, with --enable-md5-checks or [checks] enable_md5_checks,
the recorded hash). *-Statistics.db files are ignored and *-Summary.db
mismatches only warned about, as Cassandra rewrites them. Full backups also
report objects that no manifest names. Prints:

  Validating <name> ...
  - Completion: OK!            or  - Completion: Not complete!  (+ nodes)
  - Manifest validated: OK!!   or  - Manifest validation: Failed!  (+ files)

--deep also downloads the objects (all, or --sample PCT percent of them
picked by --seed) and recomputes each one's hash from its bytes, in the form
the manifest records it (MD5 or multipart ETag): it finds objects whose bytes
changed while the store still reports the recorded size and hash. Objects are
streamed into the hash (nothing is written to disk), [storage]
concurrent_transfers at a time, within transfer_max_bandwidth. It adds:

  - Content read: <n> of <m> objects [(<pct>% sample, seed <seed>)], <size>
  - Content validated: OK!!    or  - Content validation: Failed!  (+ files)

Without --seed a sample uses a random seed, printed so that the same sample
can be read again.

Exit codes: 0 the backup verified; 1 unknown backup, incomplete backup or
failed validation (or a storage error); 2 usage or configuration error;
130 interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlag(cmd, "backup-name"); err != nil {
				return err
			}
			if err := f.check(cmd); err != nil {
				return err
			}
			return r.verify(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "backup-name", "", "backup name (required)")
	fl.BoolVar(&f.md5, "enable-md5-checks", false,
		"also compare hashes (MD5/ETag), not only sizes (default: [checks] enable_md5_checks)")
	fl.BoolVar(&f.deep, "deep", false, "also download the objects and check their content against the manifests")
	fl.Float64Var(&f.percent, "sample", catalog.DeepDefaultPercent,
		"with --deep: read only this percentage of the objects, in (0, 100]")
	fl.Int64Var(&f.seed, "seed", 0, "with --deep --sample: the seed that picks the sample (default: a random one, printed)")
	return cmd
}

// check validates the deep verify flags and picks a seed when a sample
// needs one and none was given.
func (f *verifyFlags) check(cmd *cobra.Command) error {
	changed := cmd.Flags().Changed
	for _, name := range []string{"sample", "seed"} {
		if changed(name) && !f.deep {
			return usageError{fmt.Errorf("--%s only applies to a deep verify: add --deep", name)}
		}
	}
	if math.IsNaN(f.percent) || f.percent <= 0 || f.percent > 100 {
		return usageError{fmt.Errorf("invalid value for --sample: %s (a percentage of the objects, "+
			"above 0 and at most 100, e.g. 10)", strconv.FormatFloat(f.percent, 'g', -1, 64))}
	}
	if f.deep && f.percent < 100 && !changed("seed") {
		f.seed = rand.Int64N(1 << 53) // printable and exact as a JSON number
	}
	return nil
}

// verify runs the verify f describes and prints its result.
func (r *root) verify(cmd *cobra.Command, f verifyFlags) error {
	ctx := cmd.Context()
	logger, reporter := r.logger, progress.Discard
	if f.deep {
		logger, reporter = r.progressOutput()
	}
	a, err := r.open(ctx, logger)
	if err != nil {
		return err
	}
	cat, err := a.Catalog(ctx)
	if err != nil {
		return err
	}
	defer cat.Backend.Close()
	md5 := f.md5 || a.Config.Checks.EnableMD5Checks
	var res catalog.VerifyResult
	if f.deep {
		if f.percent < 100 {
			logger.Info(fmt.Sprintf("Deep verify of a %s%% sample with seed %d (repeat it with --seed %d)",
				strconv.FormatFloat(f.percent, 'f', -1, 64), f.seed, f.seed))
		}
		res, err = cat.VerifyDeep(ctx, f.name, md5, catalog.DeepOptions{Percent: f.percent, Seed: f.seed,
			Concurrency: a.Config.Storage.ConcurrentTransfers, Reporter: reporter})
	} else {
		res, err = cat.Verify(ctx, f.name, md5)
	}
	if errors.Is(err, layout.ErrBackupNotFound) {
		return r.unknownBackup(f.name, err)
	}
	if err != nil {
		return err
	}
	if err := res.WriteText(cmd.OutOrStdout()); err != nil {
		return err
	}
	switch {
	case !res.Complete:
		return fmt.Errorf("backup %s is incomplete", f.name)
	case len(res.Errors) > 0:
		return fmt.Errorf("manifest validation of backup %s failed: %d problems", f.name, len(res.Errors))
	case !res.OK():
		return fmt.Errorf("content validation of backup %s failed: %d objects", f.name, len(res.Deep.Errors))
	}
	return nil
}
