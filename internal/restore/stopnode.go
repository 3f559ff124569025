package restore

import (
	"context"
	"fmt"
)

// StopNode drains the local node when it runs (requireDrain: a failed
// drain is an error, as for a partial restore where the tables not
// restored keep their latest writes only if drained), runs stop_cmd and
// waits until the node is fully down. A node already stopped is fine.
// restore-cluster stops every target this way before restoring any, so
// that no restored node meets a node still running the old data.
func StopNode(ctx context.Context, d Deps, w Waits, requireDrain bool) error {
	d.setDefaults()
	w.setDefaults()
	n := d.Node
	if n.Up(ctx) {
		d.Logger.Info("Draining Cassandra (flushing memtables)")
		if err := n.Drain(ctx); err != nil {
			if requireDrain {
				return fmt.Errorf("nodetool drain: %w (Cassandra was not stopped)", err)
			}
			d.Logger.Warn("nodetool drain failed; stopping anyway (every table is restored)", "error", err.Error())
		}
	} else {
		d.Logger.Info("Cassandra does not answer: it is not drained; running stop_cmd anyway")
	}
	d.Logger.Info("Stopping Cassandra")
	if err := n.Stop(ctx); err != nil {
		return fmt.Errorf("stop_cmd: %w", err)
	}
	r := &run{d: &d}
	ok, why, err := r.wait(ctx, w.Down, func() (bool, string) { return n.Down(ctx) })
	if err != nil {
		return err
	}
	if !ok {
		return gaveUp("Cassandra is still running after stop_cmd", w.Down, why)
	}
	d.Logger.Info("Cassandra is down")
	return nil
}
