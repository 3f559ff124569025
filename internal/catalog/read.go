package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// errMalformed is wrapped by errors about a document that cannot be parsed.
var errMalformed = errors.New("malformed document")

// Catalog reads the backup index of one storage prefix.
type Catalog struct {
	Backend storage.Backend
	// Prefix is the [storage] prefix ("" for none).
	Prefix string
	// Concurrency bounds the reads run at once (default 16).
	Concurrency int
	// Heal enables Medusa's index self-healing (see the package doc): index
	// entries of node backups whose meta/schema.cql is gone, and latest
	// backup markers naming such backups, are deleted. Failed deletions
	// (e.g. read-only credentials) are logged and ignored.
	Heal bool
	// Logger receives warnings and debug lines; nil discards them.
	Logger *slog.Logger
}

func (c *Catalog) layout() layout.Layout { return layout.New(c.Prefix) }

func (c *Catalog) log() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// readAll returns the content of key.
func (c *Catalog) readAll(ctx context.Context, key string) ([]byte, error) {
	return storage.ReadAll(ctx, c.Backend, key)
}

// stat returns the object info of key, ok=false when it does not exist.
func (c *Catalog) stat(ctx context.Context, key string) (storage.ObjectInfo, bool, error) {
	info, err := c.Backend.Stat(ctx, key)
	if errors.Is(err, storage.ErrNotExist) {
		return storage.ObjectInfo{}, false, nil
	}
	if err != nil {
		return storage.ObjectInfo{}, false, fmt.Errorf("stat %s: %w", key, err)
	}
	return info, true, nil
}

// Manifest reads and parses P<fqdn>/<backup>/meta/manifest.json. A missing
// manifest gives an error wrapping storage.ErrNotExist.
func (c *Catalog) Manifest(ctx context.Context, backup, fqdn string) (layout.Manifest, error) {
	return c.manifestAt(ctx, c.layout().ManifestKey(fqdn, backup))
}

func (c *Catalog) manifestAt(ctx context.Context, key string) (layout.Manifest, error) {
	data, err := c.readAll(ctx, key)
	if err != nil {
		return nil, err
	}
	m, err := layout.UnmarshalManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", key, errMalformed, err)
	}
	return m, nil
}

// TokenMap reads and parses P<fqdn>/<backup>/meta/tokenmap.json, the
// topology the node saw when its backup started.
func (c *Catalog) TokenMap(ctx context.Context, backup, fqdn string) (layout.Tokenmap, error) {
	return c.tokenmapAt(ctx, c.layout().TokenmapKey(fqdn, backup))
}

func (c *Catalog) tokenmapAt(ctx context.Context, key string) (layout.Tokenmap, error) {
	data, err := c.readAll(ctx, key)
	if err != nil {
		return layout.Tokenmap{}, err
	}
	t, err := layout.UnmarshalTokenmap(data)
	if err != nil {
		return layout.Tokenmap{}, fmt.Errorf("%s: %w: %w", key, errMalformed, err)
	}
	return t, nil
}

// ServerVersion reads P<fqdn>/<backup>/meta/server_version.json. Like
// Medusa, a missing or unreadable file gives layout.DefaultServerVersion
// (old Medusa versions did not write it); only errors other than a
// missing object are returned.
func (c *Catalog) ServerVersion(ctx context.Context, backup, fqdn string) (layout.ServerVersion, error) {
	key := c.layout().ServerVersionKey(fqdn, backup)
	data, err := c.readAll(ctx, key)
	if errors.Is(err, storage.ErrNotExist) {
		return layout.DefaultServerVersion(), nil
	}
	if err != nil {
		return layout.ServerVersion{}, err
	}
	v, err := layout.UnmarshalServerVersion(data)
	if err != nil || v.ServerType == "" || v.ReleaseVersion == "" {
		c.log().Warn("unreadable server version, assuming the default", "key", key)
		return layout.DefaultServerVersion(), nil
	}
	return v, nil
}

// Schema reads P<fqdn>/<backup>/meta/schema.cql.
func (c *Catalog) Schema(ctx context.Context, backup, fqdn string) ([]byte, error) {
	return c.readAll(ctx, c.layout().SchemaKey(fqdn, backup))
}
