package catalog

import (
	"context"
	"errors"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// DroppedColumns reads P<fqdn>/<backup>/meta/dropped_columns.json, the
// columns dropped before the backup (written by medusa since it records
// them; never by Python Medusa). recorded is false when the backup has no
// such file.
func (c *Catalog) DroppedColumns(ctx context.Context, backup, fqdn string) (cols []layout.DroppedColumn, recorded bool, err error) {
	data, err := c.readAll(ctx, c.layout().DroppedColumnsKey(fqdn, backup))
	if errors.Is(err, storage.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	cols, err = layout.UnmarshalDroppedColumns(data)
	if err != nil {
		return nil, false, err
	}
	return cols, true, nil
}
