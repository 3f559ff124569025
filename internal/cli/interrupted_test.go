package cli

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestInterruptedBackupSaysInterrupted: a backup stopped (SIGINT/SIGTERM
// cancel the command's context) while an S3 request is in flight exits
// 130 and says "Interrupted", not the SDK's error; -v adds the error.
func TestInterruptedBackupSaysInterrupted(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		t.Run("verbose="+strconv.FormatBool(verbose), func(t *testing.T) {
			dir := t.TempDir()
			port := silentListener(t)
			keyFile := writeFile(t, dir, "creds", "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s3cr3t\n", 0o600)
			ini := writeFile(t, dir, "medusa.ini", "[storage]\nstorage_provider = s3_compatible\nbucket_name = b\n"+
				"host = 127.0.0.1\nport = "+strconv.Itoa(port)+"\nsecure = False\nkey_file = "+keyFile+
				"\nfqdn = node1.example.com\n[cassandra]\nconfig_file = "+writeFile(t, dir, "cassandra.yaml",
				"cluster_name: c\nlisten_address: 127.0.0.1\n", 0o644)+"\n", 0o600)
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(500*time.Millisecond, cancel)
			args := []string{"--config-file", ini, "backup", "--backup-name", "b1"}
			if verbose {
				args = append([]string{"-v"}, args...)
			}
			var out bytes.Buffer
			code := Execute(ctx, Env{Args: args, Stdout: &out, Stderr: &out,
				Getenv: func(k string) string { return map[string]string{"TMPDIR": dir}[k] }})
			msg := out.String()
			if code != 130 || !strings.Contains(msg, "Interrupted: the command was stopped before it finished.") {
				t.Fatalf("exit %d, output %q; want 130 and Interrupted", code, msg)
			}
			if strings.Contains(msg, "Error:") {
				t.Fatalf("output %q shows an error for an interruption", msg)
			}
			if sdk := strings.Contains(msg, "operation error S3"); sdk != verbose {
				t.Fatalf("SDK error shown = %v, want %v: %q", sdk, verbose, msg)
			}
		})
	}
}
