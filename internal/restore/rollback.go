package restore

import (
	"context"
	"fmt"
)

// rollback puts the node back as it was: Cassandra is stopped if it may
// run, every journaled change is undone (last first), and Cassandra is
// started again (in a gated restore, once a seed of --seeds is up). When nothing was moved yet and Cassandra still answers
// (drain failed), there is nothing to undo.
func (r *run) rollback(ctx context.Context) error {
	n := r.d.Node
	moved := r.j != nil && len(r.j.Entries) > 0
	if r.o.ManageCassandra {
		if !moved && n.Up(ctx) {
			return nil
		}
		if down, _ := n.Down(ctx); !down {
			if n.Up(ctx) {
				// Writes the node took meanwhile to tables it keeps reach
				// their SSTables rather than the commit log put aside.
				if err := n.Drain(ctx); err != nil {
					r.d.Logger.Warn("Rollback: nodetool drain failed", "error", err.Error())
				}
			}
			r.d.Logger.Info("Rollback: stopping Cassandra")
			err := n.Stop(ctx)
			if err == nil {
				err = r.waitDown(ctx)
			}
			if err != nil && !moved {
				return &dataRestoredError{fmt.Errorf("Cassandra could not be stopped to restart it: %w", err)}
			}
			if err != nil {
				return fmt.Errorf("stop Cassandra to put the data back: %w", err)
			}
		}
	}
	if moved {
		r.d.Logger.Info(fmt.Sprintf("Rollback: undoing %d recorded changes", len(r.j.Entries)))
		if err := r.j.undo(ctx, r.d.FS); err != nil {
			return err
		}
	}
	if !r.o.ManageCassandra {
		return nil
	}
	// In a gated restore (restore-cluster) the seeds may be down, rolling
	// back too: a node that is not a seed cannot start while every seed is
	// down (Cassandra gives up: "Unable to gossip with any peers"), so it
	// waits for one as its start stage does, unless that wait gave up.
	if r.o.Gate != nil && !r.seedsGaveUp {
		if err := r.waitSeeds(ctx); err != nil {
			r.d.Logger.Warn("Rollback: starting Cassandra though no seed is up", "error", err.Error())
		}
	}
	r.d.Logger.Info("Rollback: starting Cassandra")
	err := n.Start(ctx)
	if err == nil {
		err = r.waitUp(ctx)
	}
	if err != nil {
		return &dataRestoredError{fmt.Errorf("Cassandra did not start again: %w", err)}
	}
	return nil
}

// dataRestoredError: the node's files are as they were (put back, or never
// moved) but Cassandra does not run again.
type dataRestoredError struct{ err error }

func (e *dataRestoredError) Error() string { return e.err.Error() }
func (e *dataRestoredError) Unwrap() error { return e.err }
