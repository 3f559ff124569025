package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/config"
)

// TestRecordCommitlogSync: with the prometheus provider a sync writes
// medusa_commitlog.prom with the spool's backlog and the sync's outcome;
// with another provider nothing is written.
func TestRecordCommitlogSync(t *testing.T) {
	dir, spool := t.TempDir(), t.TempDir()
	for _, n := range []string{"CommitLog-7-100.log", "CommitLog-7-101.log"} {
		if err := os.WriteFile(filepath.Join(spool, n), make([]byte, 1000), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	cfg := &config.Config{Storage: config.Storage{FQDN: "node1"},
		Monitoring: config.Monitoring{MonitoringProvider: config.MonitoringPrometheus, PrometheusTextfileDir: dir}}
	a := New(cfg, nil)
	a.recordCommitlogSync(t.Context(), commitlog.Paths{SpoolDir: spool}, nil, commitlog.SyncResult{}, errors.New("store down"))
	data, err := os.ReadFile(filepath.Join(dir, "medusa_commitlog.prom"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`medusa_commitlog_backlog_segments{node="node1"} 2`, `medusa_commitlog_backlog_bytes{node="node1"} 2000`,
		`medusa_commitlog_sync_errors_total{node="node1"} 1`, `medusa_commitlog_last_sync_success{node="node1"} 0`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("%s not in\n%s", want, data)
		}
	}

	other := t.TempDir()
	cfg.Monitoring = config.Monitoring{MonitoringProvider: "local", PrometheusTextfileDir: other}
	a.recordCommitlogSync(t.Context(), commitlog.Paths{SpoolDir: spool}, nil, commitlog.SyncResult{}, nil)
	if es, _ := os.ReadDir(other); len(es) != 0 {
		t.Errorf("files written with the local provider: %v", es)
	}
}
