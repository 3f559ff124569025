package testbed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPythonMedusaMissingNamesInstallScript(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("MEDUSA_TESTBED_CACHE", cache)
	venv := filepath.Join(cache, "python-medusa-"+PyMedusaVersion)
	tests := []struct {
		name  string
		setup func(t *testing.T)
	}{
		{"no venv", func(t *testing.T) {}},
		{"install not finished", func(t *testing.T) {
			if err := os.MkdirAll(filepath.Join(venv, "bin"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(venv, "bin", "medusa"), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"other version", func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(venv, ".complete"), []byte("0.1.0\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"interpreter gone", func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(venv, ".complete"), []byte(PyMedusaVersion+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(cache, "no-such-python"), filepath.Join(venv, "bin", "python")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests { // each case adds to the previous one's venv
		tc.setup(t)
		_, err := PythonMedusa(t.Context())
		if err == nil || !strings.Contains(err.Error(), "python-medusa/install.sh") ||
			!strings.Contains(err.Error(), PyMedusaVersion) {
			t.Errorf("%s: PythonMedusa error %v, want one naming install.sh and %s", tc.name, err, PyMedusaVersion)
		}
	}
	if err := os.Remove(filepath.Join(venv, "bin", "python")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/bin/sh", filepath.Join(venv, "bin", "python")); err != nil {
		t.Fatal(err)
	}
	exe, err := PythonMedusa(t.Context())
	if err != nil || exe != filepath.Join(venv, "bin", "medusa") {
		t.Errorf("complete venv: PythonMedusa = %q, %v; want %s", exe, err, filepath.Join(venv, "bin", "medusa"))
	}
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
