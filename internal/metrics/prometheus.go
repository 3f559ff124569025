package metrics

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/medusa-go/medusa/internal/backup"
	"github.com/medusa-go/medusa/internal/config"
)

// AgeFile is the textfile of the backup age figures (medusa_backup_overdue
// and the time of the last complete backup); backup and report-last-backup
// both rewrite it.
const AgeFile = "medusa_backup_age" + TextfileExt

// Run gathers the Prometheus metrics of one command run and writes them,
// when the run ends, as node_exporter textfile-collector files into Dir:
// medusa_<command>.prom (the command's outcome, plus its own figures) and,
// when BackupAge was called, AgeFile. Every method of a nil *Run does
// nothing, so callers need not check whether Prometheus is configured.
type Run struct {
	// Dir is [monitoring] prometheus_textfile_dir ("" writes nothing).
	Dir string
	// Node is the node's fqdn: the node label of every series.
	Node string
	// Command is the command's name, e.g. backup or restore-node.
	Command string
	// Started is when the command began.
	Started time.Time
	// OverdueAfter is [monitoring] backup_overdue_hours.
	OverdueAfter time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Transfer counts the bytes the command moves to and from storage
	// (see CountTransfers).
	Transfer Transfer

	mu      sync.Mutex
	backup  *BackupOutcome
	purge   *PurgeOutcome
	restore *RestoreOutcome
	age     *ageOutcome
}

// NewRun returns the Run of command on node when cfg names the prometheus
// provider, nil otherwise.
func NewRun(cfg config.Monitoring, command, node string, started time.Time) *Run {
	if cfg.MonitoringProvider != config.MonitoringPrometheus {
		return nil
	}
	return &Run{Dir: cfg.PrometheusTextfileDir, Node: node, Command: command, Started: started,
		OverdueAfter: time.Duration(cfg.BackupOverdueHours) * time.Hour}
}

// BackupOutcome is what a node backup did.
type BackupOutcome struct {
	Name, Mode        string
	Started, Finished time.Time
	// Size and Files are the backup's (every file it references).
	Size  int64
	Files int
	// UploadedBytes and UploadedFiles were sent by this run; ReusedFiles
	// were already stored (differential pool or a resumed run).
	UploadedBytes              int64
	UploadedFiles, ReusedFiles int
	Err                        error
}

// NodeBackupOutcome turns a node backup's options and result (nil or
// partial after a failure) into its outcome; started is when the command
// began, the start when the result has none.
func NodeBackupOutcome(opts backup.Options, res *backup.Result, started time.Time, err error) BackupOutcome {
	o := BackupOutcome{Name: opts.Name, Mode: string(opts.Mode), Started: started, Finished: time.Now(), Err: err}
	if res == nil {
		return o
	}
	if !res.Started.IsZero() {
		o.Started = res.Started
	}
	if !res.Finished.IsZero() {
		o.Finished = res.Finished
	}
	if err == nil {
		o.Size, o.Files = res.BytesTotal, res.FilesNew+res.FilesReuploaded+res.FilesKept
		o.UploadedBytes, o.UploadedFiles, o.ReusedFiles = res.BytesUploaded, res.FilesNew+res.FilesReuploaded, res.FilesKept
	}
	return o
}

// PurgeOutcome is what a purge (or delete-backup, purge-decommissioned)
// deleted.
type PurgeOutcome struct {
	Backups, Objects int
	Bytes            int64
	Err              error
}

// RestoreOutcome is how a node restore ended.
type RestoreOutcome struct {
	Backup            string
	Started, Finished time.Time
	Err               error
}

type ageOutcome struct {
	last time.Time // zero: no complete backup
	at   time.Time
}

// Backup records the outcome of the run's node backup.
func (r *Run) Backup(o BackupOutcome) {
	if r != nil {
		r.mu.Lock()
		r.backup = &o
		r.mu.Unlock()
	}
}

// Purge records the outcome of the run's purge.
func (r *Run) Purge(o PurgeOutcome) {
	if r != nil {
		r.mu.Lock()
		r.purge = &o
		r.mu.Unlock()
	}
}

// Restore records the outcome of the run's node restore.
func (r *Run) Restore(o RestoreOutcome) {
	if r != nil {
		r.mu.Lock()
		r.restore = &o
		r.mu.Unlock()
	}
}

// BackupAge records when the node's last complete backup finished, read
// from storage (ok false: the node has none): medusa_backup_overdue is 1
// when it is older than OverdueAfter, or missing.
func (r *Run) BackupAge(last time.Time, ok bool) {
	if r == nil {
		return
	}
	if !ok {
		last = time.Time{}
	}
	r.mu.Lock()
	r.age = &ageOutcome{last: last, at: r.now()}
	r.mu.Unlock()
}

func (r *Run) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// CommandFile is the textfile of command: medusa_<command>.prom with "-"
// as "_".
func CommandFile(command string) string {
	return "medusa_" + strings.ReplaceAll(command, "-", "_") + TextfileExt
}

// Finish writes the run's files; err is the command's result. Problems
// with a previous file (unreadable: its counters restart) are logged on
// logger; a file that cannot be written is returned (callers log it: a
// metric never fails a command).
func (r *Run) Finish(err error, logger *slog.Logger) error {
	if r == nil || r.Dir == "" {
		return nil
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	end := r.now()
	f, perr := openTextfile(r.Dir, CommandFile(r.Command))
	if perr != nil {
		logger.Warn("the previous metrics file is replaced, its counters restart", "error", perr)
	}
	r.commandSeries(f, end, err)
	if r.backup != nil {
		r.backupSeries(f, *r.backup)
	}
	if r.purge != nil {
		r.purgeSeries(f, *r.purge)
	}
	if r.restore != nil {
		r.restoreSeries(f, *r.restore)
	}
	errs := []error{f.write(r.Dir)}
	if r.age != nil {
		errs = append(errs, r.writeAge(*r.age))
	}
	return errors.Join(errs...)
}

func (r *Run) labels(extra ...string) prometheus.Labels {
	l := prometheus.Labels{"node": r.Node}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (r *Run) commandSeries(f *textfile, end time.Time, err error) {
	l := r.labels("command", r.Command)
	f.gauge("medusa_command_last_start_timestamp_seconds", helpCmdStart, l, seconds(r.Started))
	f.gauge("medusa_command_last_end_timestamp_seconds", helpCmdEnd, l, seconds(end))
	f.gauge("medusa_command_last_duration_seconds", helpCmdDuration, l, end.Sub(r.Started).Seconds())
	f.gauge("medusa_command_last_success", helpCmdSuccess, l, boolValue(err == nil))
	if err == nil {
		f.gauge("medusa_command_last_success_timestamp_seconds", helpCmdSuccessTime, l, seconds(end))
	} else {
		f.keep("medusa_command_last_success_timestamp_seconds", helpCmdSuccessTime, l)
	}
	up, down := r.Transfer.Bytes()
	f.gauge("medusa_command_last_uploaded_bytes", helpCmdUp, l, float64(up))
	f.gauge("medusa_command_last_downloaded_bytes", helpCmdDown, l, float64(down))
	f.counter("medusa_command_runs_total", helpCmdRuns, l, 1)
	f.counter("medusa_command_failures_total", helpCmdFailures, l, boolValue(err != nil))
}

func (r *Run) backupSeries(f *textfile, o BackupOutcome) {
	l := r.labels()
	ok := o.Err == nil
	f.gauge("medusa_backup_last_success", helpBackupSuccess, l, boolValue(ok))
	f.gauge("medusa_backup_last_start_timestamp_seconds", helpBackupStart, l, seconds(o.Started))
	f.gauge("medusa_backup_last_end_timestamp_seconds", helpBackupEnd, l, seconds(o.Finished))
	f.gauge("medusa_backup_last_duration_seconds", helpBackupDuration, l, o.Finished.Sub(o.Started).Seconds())
	f.gauge("medusa_backup_last_info", helpBackupInfo, r.labels("backup", o.Name, "mode", o.Mode), 1)
	f.counter("medusa_backup_failures_total", helpBackupFailures, l, boolValue(!ok))
	if ok {
		f.gauge("medusa_backup_last_success_timestamp_seconds", helpBackupSuccessTime, l, seconds(o.Finished))
		f.gauge("medusa_backup_last_size_bytes", helpBackupSize, l, float64(o.Size))
		f.gauge("medusa_backup_last_files", helpBackupFiles, l, float64(o.Files))
		f.gauge("medusa_backup_last_uploaded_bytes", helpBackupUpBytes, l, float64(o.UploadedBytes))
		f.gauge("medusa_backup_last_uploaded_files", helpBackupUpFiles, l, float64(o.UploadedFiles))
		f.gauge("medusa_backup_last_reused_files", helpBackupReused, l, float64(o.ReusedFiles))
		return
	}
	// A failed run keeps the figures of the last successful one.
	f.keep("medusa_backup_last_success_timestamp_seconds", helpBackupSuccessTime, l)
	f.keep("medusa_backup_last_size_bytes", helpBackupSize, l)
	f.keep("medusa_backup_last_files", helpBackupFiles, l)
	f.keep("medusa_backup_last_uploaded_bytes", helpBackupUpBytes, l)
	f.keep("medusa_backup_last_uploaded_files", helpBackupUpFiles, l)
	f.keep("medusa_backup_last_reused_files", helpBackupReused, l)
}

func (r *Run) purgeSeries(f *textfile, o PurgeOutcome) {
	l := r.labels("command", r.Command) // purge, delete-backup or purge-decommissioned
	f.gauge("medusa_purge_last_success", helpPurgeSuccess, l, boolValue(o.Err == nil))
	f.gauge("medusa_purge_last_deleted_backups", helpPurgeBackups, l, float64(o.Backups))
	f.gauge("medusa_purge_last_deleted_objects", helpPurgeObjects, l, float64(o.Objects))
	f.gauge("medusa_purge_last_deleted_bytes", helpPurgeBytes, l, float64(o.Bytes))
}

func (r *Run) restoreSeries(f *textfile, o RestoreOutcome) {
	l := r.labels()
	f.gauge("medusa_restore_last_success", helpRestoreSuccess, l, boolValue(o.Err == nil))
	f.gauge("medusa_restore_last_end_timestamp_seconds", helpRestoreEnd, l, seconds(o.Finished))
	f.gauge("medusa_restore_last_duration_seconds", helpRestoreDuration, l, o.Finished.Sub(o.Started).Seconds())
	f.gauge("medusa_restore_last_info", helpRestoreInfo, r.labels("backup", o.Backup), 1)
}

func (r *Run) writeAge(a ageOutcome) error {
	f := &textfile{name: AgeFile, reg: prometheus.NewRegistry()}
	l := r.labels()
	overdue := a.last.IsZero() || a.at.Sub(a.last) > r.OverdueAfter
	f.gauge("medusa_backup_overdue", helpOverdue, l, boolValue(overdue))
	f.gauge("medusa_backup_overdue_threshold_seconds", helpOverdueThreshold, l, r.OverdueAfter.Seconds())
	f.gauge("medusa_backup_age_check_timestamp_seconds", helpAgeChecked, l, seconds(a.at))
	if !a.last.IsZero() {
		f.gauge("medusa_backup_last_complete_timestamp_seconds", helpLastComplete, l, seconds(a.last))
	}
	return f.write(r.Dir)
}
