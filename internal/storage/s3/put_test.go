package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

const mib = 1 << 20

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// testSSECKey is a throwaway 256-bit key, base64.
var testSSECKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

func TestPutSingleAndMultipart(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		wantParts int // 0: single PutObject
	}{
		{"empty", 0, 0},
		{"small", 1000, 0},
		{"just below threshold", 6*mib - 1, 0},
		{"at threshold", 6 * mib, 2}, // chunk 5 MiB: 5 + 1
		{"three parts", 12*mib + 5, 3},
	}
	for _, tc := range tests {
		for _, noETag := range []bool{false, true} {
			name := tc.name
			if noETag {
				name += ", store answers without ETag"
			}
			t.Run(name, func(t *testing.T) {
				testPut(t, tc.size, tc.wantParts, noETag)
			})
		}
	}
}

// testPut puts size bytes and checks what was stored, what Put reported,
// the requests sent and that Put asked HeadObject only when the store's
// answer carried no ETag (noETag).
func testPut(t *testing.T, size, wantParts int, noETag bool) {
	f := newFakeS3(t, "bkt")
	f.noWriteETag = noETag
	b := newFakeBackend(t, f, func(o *Options) {
		o.MultipartThreshold, o.MultipartChunkSize, o.MultipartConcurrency = 6*mib, 5*mib, 2
	})
	before := time.Now().Add(-2 * time.Second)
	data := randomBytes(size, uint64(size))
	info, err := b.Put(t.Context(), "data/ks/t/nb-1-big-Data.db", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, _ := f.object("data/ks/t/nb-1-big-Data.db")
	if !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes, want the %d uploaded", len(got), len(data))
	}
	want, err := checksum.ExpectedETag(t.Context(), bytes.NewReader(data), 6*mib, 5*mib)
	if err != nil {
		t.Fatal(err)
	}
	if info.Hash != want || info.Size != int64(size) || info.ModTime.Before(before) ||
		info.ModTime.After(time.Now().Add(2*time.Second)) {
		t.Errorf("Put info = %+v, want hash %s size %d and a modtime of now", info, want, size)
	}
	wantHeads := 0
	if noETag {
		wantHeads = 1
	}
	if n := f.count("head"); n != wantHeads {
		t.Errorf("%d HeadObject requests after the upload, want %d", n, wantHeads)
	}
	st, err := b.Stat(t.Context(), "data/ks/t/nb-1-big-Data.db")
	if err != nil || st.Hash != info.Hash || st.Size != info.Size {
		t.Errorf("Stat after Put = %+v, %v; want what Put reported, %+v", st, err, info)
	}
	if n := f.count("part"); n != wantParts {
		t.Errorf("%d parts uploaded, want %d", n, wantParts)
	}
	if wantParts == 0 && f.count("put") != 1 {
		t.Errorf("%d PutObject requests, want 1", f.count("put"))
	}
	if m := f.maxInFlight.Load(); m > 2 {
		t.Errorf("%d requests in flight at once, MultipartConcurrency is 2", m)
	}
}

func TestPutSendsEncryptionAndStorageClass(t *testing.T) {
	f := newFakeS3(t, "bkt")
	b := newFakeBackend(t, f, func(o *Options) {
		o.MultipartThreshold, o.MultipartChunkSize = 5*mib, 5*mib
		o.SSECKey, o.KMSID, o.StorageClass = testSSECKey, "arn:aws:kms:eu-west-1:1:key/abc", "standard_ia"
	})
	if _, err := b.Put(t.Context(), "big", bytes.NewReader(randomBytes(11*mib, 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(t.Context(), "small", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(t.Context(), "small"); err != nil { // HeadObject needs the SSE-C key too
		t.Fatal(err)
	}
	rc, _, err := b.Get(t.Context(), "small", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	keyMD5 := md5.Sum(bytes.Repeat([]byte{7}, 32))
	for _, r := range f.ops() {
		h := r.Header
		if h.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "AES256" ||
			h.Get("X-Amz-Server-Side-Encryption-Customer-Key") != testSSECKey ||
			h.Get("X-Amz-Server-Side-Encryption-Customer-Key-Md5") != base64.StdEncoding.EncodeToString(keyMD5[:]) {
			t.Errorf("%s %s: SSE-C headers missing or wrong", r.Op, r.Key)
		}
		kms := h.Get("X-Amz-Server-Side-Encryption") == "aws:kms" && h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") != ""
		sc := h.Get("X-Amz-Storage-Class") == "STANDARD_IA"
		if wantCreate := r.Op == "put" || r.Op == "create"; kms != wantCreate || sc != wantCreate {
			t.Errorf("%s: KMS headers %v, storage class %v; want both %v", r.Op, kms, sc, wantCreate)
		}
	}
	for _, op := range []string{"create", "part", "complete", "head", "put", "get"} {
		if f.count(op) == 0 {
			t.Errorf("no %s request seen", op)
		}
	}
}

func TestPartRetryRereadsSection(t *testing.T) {
	f := newFakeS3(t, "bkt")
	var failed atomic.Bool
	f.fail = func(r *http.Request, op string) (int, string) {
		if op == "part" && r.URL.Query().Get("partNumber") == "2" && failed.CompareAndSwap(false, true) {
			_, _ = io.CopyN(io.Discard, r.Body, 1000) // the first attempt got partway
			return http.StatusServiceUnavailable, "SlowDown"
		}
		return 0, ""
	}
	b := newFakeBackend(t, f, func(o *Options) { o.MultipartThreshold, o.MultipartChunkSize = 5*mib, 5*mib })
	data := randomBytes(12*mib, 2)
	info, err := b.Put(t.Context(), "k", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Put with one transient part failure: %v", err)
	}
	if got, _ := f.object("k"); !bytes.Equal(got, data) {
		t.Fatal("object differs from the source after a part retry")
	}
	if want, _ := checksum.ExpectedETag(t.Context(), bytes.NewReader(data), 5*mib, 5*mib); info.Hash != want {
		t.Errorf("hash %s, want %s", info.Hash, want)
	}
	if n := f.count("part"); n != 4 {
		t.Errorf("%d part requests, want 4 (3 parts, one retried)", n)
	}
}

func TestMultipartFailureAborts(t *testing.T) {
	tests := []struct {
		name, code string
		status     int
		attempts   int // part requests for part 3
		want       error
		transient  bool
	}{
		{"denied", "AccessDenied", 403, 1, storage.ErrAccessDenied, false},
		{"throttled past the part attempts", "SlowDown", 503, 3, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeS3(t, "bkt")
			var part3 atomic.Int32
			f.fail = func(r *http.Request, op string) (int, string) {
				if op == "part" && r.URL.Query().Get("partNumber") == "3" {
					part3.Add(1)
					return tc.status, tc.code
				}
				return 0, ""
			}
			b := newFakeBackend(t, f, func(o *Options) { o.MultipartThreshold, o.MultipartChunkSize = 5*mib, 5*mib })
			_, err := b.Put(t.Context(), "k", bytes.NewReader(randomBytes(12*mib, 3)))
			if err == nil {
				t.Fatal("Put succeeded although part 3 failed")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if storage.IsTransient(err) != tc.transient {
				t.Errorf("IsTransient(%v) = %v, want %v", err, !tc.transient, tc.transient)
			}
			if int(part3.Load()) != tc.attempts {
				t.Errorf("part 3 tried %d times, want %d", part3.Load(), tc.attempts)
			}
			if f.count("abort") != 1 || f.openUploads() != 0 || f.count("complete") != 0 {
				t.Errorf("aborts %d, open uploads %d, completes %d; want 1, 0, 0", f.count("abort"), f.openUploads(), f.count("complete"))
			}
			if _, ok := f.object("k"); ok {
				t.Error("an object was left behind")
			}
		})
	}
}

func TestCancelMidMultipartAborts(t *testing.T) {
	f := newFakeS3(t, "bkt")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f.fail = func(r *http.Request, op string) (int, string) {
		if op == "part" && r.URL.Query().Get("partNumber") == "2" {
			cancel() // the caller gives up while part 2 is on the wire
		}
		return 0, ""
	}
	b := newFakeBackend(t, f, func(o *Options) {
		o.MultipartThreshold, o.MultipartChunkSize, o.MultipartConcurrency = 5*mib, 5*mib, 1
	})
	_, err := b.Put(ctx, "k", bytes.NewReader(randomBytes(20*mib, 4)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put error %v, want context.Canceled", err)
	}
	if f.count("abort") != 1 || f.openUploads() != 0 {
		t.Errorf("aborts %d, open uploads %d; want 1 and 0 (abort must run on a fresh context)", f.count("abort"), f.openUploads())
	}
	if n := f.count("part"); n > 2 {
		t.Errorf("%d parts started, none may start after the cancellation", n)
	}
	if f.count("complete") != 0 {
		t.Error("a cancelled upload was completed")
	}
}

func TestDeleteManyBatchesAndKeyErrors(t *testing.T) {
	f := newFakeS3(t, "bkt")
	b := newFakeBackend(t, f, nil)
	keys := make([]string, 2500)
	for i := range keys {
		keys[i] = "k/" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
	}
	if err := b.DeleteMany(t.Context(), keys); err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	n := 0
	for _, r := range f.ops() {
		if r.Op != "delete-many" {
			continue
		}
		n++
		if r.Header.Get("Content-Md5") == "" && r.Header.Get("X-Amz-Checksum-Crc32") == "" {
			t.Errorf("DeleteObjects without the required Content-MD5 or checksum header: %v", r.Header)
		}
	}
	if got := f.batchSizes(); n != 3 || len(got) != 3 || got[0] != 1000 || got[1] != 1000 || got[2] != 500 {
		t.Errorf("%d DeleteObjects requests of %v keys for 2,500 keys, want 1000, 1000, 500", n, got)
	}
	if !f.lastQuiet() {
		t.Error("DeleteObjects not in quiet mode")
	}

	t.Run("per-key errors", func(t *testing.T) {
		err := b.DeleteMany(t.Context(), []string{"ok", "denied/one", "missing"})
		if !errors.Is(err, storage.ErrAccessDenied) || storage.IsTransient(err) {
			t.Fatalf("error %v, want a permanent ErrAccessDenied", err)
		}
		if !strings.Contains(err.Error(), "denied/one") || strings.Contains(err.Error(), "missing") {
			t.Errorf("error %q should name the refused key only", err)
		}
		err = b.DeleteMany(t.Context(), []string{"slow/1", "slow/2"})
		if !storage.IsTransient(err) {
			t.Errorf("throttled keys: error %v, want transient", err)
		}
		err = b.DeleteMany(t.Context(), []string{"slow/1", "denied/2"})
		if storage.IsTransient(err) || !errors.Is(err, storage.ErrAccessDenied) {
			t.Errorf("mixed failures: error %v, want permanent access denied", err)
		}
	})
}

func TestGetRanges(t *testing.T) {
	f := newFakeS3(t, "bkt")
	b := newFakeBackend(t, f, nil)
	data := randomBytes(1000, 5)
	if _, err := b.Put(t.Context(), "obj", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(t.Context(), "empty", bytes.NewReader(nil)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key            string
		offset, length int64
		want           []byte
		wantErr        error // nil: success
	}{
		{"obj", 0, -1, data, nil},
		{"obj", 10, 20, data[10:30], nil},
		{"obj", 990, 100, data[990:], nil},
		{"obj", 1000, -1, []byte{}, nil},
		{"obj", 5, 0, []byte{}, nil},
		{"empty", 0, -1, []byte{}, nil},
		{"empty", 0, 10, []byte{}, nil},
		{"obj", 1001, -1, nil, errors.New("past end")},
		{"nope", 0, -1, nil, storage.ErrNotExist},
		{"nope", 0, 0, nil, storage.ErrNotExist},
	}
	for _, tc := range tests {
		rc, _, err := b.Get(t.Context(), tc.key, tc.offset, tc.length)
		if tc.wantErr != nil {
			if err == nil {
				rc.Close()
				t.Errorf("Get(%s, %d, %d) succeeded, want an error", tc.key, tc.offset, tc.length)
			} else if errors.Is(tc.wantErr, storage.ErrNotExist) != errors.Is(err, storage.ErrNotExist) || storage.IsTransient(err) {
				t.Errorf("Get(%s, %d, %d) error %v, want %v (permanent)", tc.key, tc.offset, tc.length, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Get(%s, %d, %d): %v", tc.key, tc.offset, tc.length, err)
			continue
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("Get(%s, %d, %d) = %d bytes, %v; want %d bytes", tc.key, tc.offset, tc.length, len(got), err, len(tc.want))
		}
	}
}

// TestGetDescribesTheObject: the answer to a GET describes the object
// (size of the whole object, ETag as hash and version), whole or ranged,
// so a restore needs no HeadObject beside it.
func TestGetDescribesTheObject(t *testing.T) {
	f := newFakeS3(t, "bkt")
	b := newFakeBackend(t, f, nil)
	data := randomBytes(1000, 6)
	put, err := b.Put(t.Context(), "obj", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	heads := f.count("head")
	for _, tc := range []struct{ offset, length int64 }{{0, -1}, {10, 20}, {990, -1}} {
		rc, info, err := b.Get(t.Context(), "obj", tc.offset, tc.length)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if info.Size != 1000 || info.Hash != put.Hash || info.Version != put.Hash || info.Key != "obj" {
			t.Errorf("Get(%d, %d) described %+v; want size 1000, hash and version %s", tc.offset, tc.length, info, put.Hash)
		}
	}
	if f.count("head") != heads {
		t.Error("describing the GET sent a HeadObject")
	}
}
