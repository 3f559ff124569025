package storagetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

// Memory is an in-memory storage.Backend for tests of code above storage
// that need many objects quickly. It passes the conformance suite: Hash is
// the hex MD5 of the content (as S3 reports a single-part upload), Version
// a number that every Put increases. It is safe for concurrent use.
type Memory struct {
	mu      sync.Mutex
	objs    map[string]memObject
	now     time.Time // ModTime of the next Puts; zero: the clock
	version int64     // of the last Put
}

type memObject struct {
	data    []byte
	mod     time.Time
	hash    string
	version int64
}

// memChunk is the most Put reads from its Source at once.
const memChunk = 1 << 20

var _ storage.Backend = (*Memory)(nil)

// NewMemory returns an empty backend.
func NewMemory() *Memory { return &Memory{objs: map[string]memObject{}} }

// SetNow makes the following Puts record t as ModTime; the zero time goes
// back to the clock.
func (m *Memory) SetNow(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = t
}

// Put implements storage.Backend. It reads src in pieces and stores
// nothing when ctx ends before the last one.
func (m *Memory) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	data := make([]byte, src.Size())
	for off := int64(0); off < src.Size(); off += memChunk {
		if err := ctx.Err(); err != nil {
			return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
		}
		if _, err := src.ReadAt(data[off:min(off+memChunk, src.Size())], off); err != nil && err != io.EOF {
			return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	sum := md5.Sum(data)
	m.mu.Lock()
	defer m.mu.Unlock()
	mod := m.now
	if mod.IsZero() {
		mod = time.Now()
	}
	m.version++
	m.objs[key] = memObject{data: data, mod: mod, hash: hex.EncodeToString(sum[:]), version: m.version}
	return m.info(key), nil
}

// info describes key; the caller holds mu and key exists.
func (m *Memory) info(key string) storage.ObjectInfo {
	o := m.objs[key]
	return storage.ObjectInfo{Key: key, Size: int64(len(o.data)), ModTime: o.mod, Hash: o.hash,
		Version: strconv.FormatInt(o.version, 10)}
}

// lookup returns the object under key or an error naming op.
func (m *Memory) lookup(ctx context.Context, op, key string) (memObject, storage.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return memObject{}, storage.ObjectInfo{}, fmt.Errorf("%s %s: %w", op, key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[key]
	if !ok {
		return memObject{}, storage.ObjectInfo{}, fmt.Errorf("%s %s: %w", op, key, storage.ErrNotExist)
	}
	return o, m.info(key), nil
}

// Get implements storage.Backend. The stream reads the version stored
// when Get was called, whatever Puts follow.
func (m *Memory) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	if offset < 0 {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: negative offset %d", key, offset)
	}
	o, info, err := m.lookup(ctx, "get", key)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	if offset > info.Size {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: range starts at %d, past the end of the %d-byte object",
			key, offset, info.Size)
	}
	end := info.Size
	if length >= 0 {
		end = min(end, offset+length)
	}
	return io.NopCloser(bytes.NewReader(o.data[offset:end])), info, nil
}

// Stat implements storage.Backend.
func (m *Memory) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	_, info, err := m.lookup(ctx, "stat", key)
	return info, err
}

// List implements storage.Backend, from a snapshot of the keys taken when
// the iteration starts.
func (m *Memory) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(storage.ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, err))
			return
		}
		m.mu.Lock()
		var infos []storage.ObjectInfo
		for k := range m.objs {
			if strings.HasPrefix(k, prefix) {
				infos = append(infos, m.info(k))
			}
		}
		m.mu.Unlock()
		slices.SortFunc(infos, func(a, b storage.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
		for _, info := range infos {
			if !yield(info, nil) {
				return
			}
		}
	}
}

// Delete implements storage.Backend.
func (m *Memory) Delete(ctx context.Context, key string) error {
	return m.DeleteMany(ctx, []string{key})
}

// DeleteMany implements storage.Backend.
func (m *Memory) DeleteMany(ctx context.Context, keys []string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %d keys: %w", len(keys), err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.objs, k)
	}
	return nil
}

// Close implements storage.Backend; the objects stay.
func (m *Memory) Close() error { return nil }
