// Command medusa backs up and restores Apache Cassandra nodes to object
// storage, compatible with Cassandra Medusa's commands, medusa.ini and
// bucket layout.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/medusa-go/medusa/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	stopProfile := startCPUProfile(os.Getenv("MEDUSA_CPUPROFILE"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, cli.Env{
		Args:    os.Args[1:],
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Getenv:  os.Getenv,
		Version: version,
	})
	stop()
	stopProfile()
	os.Exit(code)
}

// startCPUProfile writes a pprof CPU profile of the whole run to path
// (MEDUSA_CPUPROFILE, used by bench/); an empty path does nothing. A
// profile that cannot be started is reported and the command runs anyway.
func startCPUProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "MEDUSA_CPUPROFILE: %v\n", err)
		if f != nil {
			f.Close()
		}
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
