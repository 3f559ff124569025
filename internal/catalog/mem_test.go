package catalog_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

// memBackend is an in-memory storage.Backend for tests that need many
// objects quickly. ModTime is settable through its now field.
type memBackend struct {
	mu   sync.Mutex
	objs map[string]memObject
	now  time.Time
}

type memObject struct {
	data []byte
	mod  time.Time
}

func newMem() *memBackend {
	return &memBackend{objs: map[string]memObject{}, now: time.Unix(1700000000, 0)}
}

func (m *memBackend) Put(_ context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	data, err := io.ReadAll(io.NewSectionReader(src, 0, src.Size()))
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[key] = memObject{data: data, mod: m.now}
	return m.info(key), nil
}

func (m *memBackend) info(key string) storage.ObjectInfo {
	o := m.objs[key]
	sum := md5.Sum(o.data)
	return storage.ObjectInfo{Key: key, Size: int64(len(o.data)), ModTime: o.mod, Hash: hex.EncodeToString(sum[:])}
}

func (m *memBackend) Get(_ context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, storage.ErrNotExist)
	}
	data := o.data[offset:]
	if length >= 0 {
		data = data[:length]
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

func (m *memBackend) Stat(_ context.Context, key string) (storage.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[key]; !ok {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, storage.ErrNotExist)
	}
	return m.info(key), nil
}

func (m *memBackend) List(_ context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		m.mu.Lock()
		var infos []storage.ObjectInfo
		for k := range m.objs {
			if strings.HasPrefix(k, prefix) {
				infos = append(infos, m.info(k))
			}
		}
		m.mu.Unlock()
		slices.SortFunc(infos, func(a, b storage.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
		for _, i := range infos {
			if !yield(i, nil) {
				return
			}
		}
	}
}

func (m *memBackend) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, key)
	return nil
}

func (m *memBackend) DeleteMany(ctx context.Context, keys []string) error {
	for _, k := range keys {
		_ = m.Delete(ctx, k)
	}
	return nil
}

func (m *memBackend) Close() error { return nil }
