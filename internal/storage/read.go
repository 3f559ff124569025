package storage

import (
	"context"
	"fmt"
	"io"
)

// ReadAll returns the whole content of key: for the small documents of a
// backup (manifests, token maps, index entries), never for data files,
// which are streamed.
func ReadAll(ctx context.Context, b Backend, key string) ([]byte, error) {
	r, _, err := b.Get(ctx, key, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return data, nil
}
