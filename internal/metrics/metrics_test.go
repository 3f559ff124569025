package metrics

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/medusa-go/medusa/internal/config"
)

// TestLocalWritesPythonJSON: ./metrics.json lines are what Medusa's
// LocalMonitoring writes, tags escaped as Python's json.dumps does
// (DEL and non-ASCII as \uXXXX).
func TestLocalWritesPythonJSON(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	SendAll(config.Monitoring{MonitoringProvider: "local"}, nil, slog.New(slog.DiscardHandler),
		Metric{Tags: []string{"medusa-node-backup", "backup-error", "b\x7f\u00e9\"1"}, Value: 1},
		Metric{Tags: []string{"a", "b", "c"}, Value: 0})
	got, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq": 0, "tags": ["medusa-node-backup", "backup-error", "b\u007f\u00e9\"1"], "value": 1}` + "\n" +
		`{"seq": 1, "tags": ["a", "b", "c"], "value": 0}` + "\n"
	if string(got) != want {
		t.Fatalf("metrics.json:\n%s\nwant:\n%s", got, want)
	}
}

func TestNodeBackupAndOutcome(t *testing.T) {
	t.Parallel()
	tags := func(ms []Metric) [][]string {
		var out [][]string
		for _, m := range ms {
			out = append(out, append(slices.Clone(m.Tags), string(rune('0'+m.Value))))
		}
		return out
	}
	ok := tags(NodeBackup("b1", 7, 9, nil))
	want := [][]string{{"medusa-node-backup", "backup-duration", "b1", "7"},
		{"medusa-node-backup", "backup-size", "b1", "9"}, {"medusa-node-backup", "backup-error", "b1", "0"}}
	if !slices.EqualFunc(ok, want, slices.Equal) {
		t.Errorf("NodeBackup success = %v, want %v", ok, want)
	}
	failed := tags(NodeBackup("b1", 7, 9, errors.New("x")))
	if want := [][]string{{"medusa-node-backup", "backup-error", "b1", "1"}}; !slices.EqualFunc(failed, want, slices.Equal) {
		t.Errorf("NodeBackup failure = %v, want %v", failed, want)
	}
	if m := Outcome([]string{"x", "purge-error", "P"}, nil); m.Value != 0 {
		t.Errorf("Outcome(nil) = %d", m.Value)
	}
	if m := Outcome([]string{"x", "purge-error", "P"}, errors.New("x")); m.Value != 1 {
		t.Errorf("Outcome(err) = %d", m.Value)
	}
}

func TestNewRefusesUnknownProvider(t *testing.T) {
	t.Parallel()
	if _, err := New(config.Monitoring{MonitoringProvider: "graphite"}, nil); err == nil {
		t.Fatal("New accepted an unknown provider")
	}
}
