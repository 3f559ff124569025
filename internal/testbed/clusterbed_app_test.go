package testbed_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/remote"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestClusterBedExecutor: the orchestrator's medusa.ini of the shared
// cluster bed loads without warnings, and the executor app.Executor builds
// from it reaches every node over SSH (host keys checked strictly), where
// `medusa config` (no --config-file) reads that node's own medusa.ini.
func TestClusterBedExecutor(t *testing.T) {
	b := testbed.SharedCluster(t)
	l := &config.Loader{}
	cfg, warns, err := l.Load(t.Context(), b.OrchestratorIni(), config.Overrides{}, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("orchestrator ini warnings: %v", warns)
	}
	if cfg.SSH.KnownHostsFile != b.KnownHosts() || cfg.SSH.HostKeyPolicy != config.HostKeyStrict || cfg.SSH.Port != b.SSHPort() {
		t.Errorf("[ssh] = %+v", cfg.SSH)
	}
	e, err := app.New(cfg, nil).Executor()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, host := range b.Hosts() {
		began := time.Now()
		if err := e.Check(t.Context(), host); err != nil {
			t.Fatalf("check %s: %v", host, err)
		}
		t.Logf("%s: connected and logged in in %s", host, time.Since(began).Round(time.Millisecond))
		var out, errb strings.Builder
		if err := e.Run(t.Context(), host, remote.Command{Argv: []string{"medusa", "config"}}, &out, &errb); err != nil {
			t.Fatalf("medusa config on %s: %v\n%s", host, err, errb.String())
		}
		if !strings.Contains(out.String(), "fqdn = "+host+"\n") {
			t.Errorf("medusa config on %s does not show its own fqdn:\n%s", host, out.String())
		}
	}
}
