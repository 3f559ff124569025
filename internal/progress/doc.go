// Package progress reports the progress of long operations (backups,
// restores): a stage name, files and bytes done out of a total.
//
// Producers send Events to a Reporter. A Tracker counts files and bytes
// of one stage for concurrent workers and forwards snapshots to a Reporter;
// CountingSource wraps an upload source so bytes advance while a large file
// is read.
//
// Two renderers are provided:
//
//   - Terminal: one live line on a terminal, redrawn in place with "\r"
//     ("upload: 12/340 files, 1.2 GiB/10.0 GiB, 85.3 MiB/s, ETA 1m45s").
//     Its Writer lets log output pass through without garbling the line.
//   - Log: one slog line every Interval (default 5 s) while a stage runs,
//     for stderr that is not a terminal (cron, systemd, Kubernetes).
//
// New picks the renderer for a file (golang.org/x/term decides whether it
// is a terminal). Time comes from an injectable clock (Now fields), so
// rate, ETA and throttling are testable without sleeping.
package progress
