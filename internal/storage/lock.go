package storage

import (
	"context"
	"errors"
	"time"
)

// ErrLocked: the store refused to delete or overwrite an object because it
// is under an Object Lock retention period (or legal hold).
var ErrLocked = errors.New("object is protected by object lock retention")

// Retention is implemented by backends that write objects with a
// retention date (S3 Object Lock) and can report it.
type Retention interface {
	// RetainUntil returns the date until which key may not be deleted or
	// overwritten; the zero time when the object has no retention.
	RetainUntil(ctx context.Context, key string) (time.Time, error)
}
