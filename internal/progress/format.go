package progress

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// meter estimates the transfer rate over a sliding window of samples.
type meter struct {
	window  time.Duration
	samples []sample
}

type sample struct {
	t     time.Time
	bytes int64
}

// sampleEvery is the spacing of the samples the window keeps.
const sampleEvery = 250 * time.Millisecond

func newMeter(window time.Duration, now time.Time) *meter {
	return &meter{window: window, samples: []sample{{now, 0}}}
}

// observe records that bytes were done at now. Samples are kept at least
// sampleEvery apart; the oldest one kept is at most one step outside the
// window.
func (m *meter) observe(now time.Time, bytes int64) {
	if now.Sub(m.samples[len(m.samples)-1].t) >= sampleEvery {
		m.samples = append(m.samples, sample{now, bytes})
	}
	for len(m.samples) > 1 && now.Sub(m.samples[1].t) >= m.window {
		m.samples = m.samples[1:]
	}
}

// rate returns bytes per second over the window (0 when unknown).
func (m *meter) rate(now time.Time, bytes int64) float64 {
	first := m.samples[0]
	span := now.Sub(first.t).Seconds()
	if span < 0.5 {
		return 0
	}
	return float64(bytes-first.bytes) / span
}

// line renders an event as "stage: 12/340 files, 1.2 GiB/10.0 GiB,
// 85.3 MiB/s, ETA 1m45s", leaving out what is unknown.
func line(e Event, rate float64) string {
	var b strings.Builder
	b.WriteString(e.Stage)
	b.WriteString(": ")
	if e.FilesTotal > 0 {
		fmt.Fprintf(&b, "%d/%d files", e.FilesDone, e.FilesTotal)
	} else {
		fmt.Fprintf(&b, "%d files", e.FilesDone)
	}
	if e.BytesTotal > 0 || e.BytesDone > 0 {
		b.WriteString(", " + Bytes(e.BytesDone))
		if e.BytesTotal > 0 {
			b.WriteString("/" + Bytes(e.BytesTotal))
		}
	}
	if rate > 0 {
		b.WriteString(", " + Bytes(int64(rate)) + "/s")
		if left := e.BytesTotal - e.BytesDone; e.BytesTotal > 0 && left > 0 {
			b.WriteString(", ETA " + Duration(time.Duration(float64(left)/rate*float64(time.Second))))
		}
	}
	return b.String()
}

// Bytes renders n with 1024-based units and one decimal: "512 B",
// "1.5 KiB", "85.3 MiB", "1.2 GiB".
func Bytes(n int64) string {
	units := [...]string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// Duration renders d rounded to the second ("45s", "1m45s", "2h03m").
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
