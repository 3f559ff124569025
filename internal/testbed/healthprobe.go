package testbed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// HealthProbeVersion is the grpc_health_probe the test bed builds; keep it
// in sync with scripts/testbed/healthprobe/install.sh.
const HealthProbeVersion = "v0.4.63"

// HealthProbeScript builds grpc_health_probe into the cache.
const HealthProbeScript = "scripts/testbed/healthprobe/install.sh"

// HealthProbe returns the cached grpc_health_probe binary, the one
// k8ssandra-operator's exec probes run in the medusa container, and builds
// it with HealthProbeScript (Go module proxy, a few seconds) when it is
// missing or of another version.
func HealthProbe(ctx context.Context) (string, error) {
	const rel = "bin/grpc_health_probe"
	if p, err := toolPath("grpc_health_probe", rel, HealthProbeVersion); err == nil {
		return p, nil
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("grpc_health_probe: cannot locate the source tree (runtime.Caller)")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, HealthProbeScript))
	cmd.Env = append(os.Environ(), "MEDUSA_TESTBED_CACHE="+CacheDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build grpc_health_probe (%s): %w\n%s", HealthProbeScript, err, out)
	}
	return toolPath("grpc_health_probe", rel, HealthProbeVersion)
}

// HealthProbeT is HealthProbe for tests: skipped under -short, a failure
// otherwise when the probe cannot be built.
func HealthProbeT(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs grpc_health_probe; run without -short")
	}
	p, err := HealthProbe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return p
}
