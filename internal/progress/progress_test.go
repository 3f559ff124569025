package progress

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Report(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// fakeClock is a manual clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)} }

func TestTrackerCountsConcurrentWork(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	tr := Start(rec, "upload", 100, 100*10)
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			tr.AddBytes(10)
			tr.FileDone()
		})
	}
	wg.Wait()
	tr.Finish()
	tr.Finish()
	if got := rec.events[0]; got.Kind != StageStarted || got.FilesTotal != 100 || got.BytesTotal != 1000 {
		t.Fatalf("first event = %+v, want StageStarted with totals", got)
	}
	last := rec.events[len(rec.events)-1]
	if last.Kind != StageFinished || last.FilesDone != 100 || last.BytesDone != 1000 {
		t.Fatalf("last event = %+v, want StageFinished 100 files 1000 bytes", last)
	}
	finished := 0
	for _, e := range rec.events {
		if e.Kind == StageFinished {
			finished++
		}
	}
	if finished != 1 {
		t.Fatalf("%d StageFinished events, want 1", finished)
	}
}

func TestCountingSourceNeverCountsPastSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reads [][2]int64 // offset, length
		want  int64
	}{
		{"one full read", [][2]int64{{0, 10}}, 10},
		{"read twice (hash then upload)", [][2]int64{{0, 10}, {0, 10}}, 10},
		{"partial read", [][2]int64{{0, 4}}, 4},
		{"no read", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := Start(nil, "upload", 1, 10)
			src := Count(strings.NewReader("0123456789"), tr)
			for _, r := range tc.reads {
				buf := make([]byte, r[1])
				if _, err := src.ReadAt(buf, r[0]); err != nil {
					t.Fatal(err)
				}
			}
			if got := tr.Snapshot().BytesDone; got != tc.want {
				t.Fatalf("bytes done = %d, want %d", got, tc.want)
			}
			src.Complete()
			if got := tr.Snapshot().BytesDone; got != 10 {
				t.Fatalf("after Complete bytes done = %d, want 10", got)
			}
			if src.Size() != 10 {
				t.Fatalf("Size = %d", src.Size())
			}
		})
	}
}

func TestTerminalRedrawsInPlaceAndThrottles(t *testing.T) {
	t.Parallel()
	clk := newClock()
	var out bytes.Buffer
	term := NewTerminal(&out)
	term.Now = clk.now
	term.MinRedraw = time.Second

	tr := Start(term, "upload", 4, 4<<20)
	clk.advance(100 * time.Millisecond)
	tr.AddBytes(1 << 20) // too soon: not drawn
	if strings.Contains(out.String(), "1.0 MiB") {
		t.Fatalf("redrawn before MinRedraw: %q", out.String())
	}
	clk.advance(1900 * time.Millisecond)
	tr.AddBytes(1 << 20)
	tr.FileDone()
	clk.advance(2 * time.Second)
	tr.FileDone()
	tr.Finish()

	s := out.String()
	for _, want := range []string{
		"\rupload: 0/4 files, 0 B/4.0 MiB\x1b[K",
		"upload: 0/4 files, 2.0 MiB/4.0 MiB, 1.0 MiB/s, ETA 2s",
		"upload: 2/4 files, 2.0 MiB/4.0 MiB, 512.0 KiB/s, ETA 4s\x1b[K\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%q", want, s)
		}
	}
	if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Errorf("want exactly one newline, at the end (stage finished): %q", s)
	}
}

func TestTerminalWriterKeepsLineBelowLogs(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	term := NewTerminal(&out)
	term.Now = newClock().now
	w := term.Writer()
	if _, err := w.Write([]byte("INFO: before\n")); err != nil {
		t.Fatal(err)
	}
	Start(term, "upload", 2, 0)
	out.Reset()
	if _, err := w.Write([]byte("INFO: during\n")); err != nil {
		t.Fatal(err)
	}
	want := "\r\x1b[KINFO: during\n\rupload: 0/2 files\x1b[K"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

// lines collects slog records as "msg k=v ..." strings.
type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	l.mu.Lock()
	l.got = append(l.got, b.String())
	l.mu.Unlock()
	return nil
}
func (l *lines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *lines) WithGroup(string) slog.Handler      { return l }

func TestLogWritesOneLinePerInterval(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := &lines{}
	lg := NewLog(slog.New(h))
	lg.Now = clk.now
	lg.Interval = 5 * time.Second

	tr := Start(lg, "upload", 10, 10<<20)
	for range 10 { // one file of 1 MiB per second
		clk.advance(time.Second)
		tr.AddBytes(1 << 20)
		tr.FileDone()
	}
	tr.Finish()
	want := []string{
		// The line is written when the bytes arrive, before the file is counted.
		"Progress stage=upload files=4/10 bytes=5.0 MiB/10.0 MiB rate=1.0 MiB/s eta=5s",
		"Progress stage=upload files=9/10 bytes=10.0 MiB/10.0 MiB rate=1.0 MiB/s",
	}
	if strings.Join(h.got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log lines:\n%s\nwant:\n%s", strings.Join(h.got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		got, want string
	}{
		{Bytes(0), "0 B"},
		{Bytes(1023), "1023 B"},
		{Bytes(1536), "1.5 KiB"},
		{Bytes(85 << 20), "85.0 MiB"},
		{Bytes(3 << 40), "3.0 TiB"},
		{Duration(44600 * time.Millisecond), "45s"},
		{Duration(105 * time.Second), "1m45s"},
		{Duration(2*time.Hour + 3*time.Minute + 10*time.Second), "2h03m"},
		{line(Event{Stage: "pool", FilesDone: 7}, 0), "pool: 7 files"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestMeterUsesSlidingWindow(t *testing.T) {
	t.Parallel()
	clk := newClock()
	m := newMeter(10*time.Second, clk.now())
	var done int64
	for range 20 { // 100 B/s for 20 s
		clk.advance(time.Second)
		done += 100
		m.observe(clk.now(), done)
	}
	for range 10 { // then 1000 B/s for 10 s
		clk.advance(time.Second)
		done += 1000
		m.observe(clk.now(), done)
	}
	if r := m.rate(clk.now(), done); r < 900 || r > 1000 {
		t.Fatalf("rate = %.0f B/s, want about 1000 (the last 10 s only)", r)
	}
}
