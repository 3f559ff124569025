package backup

import (
	"fmt"

	"github.com/medusa-go/medusa/internal/layout"
)

// logSummary logs Medusa's end-of-backup statistics (print_backup_stats).
func (r *run) logSummary() {
	res, log := r.res, r.d.Logger
	const ts = "2006-01-02 15:04:05"
	log.Info("Backup done", "name", res.Name)
	log.Info(fmt.Sprintf("- Started: %s, Started extracting data: %s, Finished: %s",
		res.Started.Format(ts), res.DataStarted.Format(ts), res.Finished.Format(ts)))
	log.Info(fmt.Sprintf("- Real duration: %s (excludes time waiting for other nodes)",
		res.Finished.Sub(res.DataStarted).Round(1e6)))
	copied := res.FilesNew + res.FilesReuploaded
	log.Info(fmt.Sprintf("- %d files, %s", copied+res.FilesKept, layout.FormatBytes(res.BytesTotal)))
	log.Info(fmt.Sprintf("- %d files copied from host (%d new, %d reuploaded), %s",
		copied, res.FilesNew, res.FilesReuploaded, layout.FormatBytes(res.BytesUploaded)))
	if res.Mode == Differential {
		log.Info(fmt.Sprintf("- %d kept from previous backups (%s)", res.FilesKept,
			layout.FormatBytes(res.BytesTotal-res.BytesUploaded)))
	}
}
