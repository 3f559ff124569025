package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRedactedDefaults compares the rendering of the defaults with a
// golden file (UPDATE_GOLDEN=1 go test -run TestRedactedDefaults rewrites it).
func TestRedactedDefaults(t *testing.T) {
	t.Parallel()
	cfg, _ := mustParse(t, validINI, Overrides{}, nil)
	got := cfg.Redacted()
	golden := filepath.Join("testdata", "redacted-defaults.ini")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		writeFile(t, golden, got)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("Redacted() differs from %s:\n%s", golden, got)
	}
}

// TestRedactedHidesSecrets: no secret value, however it was set, appears in
// Redacted; every set secret shows as <redacted>, unset ones as empty.
func TestRedactedHidesSecrets(t *testing.T) {
	t.Parallel()
	const sseKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	secrets := t.TempDir()
	writeFile(t, filepath.Join(secrets, "username"), "k8s-user")
	writeFile(t, filepath.Join(secrets, "password"), "k8s-Pa55word")
	tests := []struct {
		name     string
		ini      string
		env      map[string]string
		values   []string // must not appear
		redacted []string // keys rendered as "<redacted>"
		empty    []string // keys rendered empty
	}{
		{
			name: "all secrets in the file",
			ini: "sse_c_key = " + sseKey + "\n[cassandra]\ncql_password = cql-Pa55\nnodetool_password = nt-Pa55\n" +
				"sstableloader_tspw = ts-Pa55\nsstableloader_kspw = ks-Pa55\n",
			values:   []string{sseKey, "cql-Pa55", "nt-Pa55", "ts-Pa55", "ks-Pa55"},
			redacted: []string{"sse_c_key", "cql_password", "nodetool_password", "sstableloader_tspw", "sstableloader_kspw"},
		},
		{
			name: "secrets from the environment and k8s files",
			env: map[string]string{"MEDUSA_SSTABLELOADER_TSPW": "env-ts-Pa55", "MEDUSA_CQL_PASSWORD": "env-cql-Pa55",
				"MEDUSA_NODETOOL_K8S_SECRETS_PATH": secrets},
			values:   []string{"env-ts-Pa55", "env-cql-Pa55", "k8s-Pa55word"},
			redacted: []string{"sstableloader_tspw", "cql_password", "nodetool_password"},
			empty:    []string{"sse_c_key", "sstableloader_kspw"},
		},
		{
			name:  "no secrets",
			empty: []string{"sse_c_key", "cql_password", "nodetool_password", "sstableloader_tspw", "sstableloader_kspw"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := mustParse(t, validINI+tt.ini, Overrides{}, tt.env)
			out := cfg.Redacted()
			for _, v := range tt.values {
				if strings.Contains(out, v) {
					t.Errorf("Redacted() contains the secret %q", v)
				}
			}
			lines := strings.Split(out, "\n")
			for _, k := range tt.redacted {
				if !containsLine(lines, k+" = <redacted>") {
					t.Errorf("no line %q", k+" = <redacted>")
				}
			}
			for _, k := range tt.empty {
				if !containsLine(lines, k+" =") {
					t.Errorf("no line %q", k+" =")
				}
			}
			if n := strings.Count(out, "<redacted>"); n != len(tt.redacted) {
				t.Errorf("%d <redacted> values, want %d", n, len(tt.redacted))
			}
		})
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

// TestRedactedRoundTrip: Parse(Redacted()) gives back the same Config when
// no secret is set, multi-line values and sizes included.
func TestRedactedRoundTrip(t *testing.T) {
	t.Parallel()
	ini := "[storage]\nstorage_provider = s3_compatible\nbucket_name = b\nhost = h\nport = 9000\n" +
		"transfer_max_bandwidth = 1.5MB/s\nmultipart_chunksize = 1234567\nread_timeout = 30\nprefix = p\n" +
		"[cassandra]\nis_ccm = 1\nnodetool_port = 7199\ncql_username = u\n" +
		"[checks]\nquery = SELECT *\n  FROM t\n\n  WHERE k = 1\nexpected_rows = 3\n" +
		"[kubernetes]\nenabled = true\ncassandra_url = http://127.0.0.1:8080/api\n"
	cfg, _ := mustParse(t, ini, Overrides{}, nil)
	back, warns := mustParse(t, cfg.Redacted(), Overrides{}, nil)
	if len(warns) != 0 {
		t.Errorf("warnings re-reading Redacted(): %v", warns)
	}
	if !reflect.DeepEqual(cfg, back) {
		t.Errorf("round trip:\nfirst  %+v\nsecond %+v", *cfg, *back)
	}
}
