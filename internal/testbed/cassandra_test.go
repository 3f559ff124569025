package testbed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCassandraFiles checks the generated layout without starting Java.
func TestCassandraFiles(t *testing.T) {
	cache := t.TempDir()
	lib := filepath.Join(cache, "cassandra-"+DefaultCassandraVersion, "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "cassandra-"+DefaultCassandraVersion, ".complete"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := NewCluster(t.Context(), CassandraOptions{Nodes: 3, Dir: t.TempDir(), CacheDir: cache, Java: "/bin/false"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Nodes) != 3 {
		t.Fatalf("nodes = %d, want 3", len(c.Nodes))
	}
	for i, n := range c.Nodes {
		yaml, err := os.ReadFile(n.ConfigFile)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			fmt.Sprintf("listen_address: 127.0.0.%d\n", i+1),
			fmt.Sprintf("seeds: \"127.0.0.1:%d\"", c.Nodes[0].StoragePort),
			fmt.Sprintf("native_transport_port: %d\n", n.NativePort),
			"data_file_directories:\n  - " + n.DataDir + "\n",
			"commitlog_directory: " + n.CommitlogDir + "\n",
			"num_tokens: 4\n",
		}
		for _, w := range want {
			if !strings.Contains(string(yaml), w) {
				t.Errorf("node %d cassandra.yaml lacks %q", n.Index, w)
			}
		}
		for _, script := range []string{n.StartCmd, n.StopCmd, n.NodetoolPath, n.SSTableLoaderPath} {
			st, err := os.Stat(script)
			if err != nil || st.Mode()&0o111 == 0 {
				t.Errorf("node %d: %s not executable: %v", n.Index, script, err)
			}
			if out, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
				t.Errorf("bash -n %s: %v\n%s", script, err, out)
			}
		}
		if i > 0 && (n.JMXPort == c.Nodes[0].JMXPort || n.NativePort != c.Nodes[0].NativePort) {
			t.Errorf("node %d ports: jmx %d native %d; node 1: jmx %d native %d", n.Index,
				n.JMXPort, n.NativePort, c.Nodes[0].JMXPort, c.Nodes[0].NativePort)
		}
	}
	// A second cluster on 127.0.0.4-5: its own addresses, seed and name.
	c2, err := NewCluster(t.Context(), CassandraOptions{Nodes: 2, FirstHost: 4, ClusterName: "second", Dir: t.TempDir(),
		CacheDir: cache, Java: "/bin/false"})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range c2.Nodes {
		yaml, err := os.ReadFile(n.ConfigFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{fmt.Sprintf("listen_address: 127.0.0.%d\n", 4+i), "cluster_name: 'second'",
			fmt.Sprintf("seeds: \"127.0.0.4:%d\"", n.StoragePort)} {
			if !strings.Contains(string(yaml), w) {
				t.Errorf("second cluster node %d cassandra.yaml lacks %q", n.Index, w)
			}
		}
		if n.Index != i+1 || n.Host != fmt.Sprintf("127.0.0.%d", 4+i) {
			t.Errorf("second cluster node %d: index %d host %s", i, n.Index, n.Host)
		}
	}
	if _, err := NewCluster(t.Context(), CassandraOptions{CacheDir: t.TempDir(), Java: "/bin/false"}); err == nil ||
		!strings.Contains(err.Error(), "fetch.sh") {
		t.Errorf("missing jars: err = %v, want a hint to run fetch.sh", err)
	}
}

// TestCassandraStartFailure: a JVM that exits at once makes Start fail with
// the reason instead of waiting for the timeout; stopping it is a no-op.
func TestCassandraStartFailure(t *testing.T) {
	cache := t.TempDir()
	home := filepath.Join(cache, "cassandra-"+DefaultCassandraVersion)
	if err := os.MkdirAll(filepath.Join(home, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".complete"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := NewCluster(t.Context(), CassandraOptions{Dir: t.TempDir(), CacheDir: cache, Java: "/bin/false",
		StartTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Start(t.Context())
	t.Logf("Start error (expected): %v", err)
	if err == nil || !strings.Contains(err.Error(), "exited during startup") {
		t.Errorf("Start with a failing JVM: err = %v, want \"exited during startup\"", err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("Stop of a stopped node: %v", err)
	}
	if pid := c.Nodes[0].PID(); pid != 0 {
		t.Errorf("PID() = %d after failed start", pid)
	}
}

func TestCassBindError(t *testing.T) {
	tests := []struct {
		log  string
		want bool
	}{
		{"ConfigurationException: /127.0.0.2:42681 is in use by another process.  Change listen_address", true},
		{"CassandraDaemon.java:887 - Port already in use: 39499; nested exception is:", true},
		{"java.net.BindException: Address already in use", true},
		{"cassandra node 1: 127.0.0.1:9042 is already in use by another process", true},
		{"cassandra node 1 exited during startup\nOutOfMemoryError", false},
	}
	for _, tt := range tests {
		if got := cassBindError(errors.New(tt.log)); got != tt.want {
			t.Errorf("cassBindError(%q) = %v, want %v", tt.log, got, tt.want)
		}
	}
}

func TestCountUN(t *testing.T) {
	tests := []struct {
		name, in string
		want     int
	}{
		{"empty", "", 0},
		{"two up one down", "--  Address    Load\nUN  127.0.0.1  1 KiB\nUN  127.0.0.2  1 KiB\nDN  127.0.0.3  ?\n", 2},
		{"joining", "UJ  127.0.0.2  1 KiB\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CountUN(tt.in); got != tt.want {
				t.Errorf("CountUN = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCassandraOneNode(t *testing.T) {
	c := CassandraT(t)
	n := c.Nodes[0]
	ctx := t.Context()

	v, err := n.ReleaseVersion(ctx)
	if err != nil || !strings.HasPrefix(v, "5.0") {
		t.Fatalf("release_version = %q, %v; want 5.0.x", v, err)
	}

	for _, args := range [][]string{{"status"}, {"-Dcom.sun.jndi.rmiURLParsing=legacy", "status"}} {
		out, err := n.Nodetool(ctx, args...)
		if err != nil {
			t.Fatal(err)
		}
		if CountUN(out) != 1 || !strings.Contains(out, "UN  127.0.0.1") || strings.Contains(out, "Exception") {
			t.Errorf("nodetool %v: want one UN node 127.0.0.1, got:\n%s", args, out)
		}
	}

	out, err := exec.CommandContext(ctx, n.SSTableLoaderPath, "--help").CombinedOutput()
	if !strings.Contains(string(out), "sstableloader") || !strings.Contains(string(out), "--conf-path") {
		t.Errorf("sstableloader --help (err %v):\n%s", err, out)
	}

	t.Run("restart keeps data", func(t *testing.T) { testCassandraRestart(t, n) })
	t.Run("sstableloader loads a snapshot", func(t *testing.T) { testCassandraLoader(t, n) })
}

// testCassandraRestart writes a row, stops and starts the node with its
// scripts (as medusa's stop_cmd/start_cmd would) and reads the row back.
func testCassandraRestart(t *testing.T, n *Node) {
	ctx := t.Context()
	s, err := n.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE KEYSPACE IF NOT EXISTS tb WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE IF NOT EXISTS tb.kv (k text PRIMARY KEY, v text)",
		"INSERT INTO tb.kv (k, v) VALUES ('medusa', 'restart')",
	} {
		if err := s.Query(q).ExecContext(ctx); err != nil {
			s.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()

	pid := n.PID()
	if out, err := exec.CommandContext(ctx, n.StopCmd).CombinedOutput(); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if n.PID() != 0 {
		t.Fatalf("node still running after %s", n.StopCmd)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && pidIsJava(pid) {
		t.Fatalf("old pid %d still alive after stop", pid)
	}
	if out, err := exec.CommandContext(ctx, n.StartCmd).CombinedOutput(); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	if n.PID() == 0 || n.PID() == pid {
		t.Fatalf("pid after restart = %d (before %d)", n.PID(), pid)
	}
	if err := n.WaitCQL(ctx); err != nil {
		t.Fatal(err)
	}
	s, err = n.NewSession("tb")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v string
	if err := s.Query("SELECT v FROM kv WHERE k = 'medusa'").ScanContext(ctx, &v); err != nil || v != "restart" {
		t.Fatalf("row after restart: v = %q, err = %v", v, err)
	}
}

// testCassandraLoader snapshots tb.kv (written by testCassandraRestart),
// truncates it and streams the snapshot back with bin/sstableloader, called
// the way Medusa's restore --use-sstableloader calls it.
func testCassandraLoader(t *testing.T, n *Node) {
	ctx := t.Context()
	for _, args := range [][]string{{"flush", "tb"}, {"snapshot", "-t", "load", "tb"}} {
		if _, err := n.Nodetool(ctx, args...); err != nil {
			t.Fatal(err)
		}
	}
	snaps, err := filepath.Glob(filepath.Join(n.DataDir, "tb", "kv-*", "snapshots", "load"))
	if err != nil || len(snaps) != 1 {
		t.Fatalf("snapshot dir: %v %v", snaps, err)
	}
	dir := filepath.Join(t.TempDir(), "tb", "kv")
	if err := os.CopyFS(dir, os.DirFS(snaps[0])); err != nil {
		t.Fatal(err)
	}
	s, err := n.NewSession("tb")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Query("TRUNCATE kv").ExecContext(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, n.SSTableLoaderPath, "-d", n.Host, "--conf-path", n.ConfigFile,
		"--username", "foo", "--password", "foo", "--no-progress", "--port", fmt.Sprint(n.NativePort),
		"--storage-port", fmt.Sprint(n.StoragePort), dir).CombinedOutput()
	if err != nil {
		t.Fatalf("sstableloader: %v\n%s", err, out)
	}
	var v string
	if err := s.Query("SELECT v FROM kv WHERE k = 'medusa'").ScanContext(ctx, &v); err != nil || v != "restart" {
		t.Fatalf("row after sstableloader: v = %q, err = %v\nsstableloader output:\n%s", v, err, out)
	}
}

func pidIsJava(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && strings.Contains(string(stat), "(java)") && !strings.Contains(string(stat), ") Z ")
}

func TestCassandraTwoNodes(t *testing.T) {
	began := time.Now()
	c := CassandraT(t, CassandraOptions{Nodes: 2})
	t.Logf("2-node cluster up in %s", time.Since(began).Round(time.Second))
	for _, n := range c.Nodes {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		out, err := n.Nodetool(ctx, "status")
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if CountUN(out) != 2 || !strings.Contains(out, "127.0.0.1") || !strings.Contains(out, "127.0.0.2") {
			t.Errorf("nodetool status on node %d: want 2 UN nodes 127.0.0.1 and .2:\n%s", n.Index, out)
		}
	}
	if v, err := c.Nodes[1].ReleaseVersion(t.Context()); err != nil || !strings.HasPrefix(v, "5.0") {
		t.Errorf("node 2 release_version = %q, %v", v, err)
	}
}
