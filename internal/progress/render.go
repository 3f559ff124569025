package progress

import (
	"io"
	"log/slog"
	"sync"
	"time"
)

// rateWindow is the span over which renderers measure the transfer rate.
const rateWindow = 10 * time.Second

// stageState is what both renderers keep about the running stage.
type stageState struct {
	name  string
	meter *meter
	last  time.Time // last render
}

func (s *stageState) begin(e Event, now time.Time) {
	s.name, s.meter, s.last = e.Stage, newMeter(rateWindow, now), time.Time{}
}

// Terminal draws one live line per stage on a terminal, redrawn in place
// with "\r" at most every MinRedraw; the line of a finished stage stays.
// Log output written through Writer clears the line first and redraws it
// after, so the two do not garble each other.
type Terminal struct {
	// MinRedraw is the minimum time between redraws (default 200 ms).
	MinRedraw time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu    sync.Mutex
	w     io.Writer
	shown string // the line on screen, "" when none
	st    stageState
}

// NewTerminal returns a Terminal renderer writing to w.
func NewTerminal(w io.Writer) *Terminal { return &Terminal{w: w} }

func (t *Terminal) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Report implements Reporter.
func (t *Terminal) Report(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if e.Kind == StageStarted || t.st.meter == nil || t.st.name != e.Stage {
		t.st.begin(e, now)
	}
	t.st.meter.observe(now, e.BytesDone)
	minRedraw := t.MinRedraw
	if minRedraw <= 0 {
		minRedraw = 200 * time.Millisecond
	}
	if e.Kind == Updated && now.Sub(t.st.last) < minRedraw {
		return
	}
	t.st.last = now
	t.draw(line(e, t.st.meter.rate(now, e.BytesDone)))
	if e.Kind == StageFinished {
		io.WriteString(t.w, "\n")
		t.shown = ""
	}
}

// draw replaces the line on screen with s.
func (t *Terminal) draw(s string) {
	io.WriteString(t.w, "\r"+s+"\x1b[K")
	t.shown = s
}

// Writer returns a writer for log lines (whole lines per Write, as slog
// handlers do) that appear above the live line.
func (t *Terminal) Writer() io.Writer { return termWriter{t} }

type termWriter struct{ t *Terminal }

func (w termWriter) Write(p []byte) (int, error) {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	if w.t.shown == "" {
		return w.t.w.Write(p)
	}
	io.WriteString(w.t.w, "\r\x1b[K")
	n, err := w.t.w.Write(p)
	io.WriteString(w.t.w, "\r"+w.t.shown+"\x1b[K")
	return n, err
}

// Log writes one slog line ("Progress", with stage, files, bytes, rate and
// eta attributes) every Interval while a stage runs; stage starts and ends
// are left to the caller's own log lines.
type Log struct {
	// Interval between lines (default 5 s).
	Interval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	logger *slog.Logger
	mu     sync.Mutex
	st     stageState
}

// NewLog returns a Log renderer writing to logger.
func NewLog(logger *slog.Logger) *Log { return &Log{logger: logger} }

// Report implements Reporter.
func (l *Log) Report(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	if e.Kind == StageStarted || l.st.meter == nil || l.st.name != e.Stage {
		l.st.begin(e, now)
		l.st.last = now
	}
	l.st.meter.observe(now, e.BytesDone)
	interval := l.Interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if e.Kind != Updated || now.Sub(l.st.last) < interval {
		return
	}
	l.st.last = now
	attrs := []any{"stage", e.Stage, "files", fraction(e.FilesDone, e.FilesTotal, false)}
	if e.BytesTotal > 0 || e.BytesDone > 0 {
		attrs = append(attrs, "bytes", fraction(e.BytesDone, e.BytesTotal, true))
	}
	if rate := l.st.meter.rate(now, e.BytesDone); rate > 0 {
		attrs = append(attrs, "rate", Bytes(int64(rate))+"/s")
		if left := e.BytesTotal - e.BytesDone; e.BytesTotal > 0 && left > 0 {
			attrs = append(attrs, "eta", Duration(time.Duration(float64(left)/rate*float64(time.Second))))
		}
	}
	l.logger.Info("Progress", attrs...)
}

func fraction(done, total int64, bytes bool) string {
	f := func(n int64) string {
		if bytes {
			return Bytes(n)
		}
		return formatInt(n)
	}
	if total <= 0 {
		return f(done)
	}
	return f(done) + "/" + f(total)
}
