package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// CommitlogPaths returns the commit log places ([cassandra] commitlog_*),
// the defaults derived from cassandra.yaml ([cassandra] config_file): commitlog_directory and the
// directory of the yaml.
func (a *App) CommitlogPaths() (commitlog.Paths, error) {
	c := a.Config.Commitlog
	nc, err := cassandra.ReadNodeConfig(a.Config.Cassandra.ConfigFile)
	if err != nil {
		return commitlog.Paths{}, fmt.Errorf("commit log archiving: %w", err)
	}
	return commitlog.ResolvePaths(nc.Path, nc.CommitlogDir, c.SpoolDir, c.PropertiesFile, c.RestoreDir), nil
}

// CommitlogStorage opens the storage stack rooted at [storage] prefix, as
// the commitlog package's keys expect it. The caller closes it.
func (a *App) CommitlogStorage(ctx context.Context) (storage.Backend, error) {
	b, err := a.Storage(ctx)
	if err != nil {
		return nil, err
	}
	return commitlog.Under(b, layout.New(a.Config.Storage.Prefix).KeyPrefix()), nil
}

// CommitlogSync drains the spool of this node into the bucket. sweepAge
// is the age from which a segment left in the commit log directory counts
// as one whose archive failed (0: one minute).
func (a *App) CommitlogSync(ctx context.Context, sweepAge time.Duration) (commitlog.SyncResult, error) {
	paths, err := a.CommitlogPaths()
	if err != nil {
		return commitlog.SyncResult{}, err
	}
	st, err := a.Storage(ctx)
	if err == nil {
		// Plain segments into an encrypted (or migrating) prefix would mix
		// the two: they stay spooled until the key ring is configured.
		if err = a.refusePlainOnEncrypted(ctx, st); err != nil {
			st.Close()
		}
	}
	var b storage.Backend
	if err == nil {
		b = commitlog.Under(st, layout.New(a.Config.Storage.Prefix).KeyPrefix())
	}
	if err != nil {
		// Nothing was touched: say so, as Sync does on a store error.
		var res commitlog.SyncResult
		if bl, berr := commitlog.SpoolBacklog(paths.SpoolDir); berr == nil {
			res.Left = bl.Segments
			err = fmt.Errorf("sync: %w; %d segment(s) stay spooled in %s", err, bl.Segments, paths.SpoolDir)
		}
		a.recordCommitlogSync(ctx, paths, nil, res, err)
		return res, err
	}
	defer b.Close()
	s := &commitlog.Syncer{Backend: b, FQDN: a.Config.Storage.FQDN, Paths: paths, MedusaVersion: a.Version,
		Logger: a.Logger, SweepAge: sweepAge, HostID: commitlog.ReadHostID(paths.SpoolDir)}
	res, err := s.Sync(ctx)
	if !errors.Is(err, commitlog.ErrSyncBusy) {
		a.recordCommitlogSync(ctx, paths, b, res, err)
	}
	return res, err
}

// CommitlogList returns the archived segments of fqdn.
func (a *App) CommitlogList(ctx context.Context, fqdn string) ([]commitlog.SegmentInfo, error) {
	b, err := a.CommitlogStorage(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return commitlog.List(ctx, b, fqdn)
}

// CommitlogRestores returns the point-in-time restore markers of fqdn,
// oldest first.
func (a *App) CommitlogRestores(ctx context.Context, fqdn string) ([]commitlog.RestoreMarker, error) {
	b, err := a.CommitlogStorage(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return commitlog.ListMarkers(ctx, b, fqdn)
}

// ArchiveCommand returns the archive_command line of this binary and
// medusa.ini (absolute paths without spaces).
func ArchiveCommand(exe, ini string) (string, error) {
	for what, p := range map[string]string{"the medusa binary": exe, "medusa.ini": ini} {
		if !strings.HasPrefix(p, "/") {
			return "", fmt.Errorf("archive_command needs the absolute path of %s, not %q", what, p)
		}
		if strings.ContainsAny(p, " \t") {
			return "", fmt.Errorf("the path of %s %q contains a space: Cassandra splits archive_command on "+
				"spaces; move or link it to a path without one", what, p)
		}
	}
	return exe + " --config-file " + ini + " commitlog archive %path %name", nil
}

// pitrRecorder gives backups meta/pitr.json (backup.PITRRecorder).
type pitrRecorder struct {
	app     *App
	cass    *Cassandra
	paths   commitlog.Paths
	logger  *slog.Logger
	meta    commitlog.PitrMeta
	started bool
}

func (r *pitrRecorder) BeforeSnapshot(_ context.Context) {
	r.meta.ActiveSegments = activeSegments(r.paths.CommitlogDir, r.logger)
	r.meta.SnapshotStartedUs = time.Now().UnixMicro()
	r.started = true
}

func (r *pitrRecorder) AfterSnapshot(_ context.Context) {
	r.meta.SnapshotTakenUs = time.Now().UnixMicro()
}

func (r *pitrRecorder) Write(ctx context.Context, b storage.Backend, l layout.Layout, fqdn, backup string) error {
	if !r.started {
		return nil
	}
	m := r.meta
	m.Precision = r.app.Config.Commitlog.Precision
	m.CommitlogSegmentSize = r.cass.Node.Value("commitlog_segment_size")
	if s, err := r.cass.Session(ctx); err == nil {
		if local, err := s.Local(ctx); err == nil {
			m.HostID, m.ReleaseVersion = local.HostID, local.ReleaseVersion
			// For the sidecars of later syncs (a missing spool is left alone).
			if err := commitlog.WriteHostID(r.paths.SpoolDir, m.HostID); err != nil && !errors.Is(err, fs.ErrNotExist) {
				r.logger.Warn("Cannot record the host id for commit log sync", "spool", r.paths.SpoolDir, "error", err)
			}
		}
	}
	if p, err := commitlog.ReadProperties(r.paths.PropertiesFile); err == nil {
		v, _ := p.Get(commitlog.KeyArchiveCommand)
		m.Archiving = strings.Contains(v, " commitlog archive %path %name")
	}
	if !m.Archiving {
		r.logger.Warn("Commit log archiving is not set in the properties file; this backup is no base for a point-in-time restore",
			"file", r.paths.PropertiesFile)
	}
	return commitlog.WriteMeta(ctx, b, l, fqdn, backup, m)
}

// activeSegments lists the CommitLog-*.log files of dir, sorted by id.
func activeSegments(dir string, logger *slog.Logger) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		logger.Warn("Cannot list the commit log directory for meta/pitr.json", "dir", dir, "error", err)
		return nil
	}
	var names []commitlog.SegmentName
	for _, e := range entries {
		if n, err := commitlog.ParseSegmentName(e.Name()); err == nil {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool { return names[i].ID < names[j].ID })
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n.String()
	}
	return out
}
