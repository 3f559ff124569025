// Package metrics reports what the commands did to the [monitoring]
// provider of medusa.ini.
//
// Cassandra Medusa's providers (metrics.go): None, local (JSON lines
// appended to ./metrics.json) and dog-statsd (UDP gauges), byte for byte as
// Medusa writes and sends them; the commands send their Metric values with
// SendAll, report-last-backup through a Monitor.
//
// Ours, prometheus: a Run gathers the outcome of one command run (its
// storage traffic counted by WrapStorage, a node backup, purge or restore,
// the age of the node's last complete backup read from the bucket) and
// Finish writes it as node_exporter textfile-collector files, atomically,
// into [monitoring] prometheus_textfile_dir: medusa_<command>.prom and
// medusa_backup_age.prom (medusa_backup_overdue). Handler serves the series
// of those files over HTTP and ServeConfigured runs it on [monitoring]
// prometheus_listen for the gRPC server. docs/metrics.md lists the series.
package metrics
