package restore

import (
	"context"
	"fmt"
)

// stop drains the node (so no write lives only in the commit log), runs
// stop_cmd and waits until the node is fully down: ports closed and no
// process holding files in its directories. From here on a failure rolls
// back.
func (r *run) stop(ctx context.Context) error {
	if !r.o.ManageCassandra {
		if r.o.RequireDown {
			if down, why := r.d.Node.Down(ctx); !down {
				return fmt.Errorf("Cassandra seems to be running (%s): the restore changes nothing while it runs", why)
			}
		}
		r.d.Logger.Info("Kubernetes mode: Cassandra is not stopped by medusa")
		r.touched = true
		if r.o.RequireDown && r.pitr != nil {
			r.downAt = r.d.Now() // the point-in-time restore marker's time
		}
		return nil
	}
	if err := r.j.mark(stateStopping); err != nil {
		return err
	}
	n := r.d.Node
	if n.Up(ctx) {
		r.touched = true
		r.d.Logger.Info("Draining Cassandra (flushing memtables)")
		if err := n.Drain(ctx); err != nil {
			if r.partial() {
				return fmt.Errorf("nodetool drain: %w (needed so that the tables not restored keep their latest "+
					"writes; the commit log is moved aside)", err)
			}
			r.d.Logger.Warn("nodetool drain failed; stopping anyway (every table is restored)", "error", err.Error())
		} else {
			r.drained = true
			if err := r.j.mark(stateDrained); err != nil {
				return err
			}
		}
	} else {
		r.d.Logger.Warn("Cassandra does not answer (health check, CQL port): it is not drained; running stop_cmd anyway")
	}
	r.touched = true
	r.res.Stopped = r.d.Now()
	r.d.Logger.Info("Stopping Cassandra")
	if err := n.Stop(ctx); err != nil {
		return err
	}
	if err := r.waitDown(ctx); err != nil {
		return err
	}
	r.downAt = r.d.Now()
	return nil
}

// waitDown polls until the node is down.
func (r *run) waitDown(ctx context.Context) error {
	ok, why, err := r.wait(ctx, r.o.Waits.Down, func() (bool, string) { return r.d.Node.Down(ctx) })
	if err != nil {
		return err
	}
	if !ok {
		return gaveUp("Cassandra is still running after stop_cmd", r.o.Waits.Down, why)
	}
	r.d.Logger.Info("Cassandra is down")
	return nil
}

// partial reports whether only some tables are restored (filters).
func (r *run) partial() bool { return len(r.o.Keyspaces) > 0 || len(r.o.Tables) > 0 }
