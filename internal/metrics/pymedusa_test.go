package metrics_test

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/metrics"
	"github.com/medusa-go/medusa/internal/testbed"
)

// sends are the metrics both implementations send, Medusa's tags
// included, with characters JSON escapes (quote, backslash, DEL, non-ASCII).
var sends = []metrics.Metric{
	{Tags: []string{"medusa-node-backup", "backup-duration", "b1"}, Value: 7},
	{Tags: []string{"medusa-node-backup", "backup-size", "b1"}, Value: 123456789012},
	{Tags: []string{"medusa-cluster-backup", "seconds-since-backup", "b\"\\\x7f\u00e9\U0001F600"}, Value: 0},
}

// pyCode sends `sends` through Python Medusa's provider named by argv[1].
const pyCode = `
import sys, types
from medusa.monitoring.local import LocalMonitoring
from medusa.monitoring.dogstatsd import DogStatsdMonitoring
cfg = types.SimpleNamespace(monitoring_provider=sys.argv[1], send_backup_name_tag=sys.argv[2])
m = LocalMonitoring(cfg) if sys.argv[1] == "local" else DogStatsdMonitoring(cfg)
for i in range(3, len(sys.argv), 4):
    m.send([sys.argv[i], sys.argv[i+1], sys.argv[i+2]], int(sys.argv[i+3]))
`

func pyArgs(provider string, nameTag bool) []string {
	args := []string{provider, strconv.FormatBool(nameTag)}
	for _, m := range sends {
		args = append(args, m.Tags[0], m.Tags[1], m.Tags[2], strconv.FormatInt(m.Value, 10))
	}
	return args
}

// TestLocalMatchesPythonMedusa: ./metrics.json as Python Medusa's
// LocalMonitoring writes it, byte for byte, for the same sends.
func TestLocalMatchesPythonMedusa(t *testing.T) {
	testbed.PyMedusaT(t)
	pyDir, goDir := t.TempDir(), t.TempDir()
	if _, errOut, err := (testbed.PyMedusa{Dir: pyDir}).Python(t.Context(), pyCode, pyArgs("local", false)...); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	t.Chdir(goDir)
	metrics.SendAll(config.Monitoring{MonitoringProvider: "local"}, nil, slog.New(slog.DiscardHandler), sends...)
	want, err := os.ReadFile(filepath.Join(pyDir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(goDir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("metrics.json:\n%s\nPython Medusa's:\n%s", got, want)
	}
}

// TestDogStatsdMatchesPythonMedusa: the datagrams Python Medusa's
// DogStatsdMonitoring sends to a UDP listener at $DD_AGENT_HOST:
// $DD_DOGSTATSD_PORT, with and without send_backup_name_tag, are the ones
// ours sends.
func TestDogStatsdMatchesPythonMedusa(t *testing.T) {
	testbed.PyMedusaT(t)
	for _, nameTag := range []bool{false, true} {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
		py := testbed.PyMedusa{Env: []string{"DD_AGENT_HOST=127.0.0.1", "DD_DOGSTATSD_PORT=" + port}}
		if _, errOut, err := py.Python(t.Context(), pyCode, pyArgs("dog-statsd", nameTag)...); err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		want := receive(t, pc, len(sends))
		env := map[string]string{"DD_AGENT_HOST": "127.0.0.1", "DD_DOGSTATSD_PORT": port}
		metrics.SendAll(config.Monitoring{MonitoringProvider: "dog-statsd", SendBackupNameTag: nameTag},
			func(k string) string { return env[k] }, slog.New(slog.DiscardHandler), sends...)
		got := receive(t, pc, len(sends))
		pc.Close()
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("send_backup_name_tag = %v: datagrams\n%q\nPython Medusa's:\n%q", nameTag, got, want)
		}
	}
}

func receive(t *testing.T, pc net.PacketConn, n int) []string {
	t.Helper()
	var out []string
	buf := make([]byte, 2048)
	for range n {
		if err := pc.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		k, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %q: %v", out, err)
		}
		out = append(out, string(buf[:k]))
	}
	return out
}
