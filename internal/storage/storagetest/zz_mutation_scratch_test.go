package storagetest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"os"
	"slices"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

type mut struct {
	storage.Backend
	m string
}

func (b *mut) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	switch b.m {
	case "put-ignores-ctx":
		ctx = context.Background()
	case "put-loads":
		buf := make([]byte, src.Size())
		src.ReadAt(buf, 0)
		return b.Backend.Put(ctx, key, bytes.NewReader(buf))
	case "put-bad-hash":
		info, err := b.Backend.Put(ctx, key, src)
		info.Hash = "x"
		return info, err
	}
	return b.Backend.Put(ctx, key, src)
}

func (b *mut) Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	switch b.m {
	case "get-plain-notfound":
		rc, err := b.Backend.Get(ctx, key, off, n)
		if errors.Is(err, storage.ErrNotExist) {
			return nil, errors.New("404")
		}
		return rc, err
	case "get-past-end-empty":
		info, err := b.Backend.Stat(ctx, key)
		if err == nil && off > info.Size {
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
	case "get-len0-whole":
		if n == 0 {
			n = -1
		}
	}
	return b.Backend.Get(ctx, key, off, n)
}

func (b *mut) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	switch b.m {
	case "list-reverse":
		return func(yield func(storage.ObjectInfo, error) bool) {
			var all []storage.ObjectInfo
			for i, err := range b.Backend.List(ctx, prefix) {
				if err != nil {
					yield(i, err)
					return
				}
				all = append(all, i)
			}
			slices.Reverse(all)
			for _, i := range all {
				if !yield(i, nil) {
					return
				}
			}
		}
	case "list-ignores-break":
		return func(yield func(storage.ObjectInfo, error) bool) {
			for i, err := range b.Backend.List(ctx, prefix) {
				yield(i, err)
			}
		}
	case "list-cap-1000":
		return func(yield func(storage.ObjectInfo, error) bool) {
			n := 0
			for i, err := range b.Backend.List(ctx, prefix) {
				if n++; n > 1000 || !yield(i, err) {
					return
				}
			}
		}
	}
	return b.Backend.List(ctx, prefix)
}

func (b *mut) DeleteMany(ctx context.Context, keys []string) error {
	if b.m == "deletemany-missing-err" {
		for _, k := range keys {
			if _, err := b.Backend.Stat(ctx, k); err != nil {
				return err
			}
		}
	}
	return b.Backend.DeleteMany(ctx, keys)
}

func TestMutant(t *testing.T) {
	m := os.Getenv("MUT")
	base := t.TempDir()
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		lb, _ := local.New(local.Options{BasePath: base, Bucket: "b", Create: true})
		return &mut{Backend: lb, m: m}
	}, storagetest.Capabilities{ExpectedHash: storagetest.HexMD5, StatWithoutHash: true})
}
