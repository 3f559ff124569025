package restore

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/atomicfile"
	"github.com/medusa-go/medusa/internal/commitlog"
)

// A point-in-time restore in Kubernetes mode (PITR.Deferred) ends before
// Cassandra starts: the init container places the backup's files, the
// checked segments in the restore directory and the restore settings in
// commitlog_archiving.properties, and Cassandra replays at its start. The
// settings must then go: Cassandra applies restore_point_in_time to every
// segment it replays at a start, so after a crash it would drop the writes
// made since the restore that were only in its own commit log. The
// restore hands over with a PendingReplay file beside the restore
// directory (on the data volume, so it outlives the pod); SettleReplay
// ends it once the replay is done, or writes the settings again into a
// properties file rendered anew by a later pod when it is not.

// pendingSuffix names the hand-over file: <restore dir>.pending.json.
const pendingSuffix = ".pending.json"

// PendingReplayFile is the hand-over file of restore directory dir.
func PendingReplayFile(restoreDir string) string {
	return filepath.Clean(restoreDir) + pendingSuffix
}

// PendingReplay is a point-in-time restore waiting for Cassandra's replay.
type PendingReplay struct {
	// PropertiesFile, RestoreDir and CommitlogDir are the paths of the
	// restore ([cassandra] commitlog_*, cassandra.yaml).
	PropertiesFile string `json:"properties_file"`
	RestoreDir     string `json:"restore_dir"`
	CommitlogDir   string `json:"commitlog_dir"`
	// Settings are the keys written into the properties file
	// (restore_command, restore_directories, restore_point_in_time,
	// precision).
	Settings map[string]string `json:"settings"`
	// PlacedAt is when the settings were written, Cassandra down.
	PlacedAt time.Time `json:"placed_at"`
	// Segments are the names of the segments in RestoreDir.
	Segments []string  `json:"segments"`
	Base     string    `json:"base_backup"`
	Target   time.Time `json:"target"`
	Latest   bool      `json:"latest,omitempty"`

	path string
}

// Path is the file the hand-over was read from.
func (p *PendingReplay) Path() string { return p.path }

// ReadPendingReplay reads the hand-over file of restoreDir; nil (and no
// error) when there is none.
func ReadPendingReplay(restoreDir string) (*PendingReplay, error) {
	path := PendingReplayFile(restoreDir)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the pending point-in-time replay %s: %w", path, err)
	}
	var p PendingReplay
	if err := json.Unmarshal(data, &p); err != nil || p.PropertiesFile == "" || p.RestoreDir == "" || len(p.Settings) == 0 {
		if err == nil {
			err = errors.New("properties_file, restore_dir or settings missing")
		}
		return nil, fmt.Errorf("%s is not a pending point-in-time replay (%v): if Cassandra has replayed since the "+
			"restore, remove it, the restore directory %s, and the restore_* keys of %s", path, err, restoreDir,
			commitlog.PropertiesFile)
	}
	p.path = path
	return &p, nil
}

// handOver writes the PendingReplay of this restore (the segments and the
// settings are in place, Cassandra is down and starts after medusa).
func (r *run) handOver() error {
	p := r.o.PITR.Paths
	props, err := commitlog.ReadProperties(p.PropertiesFile)
	if err != nil {
		return err
	}
	settings := map[string]string{}
	for _, k := range []string{commitlog.KeyRestoreCommand, commitlog.KeyRestoreDirectories, commitlog.KeyRestorePIT,
		commitlog.KeyPrecision} {
		settings[k], _ = props.Get(k)
	}
	pr := PendingReplay{PropertiesFile: p.PropertiesFile, RestoreDir: p.RestoreDir, CommitlogDir: p.CommitlogDir,
		Settings: settings, PlacedAt: r.d.Now().UTC(), Base: r.pitr.plan.Base, Target: r.pitr.plan.Target.UTC(),
		Latest: r.pitr.plan.Latest}
	for _, s := range r.pitr.plan.Segments {
		pr.Segments = append(pr.Segments, s.Name)
	}
	pr.path = PendingReplayFile(p.RestoreDir)
	if err := pr.write(); err != nil {
		return err
	}
	path := pr.path
	r.pitr.res.Deferred = true
	r.d.Logger.Info(fmt.Sprintf("Cassandra replays the %d segments at its start; %s records it until the medusa "+
		"sidecar (or the next run of the init container) sees the replay done and resets %s", len(pr.Segments),
		path, p.PropertiesFile))
	return nil
}

// write records the hand-over (atomically).
func (p *PendingReplay) write() error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(p.path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("record the pending point-in-time replay: %w", err)
	}
	return nil
}

// Replayed reports, from the files alone (Cassandra down), whether
// Cassandra has replayed the segments since they were placed, and why.
// Cassandra hard-links (or copies) the restore directory's segments into
// the commit log directory, replays them, flushes what they wrote and only
// then deletes them; its first segment of a run has an id of at least the
// time it started. So: a placed segment still in the commit log directory
// is a replay that did not finish; none there and a segment newer than the
// placement is a start that went through (one that died after opening its
// first segment and before linking the restored ones cannot be told from
// it); no newer segment is no start at all.
func (p *PendingReplay) Replayed() (bool, string) {
	for _, s := range p.Segments {
		if exists(filepath.Join(p.CommitlogDir, s)) {
			return false, fmt.Sprintf("%s is still in %s: Cassandra started but did not finish the replay", s,
				p.CommitlogDir)
		}
	}
	names, _ := children(p.CommitlogDir, "")
	for _, n := range names {
		if sn, err := commitlog.ParseSegmentName(n); err == nil && sn.ID > p.PlacedAt.UnixMilli() {
			return true, fmt.Sprintf("Cassandra started since (segment %s) and no restored segment is left in %s", n,
				p.CommitlogDir)
		}
	}
	return false, "Cassandra has not started since the segments were placed"
}

// applied reports whether the properties file holds the restore settings.
func (p *PendingReplay) applied() bool {
	props, err := commitlog.ReadProperties(p.PropertiesFile)
	if err != nil {
		return false
	}
	for _, k := range []string{commitlog.KeyRestoreDirectories, commitlog.KeyRestorePIT} {
		if v, _ := props.Get(k); strings.TrimSpace(v) != strings.TrimSpace(p.Settings[k]) {
			return false
		}
	}
	return true
}

// Apply writes the restore settings into the properties file again
// (creating it), keeping every other line: for a pod whose configuration
// directory was rendered anew before Cassandra could replay.
func (p *PendingReplay) Apply() error {
	props, err := commitlog.ReadProperties(p.PropertiesFile)
	if err != nil {
		return err
	}
	for k, v := range p.Settings {
		props.Set(k, v)
	}
	if err := props.Write(); err != nil {
		return fmt.Errorf("write the restore settings into %s: %w", p.PropertiesFile, err)
	}
	return nil
}

// Finish ends the replay: the properties file gets back its content from
// before the restore (<file>.medusa-bak, when this pod still has it) or
// loses the restore keys, the restore directory is removed, then the
// hand-over file. Harmless to repeat.
func (p *PendingReplay) Finish() error {
	bak := p.PropertiesFile + bakSuffix
	saved, err := os.ReadFile(bak)
	switch {
	case err == nil:
		mode := os.FileMode(0o644)
		if st, err := os.Stat(p.PropertiesFile); err == nil {
			mode = st.Mode().Perm()
		}
		if err := atomicfile.WriteFile(p.PropertiesFile, saved, mode); err != nil {
			return fmt.Errorf("reset %s from %s: %w", p.PropertiesFile, bak, err)
		}
		if err := removeFile(bak); err != nil {
			return err
		}
	case errors.Is(err, os.ErrNotExist):
		if err := clearRestoreKeys(p.PropertiesFile); err != nil {
			return err
		}
	default:
		return fmt.Errorf("read %s: %w", bak, err)
	}
	if err := os.RemoveAll(p.RestoreDir); err != nil {
		return fmt.Errorf("remove the restore directory %s: %w", p.RestoreDir, err)
	}
	if err := removeFile(p.path); err != nil {
		return err
	}
	return syncDirs(filepath.Dir(p.path))
}

// clearRestoreKeys empties restore_command, restore_directories and
// restore_point_in_time in the properties file, when it sets any.
func clearRestoreKeys(path string) error {
	if !exists(path) {
		return nil
	}
	props, err := commitlog.ReadProperties(path)
	if err != nil {
		return err
	}
	changed := false
	for _, k := range []string{commitlog.KeyRestoreCommand, commitlog.KeyRestoreDirectories, commitlog.KeyRestorePIT} {
		if v, ok := props.Get(k); ok && strings.TrimSpace(v) != "" {
			props.Set(k, "")
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := props.Write(); err != nil {
		return fmt.Errorf("clear the restore settings of %s: %w", path, err)
	}
	return nil
}

// SettleOutcome is what SettleReplay did.
type SettleOutcome int

const (
	// NoPendingReplay: no hand-over file.
	NoPendingReplay SettleOutcome = iota
	// ReplayFinished: the replay was done; the settings were reset, the
	// restore directory and the hand-over removed.
	ReplayFinished
	// ReplayReapplied: not replayed yet; the settings were written again.
	ReplayReapplied
	// ReplayAbandoned: a new restore replaces the pending one; its
	// settings, segments and hand-over were removed.
	ReplayAbandoned
	// ReplayNotApplied: Cassandra answers, but the properties file does
	// not hold the restore settings: it started without them (a pod
	// rendered anew whose init container did not write them again), so
	// it did not replay; the hand-over is kept for the next start.
	ReplayNotApplied
)

// SettleReplay is the init container's look at a pending replay before
// anything else: replayed (Replayed) is finished; otherwise a new restore
// (abandon) drops it, and a start without one writes the settings again
// into the properties file, which a new pod renders without them. log
// says what was done.
func SettleReplay(restoreDir string, abandon bool, log *slog.Logger) (SettleOutcome, error) {
	p, err := ReadPendingReplay(restoreDir)
	if err != nil || p == nil {
		return NoPendingReplay, err
	}
	done, why := p.Replayed()
	switch {
	case done:
		if err := p.Finish(); err != nil {
			return NoPendingReplay, err
		}
		log.Info("The point-in-time replay of base backup " + p.Base + " was done (" + why + "): reset " +
			p.PropertiesFile + ", removed " + p.RestoreDir)
		return ReplayFinished, nil
	case abandon:
		if err := p.Finish(); err != nil {
			return NoPendingReplay, err
		}
		log.Warn("A new restore replaces the point-in-time restore of base backup " + p.Base + " that Cassandra " +
			"never replayed (" + why + "): its segments and settings are removed")
		return ReplayAbandoned, nil
	}
	if err := p.Apply(); err != nil {
		return NoPendingReplay, err
	}
	log.Info("The point-in-time replay of base backup " + p.Base + " is still to be done (" + why + "): wrote the " +
		"restore settings into " + p.PropertiesFile + " again")
	return ReplayReapplied, nil
}

// FinishReplay is the sidecar's end of a pending replay once Cassandra
// answers CQL in this pod (it started after the init container, so it
// has replayed with the settings the properties file holds): the settings
// are reset, the segments and the hand-over removed. NoPendingReplay when
// there is none; ReplayNotApplied (with an error saying what to do) when
// the properties file does not hold the settings.
func FinishReplay(restoreDir string, log *slog.Logger) (SettleOutcome, error) {
	p, err := ReadPendingReplay(restoreDir)
	if err != nil || p == nil {
		return NoPendingReplay, err
	}
	if !p.applied() {
		// The segments of this run are not a replay: the next init
		// container looks only for a start after now.
		p.PlacedAt = time.Now().UTC()
		if err := p.write(); err != nil {
			return ReplayNotApplied, err
		}
		return ReplayNotApplied, fmt.Errorf("Cassandra runs, but %s does not hold the restore settings of the "+
			"point-in-time restore of base backup %s (%s): it started without them and has not replayed the "+
			"segments in %s; restart the pod (its init container writes them again) before writing to the node",
			p.PropertiesFile, p.Base, p.path, p.RestoreDir)
	}
	if err := p.Finish(); err != nil {
		return NoPendingReplay, err
	}
	log.Info("Cassandra replayed the point-in-time restore of base backup " + p.Base + ": reset " + p.PropertiesFile +
		" (a restart no longer replays or filters) and removed " + p.RestoreDir)
	return ReplayFinished, nil
}
