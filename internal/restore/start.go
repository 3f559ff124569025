package restore

import (
	"context"
	"fmt"
	"os"

	"github.com/medusa-go/medusa/internal/cassandra"
)

// startMark is where system.log ended before the last start.
type startMark = cassandra.StartLog

// start waits for a seed (--seeds) and runs start_cmd.
func (r *run) start(ctx context.Context) error {
	if !r.o.ManageCassandra {
		return nil
	}
	if err := r.waitSeeds(ctx); err != nil {
		return err
	}
	r.d.Logger.Info("Starting Cassandra")
	return r.startNode(ctx)
}

// startNode runs the node's start command, first noting where system.log
// ends: when the start fails, or the node never comes up, the error shows
// the first ERROR and exception lines the start wrote there, which a
// start script's output (the tail of a Java trace) rarely does.
func (r *run) startNode(ctx context.Context) error {
	r.startLog = cassandra.MarkStartLog(cassandra.SystemLogPath(r.o.Node.ConfigFile, os.Getenv))
	return r.explainStart(r.d.Node.Start(ctx))
}

// explainStart adds what system.log says since the start to err.
func (r *run) explainStart(err error) error {
	if err == nil {
		return nil
	}
	if why := r.startLog.Explain(); why != "" {
		return fmt.Errorf("%w\n%s", err, why)
	}
	return err
}

// waitSeeds waits until one of --seeds passes the health check.
func (r *run) waitSeeds(ctx context.Context) error {
	if len(r.o.Seeds) == 0 {
		return nil
	}
	for attempt := 1; ; attempt++ {
		for _, s := range r.o.Seeds {
			if r.d.Node.SeedUp(ctx, s) {
				r.d.Logger.Info("Seed " + s + " is up")
				return nil
			}
		}
		if attempt >= r.o.Waits.SeedAttempts {
			r.seedsGaveUp = true
			return fmt.Errorf("no seed of %v came up after %d checks: gave up", r.o.Seeds, attempt)
		}
		r.d.Logger.Info(fmt.Sprintf("No seed is up yet, checking again in %s", r.o.Waits.SeedInterval))
		if err := r.d.Sleep(ctx, r.o.Waits.SeedInterval); err != nil {
			return err
		}
	}
}

// waitUp polls until the node passes the health check and accepts CQL.
func (r *run) waitUp(ctx context.Context) error {
	if !r.o.ManageCassandra {
		return nil
	}
	ok, _, err := r.wait(ctx, r.o.Waits.Up, func() (bool, string) { return r.d.Node.Up(ctx), "" })
	if err != nil {
		return err
	}
	if !ok {
		return r.explainStart(gaveUp("Cassandra did not pass the health check", r.o.Waits.Up, ""))
	}
	r.res.Up = r.d.Now()
	r.d.Logger.Info("Cassandra is up")
	return nil
}
