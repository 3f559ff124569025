package backup

import (
	"context"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// hashFunc returns how local files are hashed for MD5 checks: Deps's
// ExpectedHash, else the backend's checksum.Expecter (looking through
// decorators), else the plain hex MD5.
func hashFunc(d Deps) func(context.Context, storage.Source) (string, error) {
	if d.ExpectedHash != nil {
		return d.ExpectedHash
	}
	return checksum.ExpectedFunc(d.Storage)
}
