package s3

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeS3 is a small in-process S3 for unit tests: path- or virtual-style
// PutObject, multipart create/part/complete/abort, HEAD, ranged GET and
// DeleteObjects, with a hook to fail requests and a log of what came in.
// It checks no signature. The conformance suite runs against a real server.
type fakeS3 struct {
	t      *testing.T
	bucket string
	srv    *httptest.Server

	mu       sync.Mutex
	objects  map[string][]byte
	etags    map[string]string
	uploads  map[string]map[int][]byte // uploadID -> part number -> data
	requests []fakeRequest
	nextID   int
	batches  []int // keys per DeleteObjects request
	quiet    bool  // Quiet of the last DeleteObjects request

	inFlight, maxInFlight atomic.Int32
	// fail, when set, may answer a request instead of the fake: it returns
	// an HTTP status and S3 error code, or 0 to go on. body is the request
	// body read so far (fail may read it).
	fail func(r *http.Request, op string) (status int, code string)
	// noWriteETag leaves the ETag out of the answers to PutObject and
	// CompleteMultipartUpload (a store that does not send it).
	noWriteETag bool
}

type fakeRequest struct {
	Op     string // put, create, part, complete, abort, head, get, delete-many
	Key    string
	Host   string
	Header http.Header
	Query  string
}

func newFakeS3(t *testing.T, bucket string) *fakeS3 {
	f := &fakeS3{t: t, bucket: bucket, objects: map[string][]byte{}, etags: map[string]string{},
		uploads: map[string]map[int][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// options returns backend options pointing at the fake (path style).
func (f *fakeS3) options() Options {
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(f.srv.URL, "http://"))
	p, _ := strconv.Atoi(port)
	return Options{Provider: "s3_compatible", Bucket: f.bucket, Host: host, Port: p, Secure: false,
		KeyFile: writeKeyFile(f.t, "[default]\naws_access_key_id = AKIDFAKE\naws_secret_access_key = fake-secret\n", 0o600)}
}

func (f *fakeS3) ops() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

func (f *fakeS3) count(op string) int {
	n := 0
	for _, r := range f.ops() {
		if r.Op == op {
			n++
		}
	}
	return n
}

func (f *fakeS3) object(key string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[key]
	return b, ok
}

func (f *fakeS3) batchSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.batches...)
}

func (f *fakeS3) lastQuiet() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.quiet
}

func (f *fakeS3) openUploads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uploads)
}

func opOf(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPut && q.Has("partNumber"):
		return "part"
	case r.Method == http.MethodPut:
		return "put"
	case r.Method == http.MethodPost && q.Has("uploads"):
		return "create"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return "complete"
	case r.Method == http.MethodPost && q.Has("delete"):
		return "delete-many"
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		return "abort"
	case r.Method == http.MethodDelete:
		return "delete"
	case r.Method == http.MethodHead:
		return "head"
	case r.Method == http.MethodGet:
		return "get"
	}
	return "unknown"
}

func (f *fakeS3) keyOf(r *http.Request) string {
	if strings.HasPrefix(r.Host, f.bucket+".") {
		return strings.TrimPrefix(r.URL.Path, "/")
	}
	return strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/"+f.bucket), "/")
}

func (f *fakeS3) serve(w http.ResponseWriter, r *http.Request) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for m := f.maxInFlight.Load(); n > m && !f.maxInFlight.CompareAndSwap(m, n); m = f.maxInFlight.Load() {
	}
	op, key := opOf(r), f.keyOf(r)
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{Op: op, Key: key, Host: r.Host, Header: r.Header.Clone(), Query: r.URL.RawQuery})
	f.mu.Unlock()
	if f.fail != nil {
		if status, code := f.fail(r, op); status != 0 {
			_, _ = io.Copy(io.Discard, r.Body)
			writeS3Error(w, status, code)
			return
		}
	}
	switch op {
	case "put":
		data, _ := io.ReadAll(r.Body)
		f.store(key, data, md5hex(data))
		if !f.noWriteETag {
			w.Header().Set("ETag", `"`+md5hex(data)+`"`)
		}
	case "create":
		f.mu.Lock()
		f.nextID++
		id := fmt.Sprintf("upload-%d", f.nextID)
		f.uploads[id] = map[int][]byte{}
		f.mu.Unlock()
		writeXML(w, struct {
			XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
			Bucket   string
			Key      string
			UploadId string
		}{Bucket: f.bucket, Key: key, UploadId: id})
	case "part":
		f.servePart(w, r)
	case "complete":
		f.serveComplete(w, r, key)
	case "abort":
		f.mu.Lock()
		delete(f.uploads, r.URL.Query().Get("uploadId"))
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case "head", "get":
		f.serveGet(w, r, key, op == "head")
	case "delete-many":
		f.serveDeleteMany(w, r)
	default:
		writeS3Error(w, http.StatusNotImplemented, "NotImplemented")
	}
}

func (f *fakeS3) store(key string, data []byte, etag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[key] = data
	f.etags[key] = etag
}

func (f *fakeS3) servePart(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	num, _ := strconv.Atoi(r.URL.Query().Get("partNumber"))
	f.mu.Lock()
	parts, ok := f.uploads[r.URL.Query().Get("uploadId")]
	if ok {
		parts[num] = data
	}
	f.mu.Unlock()
	if !ok {
		writeS3Error(w, http.StatusNotFound, "NoSuchUpload")
		return
	}
	w.Header().Set("ETag", `"`+md5hex(data)+`"`)
}

func (f *fakeS3) serveComplete(w http.ResponseWriter, r *http.Request, key string) {
	id := r.URL.Query().Get("uploadId")
	f.mu.Lock()
	parts, ok := f.uploads[id]
	delete(f.uploads, id)
	f.mu.Unlock()
	if !ok {
		writeS3Error(w, http.StatusNotFound, "NoSuchUpload")
		return
	}
	nums := make([]int, 0, len(parts))
	for n := range parts {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var data []byte
	all := md5.New()
	for _, n := range nums {
		data = append(data, parts[n]...)
		sum := md5.Sum(parts[n])
		all.Write(sum[:])
	}
	etag := fmt.Sprintf("%s-%d", hex.EncodeToString(all.Sum(nil)), len(nums))
	f.store(key, data, etag)
	if f.noWriteETag {
		etag = ""
	}
	writeXML(w, struct {
		XMLName xml.Name `xml:"CompleteMultipartUploadResult"`
		Bucket  string
		Key     string
		ETag    string
	}{Bucket: f.bucket, Key: key, ETag: `"` + etag + `"`})
}

func (f *fakeS3) serveGet(w http.ResponseWriter, r *http.Request, key string, head bool) {
	f.mu.Lock()
	data, ok := f.objects[key]
	etag := f.etags[key]
	f.mu.Unlock()
	if !ok {
		writeS3Error(w, http.StatusNotFound, "NoSuchKey")
		return
	}
	w.Header().Set("ETag", `"`+etag+`"`)
	w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
	status := http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" && !head {
		var from, to int64 = 0, -1
		spec := strings.TrimPrefix(rg, "bytes=")
		a, b, _ := strings.Cut(spec, "-")
		from, _ = strconv.ParseInt(a, 10, 64)
		if b != "" {
			to, _ = strconv.ParseInt(b, 10, 64)
		}
		if from >= int64(len(data)) {
			writeS3Error(w, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
			return
		}
		if to < 0 || to >= int64(len(data)) {
			to = int64(len(data)) - 1
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, to, len(data)))
		data, status = data[from:to+1], http.StatusPartialContent
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	if !head {
		_, _ = w.Write(data)
	}
}

type fakeDeleteError struct {
	Key, Code, Message string
}

func (f *fakeS3) serveDeleteMany(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Quiet   bool
		Objects []struct{ Key string } `xml:"Object"`
	}
	if err := xml.NewDecoder(r.Body).Decode(&req); err != nil {
		writeS3Error(w, http.StatusBadRequest, "MalformedXML")
		return
	}
	var errs []fakeDeleteError
	f.mu.Lock()
	f.batches = append(f.batches, len(req.Objects))
	f.quiet = req.Quiet
	for _, o := range req.Objects {
		switch {
		case strings.Contains(o.Key, "denied"):
			errs = append(errs, fakeDeleteError{o.Key, "AccessDenied", "Access Denied"})
		case strings.Contains(o.Key, "slow"):
			errs = append(errs, fakeDeleteError{o.Key, "SlowDown", "Please reduce your request rate"})
		default:
			delete(f.objects, o.Key)
		}
	}
	f.mu.Unlock()
	writeXML(w, struct {
		XMLName xml.Name          `xml:"DeleteResult"`
		Errors  []fakeDeleteError `xml:"Error"`
	}{Errors: errs})
}

func writeXML(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/xml")
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(v)
}

func writeS3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s<Error><Code>%s</Code><Message>fake %s</Message><RequestId>1</RequestId></Error>", xml.Header, code, code)
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// newFakeBackend builds a backend on f with the option tweaks applied.
func newFakeBackend(t *testing.T, f *fakeS3, tweak func(*Options)) *Backend {
	t.Helper()
	o := f.options()
	if tweak != nil {
		tweak(&o)
	}
	b, err := New(t.Context(), o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	b.sleepFn = func(context.Context, time.Duration) error { return nil }
	t.Cleanup(func() { _ = b.Close() })
	return b
}
