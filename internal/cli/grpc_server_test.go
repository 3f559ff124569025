package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestGRPCStateDir: --state-dir, else $MEDUSA_TMP_DIR/.medusa-grpc (the
// data volume the operator mounts), else /var/lib/cassandra/.medusa-grpc.
func TestGRPCStateDir(t *testing.T) {
	for _, c := range []struct{ flag, tmp, want string }{
		{"/x/state", "/var/lib/cassandra", "/x/state"},
		{"", "/data", filepath.Join("/data", ".medusa-grpc")},
		{"", "", filepath.Join("/var/lib/cassandra", ".medusa-grpc")},
	} {
		r := newRoot(Env{Getenv: func(k string) string { return map[string]string{"MEDUSA_TMP_DIR": c.tmp}[k] }})
		if got := r.grpcStateDir(c.flag); got != c.want {
			t.Errorf("grpcStateDir(%q) with MEDUSA_TMP_DIR=%q: %s, want %s", c.flag, c.tmp, got, c.want)
		}
	}
}

// TestGRPCServerBadFlags: a non-positive --storage-timeout is a usage
// error (exit 2) before anything is opened.
func TestGRPCServerBadFlags(t *testing.T) {
	var out bytes.Buffer
	code := Execute(context.Background(), Env{Args: []string{"grpc-server", "--storage-timeout", "0s"},
		Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }})
	if code != 2 || !strings.Contains(out.String(), "--storage-timeout") {
		t.Errorf("exit %d:\n%s", code, out.String())
	}
}
