package cli

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// writeFile writes content to dir/name with mode and returns the path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// silentListener accepts connections and never answers; closed at the end.
func silentListener(t *testing.T) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(storagetest.SilentServer(t))
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSilentS3EndpointFailsWithinBound: a store that accepts connections
// and never answers makes the command fail after read_timeout per try (two
// tries), with a message naming the endpoint and the wait.
func TestSilentS3EndpointFailsWithinBound(t *testing.T) {
	dir := t.TempDir()
	port := silentListener(t)
	keyFile := writeFile(t, dir, "creds", "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s3cr3t\n", 0o600)
	ini := writeFile(t, dir, "medusa.ini", "[storage]\nstorage_provider = s3_compatible\nbucket_name = b\n"+
		"host = 127.0.0.1\nport = "+strconv.Itoa(port)+"\nsecure = False\nread_timeout = 1\nkey_file = "+keyFile+
		"\nfqdn = node1.example.com\n", 0o600)
	start := time.Now()
	out, code := runBackupCLI(t, dir, "--config-file", ini, "list-backups")
	elapsed := time.Since(start)
	t.Logf("after %s: %s", elapsed, out)
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	if code != 1 || !strings.Contains(out, endpoint+" sent nothing for 1s") || !strings.Contains(out, "read_timeout") {
		t.Fatalf("exit %d, output %q; want 1 and a message saying %s sent nothing for 1s", code, out, endpoint)
	}
	// 2 tries of 1 s and at most 2 s of backoff; loose for a busy machine.
	if elapsed > 20*time.Second {
		t.Fatalf("took %s, want about 4 s", elapsed)
	}
	if strings.Contains(out, "s3cr3t") {
		t.Fatal("the secret key is in the output")
	}
}

// TestBackupWithCassandraDownFailsFast: nothing listens on the CQL port and
// no Cassandra process of the node runs: the backup fails within the
// configured budget, and the first warning said what it waited for.
func TestBackupWithCassandraDownFailsFast(t *testing.T) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	if err := os.Mkdir(filepath.Join(dir, "bucket"), 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := writeFile(t, dir, "cassandra.yaml", "cluster_name: c\nlisten_address: 127.0.0.1\n"+
		"native_transport_port: "+strconv.Itoa(port)+"\ndata_file_directories:\n  - "+filepath.Join(dir, "data")+"\n", 0o644)
	ini := writeFile(t, dir, "medusa.ini", "[storage]\nstorage_provider = local\nbucket_name = bucket\nbase_path = "+dir+
		"\nfqdn = node1.example.com\n[cassandra]\nconfig_file = "+yaml+"\ncql_retry_seconds = 5\n", 0o644)
	start := time.Now()
	out, code := runBackupCLI(t, dir, "--config-file", ini, "backup", "--backup-name", "b1")
	elapsed := time.Since(start)
	t.Logf("after %s: %s", elapsed, out)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if code != 1 || !strings.Contains(out, "nothing listens on "+addr) || !strings.Contains(out, yaml) {
		t.Fatalf("exit %d, output %q; want 1 and a message saying nothing listens on %s", code, out, addr)
	}
	if !strings.Contains(out, "Waiting for Cassandra") || !strings.Contains(out, "at_most=5s") {
		t.Fatalf("output %q lacks the first warning with what is waited for and for how long", out)
	}
	if elapsed > time.Minute {
		t.Fatalf("took %s, want about 5 s", elapsed)
	}
}

// TestBackupNamesThatBreakTheLayoutExit2: names the bucket layout cannot
// carry are refused before anything is read, with exit code 2.
func TestBackupNamesThatBreakTheLayoutExit2(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"   ", "only white space"},
		{"", "must not be empty"},
		{"a/b", "must not contain '/'"},
		{" b1", "white space"},
		{"..", "not a valid name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runBackupCLI(t, t.TempDir(), "--config-file", "/nonexistent/medusa.ini", "backup", "--backup-name", tt.name)
			if code != 2 || !strings.Contains(out, "--backup-name") || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, output %q; want 2 and %q", code, out, tt.want)
			}
		})
	}
}
