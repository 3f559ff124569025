package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// maxReleaseSize is the ceiling for the stripped release binary. It was
// 41.4 MB when the GCS SDK's gRPC-only modules were left out
// (disable_grpc_modules) and 54.9 MB with them; 44.3 MB once the gRPC
// server, the Prometheus client and `medusa check` came in.
const maxReleaseSize = 48_000_000

// TestReleaseBinarySize builds medusa as `make build` does and checks that
// the binary stays under maxReleaseSize and was built with
// disable_grpc_modules, so the gRPC-only dependencies cannot creep back.
func TestReleaseBinarySize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary; not in -short")
	}
	out := filepath.Join(t.TempDir(), "medusa")
	cmd := exec.CommandContext(t.Context(), "make", "-s", "-C", filepath.Join("..", ".."), "build",
		"OUT="+out, "VERSION=size-test")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, b)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("release binary: %.1f MB", float64(st.Size())/1e6)
	if st.Size() > maxReleaseSize {
		t.Errorf("release binary is %d bytes, over the ceiling of %d: look for a new heavy dependency", st.Size(), maxReleaseSize)
	}
	info, err := exec.CommandContext(t.Context(), "go", "version", "-m", out).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, info)
	}
	if !strings.Contains(string(info), "-tags=disable_grpc_modules") {
		t.Errorf("binary not built with -tags disable_grpc_modules:\n%s", info)
	}
	for _, dep := range []string{"github.com/envoyproxy/go-control-plane", "github.com/cncf/xds/go"} {
		if strings.Contains(string(info), dep) {
			t.Errorf("binary links %s, a gRPC-only module disable_grpc_modules should leave out", dep)
		}
	}
}
