package testbed

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestPythonMedusaMissingNamesInstallScript(t *testing.T) {
	checkVenvMissing(t, "python-medusa-"+PyMedusaVersion, "medusa", PyMedusaVersion, "python-medusa/install.sh",
		func() (string, error) { return PythonMedusa(context.Background()) })
}

func TestPyMedusaEnvIsolated(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "from-caller")
	t.Setenv("MEDUSA_CQL_PASSWORD", "from-caller")
	env := pyMedusaEnv("/venv/bin/medusa", "/tmp/x")
	joined := strings.Join(env, "\n")
	for _, bad := range []string{"AWS_ACCESS_KEY_ID", "MEDUSA_CQL_PASSWORD"} {
		if strings.Contains(joined, bad) {
			t.Errorf("environment passes %s through:\n%s", bad, joined)
		}
	}
	for _, want := range []string{"PATH=/venv/bin:", "TZ=UTC", "TMPDIR=/tmp/x", "AWS_EC2_METADATA_DISABLED=true"} {
		if !strings.Contains(joined, want) {
			t.Errorf("environment lacks %s:\n%s", want, joined)
		}
	}
}

// TestRunPyMedusa runs the real Python Medusa: --version, its python on
// one of Medusa's modules, and a command
// whose configuration file is missing (exit 1, reason on stderr).
func TestRunPyMedusa(t *testing.T) {
	exe := PyMedusaT(t)
	out, _, err := PyMedusa{Exe: exe}.Run(t.Context(), "--version")
	if err != nil || strings.TrimSpace(out) != PyMedusaVersion {
		t.Fatalf("medusa --version: %q, %v; want %s", out, err, PyMedusaVersion)
	}
	out, _, err = PyMedusa{Exe: exe}.Python(t.Context(),
		"import sys, medusa.schema; print(sorted(medusa.schema.parse_schema(sys.argv[1])))",
		"CREATE KEYSPACE ks1 WITH replication = {};")
	if err != nil || strings.TrimSpace(out) != "['ks1']" {
		t.Fatalf("python -c parse_schema: %q, %v; want ['ks1']", out, err)
	}
	missing := filepath.Join(t.TempDir(), "missing.ini")
	_, stderr, err := RunPyMedusa(t.Context(), missing, "list-backups")
	if code := PyExitCode(err); code == 0 || code == -1 {
		t.Fatalf("list-backups with a missing ini: exit %d (%v), want a failure exit", code, err)
	}
	if !strings.Contains(err.Error(), "list-backups") || stderr == "" {
		t.Errorf("error %q should name the command, stderr %q should explain", err, stderr)
	}
}
