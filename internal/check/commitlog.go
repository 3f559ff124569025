package check

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/medusa-go/medusa/internal/commitlog"
)

// Commitlog checks commit log archiving for point-in-time restore
// (docs/pitr.md). Fill it in, then call Checks.
type Commitlog struct {
	// Enabled is [cassandra] commitlog_archiving.
	Enabled bool
	// Paths are the resolved [cassandra] commitlog_* places; PathsErr says why they
	// could not be had (cassandra.yaml unreadable).
	Paths    commitlog.Paths
	PathsErr error
	// ArchiveLine is the archive_command `medusa commitlog enable` would
	// write for this binary and medusa.ini ("" when unknown).
	ArchiveLine string
	// Archived lists the node's archived segments in the bucket (nil:
	// the storage could not be opened; the storage checks say why).
	Archived func(ctx context.Context) (commitlog.Archived, error)
	// BacklogAge is the age of the oldest spooled segment from which the
	// backlog is a warning (0: 10 minutes).
	BacklogAge time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// DefaultBacklogAge is Commitlog.BacklogAge's default.
const DefaultBacklogAge = 10 * time.Minute

const enableFix = "run medusa commitlog enable (as a user that may write Cassandra's configuration), then restart Cassandra: it reads the file only at start"

// Checks returns the commit log checks: with [cassandra] commitlog_archiving the
// properties file, the spool and its backlog, the file systems, the clock
// and the bucket; otherwise only a warning when the properties file still
// has medusa's archive_command (the spool fills for nobody), else nothing.
func (c *Commitlog) Checks() []Check {
	if !c.Enabled {
		if c.PathsErr != nil {
			return nil
		}
		if line, err := c.archiveCommand(); err != nil || !isMedusa(line) {
			return nil // archiving not set up: no line at all
		}
		return []Check{{Name: "commitlog/properties", Run: c.checkDisabled}}
	}
	return []Check{
		{Name: "commitlog/properties", Run: c.checkProperties},
		{Name: "commitlog/spool", Run: c.checkSpool},
		{Name: "commitlog/filesystem", Run: c.checkFilesystem},
		{Name: "commitlog/clock", Run: c.checkClock},
		{Name: "commitlog/bucket", Run: c.checkBucket},
	}
}

func (c *Commitlog) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Commitlog) backlogAge() time.Duration {
	if c.BacklogAge > 0 {
		return c.BacklogAge
	}
	return DefaultBacklogAge
}

// archiveCommand reads archive_command from the properties file.
func (c *Commitlog) archiveCommand() (string, error) {
	p, err := commitlog.ReadProperties(c.Paths.PropertiesFile)
	if err != nil {
		return "", err
	}
	v, _ := p.Get(commitlog.KeyArchiveCommand)
	return strings.TrimSpace(v), nil
}

// isMedusa reports whether an archive_command line runs medusa's archive.
func isMedusa(line string) bool { return strings.Contains(line, " commitlog archive %path %name") }

func (c *Commitlog) checkDisabled(context.Context) Result {
	return warn("set [cassandra] commitlog_archiving = true (and run medusa commitlog sync), or run medusa commitlog disable and restart Cassandra",
		"[cassandra] commitlog_archiving is false but %s has medusa's archive_command: Cassandra hands every closed segment to %s, where nothing syncs it (the spool only grows) and backups record no meta/pitr.json",
		c.Paths.PropertiesFile, c.Paths.SpoolDir)
}

func (c *Commitlog) checkProperties(context.Context) Result {
	if c.PathsErr != nil {
		return fail("set [cassandra] config_file to the node's cassandra.yaml (its commitlog_directory locates the spool)", "%v", c.PathsErr)
	}
	file := c.Paths.PropertiesFile
	st, err := os.Stat(file)
	if err != nil {
		return fail(enableFix, "%s: %v; Cassandra archives no segment", file, err)
	}
	line, err := c.archiveCommand()
	switch {
	case err != nil:
		return fail("make the file readable by the user running medusa", "%v", err)
	case line == "":
		return fail(enableFix, "%s has no archive_command: Cassandra archives no segment", file)
	case !isMedusa(line):
		return fail(enableFix+" (medusa replaces the line)",
			"%s: archive_command=%s is not medusa's: closed segments never reach the spool", file, line)
	case c.ArchiveLine != "" && line != c.ArchiveLine:
		return warn("if this binary or medusa.ini is the one to use, run medusa commitlog enable and restart Cassandra; a binary at another path on purpose (e.g. a shared volume in Kubernetes) is fine",
			"%s: archive_command=%s runs another medusa binary or medusa.ini than this one (%s)", file, line, c.ArchiveLine)
	}
	// Cassandra reads the file at start; its current segments have ids
	// (milliseconds) from that start on. A file changed later is not in
	// effect yet.
	if segs := c.localSegments(); len(segs) > 0 {
		started := time.UnixMilli(segs[0].ID)
		if st.ModTime().After(started.Add(time.Minute)) {
			return warn("restart Cassandra to apply it (one node at a time)",
				"%s: archive_command is medusa's, but the file changed at %s, after the commit log of the running Cassandra began (oldest segment %s, %s): it may not be in effect",
				file, st.ModTime().UTC().Format(time.RFC3339), segs[0], started.UTC().Format(time.RFC3339))
		}
	}
	return ok("%s: archive_command=%s", file, line)
}

// localSegments lists the CommitLog-*.log files of the commit log
// directory, by id.
func (c *Commitlog) localSegments() []commitlog.SegmentName {
	entries, err := os.ReadDir(c.Paths.CommitlogDir)
	if err != nil {
		return nil
	}
	var out []commitlog.SegmentName
	for _, e := range entries {
		if n, err := commitlog.ParseSegmentName(e.Name()); err == nil && e.Type().IsRegular() {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b commitlog.SegmentName) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (c *Commitlog) checkSpool(context.Context) Result {
	if c.PathsErr != nil {
		return skip("needs cassandra.yaml (see commitlog/properties)")
	}
	dir := c.Paths.SpoolDir
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		parent := filepath.Dir(dir)
		if _, perr := os.Stat(parent); perr != nil {
			return fail(fmt.Sprintf("set [cassandra] commitlog_spool_dir to a directory under an existing one (default: %s in commitlog_directory)", commitlog.DefaultSpoolName),
				"spool %s does not exist and neither does %s", dir, parent)
		}
		return ok("spool %s not created yet: the archive command creates it when Cassandra closes its first segment", dir)
	case err != nil:
		return fail("make the spool readable by the user running medusa (a group shared with Cassandra's user)", "spool %s: %v", dir, err)
	case !st.IsDir():
		return fail("remove the file or set [cassandra] commitlog_spool_dir to a directory", "spool %s is not a directory", dir)
	}
	if unix.Access(dir, unix.R_OK|unix.W_OK|unix.X_OK) != nil {
		return fail("give the user running medusa write access to the spool (a group shared with Cassandra's user, mode 0770), or run medusa commitlog sync as Cassandra's user",
			"spool %s is not writable by the user running medusa: sync cannot remove what it uploaded", dir)
	}
	b, err := commitlog.SpoolBacklog(dir)
	if err != nil {
		return fail("make the spool readable by the user running medusa", "%v", err)
	}
	if b.Duplicates > 0 {
		return warn("compare each <name>.dup-<sha8> with <name> by hand and remove the wrong one",
			"spool %s holds %d duplicate segment(s) (a different file was handed over twice under one name)", dir, b.Duplicates)
	}
	if b.Segments == 0 {
		return ok("spool %s is writable and empty", dir)
	}
	age := c.now().Sub(b.Oldest).Truncate(time.Second)
	if age > c.backlogAge() {
		return warn("run medusa commitlog sync and read its error; make sure something runs it regularly (a service, a timer, or medusa grpc-server with [cassandra] commitlog_sync_interval)",
			"spool %s: %d segment(s), %s, waiting; the oldest was handed over %s ago (more than %s): the sync is not keeping up or not running",
			dir, b.Segments, humanBytes(b.Bytes), age, c.backlogAge())
	}
	return ok("spool %s: %d segment(s), %s, waiting; the oldest handed over %s ago", dir, b.Segments, humanBytes(b.Bytes), age)
}

func (c *Commitlog) checkFilesystem(context.Context) Result {
	if c.PathsErr != nil {
		return skip("needs cassandra.yaml (see commitlog/properties)")
	}
	cl, err := device(c.Paths.CommitlogDir)
	if err != nil {
		return fail("set commitlog_directory in cassandra.yaml to the node's commit log directory, readable by the user running medusa",
			"commit log directory %s: %v", c.Paths.CommitlogDir, err)
	}
	sp, where, err := existingDevice(c.Paths.SpoolDir)
	if err != nil {
		return warn("check [cassandra] commitlog_spool_dir", "spool %s: %v", c.Paths.SpoolDir, err)
	}
	if cl != sp {
		return warn(fmt.Sprintf("set [cassandra] commitlog_spool_dir to a directory on the commit log's file system (the default is %s in commitlog_directory)", commitlog.DefaultSpoolName),
			"spool %s (%s) is on another file system than the commit log directory %s: the archive command copies each segment instead of hard-linking it, which holds Cassandra's archiver thread longer and takes twice the disk",
			c.Paths.SpoolDir, where, c.Paths.CommitlogDir)
	}
	return ok("spool %s and commit log directory %s share a file system: segments are hard-linked", c.Paths.SpoolDir, c.Paths.CommitlogDir)
}

func device(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, err
	}
	return uint64(st.Dev), nil
}

// existingDevice is the device of path or, when it does not exist yet, of
// its nearest existing parent (named in where).
func existingDevice(path string) (dev uint64, where string, err error) {
	for p := path; ; p = filepath.Dir(p) {
		dev, err := device(p)
		if err == nil {
			if p == path {
				return dev, "exists", nil
			}
			return dev, "not created yet; its parent " + p, nil
		}
		if !errors.Is(err, syscall.ENOENT) || p == filepath.Dir(p) {
			return 0, "", err
		}
	}
}

// clockSlack is how far a segment id or mtime may run ahead of the clock
// before the clock check warns.
const clockSlack = time.Minute

func (c *Commitlog) checkClock(context.Context) Result {
	if c.PathsErr != nil {
		return skip("needs cassandra.yaml (see commitlog/properties)")
	}
	segs := c.localSegments()
	if len(segs) == 0 {
		return skip("no segment in the commit log directory %s (Cassandra not started yet?)", c.Paths.CommitlogDir)
	}
	now := c.now()
	newest := segs[len(segs)-1]
	idTime := time.UnixMilli(newest.ID)
	fix := "check the clock's synchronisation (chronyc tracking, timedatectl); point-in-time targets near a clock step are unreliable"
	if ahead := idTime.Sub(now); ahead > clockSlack {
		return warn(fix, "the newest segment %s has an id %s ahead of the clock (%s): segment ids are milliseconds of Cassandra's start, so the clock moved back since then",
			newest, ahead.Truncate(time.Second), now.UTC().Format(time.RFC3339))
	}
	st, err := os.Stat(filepath.Join(c.Paths.CommitlogDir, newest.String()))
	if err == nil {
		if ahead := st.ModTime().Sub(now); ahead > clockSlack {
			return warn(fix, "segment %s was last written %s ahead of the clock (%s): the clock moved back",
				newest, ahead.Truncate(time.Second), now.UTC().Format(time.RFC3339))
		}
	}
	return ok("clock %s; the newest segment %s (id of %s) is not ahead of it",
		now.UTC().Format(time.RFC3339), newest, idTime.UTC().Format(time.RFC3339))
}

func (c *Commitlog) checkBucket(ctx context.Context) Result {
	if c.Archived == nil {
		return skip("needs the storage (see the storage checks)")
	}
	a, err := c.Archived(ctx)
	if err != nil {
		return fail("fix the storage checks above, then run medusa check again", "archived segments: %v", err)
	}
	var b commitlog.Backlog
	if c.PathsErr == nil {
		b, _ = commitlog.SpoolBacklog(c.Paths.SpoolDir)
	}
	now := c.now()
	if a.Count == 0 {
		if b.Segments > 0 {
			return warn("run medusa commitlog sync and read its error",
				"no segment archived in the bucket yet, %d waiting in the spool", b.Segments)
		}
		return warn("wait for Cassandra to close a segment (nodetool flush does not; a full segment or nodetool drain does), then run medusa commitlog sync; if none arrives in the spool, see commitlog/properties",
			"no segment archived in the bucket yet: there is nothing to replay for a point-in-time restore")
	}
	age := now.Sub(a.NewestMtime).Truncate(time.Second)
	if b.Segments > 0 && b.Newest.Sub(a.NewestMtime) > c.backlogAge() {
		return warn("run medusa commitlog sync and read its error; make sure something runs it regularly",
			"the bucket is behind: its newest segment %s was last written %s ago, the spool holds %d newer ones up to %s (%s written %s later)",
			a.Newest, age, b.Segments, b.NewestName, b.Newest.UTC().Format(time.RFC3339), b.Newest.Sub(a.NewestMtime).Truncate(time.Second))
	}
	return ok("%d segments archived; the newest, %s, was last written %s ago (writes since then are in the segments Cassandra has open or in the spool)",
		a.Count, a.Newest, age)
}
