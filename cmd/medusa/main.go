// Command medusa backs up and restores Apache Cassandra nodes to object
// storage, compatible with Cassandra Medusa's commands, medusa.ini and
// bucket layout.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/medusa-go/medusa/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, cli.Env{
		Args:    os.Args[1:],
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Getenv:  os.Getenv,
		Version: version,
	})
	stop()
	os.Exit(code)
}
