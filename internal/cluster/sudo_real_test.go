package cluster_test

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// [cassandra] use_sudo = True on the orchestrator: backup-cluster runs its
// node commands through sudo, for real. Each node's login has a sudo policy
// of its own (testbed.Sudoers) that logs every command it runs; the dry run
// (which runs node-check on every node and changes nothing) must leave one
// such line per node, and the same dry run with use_sudo = False none.
func TestBackupClusterSudo(t *testing.T) {
	b := testbed.SharedCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	logs := map[string]string{}
	for _, h := range b.Hosts() {
		if logs[h] = b.SSHD.SudoLog(h); logs[h] == "" {
			t.Fatalf("sudo is not installed here (%s missing): run scripts/setup.sh, which installs Debian's sudo", testbed.Sudoers)
		}
	}
	sudoLines := func() map[string]int {
		n := map[string]int{}
		for h, f := range logs {
			data, err := os.ReadFile(f)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			n[h] = strings.Count(string(data), "COMMAND="+b.MedusaBin+" node-check")
		}
		return n
	}
	run := func(ini string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, b.MedusaBin, "--config-file", ini, "backup-cluster", "--backup-name", "bc-sudo", "--dry-run")
		cmd.Env = append(os.Environ(), "TMPDIR="+b.TmpDir(0))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("backup-cluster --dry-run with %s: %v\n%s", filepath.Base(ini), err, out)
		}
		return string(out)
	}

	before := sudoLines()
	run(b.OrchestratorIni()) // use_sudo = False
	if after := sudoLines(); !maps.Equal(after, before) {
		t.Errorf("with use_sudo = False sudo ran node-check: %v before, %v after", before, after)
	}

	orch, err := os.ReadFile(b.OrchestratorIni())
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^use_sudo\s*=.*$`)
	if len(re.FindAll(orch, -1)) != 1 {
		t.Fatalf("the orchestrator's medusa.ini has no single use_sudo line:\n%s", orch)
	}
	sudoIni := filepath.Join(t.TempDir(), "orchestrator-sudo.ini")
	if err := os.WriteFile(sudoIni, re.ReplaceAll(orch, []byte("use_sudo = True")), 0o600); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	out := run(sudoIni)
	t.Logf("backup-cluster --dry-run through sudo: %s", time.Since(began).Round(100*time.Millisecond))
	if !strings.Contains(out, "Dry run: nothing was changed.") {
		t.Errorf("dry run output:\n%s", out)
	}
	after := sudoLines()
	for _, h := range b.Hosts() {
		if after[h] != before[h]+1 {
			data, _ := os.ReadFile(logs[h])
			t.Errorf("%s: sudo logged %d node-check commands, want %d (one through sudo); %s:\n%s",
				h, after[h], before[h]+1, logs[h], data)
		}
	}
}
