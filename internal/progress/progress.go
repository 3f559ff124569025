package progress

import (
	"io"
	"sync"
	"sync/atomic"
)

// Kind says what an Event reports.
type Kind int

// Event kinds.
const (
	// StageStarted: a stage began; the totals are known (0 when not).
	StageStarted Kind = iota
	// Updated: files or bytes advanced.
	Updated
	// StageFinished: the stage ended (successfully or not).
	StageFinished
)

// Event is a snapshot of one stage's progress.
type Event struct {
	Stage      string
	Kind       Kind
	FilesDone  int64
	FilesTotal int64
	BytesDone  int64
	BytesTotal int64
}

// Reporter receives progress events. Implementations must be safe for
// concurrent use; Report must be cheap (it is called for every read of an
// upload) and must not block on I/O for long.
type Reporter interface {
	Report(Event)
}

// Discard is a Reporter that drops every event.
var Discard Reporter = discard{}

type discard struct{}

func (discard) Report(Event) {}

// Tracker counts the progress of one stage for any number of goroutines
// and reports each change. The zero value is not usable; use Start.
type Tracker struct {
	r          Reporter
	stage      string
	filesTotal int64
	bytesTotal int64
	filesDone  atomic.Int64
	bytesDone  atomic.Int64
	finish     sync.Once
}

// Start reports the beginning of stage with its totals (0 if unknown) and
// returns the Tracker that counts it. A nil r discards events.
func Start(r Reporter, stage string, filesTotal, bytesTotal int64) *Tracker {
	if r == nil {
		r = Discard
	}
	t := &Tracker{r: r, stage: stage, filesTotal: filesTotal, bytesTotal: bytesTotal}
	t.report(StageStarted)
	return t
}

// Snapshot returns the current counts as an Updated event.
func (t *Tracker) Snapshot() Event {
	return Event{
		Stage: t.stage, Kind: Updated,
		FilesDone: t.filesDone.Load(), FilesTotal: t.filesTotal,
		BytesDone: t.bytesDone.Load(), BytesTotal: t.bytesTotal,
	}
}

func (t *Tracker) report(k Kind) {
	e := t.Snapshot()
	e.Kind = k
	t.r.Report(e)
}

// AddBytes counts n more bytes done.
func (t *Tracker) AddBytes(n int64) {
	if n == 0 {
		return
	}
	t.bytesDone.Add(n)
	t.report(Updated)
}

// FileDone counts one more file done.
func (t *Tracker) FileDone() {
	t.filesDone.Add(1)
	t.report(Updated)
}

// Finish reports the end of the stage; later calls do nothing.
func (t *Tracker) Finish() {
	t.finish.Do(func() { t.report(StageFinished) })
}

// Source is what CountingSource wraps: a re-readable upload body
// (storage.Source has this shape).
type Source interface {
	io.ReaderAt
	Size() int64
}

// CountingSource is a Source that adds the bytes read from it to a
// Tracker, never more than its size: backends may read a section twice
// (hashing, retries), and the progress must not run past the file.
type CountingSource struct {
	src     Source
	t       *Tracker
	counted atomic.Int64
}

// Count wraps src so reads advance t.
func Count(src Source, t *Tracker) *CountingSource { return &CountingSource{src: src, t: t} }

// ReadAt implements io.ReaderAt.
func (c *CountingSource) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.src.ReadAt(p, off)
	c.add(int64(n))
	return n, err
}

// Size implements Source.
func (c *CountingSource) Size() int64 { return c.src.Size() }

// Complete counts whatever part of the source was not read yet (a store
// may skip reading, e.g. for an empty file), so the file ends fully counted.
func (c *CountingSource) Complete() { c.add(c.src.Size()) }

func (c *CountingSource) add(n int64) {
	for n > 0 {
		cur := c.counted.Load()
		room := c.src.Size() - cur
		if room <= 0 {
			return
		}
		k := min(n, room)
		if c.counted.CompareAndSwap(cur, cur+k) {
			c.t.AddBytes(k)
			return
		}
	}
}
