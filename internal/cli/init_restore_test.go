package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// initRestoreFixture is the catalog fixture's bucket with a node that never
// runs (ports 1 and 2), in Kubernetes mode unless k8s is false.
func initRestoreFixture(t *testing.T, k8s bool) (f *catFixture, node string) {
	t.Helper()
	node = t.TempDir()
	data := filepath.Join(node, "data")
	if err := os.MkdirAll(filepath.Join(data, "ks", "t-0123456789abcdef0123456789abcdef"), 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := filepath.Join(node, "cassandra.yaml")
	content := "data_file_directories:\n  - " + data + "\ncommitlog_directory: " + filepath.Join(node, "commitlog") +
		"\nlisten_address: 127.0.0.1\nnative_transport_port: 1\nstorage_port: 2\nnum_tokens: 16\n"
	if err := os.WriteFile(yaml, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	extra := "[cassandra]\nconfig_file = " + yaml + "\nstart_cmd = false\nstop_cmd = false\n"
	if k8s {
		extra += "[kubernetes]\nenabled = 1\nuse_mgmt_api = 0\n"
	}
	f = newCatFixture(t, extra)
	f.populate(t)
	return f, node
}

func TestInitRestoreCommand(t *testing.T) {
	f, node := initRestoreFixture(t, true)
	last := t.TempDir()
	tmp := t.TempDir()
	run := func(env map[string]string) (string, int) {
		t.Helper()
		env["MEDUSA_TMP_DIR"] = tmp
		stdout, stderr, code := f.run(t, env, "init-restore", "--last-restore-dir", last)
		return stdout + stderr, code
	}
	key := func() string {
		b, _ := os.ReadFile(filepath.Join(last, ".last-restore"))
		return string(b)
	}
	steps := []struct {
		name string
		env  map[string]string
		code int
		want string
		key  string
	}{
		{"nothing requested", map[string]string{}, 0, "BACKUP_NAME is not set", ""},
		{"bad mapping", map[string]string{"BACKUP_NAME": "b2", "RESTORE_KEY": "k1", "RESTORE_MAPPING": `{"in_place":`}, 2,
			"RESTORE_MAPPING: not a JSON restore mapping", ""},
		{"in place", map[string]string{"BACKUP_NAME": "b2", "RESTORE_KEY": "k1"}, 0, "Finished restore of backup b2", "k1\n"},
		{"same key", map[string]string{"BACKUP_NAME": "b2", "RESTORE_KEY": "k1"}, 0, "already done", "k1\n"},
		{"pod not mapped", map[string]string{"BACKUP_NAME": "b2", "RESTORE_KEY": "k2", "POD_NAME": "dc1-sts-7",
			"RESTORE_MAPPING": `{"in_place":false,"host_map":{"dc1-sts-0":{"source":["n2.example.com"],"seed":false}}}`},
			0, "pod dc1-sts-7 is not in RESTORE_MAPPING", "k2\n"},
		{"backup not listed", map[string]string{"BACKUP_NAME": "nope", "RESTORE_KEY": "k3"}, 0,
			"Skipped restore of missing backup nope", "k3\n"},
		{"node has no such backup", map[string]string{"BACKUP_NAME": "b3", "RESTORE_KEY": "k4"}, 1,
			"no such backup: b3 of node n1.example.com", "k3\n"},
		{"remote (the mapping wins over POD_IP)", map[string]string{"BACKUP_NAME": "b2", "RESTORE_KEY": "k5",
			"POD_NAME": "dc1-sts-0", "POD_IP": "10.0.0.9",
			"RESTORE_MAPPING": `{"in_place":false,"host_map":{"dc1-sts-0":{"source":["n2.example.com"],"seed":false}}}`},
			0, "restoring backup b2 of node n2.example.com onto pod dc1-sts-0", "k5\n"},
	}
	for _, s := range steps {
		out, code := run(s.env)
		if code != s.code || !strings.Contains(out, s.want) || key() != s.key {
			t.Fatalf("%s: exit %d (want %d), .last-restore %q (want %q), output:\n%s", s.name, code, s.code, key(), s.key, out)
		}
	}
	yaml, _ := os.ReadFile(filepath.Join(node, "cassandra.yaml"))
	if !strings.Contains(string(yaml), "\ninitial_token: -6148914691236517206,100\n") || !strings.Contains(string(yaml), "num_tokens: 2\n") ||
		!strings.Contains(string(yaml), "auto_bootstrap: false\n") {
		t.Errorf("cassandra.yaml after the remote restore:\n%s", yaml)
	}
	files, _ := os.ReadDir(filepath.Join(node, "data", "ks", "t-0123456789abcdef0123456789abcdef"))
	if len(files) != 2 {
		t.Errorf("restored table holds %v", files)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 1 { // the restore lock stays
		t.Errorf("left in MEDUSA_TMP_DIR: %v", left)
	}
}

func TestInitRestoreNeedsKubernetesMode(t *testing.T) {
	f, _ := initRestoreFixture(t, false)
	env := map[string]string{"BACKUP_NAME": "b2", "RESTORE_KEY": "k1", "MEDUSA_TMP_DIR": t.TempDir()}
	_, stderr, code := f.run(t, env, "init-restore", "--last-restore-dir", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "[kubernetes] enabled = 1") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
}
