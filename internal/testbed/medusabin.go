package testbed

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// BuildMedusa builds the medusa binary (cmd/medusa, with the
// disable_grpc_modules tag every build of medusa uses) into dir and returns
// its path. Tests that must kill or signal a real medusa process run it.
func BuildMedusa(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "medusa")
	cmd := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), "build",
		"-tags", "disable_grpc_modules", "-o", bin, "github.com/medusa-go/medusa/cmd/medusa")
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build cmd/medusa: %w\n%s", err, out)
	}
	return bin, nil
}
