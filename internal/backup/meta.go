package backup

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
)

// CQL retries, as Medusa's get_schema_and_tokenmap: 7 attempts, waiting
// 10 s * 2^i between them, at most 2 minutes.
const (
	cqlAttempts = 7
	cqlBaseWait = 10 * time.Second
	cqlMaxWait  = 2 * time.Minute
)

// writeMeta is stage meta: read schema, token map and server
// version over CQL, then write meta/schema.cql (from then on the backup
// exists), meta/tokenmap.json, meta/server_version.json and, for a
// differential backup, meta/differential.
func (r *run) writeMeta(ctx context.Context) error {
	r.d.Logger.Info("Saving tokenmap and schema")
	var schema string
	var version layout.ServerVersion
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

// retryCQL runs fn up to cqlAttempts times with exponential waits on the
// clock, logging each failure; a cancelled context stops it.
func (r *run) retryCQL(ctx context.Context, what string, fn func() error) error {
	wait := cqlBaseWait
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(); err == nil {
			return nil
		}
		if ctx.Err() != nil || attempt == cqlAttempts {
			break
		}
		r.d.Logger.Warn("CQL request failed, retrying", "what", what, "attempt", attempt,
			"wait", wait.String(), "error", err.Error())
		if serr := r.d.Clock.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%s: %w (last error: %v)", what, serr, err)
		}
		wait = min(wait*2, cqlMaxWait)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// put writes a small object.
func (r *run) put(ctx context.Context, key string, data []byte) error {
	if _, err := r.d.Storage.Put(ctx, key, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}
