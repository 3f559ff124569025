package restore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/layout"
)

// pitrHeader is what the journal records of a point-in-time restore, for
// a recovery to reset the properties file.
type pitrHeader struct {
	Properties string `json:"properties"`
	RestoreDir string `json:"restore_dir"`
	SpoolDir   string `json:"spool_dir,omitempty"`
}

func (r *run) pitrHeader() *pitrHeader {
	if r.o.PITR == nil {
		return nil
	}
	p := r.o.PITR.Paths
	return &pitrHeader{Properties: p.PropertiesFile, RestoreDir: p.RestoreDir, SpoolDir: p.SpoolDir}
}

// pitrFromHeader restores the options a recovery needs from the journal.
func pitrFromHeader(h *pitrHeader, commitlogDir string) *PITR {
	if h == nil {
		return nil
	}
	return &PITR{Paths: commitlog.Paths{CommitlogDir: commitlogDir, PropertiesFile: h.Properties,
		RestoreDir: h.RestoreDir, SpoolDir: h.SpoolDir}}
}

// keptInPlace reports whether name, in the commit log directory, stays
// where it is when the directory is moved aside: the spool of segments
// waiting for upload (they belong to the history being replaced, which
// stays restorable).
func (r *run) keptInPlace(dir, name string) bool {
	if r.o.PITR == nil || dir != r.o.Node.CommitlogDir {
		return false
	}
	s := r.o.PITR.Paths.SpoolDir
	return s != "" && filepath.Clean(filepath.Join(dir, name)) == filepath.Clean(s)
}

// placePITR moves the verified segments, as one directory, to the restore
// directory and writes the restore settings into the properties file,
// keeping its previous content in <file>.medusa-bak (both announced in the
// journal first: a rollback removes the directory and writes the previous
// content back).
func (r *run) placePITR(ctx context.Context) error {
	if r.pitr == nil {
		return nil
	}
	p := r.o.PITR.Paths
	orig, err := os.ReadFile(p.PropertiesFile)
	if errors.Is(err, os.ErrNotExist) && r.o.PITR.Deferred {
		// Kubernetes: nothing renders the file. An empty one is the same
		// to Cassandra (no archiving, no restore); the settings are
		// written into it below, and a rollback empties it again.
		if err = writeDurably(p.PropertiesFile, nil); err == nil {
			orig, err = nil, os.Chmod(p.PropertiesFile, 0o644) // Cassandra reads it
		}
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", p.PropertiesFile, err)
	}
	props := commitlog.ParseProperties(p.PropertiesFile, orig)
	cmd := "/bin/cp -f %from %to"
	if same, err := sameFS(filepath.Dir(p.RestoreDir), p.CommitlogDir); err == nil && same {
		cmd = "/bin/ln %from %to"
	}
	props.Set(commitlog.KeyRestoreCommand, cmd)
	props.Set(commitlog.KeyRestoreDirectories, p.RestoreDir)
	props.Set(commitlog.KeyRestorePIT, r.pitr.pit)
	props.Set(commitlog.KeyPrecision, r.o.PITR.Precision)
	bak := p.PropertiesFile + bakSuffix
	aside := r.asides[p.CommitlogDir]
	if err := r.j.intend(entry{Kind: entryPlace, From: r.pitr.download, To: p.RestoreDir, Aside: aside},
		entry{Kind: entryFile, From: bak, To: p.PropertiesFile}); err != nil {
		return err
	}
	if err := r.d.FS.Rename(ctx, r.pitr.download, p.RestoreDir); err != nil {
		return fmt.Errorf("move the verified segments to %s: %w", p.RestoreDir, err)
	}
	if err := syncDirs(filepath.Dir(p.RestoreDir), aside); err != nil {
		return err
	}
	if err := writeDurably(bak, orig); err != nil {
		return err
	}
	if err := r.d.FS.WriteFile(ctx, p.PropertiesFile, props.Bytes()); err != nil {
		return fmt.Errorf("write the restore settings into %s: %w", p.PropertiesFile, err)
	}
	pit := r.pitr.pit
	if pit == "" {
		pit = "(empty: every archived write)"
	}
	r.d.Logger.Info(fmt.Sprintf("Placed %d segments in %s; %s: %s=%s, %s=%s, %s=%s (previous content in %s)",
		len(r.pitr.plan.Segments), p.RestoreDir, p.PropertiesFile, commitlog.KeyRestoreCommand, cmd,
		commitlog.KeyRestoreDirectories, p.RestoreDir, commitlog.KeyRestorePIT, pit, bak))
	return nil
}

// replayLine is Cassandra's report of the commit log replay at start.
var replayLine = regexp.MustCompile(`Log replay complete, (\d+) replayed mutations`)

// replayPITR reads the replay's outcome from system.log, then resets the
// properties file and removes the restore directory: the restore settings
// apply to every start, and would filter or replay again at the next one.
func (r *run) replayPITR(ctx context.Context) error {
	if r.pitr == nil {
		return nil
	}
	if r.o.PITR.Deferred {
		return r.handOver()
	}
	n, found := replayedMutations(r.startLog)
	switch {
	case found:
		r.pitr.res.Replayed = n
		r.d.Logger.Info(fmt.Sprintf("Cassandra replayed %d mutations of the archived commit log", n))
	case r.startLog.Path == "":
		r.d.Logger.Warn("system.log not found: the number of replayed mutations is unknown")
	default:
		r.d.Logger.Warn("system.log has no \"Log replay complete\" line since the start: check " + r.startLog.Path)
	}
	return r.finishPITR(ctx)
}

// replayedMutations scans system.log from the start mark.
func replayedMutations(m startMark) (int, bool) {
	if m.Path == "" {
		return 0, false
	}
	f, err := os.Open(m.Path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() >= m.Offset {
		if _, err := f.Seek(m.Offset, io.SeekStart); err != nil {
			return 0, false
		}
	}
	sc := bufio.NewScanner(io.LimitReader(f, 64<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if mm := replayLine.FindSubmatch(sc.Bytes()); mm != nil {
			n, err := strconv.Atoi(string(mm[1]))
			return n, err == nil
		}
		if bytes.Contains(sc.Bytes(), []byte("No commitlog files found; skipping replay")) {
			return 0, true
		}
	}
	return 0, false
}

// finishPITR writes the properties file's previous content back (from
// <file>.medusa-bak, then removed) and removes the restore directory. It
// does so only for a restore that wrote them (the journal says so), and
// is harmless to repeat.
func (r *run) finishPITR(ctx context.Context) error {
	if r.o.PITR == nil || !r.wroteProperties() {
		return nil
	}
	p := r.o.PITR.Paths
	bak := p.PropertiesFile + bakSuffix
	saved, err := os.ReadFile(bak)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w; move it back over %s by hand", bak, err, p.PropertiesFile)
	}
	if err == nil {
		if cur, err := os.ReadFile(p.PropertiesFile); err != nil || !bytes.Equal(cur, saved) {
			if err := r.d.FS.WriteFile(ctx, p.PropertiesFile, saved); err != nil {
				return fmt.Errorf("reset %s from %s: %w; move %s back over %s by hand before Cassandra restarts",
					p.PropertiesFile, bak, err, bak, p.PropertiesFile)
			}
		}
		if err := removeFile(bak); err != nil {
			return err
		}
		r.d.Logger.Info("Reset " + p.PropertiesFile + " to its content before the restore")
	}
	if exists(p.RestoreDir) {
		if err := r.d.FS.RemoveAll(ctx, p.RestoreDir); err != nil {
			return fmt.Errorf("remove the restore directory %s: %w; remove it by hand before Cassandra restarts",
				p.RestoreDir, err)
		}
	}
	return nil
}

// wroteProperties reports whether this restore announced writing the
// properties file (so its .medusa-bak is this restore's).
func (r *run) wroteProperties() bool {
	if r.j == nil || r.o.PITR == nil {
		return false
	}
	for _, e := range r.j.Entries {
		if e.Kind == entryFile && e.To == r.o.PITR.Paths.PropertiesFile {
			return true
		}
	}
	return false
}

// unarchivedAside lists the commit log segments moved aside that are
// neither archived in the bucket (as planned) nor waiting in the spool:
// the only copy of those writes of the replaced history.
func (r *run) unarchivedAside(root string) []string {
	if r.o.PITR == nil {
		return nil
	}
	names, _ := children(root, "")
	var out []string
	for _, n := range names {
		if _, err := commitlog.ParseSegmentName(n); err != nil {
			continue
		}
		if r.pitr != nil && r.pitr.archived[n] {
			continue
		}
		if s := r.o.PITR.Paths.SpoolDir; s != "" && exists(filepath.Join(s, n)) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// pitrText is the line restore-node prints after a point-in-time restore.
func (p *PITRResult) text() string {
	replayed := "unknown (see system.log)"
	if p.Replayed >= 0 {
		replayed = strconv.Itoa(p.Replayed)
	}
	target := p.Target.UTC().Format("2006-01-02T15:04:05.000000Z")
	if p.Latest {
		target += " (newest archived write)"
	}
	if p.Deferred {
		return fmt.Sprintf("Point-in-time restore to %s: base backup %s, %d commit log segments (%s) placed: "+
			"Cassandra replays them at its start", target, p.Base, p.Segments,
			strings.TrimSpace(fmt.Sprintf("%s to %s", p.First, p.Last)))
	}
	return fmt.Sprintf("Point-in-time restore to %s: base backup %s, %d commit log segments replayed (%s), "+
		"%s mutations replayed", target, p.Base, p.Segments, strings.TrimSpace(fmt.Sprintf("%s to %s", p.First, p.Last)),
		replayed)
}

// writeMarker records a finished point-in-time restore in the bucket
// (<fqdn>/commitlogs/restores/<ms when Cassandra was down>.json): the planner then keeps
// the abandoned timeline's segments apart from those written since. A
// failure is logged, not returned: the node is restored and running.
func (r *run) writeMarker(ctx context.Context) {
	if r.pitr == nil || r.downAt.IsZero() {
		return
	}
	pl := r.pitr.plan
	m := commitlog.RestoreMarker{RestoredAtMs: r.downAt.UnixMilli(), Target: pl.Target.UTC(), Latest: pl.Latest,
		BaseBackup: pl.Base, Segments: len(pl.Segments), FirstSegment: r.pitr.res.First,
		LastSegment: r.pitr.res.Last, HostID: pl.BaseMeta.HostID, WrittenAt: r.d.Now().UTC()}
	b := commitlog.Under(r.d.Storage, layout.New(r.o.Prefix).KeyPrefix())
	if err := commitlog.WriteMarker(ctx, b, r.o.FQDN, m); err != nil {
		r.d.Logger.Error(fmt.Sprintf("The restore succeeded but its marker was not stored (%v): until it is, a "+
			"point-in-time restore of %s to a time before %s would also replay the segments written since; "+
			"store this JSON at %s: %s", err, r.o.FQDN, m.RestoredAt().Format(time.RFC3339),
			commitlog.MarkerKey(r.o.FQDN, m.RestoredAtMs), markerJSON(m)))
		return
	}
	r.d.Logger.Info("Recorded the point-in-time restore at " + commitlog.MarkerKey(r.o.FQDN, m.RestoredAtMs))
}

func markerJSON(m commitlog.RestoreMarker) string {
	data, _ := json.Marshal(m)
	return string(data)
}
