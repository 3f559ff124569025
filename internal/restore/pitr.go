package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/layout"
)

// PITR asks for a point-in-time restore (restore-node --pitr): the base
// backup is restored as usual, then Cassandra replays the archived commit
// log segments up to Target at its start (docs/pitr.md).
type PITR struct {
	// Target is the point in time; with Latest it is ignored and the node
	// is restored to its newest archived write.
	Target time.Time
	Latest bool
	// Skew widens the segment selection past Target (default
	// commitlog.DefaultSkew).
	Skew time.Duration
	// Paths are the commit log directory, the spool (left in place), the
	// properties file and the restore directory ([cassandra] commitlog_*).
	Paths commitlog.Paths
	// Precision is [cassandra] commitlog_precision (default MICROSECONDS).
	Precision string
	// SingleNode allows restoring one node of a multi-node cluster
	// (restore-node --pitr-single-node; restore-cluster passes it).
	SingleNode bool
	// Deferred is the Kubernetes init container's point-in-time restore
	// (without ManageCassandra): Cassandra starts after the restore, so
	// the segments and the restore settings are left in place for that
	// start and a PendingReplay file beside the restore directory hands
	// them over; whoever sees the replay done settles it (SettleReplay).
	// A missing properties file is created.
	Deferred bool
}

// PITRResult describes the point-in-time part of a restore.
type PITRResult struct {
	Base   string
	Target time.Time
	Latest bool
	// PointInTime is the restore_point_in_time written ("" with Latest:
	// no cut by write time).
	PointInTime string
	// Segments and SegmentBytes count the segments replayed.
	Segments     int
	SegmentBytes int64
	First, Last  string
	// Replayed is the mutation count system.log reported ("Log replay
	// complete, N replayed mutations"); -1 when it was not found.
	Replayed int
	// NotEligible are the newer backups passed over, and why.
	NotEligible []string
	// Deferred: Cassandra replays at its next start (Kubernetes mode).
	Deferred bool
}

// pitrRun is the state of the point-in-time part of a run.
type pitrRun struct {
	plan commitlog.RestorePlan
	// archived are the names of every archived segment of the node.
	archived map[string]bool
	// download holds the verified segments until they are moved, as one
	// directory, to the restore directory.
	download string
	pit      string
	res      *PITRResult
}

// bakSuffix names the copy of the properties file kept during the restore.
const bakSuffix = ".medusa-bak"

// pitrSegmentsDir is the download directory of the segments inside the
// commit log directory's aside root (same file system as the restore
// directory, so that placing them is one rename).
const pitrSegmentsDir = "pitr-segments"

func (o *Options) validatePITR() error {
	p := o.PITR
	switch {
	case p == nil:
		return nil
	case o.UseSSTableLoader:
		return errors.New("--pitr restores the node's files and replays its commit log: it excludes --use-sstableloader")
	case len(o.Keyspaces) > 0 || len(o.Tables) > 0:
		return errors.New("--pitr restores every table (the commit log replays them all): it excludes --keyspace and --table")
	case !o.ManageCassandra && !p.Deferred:
		return errors.New("--pitr needs medusa to start Cassandra (and reset commitlog_archiving.properties after " +
			"the replay): in Kubernetes mode restore to a point in time with the init container (init-restore, " +
			"MEDUSA_RESTORE_PITR; docs/kubernetes.md)")
	case o.ManageCassandra && p.Deferred:
		return errors.New("a point-in-time restore replayed at Cassandra's next start is for Kubernetes mode only, " +
			"where medusa does not start Cassandra")
	case !p.Latest && p.Target.IsZero():
		return errors.New("--pitr needs a time (or use --pitr-latest)")
	case p.Paths.CommitlogDir == "" || p.Paths.PropertiesFile == "" || p.Paths.RestoreDir == "":
		return errors.New("--pitr: the commit log directory, the properties file and the restore directory must be known")
	}
	if p.Precision == "" {
		p.Precision = "MICROSECONDS"
	}
	return nil
}

// planPITR chooses the base backup and the segments (no change anywhere).
func (r *run) planPITR(ctx context.Context) error {
	p := r.o.PITR
	np, err := PlanPITR(ctx, PlanPITRInput{Storage: r.d.Storage, Prefix: r.o.Prefix, FQDN: r.o.FQDN,
		Backup: r.o.Backup, Target: p.Target, Latest: p.Latest, Skew: p.Skew, Concurrency: r.o.Concurrency,
		Logger: r.d.Logger})
	if err != nil {
		return err
	}
	plan := np.RestorePlan
	if np.ClusterNodes > 1 && !p.SingleNode {
		return fmt.Errorf("point-in-time restore of %s: backup %s is of a cluster of %d nodes: restoring one "+
			"node to the past while its replicas keep newer data lets read repair, hints and repairs bring "+
			"that data back (and the node's older data spread to the others). Restore every node to the same "+
			"time with restore-cluster --pitr, or pass --pitr-single-node to restore this node alone "+
			"(docs/pitr.md)", r.o.FQDN, plan.Base, np.ClusterNodes)
	}
	// Cassandra replays only segments whose id (a time in ms) is below its
	// clock at start: a node whose clock is behind would skip them silently.
	if n := len(plan.Segments); n > 0 && plan.Segments[n-1].ID >= r.d.Now().UnixMilli() {
		last := plan.Segments[n-1]
		return fmt.Errorf("point-in-time restore of %s: segment %s has an id (%s) ahead of this machine's clock "+
			"(%s): Cassandra would not replay it; fix the clock (NTP) first", r.o.FQDN, last.Name,
			time.UnixMilli(last.ID).UTC().Format(time.RFC3339Nano), r.d.Now().UTC().Format(time.RFC3339Nano))
	}
	pr := &pitrRun{plan: plan, archived: map[string]bool{}}
	for _, s := range np.Archived {
		pr.archived[s.Name] = true
	}
	pr.res = &PITRResult{Base: plan.Base, Target: plan.Target, Latest: plan.Latest, Segments: len(plan.Segments),
		SegmentBytes: plan.RawBytes(), Replayed: -1, NotEligible: plan.NotEligible}
	if n := len(plan.Segments); n > 0 {
		pr.res.First, pr.res.Last = plan.Segments[0].Name, plan.Segments[n-1].Name
	}
	if !plan.Latest {
		pr.pit = r.pointInTime(plan)
	}
	pr.res.PointInTime = pr.pit
	r.pitr, r.res.PITR = pr, pr.res
	r.o.Backup = plan.Base
	for _, why := range plan.NotEligible {
		r.d.Logger.Warn("Not a base for the point-in-time restore: " + why)
	}
	if u := plan.Until; u != nil {
		r.d.Logger.Warn(fmt.Sprintf("%s is before the point-in-time restore of %s (to %s): restoring the "+
			"timeline that restore abandoned; segments archived since are left out", fmtPIT(plan),
			u.RestoredAt().Format(time.RFC3339), u.Target.UTC().Format(time.RFC3339Nano)))
	}
	if r.o.Node.HintsDir == "" {
		r.d.Logger.Warn("hints_directory is not set in cassandra.yaml: the hints (writes from after the target " +
			"time, delivered later) are not emptied; empty Cassandra's default hints directory before the restore")
	}
	r.d.Logger.Info(fmt.Sprintf("Point-in-time restore to %s: base backup %s, %d archived segments (%s to %s, %s)",
		fmtPIT(plan), plan.Base, len(plan.Segments), pr.res.First, pr.res.Last, layout.FormatBytes(plan.RawBytes())))
	return nil
}

func fmtPIT(p commitlog.RestorePlan) string {
	s := p.Target.UTC().Format("2006-01-02T15:04:05.000000Z")
	if p.Latest {
		s += " (the newest archived write)"
	}
	return s
}

// pointInTime formats the target for restore_point_in_time. Cassandra
// reads microseconds only since CASSANDRA-19448 (4.0.14, 4.1.7, 5.0.1);
// for an older release (the base backup's release_version) the time is
// truncated to the second, downwards, with a warning.
func (r *run) pointInTime(p commitlog.RestorePlan) string {
	t := p.Target.UTC()
	if subSecondPIT(p.BaseMeta.ReleaseVersion) || t.Truncate(time.Second).Equal(t) {
		return commitlog.FormatPIT(t)
	}
	down := t.Truncate(time.Second)
	r.d.Logger.Warn(fmt.Sprintf("Cassandra %s reads restore_point_in_time to the second only: restoring to %s; "+
		"writes stamped after it and up to %s are not replayed", p.BaseMeta.ReleaseVersion,
		down.Format(time.RFC3339), t.Format(time.RFC3339Nano)))
	return down.Format("2006:01:02 15:04:05")
}

// subSecondPIT reports whether Cassandra release v parses fractions of a
// second in restore_point_in_time (CASSANDRA-19448). An unknown release is
// taken as a current one.
func subSecondPIT(v string) bool {
	var major, minor, patch int
	if n, _ := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); n < 2 {
		return true
	}
	switch {
	case major > 5 || (major == 5 && minor > 0):
		return true
	case major == 5:
		return patch >= 1
	case major == 4 && minor == 1:
		return patch >= 7
	case major == 4 && minor == 0:
		return patch >= 14
	}
	return false
}

// preparePITR checks, before anything is downloaded, what the replay
// needs: the properties file (no copy of an unfinished restore beside it,
// no restore settings left in it), the restore directory on the commit log
// directory's file system, room for the segments.
func (r *run) preparePITR() error {
	p := r.o.PITR.Paths
	props, err := commitlog.ReadProperties(p.PropertiesFile)
	if err != nil {
		return err
	}
	if !exists(p.PropertiesFile) && !r.o.PITR.Deferred {
		return fmt.Errorf("%s does not exist: set [cassandra] commitlog_properties_file to Cassandra's "+
			"commitlog_archiving.properties", p.PropertiesFile)
	}
	if exists(p.PropertiesFile + bakSuffix) {
		return fmt.Errorf("%s exists: an earlier point-in-time restore did not finish; check that it holds the "+
			"settings Cassandra should keep, move it back over %s, then retry", p.PropertiesFile+bakSuffix, p.PropertiesFile)
	}
	if v, _ := props.Get(commitlog.KeyRestoreDirectories); strings.TrimSpace(v) != "" {
		return fmt.Errorf("%s sets %s=%s: Cassandra would replay those files at every start; clear %s, %s and %s "+
			"there, then retry", p.PropertiesFile, commitlog.KeyRestoreDirectories, v, commitlog.KeyRestoreDirectories,
			commitlog.KeyRestoreCommand, commitlog.KeyRestorePIT)
	}
	if !exists(p.CommitlogDir) {
		return fmt.Errorf("commitlog_directory %s does not exist", p.CommitlogDir)
	}
	parent := filepath.Dir(p.RestoreDir)
	if filepath.Clean(parent) != filepath.Clean(p.CommitlogDir) {
		if hasEntries(p.RestoreDir) {
			return fmt.Errorf("[cassandra] commitlog_restore_dir %s is not empty: Cassandra refuses to start on a file there "+
				"that is not a segment; empty it, then retry", p.RestoreDir)
		}
		if err := os.Remove(p.RestoreDir); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("[cassandra] commitlog_restore_dir %s: %w", p.RestoreDir, err)
		}
		same, err := sameFS(parent, p.CommitlogDir)
		if err != nil {
			return fmt.Errorf("[cassandra] commitlog_restore_dir %s: %w (its parent directory must exist)", p.RestoreDir, err)
		}
		if !same {
			return fmt.Errorf("[cassandra] commitlog_restore_dir %s is not on the file system of commitlog_directory %s: the "+
				"verified segments are moved there by rename and Cassandra hard-links them; choose a directory on "+
				"that file system (default <commitlog_directory>/%s)", p.RestoreDir, p.CommitlogDir,
				commitlog.DefaultRestoreName)
		}
	}
	free, _, err := r.d.Space(p.CommitlogDir)
	if err != nil {
		return err
	}
	if need := r.pitr.plan.RawBytes(); uint64(need) > free {
		return fmt.Errorf("not enough free space in %s for the %d commit log segments to replay: %s needed, %s free",
			p.CommitlogDir, len(r.pitr.plan.Segments), layout.FormatBytes(need), layout.FormatBytes(int64(free)))
	}
	return nil
}

// downloadPITR downloads every selected segment into the commit log
// directory's aside root, each decompressed, its size, SHA-256 and header
// checked (commitlog.Fetch), Concurrency at a time; then gives them to the
// commit log directory's owner.
func (r *run) downloadPITR(ctx context.Context) error {
	root, ok := r.asides[r.o.PITR.Paths.CommitlogDir]
	if !ok {
		return fmt.Errorf("no aside directory in %s", r.o.PITR.Paths.CommitlogDir)
	}
	dir := filepath.Join(root, pitrSegmentsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r.pitr.download = dir
	b := commitlog.Under(r.d.Storage, layout.New(r.o.Prefix).KeyPrefix())
	segs := r.pitr.plan.Segments
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(segs))
	sem := make(chan struct{}, max(r.o.Concurrency, 1))
	var wg sync.WaitGroup
	for i, s := range segs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if errs[i] = commitlog.Fetch(ctx, b, r.o.FQDN, s, filepath.Join(dir, s.Name)); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := syncDirs(dir); err != nil {
		return err
	}
	fi, err := os.Stat(r.o.PITR.Paths.CommitlogDir)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if err := r.d.FS.Chown(ctx, dir, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	r.d.Logger.Info(fmt.Sprintf("Downloaded and checked %d commit log segments (%s)", len(segs),
		layout.FormatBytes(r.pitr.plan.RawBytes())))
	return nil
}

// hasEntries reports whether dir exists and is not empty.
func hasEntries(dir string) bool {
	names, _ := children(dir, "")
	return len(names) > 0
}

// sameFS reports whether a and b are on the same file system.
func sameFS(a, b string) (bool, error) {
	var sa, sb syscall.Stat_t
	if err := syscall.Stat(a, &sa); err != nil {
		return false, err
	}
	if err := syscall.Stat(b, &sb); err != nil {
		return false, err
	}
	return sa.Dev == sb.Dev, nil
}

// downloadSegments is the segments stage of a point-in-time restore.
func (r *run) downloadSegments(ctx context.Context) error {
	if r.pitr == nil {
		return nil
	}
	return r.downloadPITR(ctx)
}

// sideDirs are the node directories besides the data directory whose
// entries a restore moves aside: the commit log and the saved caches, and
// for a point-in-time restore the hints (a recovery knows it from the
// aside roots its journal records).
func (r *run) sideDirs() []string {
	dirs := []string{r.o.Node.CommitlogDir, r.o.Node.SavedCachesDir}
	if h := r.o.Node.HintsDir; h != "" && (r.o.PITR != nil || r.asides[h] != "") {
		dirs = append(dirs, h)
	}
	return uniqueDirs(dirs...)
}
