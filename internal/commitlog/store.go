package commitlog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"

	"github.com/medusa-go/medusa/internal/storage"
)

// ErrConflict: the bucket holds a different segment under the same key.
var ErrConflict = errors.New("a different segment is archived under the same key")

// prepared is a segment read, checked and (codec zst) compressed into a
// temporary file, ready to upload.
type prepared struct {
	info SegmentInfo
	body *os.File // the raw segment or its zstd compression
	tmp  string   // body's path when it is a temporary file
}

func (p *prepared) close() {
	p.body.Close()
	if p.tmp != "" {
		os.Remove(p.tmp)
	}
}

// prepare reads the segment at path: header check (CRC, id and version =
// the file name), SHA-256 and size of the raw bytes, and, unless Cassandra
// compressed or encrypted it, its zstd compression into a temporary file in
// tmpDir. info carries the fields the caller knows (mtime, run, host...).
func prepare(ctx context.Context, path, tmpDir string, info SegmentInfo) (*prepared, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	hdr, err := ReadHeader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if hdr.Name().String() != filepath.Base(path) {
		f.Close()
		return nil, fmt.Errorf("%s: %w: the header names %s", path, ErrBadHeader, hdr.Name())
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	info.Name, info.Version, info.ID = hdr.Name().String(), hdr.Version, hdr.ID
	info.Compressed, info.Encrypted = hdr.Compressed, hdr.Encrypted
	info.Codec = CodecZstd
	if hdr.Compressed || hdr.Encrypted {
		info.Codec = CodecRaw
	}
	h := sha256.New()
	if info.Codec == CodecRaw {
		n, err := io.Copy(h, ctxReader{ctx, f})
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		info.RawSize, info.StoredSize, info.SHA256 = n, n, hex.EncodeToString(h.Sum(nil))
		return &prepared{info: info, body: f}, nil
	}
	defer f.Close()
	out, err := os.CreateTemp(tmpDir, ".upload-"+info.Name+"-*.zst")
	if err != nil {
		return nil, fmt.Errorf("compress %s: %w", path, err)
	}
	p := &prepared{body: out, tmp: out.Name()}
	enc, err := zstd.NewWriter(out, zstd.WithEncoderConcurrency(1))
	if err == nil {
		info.RawSize, err = io.Copy(enc, io.TeeReader(ctxReader{ctx, f}, h))
		if cerr := enc.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		p.close()
		return nil, fmt.Errorf("compress %s: %w", path, err)
	}
	st, err := out.Stat()
	if err != nil {
		p.close()
		return nil, fmt.Errorf("compress %s: %w", path, err)
	}
	info.StoredSize, info.SHA256 = st.Size(), hex.EncodeToString(h.Sum(nil))
	p.info = info
	return p, nil
}

// store uploads a prepared segment of fqdn: the segment object, a check of
// its size in the store, then the sidecar, which marks it archived. When
// the sidecar is already there with the same SHA-256 nothing is written
// (skipped); with another one it fails with ErrConflict.
func store(ctx context.Context, b storage.Backend, fqdn string, p *prepared) (skipped bool, err error) {
	info := p.info
	key, infoKey := SegmentKey(fqdn, info), InfoKey(fqdn, info)
	old, err := ReadInfo(ctx, b, infoKey)
	switch {
	case err == nil && old.SHA256 == info.SHA256:
		return true, nil
	case err == nil:
		return false, fmt.Errorf("%s: %w (SHA-256 %s in the bucket, %s here); the local file is kept",
			key, ErrConflict, old.SHA256, info.SHA256)
	case !errors.Is(err, storage.ErrNotExist):
		return false, err
	}
	if _, err := b.Put(ctx, key, io.NewSectionReader(p.body, 0, info.StoredSize)); err != nil {
		return false, fmt.Errorf("upload %s: %w", key, err)
	}
	st, err := b.Stat(ctx, key)
	if err != nil {
		return false, fmt.Errorf("check uploaded %s: %w", key, err)
	}
	if st.Size != info.StoredSize {
		return false, fmt.Errorf("check uploaded %s: the store holds %d bytes, %d were sent", key, st.Size, info.StoredSize)
	}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return false, err
	}
	if _, err := b.Put(ctx, infoKey, bytes.NewReader(data)); err != nil {
		return false, fmt.Errorf("upload %s: %w", infoKey, err)
	}
	return false, nil
}
