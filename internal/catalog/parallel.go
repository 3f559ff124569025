package catalog

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// defaultConcurrency bounds the reads a Catalog runs at once when
// Catalog.Concurrency is not set.
const defaultConcurrency = 16

// forEach calls fn for i in [0, n) with at most limit calls running at
// once. It stops starting new calls after the first error, which it
// returns; fn gets a context cancelled at that point.
func forEach(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	if limit <= 0 {
		limit = defaultConcurrency
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
