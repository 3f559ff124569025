package azure

import (
	"context"
)

// Immutability is what a container's properties say of its immutability:
// a container-level time-based policy, a legal hold, version-level
// immutability. Known is false when the service reports none of the
// three (Azurite). The policy's period is not readable through the Blob
// API (only through Azure Resource Manager).
type Immutability struct {
	Known, Policy, LegalHold, VersionLevel bool
}

// Immutability reads the container's properties (GetProperties).
func (b *Backend) Immutability(ctx context.Context) (Immutability, error) {
	resp, err := b.client.GetProperties(ctx, nil)
	if err != nil {
		return Immutability{}, b.translate("read the properties of container", b.opts.Container, err)
	}
	var im Immutability
	for _, p := range []struct {
		v   *bool
		dst *bool
	}{{resp.HasImmutabilityPolicy, &im.Policy}, {resp.HasLegalHold, &im.LegalHold},
		{resp.IsImmutableStorageWithVersioningEnabled, &im.VersionLevel}} {
		if p.v != nil {
			im.Known = true
			*p.dst = *p.v
		}
	}
	return im, nil
}
