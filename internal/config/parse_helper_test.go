package config

import (
	"context"
	"fmt"
	"io"
)

// Parse is Load for a configuration read from r (tests build configurations
// from strings with it).
func (l *Loader) Parse(ctx context.Context, name string, r io.Reader, ov Overrides, env func(string) string) (*Config, []Warning, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read config %s: %w", name, err)
	}
	if len(data) > maxFileSize {
		return nil, nil, fmt.Errorf("cannot read config %s: larger than 16 MiB, not a medusa.ini", name)
	}
	return l.parse(ctx, name, data, ov, env)
}
