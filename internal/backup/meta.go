package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/layout"
)

// CQL retries, as Medusa's get_schema_and_tokenmap: waiting 10 s * 2^i
// between tries, at most 2 minutes; the total is Options.CQLRetry.
const (
	cqlBaseWait = 10 * time.Second
	cqlMaxWait  = 2 * time.Minute
)

// writeMeta is stage meta: read schema, token map, server version (and
// dropped columns) over CQL, then write meta/schema.cql (from then on the
// backup exists), meta/tokenmap.json, meta/server_version.json,
// meta/dropped_columns.json when the node lists them and, for a
// differential backup, meta/differential.
func (r *run) writeMeta(ctx context.Context) error {
	r.d.Logger.Info("Saving tokenmap and schema")
	var schema string
	var version layout.ServerVersion
	var dropped []layout.DroppedColumn
	dc, hasDropped := r.d.Node.(DroppedColumner)
	err := r.retryCQL(ctx, "read schema, token map and server version", func() error {
		var err error
		if schema, err = r.d.Node.SchemaCQL(ctx); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		if r.tokenmap, err = r.d.Node.TokenMap(ctx); err != nil {
			return fmt.Errorf("token map: %w", err)
		}
		if version, err = r.d.Node.ServerVersion(ctx); err != nil {
			return fmt.Errorf("server version: %w", err)
		}
		if hasDropped {
			if dropped, err = dc.DroppedColumns(ctx); err != nil {
				return fmt.Errorf("dropped columns: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if r.tokenJSON, err = layout.MarshalTokenmap(r.tokenmap); err != nil {
		return err
	}
	r.schema = []byte(schema)
	writes := []struct {
		file string
		data []byte
	}{
		{layout.SchemaFile, r.schema},
		{layout.TokenmapFile, r.tokenJSON},
		{layout.ServerVersionFile, layout.MarshalServerVersion(version)},
	}
	if hasDropped {
		data, err := layout.MarshalDroppedColumns(dropped)
		if err != nil {
			return err
		}
		writes = append(writes, struct {
			file string
			data []byte
		}{layout.DroppedColumnsFile, data})
	}
	if r.o.Mode == Differential {
		writes = append(writes, struct {
			file string
			data []byte
		}{layout.DifferentialFile, []byte(layout.DifferentialMarker)})
	}
	for _, w := range writes {
		if err := r.put(ctx, r.l.MetaKey(r.o.FQDN, r.o.Name, w.file), w.data); err != nil {
			return err
		}
	}
	return nil
}

// retryCQL runs fn until it succeeds, waiting 10 s doubling to 2 min
// between tries, for at most Options.CQLRetry in total (Medusa: 7 tries).
// When the node is down for good (nothing listens and no Cassandra process
// of the node runs) it gives up after Options.DownGrace (default
// cassandra.DownGrace). The first
// warning says what is waited for and for how long at most; a cancelled
// context stops it.
func (r *run) retryCQL(ctx context.Context, what string, fn func() error) error {
	b := cassandra.Backoff{Initial: cqlBaseWait, Max: cqlMaxWait, Budget: r.o.CQLRetry, DownGrace: r.o.DownGrace}
	if b.Budget <= 0 {
		b.Budget = cassandra.DefaultRetryBudget
	}
	var waited time.Duration
	var err error
	attempt := 1
	for ; ; attempt++ {
		if err = fn(); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			break
		}
		wait, ok := b.Next(attempt, waited, err)
		if !ok {
			break
		}
		if attempt == 1 {
			r.d.Logger.Warn("Waiting for Cassandra to answer CQL requests", "what", what,
				"at_most", b.AtMost(err).String(), "setting", "[cassandra] cql_retry_seconds",
				"error", err.Error())
		} else {
			r.d.Logger.Warn("CQL request failed, retrying", "what", what, "attempt", attempt,
				"wait", wait.String(), "error", err.Error())
		}
		if serr := r.d.Clock.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%s: %w (last error: %v)", what, serr, err)
		}
		waited += wait
	}
	if errors.Is(err, cassandra.ErrNodeDown) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s (gave up after %d tries in %s; [cassandra] cql_retry_seconds sets how long): %w",
		what, attempt, waited.Round(time.Second), err)
}

// put writes a small object.
func (r *run) put(ctx context.Context, key string, data []byte) error {
	if _, err := r.d.Storage.Put(ctx, key, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}
