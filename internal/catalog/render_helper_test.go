package catalog_test

import (
	"context"
	"io"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/storage"
)

// buildIndexText runs BuildIndex and, when it succeeds, writes its text
// to w as the build-index command does.
func buildIndexText(ctx context.Context, b storage.Backend, prefix string, opts catalog.BuildIndexOptions,
	w io.Writer) (catalog.BuildIndexResult, error) {
	res, err := catalog.BuildIndex(ctx, b, prefix, opts)
	if err != nil {
		return res, err
	}
	return res, res.WriteText(w)
}

// verifyText runs Verify and, when it succeeds, writes its text to w as
// the verify command does.
func verifyText(ctx context.Context, c *catalog.Catalog, backup string, md5 bool,
	w io.Writer) (catalog.VerifyResult, error) {
	res, err := c.Verify(ctx, backup, md5)
	if err != nil {
		return res, err
	}
	return res, res.WriteText(w)
}
