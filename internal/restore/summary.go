package restore

import (
	"fmt"

	"github.com/medusa-go/medusa/internal/layout"
)

// summary logs the end of a successful restore.
func (r *run) summary() {
	res, p, log := r.res, r.p, r.d.Logger
	const ts = "2006-01-02 15:04:05"
	log.Info("Restore done", "backup", p.Backup, "fqdn", p.FQDN)
	log.Info(fmt.Sprintf("- Started: %s, Finished: %s (%s)", res.Began.Format(ts), res.Finished.Format(ts),
		res.Finished.Sub(res.Began).Round(1e6)))
	log.Info(fmt.Sprintf("- %d tables restored, %d files, %s", len(p.restoring()), p.Files, layout.FormatBytes(p.Bytes)))
	if !res.Stopped.IsZero() && !res.Up.IsZero() {
		log.Info(fmt.Sprintf("- Cassandra was down for %s", res.Up.Sub(res.Stopped).Round(1e6)))
	}
	when := "once the node was up"
	if !r.o.ManageCassandra {
		when = "once every file was in place (Cassandra is started by Kubernetes)"
	}
	log.Info(fmt.Sprintf("- %d table directories replaced; their previous files were removed %s", len(res.Replaced), when))
	if res.PITR != nil {
		log.Info("- " + res.PITR.text())
	}
}
