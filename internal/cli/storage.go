package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/storage"
)

// openStorage opens the storage stack of cfg ([storage]), wrapped in
// Env.WrapStorage when set. The caller closes it.
func (r *root) openStorage(ctx context.Context, cfg *config.Config, logger *slog.Logger) (storage.Backend, error) {
	b, err := app.OpenStorage(ctx, cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	if r.env.WrapStorage != nil {
		b = r.env.WrapStorage(b)
	}
	return b, nil
}
