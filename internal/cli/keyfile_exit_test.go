package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyFileProblemsExit2: a key_file that is missing, writable by others
// or unparsable is a configuration error (exit 2) on every backend, with
// a message naming the file.
func TestKeyFileProblemsExit2(t *testing.T) {
	backends := []struct {
		provider, extra, good string
	}{
		{"s3_compatible", "host = 127.0.0.1\nport = 9\nsecure = False\n", "[default]\naws_access_key_id = A\naws_secret_access_key = B\n"},
		{"google_storage", "", `{"type": "service_account"}`},
		{"azure_blobs", "", `{"storage_account": "acct", "key": "a2V5"}`},
	}
	problems := []struct {
		name, content string
		mode          uint32
		want          string
	}{
		{"missing", "", 0, "does not exist"},
		{"writable by others", "good", 0o666, "chmod 600"},
		{"unparsable", "not a credentials file {", 0o600, "key_file"},
	}
	for _, b := range backends {
		for _, p := range problems {
			t.Run(b.provider+"/"+p.name, func(t *testing.T) {
				dir := t.TempDir()
				keyFile := filepath.Join(dir, "creds")
				if p.content != "" {
					content := p.content
					if content == "good" {
						content = b.good
					}
					writeFile(t, dir, "creds", content, 0o600)
					chmod(t, keyFile, p.mode)
				}
				ini := writeFile(t, dir, "medusa.ini", "[storage]\nstorage_provider = "+b.provider+
					"\nbucket_name = b\nkey_file = "+keyFile+"\nfqdn = node1.example.com\n"+b.extra, 0o600)
				out, code := runBackupCLI(t, dir, "--config-file", ini, "list-backups")
				if code != 2 || !strings.Contains(out, keyFile) || !strings.Contains(out, p.want) {
					t.Fatalf("exit %d, output %q; want 2 and a message naming %s with %q", code, out, keyFile, p.want)
				}
			})
		}
	}
}

func chmod(t *testing.T, path string, mode uint32) {
	t.Helper()
	if err := os.Chmod(path, os.FileMode(mode)); err != nil {
		t.Fatal(err)
	}
}
