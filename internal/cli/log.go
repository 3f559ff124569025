package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// consoleHandler writes log records in Medusa's console format,
// "[2006-01-02 15:04:05,000] INFO: message key=value", or without the
// timestamp when --without-log-timestamp is given.
type consoleHandler struct {
	mu        *sync.Mutex
	w         io.Writer
	level     slog.Level
	timestamp bool
	attrs     string
	now       func() time.Time
}

// newLogger builds the console logger: -v is debug, -vv and more log
// everything (slog has no level below debug, so both show debug records).
func newLogger(w io.Writer, verbosity int, timestamp bool) *slog.Logger {
	level := slog.LevelInfo
	if verbosity >= 1 {
		level = slog.LevelDebug
	}
	if verbosity >= 2 {
		level = slog.LevelDebug - 4
	}
	return slog.New(&consoleHandler{mu: &sync.Mutex{}, w: w, level: level, timestamp: timestamp, now: time.Now})
}

func (h *consoleHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *consoleHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	if h.timestamp {
		t := r.Time
		if t.IsZero() {
			t = h.now()
		}
		fmt.Fprintf(&b, "[%s,%03d] ", t.Format("2006-01-02 15:04:05"), t.Nanosecond()/1e6)
	}
	b.WriteString(levelName(r.Level))
	b.WriteString(": ")
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, "", a)
		return true
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *consoleHandler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	for _, a := range as {
		writeAttr(&b, "", a)
	}
	c := *h
	c.attrs += b.String()
	return &c
}

// WithGroup is not used by medusa; grouped attributes are written flat.
func (h *consoleHandler) WithGroup(string) slog.Handler { return h }

func writeAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			writeAttr(b, prefix+a.Key+".", g)
		}
		return
	}
	v := a.Value.String()
	if strings.ContainsAny(v, " \t\"=") || v == "" {
		v = fmt.Sprintf("%q", v)
	}
	fmt.Fprintf(b, " %s%s=%s", prefix, a.Key, v)
}

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}
