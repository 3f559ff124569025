package check

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/medusa-go/medusa/internal/storage"
)

// Storage checks a bucket through medusa's storage interface: for Google
// Cloud Storage, Azure Blob Storage and local storage, where the S3
// checks do not apply. The probe writes, reads, lists and deletes one
// object under the prefix; a refusal says what the store refused.
type Storage struct {
	Backend storage.Backend
	// Store names the store and bucket in messages ("GCS bucket x").
	Store string
	// KeyFile is [storage] key_file ("" for none); KeyFileWhat describes it.
	KeyFile, KeyFileWhat string
	// Access says, for a refusal, what the identity needs
	// ("roles/storage.objectAdmin on the bucket").
	Access       string
	Prefix, FQDN string
	ProbeID      string
	// Retention reads the bucket's retention policy (GCS) or the
	// container's immutability (Azure); nil leaves out bucket/retention.
	// RetentionWhat names it ("retention policy"); RetentionAccess is the
	// role that may read it. MaxBackupAge (days) and MaxBackupCount are
	// the purge retention.
	Retention                      func(ctx context.Context) (ContainerLock, error)
	RetentionWhat, RetentionAccess string
	MaxBackupAge, MaxBackupCount   int

	reachable bool
	key       string
	data      []byte
}

// Checks returns the storage checks in order.
func (s *Storage) Checks() []Check {
	var cs []Check
	if s.KeyFile != "" {
		cs = append(cs, Check{Name: "credentials/key-file", Run: func(context.Context) Result { return KeyFileMode(s.KeyFile, s.KeyFileWhat) }})
	}
	cs = append(cs, Check{Name: "bucket/reachable", Run: s.checkReachable})
	if s.Retention != nil {
		cs = append(cs, Check{Name: "bucket/retention", Run: s.checkRetention})
	}
	return append(cs,
		Check{Name: "policy/put-object", Run: s.probePut},
		Check{Name: "policy/get-object", Run: s.probeGet},
		Check{Name: "policy/list-objects", Run: s.probeList},
		Check{Name: "policy/delete-object", Run: s.probeDelete},
	)
}

func (s *Storage) refusal(what string, err error) Result {
	fix := "check the store's logs; run medusa check again"
	if errors.Is(err, storage.ErrAccessDenied) {
		fix = "grant " + s.Access
	}
	if errors.Is(err, storage.ErrBucketNotExist) {
		fix = "create the bucket or fix bucket_name in [storage]"
	}
	return fail(fix, "%s: %v", what, err)
}

func (s *Storage) checkReachable(ctx context.Context) Result {
	for _, err := range s.Backend.List(ctx, layout0(s.Prefix)) {
		if err != nil {
			return s.refusal("listing "+s.Store, err)
		}
		break
	}
	s.reachable = true
	return ok("%s answers", s.Store)
}

func layout0(prefix string) string {
	if prefix == "" {
		return ""
	}
	return prefix + "/"
}

func (s *Storage) probePut(ctx context.Context) Result {
	if !s.reachable {
		return skip("the bucket is not reachable (see bucket/reachable)")
	}
	id := s.ProbeID
	if id == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		id = fmt.Sprintf("%x", b)
	}
	key := probeDirFor(s.Prefix, s.FQDN, id) + "single"
	s.data = make([]byte, 4096)
	_, _ = rand.Read(s.data)
	if _, err := s.Backend.Put(ctx, key, bytes.NewReader(s.data)); err != nil {
		return s.refusal("writing "+key, err)
	}
	s.key = key
	return ok("wrote %s in %s (%d bytes)", key, s.Store, len(s.data))
}

func (s *Storage) probeGet(ctx context.Context) Result {
	if s.key == "" {
		return skip("nothing to read: the probe object was not written")
	}
	r, _, err := s.Backend.Get(ctx, s.key, 0, -1)
	if err != nil {
		return s.refusal("reading "+s.key, err)
	}
	defer r.Close()
	got, err := io.ReadAll(io.LimitReader(r, int64(len(s.data))+1))
	if err != nil {
		return s.refusal("reading "+s.key, err)
	}
	if !bytes.Equal(got, s.data) {
		return fail("check the store: it does not return the bytes written", "%s: read %d bytes that differ from the %d written", s.key, len(got), len(s.data))
	}
	return ok("read the probe object back, bytes identical")
}

func (s *Storage) probeList(ctx context.Context) Result {
	if s.key == "" {
		return skip("nothing to list: the probe object was not written")
	}
	for o, err := range s.Backend.List(ctx, s.key) {
		if err != nil {
			return s.refusal("listing "+s.key, err)
		}
		if o.Key == s.key {
			return ok("listed the probe object")
		}
	}
	return fail("check the store's listing consistency", "the listing under %s lacks the probe object", s.key)
}

func (s *Storage) probeDelete(ctx context.Context) Result {
	if s.key == "" {
		return skip("nothing to delete: the probe object was not written")
	}
	if err := s.Backend.Delete(ctx, s.key); err != nil {
		r := s.refusal("deleting "+s.key, err)
		r.Detail += "; the probe object is left: delete it with other credentials"
		return r
	}
	if _, err := s.Backend.Stat(ctx, s.key); !errors.Is(err, storage.ErrNotExist) {
		return fail("check the store: deleted objects must disappear", "%s still answers after delete (%v)", s.key, err)
	}
	return ok("deleted the probe object")
}
