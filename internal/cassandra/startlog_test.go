package cassandra

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFirstProblem(t *testing.T) {
	tests := []struct {
		name, log, wantErr, wantExc string
	}{
		{"error then exception", "INFO x\nERROR [main] a - Fatal configuration error\n" +
			"org.apache.cassandra.exceptions.ConfigurationException: bad listen_address\n\tat x\n",
			"ERROR [main] a - Fatal configuration error", "org.apache.cassandra.exceptions.ConfigurationException: bad listen_address"},
		{"warning trace before the error is skipped", "WARN w\njava.io.IOException: peer\nERROR [main] b - boom\n" +
			"java.lang.OutOfMemoryError: Java heap space\n", "ERROR [main] b - boom", "java.lang.OutOfMemoryError: Java heap space"},
		{"exception only", "java.lang.IllegalStateException\n", "", "java.lang.IllegalStateException"},
		{"error only", "ERROR [main] c - no trace\n", "ERROR [main] c - no trace", ""},
		{"nothing", "INFO all good\n", "", ""},
		{"not a class name", "ERROR [main] d - x\nSome Exception: text\n", "ERROR [main] d - x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, x := firstProblem(strings.NewReader(tt.log))
			if e != tt.wantErr || x != tt.wantExc {
				t.Fatalf("firstProblem = %q, %q; want %q, %q", e, x, tt.wantErr, tt.wantExc)
			}
		})
	}
}

func TestSystemLogPath(t *testing.T) {
	root := t.TempDir()
	conf := filepath.Join(root, "conf", "cassandra.yaml")
	envDir := filepath.Join(root, "envlogs")
	for _, d := range []string{filepath.Join(root, "logs"), envDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "system.log"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := func(v string) func(string) string { return func(string) string { return v } }
	if got := SystemLogPath(conf, env(envDir)); got != filepath.Join(envDir, "system.log") {
		t.Fatalf("with CASSANDRA_LOG_DIR: %q", got)
	}
	if got := SystemLogPath(conf, env("")); got != filepath.Join(root, "logs", "system.log") {
		t.Fatalf("beside the configuration: %q", got)
	}
	if m := MarkStartLog(""); m.Explain() != "" {
		t.Fatalf("no log explains %q", m.Explain())
	}
}
