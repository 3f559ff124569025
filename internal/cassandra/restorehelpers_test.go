package cassandra

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func TestSetTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
	}{
		{"replace and append",
			"cluster_name: 'c'\nnum_tokens: 16\n# initial_token: 1\nlisten_address: 127.0.0.1\n",
			"cluster_name: 'c'\nnum_tokens: 2\n# initial_token: 1\nlisten_address: 127.0.0.1\n" +
				"initial_token: -9223372036854775808,42\nauto_bootstrap: false\n"},
		{"replace all three",
			"initial_token:\nnum_tokens : 256\nauto_bootstrap: true\nnum_tokens_extra: 1\n",
			"initial_token: -9223372036854775808,42\nnum_tokens: 2\nauto_bootstrap: false\nnum_tokens_extra: 1\n"},
		{"no newline at the end",
			"cluster_name: 'c'",
			"cluster_name: 'c'\ninitial_token: -9223372036854775808,42\nnum_tokens: 2\nauto_bootstrap: false\n"},
		{"indented keys are not top level",
			"x:\n  num_tokens: 3\n",
			"x:\n  num_tokens: 3\ninitial_token: -9223372036854775808,42\nnum_tokens: 2\nauto_bootstrap: false\n"},
	} {
		got, err := SetTokens([]byte(tc.in), []string{"-9223372036854775808", "42"})
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %q, %v\nwant %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := SetTokens([]byte("a: 1\n"), []string{"12; rm -rf /"}); err == nil {
		t.Error("a token that is not an integer was accepted")
	}
	// The result parses and carries the tokens.
	out, _ := SetTokens([]byte("num_tokens: 16\n"), []string{"1", "2", "3"})
	nc, err := ParseNodeConfig(out)
	if err != nil || nc.NumTokens != 3 || nc.InitialToken != "1,2,3" {
		t.Errorf("parsed back: %+v, %v", nc, err)
	}
}

func TestHealthCheck(t *testing.T) {
	t.Parallel()
	native, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer native.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	nativePort := native.Addr().(*net.TCPAddr).Port
	ctx := t.Context()
	for _, tc := range []struct {
		mode           string
		native, stor   int
		up, down, cqlO bool
	}{
		{HealthCQL, nativePort, closedPort, true, false, true},
		{HealthCQL, closedPort, nativePort, true, false, false}, // storage port only: still starting or stopping
		{HealthCQL, closedPort, closedPort, false, true, false},
		{HealthAll, nativePort, closedPort, false, false, true},
		{HealthThrift, nativePort, nativePort, false, false, true}, // no rpc port in Cassandra 4+
	} {
		h := HealthCheck{Mode: tc.mode, Host: "127.0.0.1", NativePort: tc.native, StoragePort: tc.stor,
			RPCPort: closedPort, DialTimeout: time.Second}
		if got := h.Up(ctx); got != tc.up {
			t.Errorf("%s native=%d storage=%d: Up = %v", tc.mode, tc.native, tc.stor, got)
		}
		if got := h.Down(ctx); got != tc.down {
			t.Errorf("%s native=%d storage=%d: Down = %v", tc.mode, tc.native, tc.stor, got)
		}
		if got := h.NativeOpen(ctx); got != tc.cqlO {
			t.Errorf("%s: NativeOpen = %v", tc.mode, got)
		}
	}
	if err := ValidateHealthMode("grpc"); err == nil {
		t.Error("unknown health_check accepted")
	}
}

// TestProcessesUsing finds a process that holds a file open in a
// directory, and no longer once it exited.
func TestProcessesUsing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "CommitLog-7-1.log")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", `exec 3<"$1"; echo ready; exec sleep 30`, "sh", path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	buf := make([]byte, 6)
	if _, err := stdout.Read(buf); err != nil {
		t.Fatal(err)
	}
	pids, ok := ProcessesUsing(dir, "")
	if !ok || !slices.Contains(pids, cmd.Process.Pid) {
		t.Fatalf("ProcessesUsing = %v, %v; want pid %d", pids, ok, cmd.Process.Pid)
	}
	other := t.TempDir()
	if pids, _ := ProcessesUsing(other); slices.Contains(pids, cmd.Process.Pid) {
		t.Errorf("process found in %s", other)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if pids, _ := ProcessesUsing(dir); slices.Contains(pids, cmd.Process.Pid) {
		t.Errorf("exited process still found: %v", pids)
	}
}

func TestServiceCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := ServiceCommands{Start: "echo started > " + filepath.Join(dir, "s"), Stop: "echo boom >&2; exit 3"}
	if err := s.StartNode(t.Context()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "s")); string(b) != "started\n" {
		t.Errorf("start_cmd did not run through the shell: %q", b)
	}
	err := s.StopNode(t.Context())
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("stop_cmd error = %v", err)
	}
	if err := (ServiceCommands{}).StartNode(context.Background()); err == nil {
		t.Error("empty start_cmd accepted")
	}
}

func TestSSTableLoaderArgs(t *testing.T) {
	t.Parallel()
	l := SSTableLoader{Bin: "/opt/sstableloader", Host: "10.0.0.1", ConfigFile: "/etc/cassandra/cassandra.yaml",
		Password: "s3cret", NativePort: 9042, StoragePort: 7001,
		Truststore: "/ts", TruststorePassword: "tspw", Keystore: "/ks", KeystorePassword: "kspw"}
	want := []string{"/opt/sstableloader", "-d", "10.0.0.1", "--conf-path", "/etc/cassandra/cassandra.yaml",
		"--username", "foo", "--password", "s3cret", "--no-progress", "--port", "9042", "--storage-port", "7001",
		"-ts", "/ts", "-tspw", "tspw", "-ks", "/ks", "-kspw", "kspw", "/tmp/r/ks/t-1"}
	if got := l.Args("/tmp/r/ks/t-1"); !slices.Equal(got, want) {
		t.Errorf("args:\n%v\nwant\n%v", got, want)
	}
	red := l.Redacted("/tmp/r/ks/t-1")
	for _, secret := range []string{"s3cret", "tspw", "kspw"} {
		if strings.Contains(red, " "+secret+" ") {
			t.Errorf("redacted command shows %q: %s", secret, red)
		}
	}
	l.StoragePort, l.Keystore = 7000, ""
	if got := strings.Join(l.Args("d"), " "); strings.Contains(got, "--storage-port") || strings.Contains(got, "-ts") {
		t.Errorf("default storage port or partial TLS settings passed: %s", got)
	}
}

func TestPyStr(t *testing.T) {
	t.Parallel()
	u, _ := gocql.ParseUUID("5bc52802-de25-35ed-aeab-188eecebb090")
	s := "text"
	var nilp *int
	for _, tc := range []struct {
		v    any
		want string
	}{
		{new(int), "0"}, {&s, "text"}, {ptr(true), "True"}, {ptr(false), "False"}, {nilp, "None"},
		{ptr(int64(-5)), "-5"}, {ptr(1.5), "1.5"}, {&u, "5bc52802-de25-35ed-aeab-188eecebb090"},
		{ptr(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), "2026-01-02 03:04:05"},
	} {
		if got := PyStr(tc.v); got != tc.want {
			t.Errorf("PyStr(%T) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
