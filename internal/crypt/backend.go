package crypt

import (
	"context"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/medusa-go/medusa/internal/storage"
)

// Backend encrypts the objects it writes to the backend it wraps and
// decrypts and authenticates what it reads. Sizes it reports are content
// (plaintext) sizes; hashes are the store's hashes of the ciphertext, so
// it reports that its hashes are not content hashes
// (checksum.ContentReporter): differential backups then reuse files by
// size and time, and verify compares the store's hash to the manifest's.
type Backend struct {
	inner  storage.Backend
	ring   *Ring
	kms    *KMSKeys
	prefix string
	// metadata: manifests and token maps are encrypted too.
	metadata bool
}

// New wraps inner; new objects are encrypted with ring's current key.
// prefix is the key prefix of the backups ("" or ending in '/'), which
// tells the objects that stay plain (Encrypted).
func New(inner storage.Backend, ring *Ring, prefix string) *Backend {
	return &Backend{inner: inner, ring: ring, prefix: prefix}
}

// NewKMS wraps inner; new objects are encrypted with master keys that are
// data keys of an AWS KMS key (KMSKeys). ring, when not nil, still
// decrypts the objects its keys encrypted (a key ring before KMS).
func NewKMS(inner storage.Backend, keys *KMSKeys, ring *Ring, prefix string) *Backend {
	return &Backend{inner: inner, ring: ring, kms: keys, prefix: prefix}
}

// current returns the key id and master key new objects are sealed with.
func (b *Backend) current(ctx context.Context) (string, []byte, error) {
	if b.kms != nil {
		return b.kms.Current(ctx)
	}
	k, _ := b.ring.key(b.ring.Current)
	return b.ring.Current, k, nil
}

// masters returns the masterFunc of b for reads under ctx.
func (b *Backend) masters(ctx context.Context) masterFunc {
	return func(object, id string) ([]byte, string, error) {
		if b.ring != nil {
			if k, ok := b.ring.key(id); ok {
				return k, "encryption key file " + b.ring.File, nil
			}
		}
		if b.kms != nil && IsKMSKeyID(id) {
			k, err := b.kms.Key(ctx, id)
			if err != nil {
				return nil, "", fmt.Errorf("object %s: %w", object, err)
			}
			return k, "AWS KMS (" + KMSKeyObject(b.prefix, id) + ")", nil
		}
		switch {
		case IsKMSKeyID(id):
			return nil, "", fmt.Errorf("object %s is encrypted with key id %q, a data key of AWS KMS: set [storage] encryption_kms_key_id (any key id: the key object %s names the KMS key)", object, id, KMSKeyObject(b.prefix, id))
		case b.ring == nil:
			return nil, "", fmt.Errorf("object %s is encrypted with key id %q of a key ring: set [storage] encryption_key_file to the key ring that holds it, next to encryption_kms_key_id", object, id)
		}
		return nil, "", fmt.Errorf("object %s is encrypted with key id %q, which encryption key file %s does not hold: add that key to the ring (keep old keys after a rotation)", object, id, b.ring.File)
	}
}

// plainMeta are the meta files Python Medusa reads to list backups; they
// stay plain.
var plainMeta = map[string]bool{
	"manifest.json": true, "tokenmap.json": true, "server_version.json": true,
	"differential": true, "incremental": true,
}

// Encrypted reports whether the object at key is encrypted, prefix being
// the key prefix of the backups ("" or ending in '/'): everything except
// the backup index (<prefix>index/...) but its copies of schema.cql, the
// meta files Python Medusa reads to list backups (<prefix><fqdn>/<backup>/meta/
// manifest.json, tokenmap.json, server_version.json, differential,
// incremental) and the encryption marker (under index/). SSTables,
// schema.cql and every other object are encrypted, whatever the names of
// keyspaces and tables.
func Encrypted(prefix, key string) bool { return encrypted(prefix, key, false) }

// EncryptedWithMetadata is Encrypted with [storage] encrypt_metadata: the
// manifests and token maps are encrypted too, in meta/ and in the index
// (manifest_<fqdn>.json, tokenmap_<fqdn>.json and the latest backup's
// tokenmap.json).
func EncryptedWithMetadata(prefix, key string) bool { return encrypted(prefix, key, true) }

func encrypted(prefix, key string, metadata bool) bool {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return true
	}
	parts := strings.Split(rest, "/")
	if parts[0] == "index" {
		if len(parts) == 4 && parts[1] == "backup_index" {
			name := parts[3]
			if strings.HasPrefix(name, "schema_") && strings.HasSuffix(name, ".cql") {
				return true
			}
			if metadata && strings.HasSuffix(name, ".json") &&
				(strings.HasPrefix(name, "manifest_") || strings.HasPrefix(name, "tokenmap_")) {
				return true
			}
		}
		return metadata && len(parts) == 4 && parts[1] == "latest_backup" && parts[3] == "tokenmap.json"
	}
	if len(parts) == 4 && parts[2] == "meta" && plainMeta[parts[3]] {
		return metadata && (parts[3] == "manifest.json" || parts[3] == "tokenmap.json")
	}
	return true
}

func (b *Backend) encrypted(key string) bool { return encrypted(b.prefix, key, b.metadata) }

// EncryptMetadata makes b encrypt the manifests and token maps too
// (EncryptedWithMetadata) and returns b.
func (b *Backend) EncryptMetadata(on bool) *Backend {
	b.metadata = on
	return b
}

// Unwrap implements storage.Unwrapper.
func (b *Backend) Unwrap() storage.Backend { return b.inner }

// HashesAreContent implements checksum.ContentReporter: the store hashes
// ciphertext.
func (b *Backend) HashesAreContent() bool { return false }

// PartSize implements checksum.PartSizer: content hashes cannot be
// computed from local files, whatever the store's part size.
func (b *Backend) PartSize(int64) int64 { return 0 }

// Put implements storage.Backend.
func (b *Backend) Put(ctx context.Context, key string, src storage.Source) (storage.ObjectInfo, error) {
	if !b.encrypted(key) {
		return b.inner.Put(ctx, key, src)
	}
	id, master, err := b.current(ctx)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("encrypt %s: %w", key, err)
	}
	h, err := newHeader(id, master)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("encrypt %s: %w", key, err)
	}
	info, err := b.inner.Put(ctx, key, newSealedSource(src, h))
	if err != nil {
		return info, err
	}
	info.Size = src.Size()
	return info, nil
}

// Get implements storage.Backend: the range is one of content.
func (b *Backend) Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, storage.ObjectInfo, error) {
	if !b.encrypted(key) {
		return b.inner.Get(ctx, key, offset, length)
	}
	if offset < 0 {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: negative offset %d", key, offset)
	}
	first := offset / chunkSize
	var r io.ReadCloser
	var raw []byte
	var info storage.ObjectInfo
	if first == 0 {
		// One request: the header and the chunks from the first.
		var err error
		r, info, err = b.inner.Get(ctx, key, 0, cipherEnd(offset, length))
		if err != nil {
			return nil, info, err
		}
		raw = make([]byte, HeaderSize)
		if _, err := io.ReadFull(r, raw); err != nil {
			r.Close()
			return nil, info, headerError(key, err)
		}
	} else {
		hr, hinfo, err := b.inner.Get(ctx, key, 0, HeaderSize)
		if err != nil {
			return nil, hinfo, err
		}
		raw, err = io.ReadAll(hr)
		hr.Close()
		if err != nil {
			return nil, hinfo, headerError(key, err)
		}
		start := HeaderSize + first*sealedSize
		if start >= hinfo.Size {
			// At the end of content that fills its last chunk: nothing to
			// read, once the header authenticates.
			if p, ok := PlaintextSize(hinfo.Size); ok && p == offset {
				if _, err := parseHeader(b.masters(ctx), key, raw); err != nil {
					return nil, hinfo, err
				}
				hinfo.Size = p
				return io.NopCloser(strings.NewReader("")), hinfo, nil
			}
			return nil, hinfo, fmt.Errorf("get %s: offset %d is past the end of the object", key, offset)
		}
		end := cipherEnd(offset, length)
		if end >= 0 {
			end -= start
		}
		r, info, err = b.inner.Get(ctx, key, start, end)
		if err != nil {
			return nil, info, err
		}
		if hinfo.Version != "" && info.Version != "" && hinfo.Version != info.Version {
			r.Close()
			return nil, info, fmt.Errorf("get %s: %w", key, storage.ErrChanged)
		}
	}
	h, err := parseHeader(b.masters(ctx), key, raw)
	if err != nil {
		r.Close()
		return nil, info, err
	}
	plain, ok := PlaintextSize(info.Size)
	if !ok {
		r.Close()
		return nil, info, fmt.Errorf("decrypt %s: a stored size of %d bytes is no encrypted object's (truncated?): %w", key, info.Size, ErrAuth)
	}
	if offset > plain {
		r.Close()
		return nil, info, fmt.Errorf("get %s: offset %d is past the end of the object (%d bytes)", key, offset, plain)
	}
	info.Size = plain
	return &openReader{
		r: r, h: h, key: key, i: first, n: chunks(plain),
		skip: offset - first*chunkSize, left: length,
		buf: make([]byte, sealedSize),
	}, info, nil
}

// cipherEnd returns how many ciphertext bytes from the start of the
// object hold content bytes [offset, offset+length): -1 for all.
func cipherEnd(offset, length int64) int64 {
	if length < 0 {
		return -1
	}
	if length == 0 {
		return HeaderSize
	}
	last := (offset + length - 1) / chunkSize
	return HeaderSize + (last+1)*sealedSize
}

func headerError(key string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("object %s is shorter than an encryption header: not encrypted by medusa, or truncated: %w", key, ErrAuth)
	}
	return fmt.Errorf("read encryption header of %s: %w", key, err)
}

// Stat implements storage.Backend.
func (b *Backend) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	info, err := b.inner.Stat(ctx, key)
	if err != nil {
		return info, err
	}
	return b.plainInfo(info), nil
}

// List implements storage.Backend.
func (b *Backend) List(ctx context.Context, prefix string) iter.Seq2[storage.ObjectInfo, error] {
	return func(yield func(storage.ObjectInfo, error) bool) {
		for o, err := range b.inner.List(ctx, prefix) {
			if err == nil {
				o = b.plainInfo(o)
			}
			if !yield(o, err) {
				return
			}
		}
	}
}

// plainInfo reports an encrypted object's content size. A size no
// encrypted object has is reported as is: reading it fails and names it.
func (b *Backend) plainInfo(o storage.ObjectInfo) storage.ObjectInfo {
	if b.encrypted(o.Key) {
		if p, ok := PlaintextSize(o.Size); ok {
			o.Size = p
		}
	}
	return o
}

// Delete implements storage.Backend.
func (b *Backend) Delete(ctx context.Context, key string) error { return b.inner.Delete(ctx, key) }

// DeleteMany implements storage.Backend.
func (b *Backend) DeleteMany(ctx context.Context, keys []string) error {
	return b.inner.DeleteMany(ctx, keys)
}

// Close implements storage.Backend.
func (b *Backend) Close() error { return b.inner.Close() }
