package storage_test

import (
	"context"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/limit"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/retry"
)

type hasher interface {
	ExpectedHash(ctx context.Context, src storage.Source) (string, error)
}

type withHash struct{ storage.Backend }

func (withHash) ExpectedHash(context.Context, storage.Source) (string, error) { return "h", nil }

func TestAsThroughDecorators(t *testing.T) {
	t.Parallel()
	base, err := local.New(local.Options{BasePath: t.TempDir(), Bucket: "b", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	var b storage.Backend = withHash{base}
	b = retry.New(b, retry.Policy{})
	b = limit.Bandwidth(b, limit.NewLimiter(1<<20))
	b = limit.Concurrency(b, 2)
	h, ok := storage.As[hasher](b)
	if !ok {
		t.Fatal("ExpectedHash not found through retry, bandwidth and concurrency decorators")
	}
	if got, _ := h.ExpectedHash(t.Context(), nil); got != "h" {
		t.Fatalf("ExpectedHash = %q", got)
	}
	if _, ok := storage.As[hasher](retry.New(base, retry.Policy{})); ok {
		t.Fatal("local backend has no ExpectedHash, As must report false")
	}
}
