package cli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/medusa-go/medusa/internal/check"
)

func runCheckCLI(t *testing.T, ini string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	tmp := t.TempDir()
	code = Execute(t.Context(), Env{Args: append([]string{"--config-file", ini, "check"}, args...), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return map[string]string{"TMPDIR": tmp}[k] }})
	return out.String(), errOut.String(), code
}

func writeINI(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "medusa.ini")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckExitCodes: an invalid medusa.ini prints its FAIL line (text or
// JSON) and exits 2; a bad --output is a usage error (2); a sound local
// set-up without Cassandra exits 0; a missing cassandra.yaml fails (1).
func TestCheckExitCodes(t *testing.T) {
	bad := writeINI(t, "[storage]\nstorage_provider = nosuch\nbucket_name = b\nfqdn = n1\n")
	out, _, code := runCheckCLI(t, bad)
	if code != 2 || !strings.Contains(out, "FAIL  config/medusa.ini") || !strings.Contains(out, "nosuch") {
		t.Errorf("invalid ini: exit %d\n%s", code, out)
	}
	out, _, code = runCheckCLI(t, bad, "--output", "json")
	var rep check.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 2 || rep.Fail != 1 || rep.Results[0].Name != "config/medusa.ini" {
		t.Errorf("invalid ini, JSON: exit %d, %v\n%s", code, err, out)
	}
	if _, errOut, code := runCheckCLI(t, bad, "--output", "yaml"); code != 2 || !strings.Contains(errOut, "--output") {
		t.Errorf("bad --output: exit %d %s", code, errOut)
	}

	base := t.TempDir()
	good := writeINI(t, "[storage]\nstorage_provider = local\nbucket_name = b\nbase_path = "+base+"\nfqdn = n1\n"+
		"[cassandra]\nconfig_file = "+filepath.Join(base, "no-cassandra.yaml")+"\nnodetool_executable = "+filepath.Join(base, "no-nodetool")+"\n")
	out, _, code = runCheckCLI(t, good, "--no-cassandra")
	if code != 0 || !strings.Contains(out, "OK    policy/delete-object") || !strings.Contains(out, "0 failed") {
		t.Errorf("local, no Cassandra: exit %d\n%s", code, out)
	}
	out, _, code = runCheckCLI(t, good)
	if code != 1 || !strings.Contains(out, "FAIL  cassandra/yaml") || !strings.Contains(out, "SKIP  cassandra/cql") {
		t.Errorf("missing cassandra.yaml: exit %d\n%s", code, out)
	}
}

// TestCheckBadKeyFile: a key_file the S3 backend refuses to open (writable
// by others) is a FAIL of storage/open and of credentials/key-file.
func TestCheckBadKeyFile(t *testing.T) {
	dir := t.TempDir()
	kf := filepath.Join(dir, "credentials")
	if err := os.WriteFile(kf, []byte("[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = SECRETVALUE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(kf, 0o666); err != nil {
		t.Fatal(err)
	}
	ini := writeINI(t, "[storage]\nstorage_provider = s3_compatible\nhost = 127.0.0.1\nport = 1\nbucket_name = b\nfqdn = n1\nkey_file = "+kf+"\n")
	out, _, code := runCheckCLI(t, ini, "--no-cassandra")
	if code != 1 || !strings.Contains(out, "FAIL  storage/open") || !strings.Contains(out, "FAIL  credentials/key-file") ||
		!strings.Contains(out, "chmod 600 "+kf) || strings.Contains(out, "SECRETVALUE") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestCheckSSH: with an [ssh] section, its key loads (an ed25519 key
// written here), the key file's mode is checked and a missing known_hosts
// under host_key_policy strict is a warning; a key file that is not a key
// fails ssh/settings.
func TestCheckSSH(t *testing.T) {
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(dir, "known_hosts")
	ini := writeINI(t, "[storage]\nstorage_provider = local\nbucket_name = b\nbase_path = "+dir+"\nfqdn = n1\n"+
		"[ssh]\nusername = medusa\nkey_file = "+key+"\nknown_hosts_file = "+kh+"\n")
	out, _, code := runCheckCLI(t, ini, "--no-cassandra")
	for _, want := range []string{"OK    ssh/settings", "user medusa, key_file " + key, "OK    ssh/key-file", "WARN  ssh/known-hosts", "ssh-keyscan"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q (exit %d):\n%s", want, code, out)
		}
	}
	if code != 0 {
		t.Errorf("exit %d, want 0 (warnings only)", code)
	}
	if err := os.WriteFile(key, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, _, code := runCheckCLI(t, ini, "--no-cassandra"); code != 1 || !strings.Contains(out, "FAIL  ssh/settings") {
		t.Errorf("bad key: exit %d\n%s", code, out)
	}
}
