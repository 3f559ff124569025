package metrics

import (
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/config"
)

// TestDogStatsdUDP sends Medusa's gauges to a real UDP listener at
// $DD_AGENT_HOST:$DD_DOGSTATSD_PORT: one datagram per metric, the
// backup_name tag only with send_backup_name_tag.
func TestDogStatsdUDP(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	port := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
	env := func(k string) string {
		return map[string]string{"DD_AGENT_HOST": "127.0.0.1", "DD_DOGSTATSD_PORT": port}[k]
	}
	recv := func() string {
		t.Helper()
		buf := make([]byte, 1024)
		if err := pc.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no datagram: %v", err)
		}
		return string(buf[:n])
	}
	logger := slog.New(slog.DiscardHandler)
	SendAll(config.Monitoring{MonitoringProvider: "dog-statsd"}, env, logger, NodeBackup("b1", 7, 9, nil)...)
	for _, want := range []string{"medusa-node-backup.backup-duration:7|g\n", "medusa-node-backup.backup-size:9|g\n",
		"medusa-node-backup.backup-error:0|g\n"} {
		if got := recv(); got != want {
			t.Errorf("datagram %q, want %q", got, want)
		}
	}
	SendAll(config.Monitoring{MonitoringProvider: "dog-statsd", SendBackupNameTag: true}, env, logger,
		Outcome([]string{"medusa-node-backup", "purge-error", "PURGE-ERROR"}, nil))
	if got, want := recv(), "medusa-node-backup.purge-error:0|g|#backup_name:PURGE-ERROR\n"; got != want {
		t.Errorf("datagram %q, want %q", got, want)
	}
}

// TestPrometheusIsNotAMedusaProvider: with prometheus, Medusa's Monitor
// sends nothing (the textfiles are written by Run).
func TestPrometheusIsNotAMedusaProvider(t *testing.T) {
	t.Parallel()
	m, err := New(config.Monitoring{MonitoringProvider: config.MonitoringPrometheus}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(noop); !ok {
		t.Fatalf("prometheus: Monitor %T, want the no-op", m)
	}
}
