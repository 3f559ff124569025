package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// DeepOptions are the settings of a deep verify (VerifyDeep).
type DeepOptions struct {
	// Percent is the share of the objects read, in (0, 100]; 0 means 100.
	Percent float64
	// Seed picks the sample when Percent < 100: the same seed and the same
	// backup pick the same objects.
	Seed int64
	// Concurrency is the number of objects read at once ([storage]
	// concurrent_transfers); <= 0 means 1.
	Concurrency int
	// Reporter receives the progress (stage "verify"); nil discards it.
	Reporter progress.Reporter
}

// DeepReport is what the content pass of a deep verify did.
type DeepReport struct {
	Percent float64
	Seed    int64
	// Objects are the objects stored with their manifest's size (the
	// candidates); Read the ones sampled and read, Bytes their size.
	Objects, Read int
	Bytes         int64
	// Unchecked counts the objects read whose content could not be
	// compared with the manifest (no hash recorded, hashes that are no
	// MD5s, a multipart ETag of an unknown part size); each has a warning.
	Unchecked int
	// Errors are the failure lines: "  - [<path>] Content differs from the
	// manifest ...", "  - [<path>] Doesn't exists", ...
	Errors []string
}

// DeepDefaultPercent is the share read when none is given.
const DeepDefaultPercent = 100

// contentItem is one stored object a deep verify may read.
type contentItem struct {
	path string // the object key
	want string // the manifest's hash, "" for none
	size int64
}

// deepBuffer is the read buffer of one object being hashed.
const deepBuffer = 1 << 20

// VerifyDeep is Verify (sizes, and hashes as listed with md5) followed by
// a content pass: the objects stored with their manifest's size, all or a
// sample of o.Percent of them chosen by o.Seed, are read and their content
// hashed in the form the manifest records (hex or base64 MD5, S3
// multipart ETag). The pass streams every object into the hash through
// one buffer per reader (o.Concurrency readers), through the Catalog's
// Backend (so the storage stack's bandwidth and concurrency limits
// apply). An object whose content differs from the manifest, that
// disappeared or changed while being read is a failure line in
// res.Deep.Errors; *-Summary.db mismatches are warnings, as in Verify.
// An incomplete backup is not read.
func (c *Catalog) VerifyDeep(ctx context.Context, backup string, md5 bool, o DeepOptions) (VerifyResult, error) {
	if o.Percent == 0 {
		o.Percent = DeepDefaultPercent
	}
	if !(o.Percent > 0 && o.Percent <= 100) {
		return VerifyResult{Backup: backup}, fmt.Errorf("deep verify of %s: sample %v%% is not in (0, 100]", backup, o.Percent)
	}
	cb, err := c.ClusterBackup(ctx, backup)
	if err != nil {
		return VerifyResult{Backup: backup}, err
	}
	res := VerifyResult{Backup: cb.Name, Complete: cb.IsComplete(), Missing: cb.MissingNodes(),
		Deep: &DeepReport{Percent: o.Percent, Seed: o.Seed}}
	if !res.Complete {
		for _, n := range cb.IncompleteNodes() {
			res.Incomplete = append(res.Incomplete, IncompleteNode{FQDN: n.FQDN, Started: *n.Started})
		}
		return res, nil
	}
	present, err := c.verifyNodes(ctx, cb, md5, &res)
	if err != nil {
		return res, err
	}
	items := sample(present, o.Percent, o.Seed)
	res.Deep.Objects, res.Deep.Read = len(present), len(items)
	// Largest first, so that the last objects read are small ones and the
	// readers finish together.
	slices.SortStableFunc(items, func(a, b contentItem) int { return cmp.Compare(b.size, a.size) })
	for _, it := range items {
		res.Deep.Bytes += it.size
	}
	if err := c.readContent(ctx, items, res.Deep.Bytes, o, &res); err != nil {
		return res, fmt.Errorf("deep verify of %s: %w", cb.Name, err)
	}
	return res, nil
}

// sample returns ceil(percent% of len(items)) of items (all for 100, at
// least one), chosen by seed: the items are ordered by key and shuffled
// with a PCG generator seeded with seed, and the first ones kept, so one
// seed picks the same objects of the same backup on every run.
func sample(items []contentItem, percent float64, seed int64) []contentItem {
	out := slices.Clone(items)
	if percent >= 100 || len(out) == 0 {
		return out
	}
	slices.SortFunc(out, func(a, b contentItem) int { return strings.Compare(a.path, b.path) })
	r := rand.New(rand.NewPCG(uint64(seed), 0x6d65647573612d76)) // "medusa-v"
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	n := int(math.Ceil(float64(len(out)) * percent / 100))
	return out[:max(min(n, len(out)), 1)]
}

// readContent reads items (total bytes) with o.Concurrency readers and
// adds what it finds to res. It stops at the first error that is no
// verdict on one object (the store refuses or cannot answer, the context
// ends).
func (c *Catalog) readContent(ctx context.Context, items []contentItem, total int64, o DeepOptions, res *VerifyResult) error {
	t := progress.Start(o.Reporter, "verify", int64(len(items)), total)
	defer t.Finish()
	bufs := sync.Pool{New: func() any { b := make([]byte, deepBuffer); return &b }}
	outcomes := make([]contentCheck, len(items))
	err := forEach(ctx, len(items), max(o.Concurrency, 1), func(ctx context.Context, i int) error {
		buf := bufs.Get().(*[]byte)
		defer bufs.Put(buf)
		v, err := c.checkContent(ctx, items[i], *buf, t)
		if err != nil {
			return err
		}
		t.FileDone()
		outcomes[i] = v
		return nil
	})
	for _, oc := range outcomes {
		if oc.errLine != "" {
			res.Deep.Errors = append(res.Deep.Errors, oc.errLine)
		}
		if oc.warning != "" {
			c.log().Warn(oc.warning)
			res.Warnings = append(res.Warnings, oc.warning)
		}
		if oc.unchecked {
			res.Deep.Unchecked++
		}
	}
	slices.Sort(res.Deep.Errors)
	return err
}

// contentCheck is the verdict on one object read.
type contentCheck struct {
	errLine, warning string
	unchecked        bool
}

// checkContent reads it once and hashes it in the form its manifest hash
// has: the plain MD5, or the multipart ETag with the part size the
// backend uses today when that gives the manifest's number of parts (one
// MD5 state: a mismatch then means other content, as in restore), else
// with every candidate part size at once (checksum.Checker: a content that
// reproduces none may come from an unusual part size, which is warned
// about, not failed).
func (c *Catalog) checkContent(ctx context.Context, it contentItem, buf []byte, t *progress.Tracker) (contentCheck, error) {
	want := checksum.Parse(it.want)
	if !want.IsContent() || !checksum.HashesAreContent(c.Backend) {
		if ck, err := c.readInto(ctx, it, nil, buf, t); ck.errLine != "" || err != nil {
			return ck, err
		}
		why := "no hash is recorded in the manifest"
		if want.Kind != checksum.Empty {
			why = fmt.Sprintf("its hash %s is no MD5 of the content", it.want)
		}
		return contentCheck{unchecked: true, warning: fmt.Sprintf(
			"Blob [%s] was read (%d bytes) but its content cannot be checked: %s", it.path, it.size, why)}, nil
	}
	own := checksum.PartSizeOf(c.Backend, it.size)
	var got string
	verdict := checksum.Differs
	if h := checksum.HasherFor(it.want, it.size, own); want.Kind == checksum.Plain || (own > 0 && h.PartSize() == own) {
		if ck, err := c.readInto(ctx, it, h, buf, t); ck.errLine != "" || err != nil {
			return ck, err
		}
		if got = h.Sum(); checksum.Equal(got, it.want) {
			verdict = checksum.Matches
		}
	} else {
		chk := checksum.NewChecker(it.want, it.size, own)
		if ck, err := c.readInto(ctx, it, chk, buf, t); ck.errLine != "" || err != nil {
			return ck, err
		}
		got, verdict = chk.Sum(), chk.Verdict()
	}
	switch verdict {
	case checksum.Matches:
		return contentCheck{}, nil
	case checksum.Unknown:
		return contentCheck{unchecked: true, warning: fmt.Sprintf("Blob [%s]: its content does not reproduce the "+
			"manifest's ETag %s with any part size tried (the backend's, %s); the part size of its upload is unknown",
			it.path, it.want, checksum.UsualPartSizes())}, nil
	}
	if mayBeRebuilt(it.path) {
		return contentCheck{warning: fmt.Sprintf("Blob [%s] content differs from the manifest. It's a Summary.db "+
			"file which might be re-written once Cassandra rebuilds index summaries; not failing the verification.",
			it.path)}, nil
	}
	c.log().Error("Content differs from the manifest", "key", it.path, "manifest", it.want, "content", got)
	return contentCheck{errLine: fmt.Sprintf("  - [%s] Content differs from the manifest (manifest %s, content %s)",
		it.path, it.want, got)}, nil
}

// readInto streams it into w (nil: only read), counting the bytes on t
// (nil: not counted). An object gone, changed while read or of another
// length than the manifest's is a failure line, not an error.
func (c *Catalog) readInto(ctx context.Context, it contentItem, w io.Writer, buf []byte, t *progress.Tracker) (contentCheck, error) {
	r, _, err := c.Backend.Get(ctx, it.path, 0, -1)
	if errors.Is(err, storage.ErrNotExist) {
		return contentCheck{errLine: fmt.Sprintf("  - [%s] Doesn't exists", it.path)}, nil
	}
	if err != nil {
		return contentCheck{}, fmt.Errorf("read %s: %w", it.path, err)
	}
	defer r.Close()
	dst := countingWriter{w: w, t: t}
	n, err := io.CopyBuffer(dst, onlyReader{r}, buf)
	switch {
	case errors.Is(err, storage.ErrNotExist):
		return contentCheck{errLine: fmt.Sprintf("  - [%s] Doesn't exists", it.path)}, nil
	case errors.Is(err, storage.ErrChanged):
		return contentCheck{errLine: fmt.Sprintf("  - [%s] Changed while being read (stored again?)", it.path)}, nil
	case err != nil:
		return contentCheck{}, fmt.Errorf("read %s: %w", it.path, err)
	case n != it.size:
		return contentCheck{errLine: fmt.Sprintf("  - [%s] Read %d bytes, the manifest records %d", it.path, n, it.size)}, nil
	}
	return contentCheck{}, nil
}

// onlyReader hides any WriterTo of the stream, so io.CopyBuffer uses the
// buffer given (bounded memory whatever the backend's reader does).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// countingWriter writes to w (nil: discards) and counts bytes on t.
type countingWriter struct {
	w io.Writer
	t *progress.Tracker
}

func (c countingWriter) Write(p []byte) (int, error) {
	if c.w != nil {
		c.w.Write(p) //nolint:errcheck // hashes never fail
	}
	if c.t != nil {
		c.t.AddBytes(int64(len(p)))
	}
	return len(p), nil
}

// writeText writes the content lines of WriteText.
func (d *DeepReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "- Content read: %d of %d objects", d.Read, d.Objects)
	if d.Percent < 100 {
		fmt.Fprintf(w, " (%s%% sample, seed %d)", strconv.FormatFloat(d.Percent, 'f', -1, 64), d.Seed)
	}
	fmt.Fprintf(w, ", %s", progress.Bytes(d.Bytes))
	if d.Unchecked > 0 {
		fmt.Fprintf(w, ", %d of them not checkable (see the warnings)", d.Unchecked)
	}
	fmt.Fprintln(w)
	if len(d.Errors) == 0 {
		fmt.Fprintln(w, "- Content validated: OK!!")
		return
	}
	fmt.Fprintln(w, "- Content validation: Failed!")
	for _, e := range d.Errors {
		fmt.Fprintln(w, e)
	}
}
