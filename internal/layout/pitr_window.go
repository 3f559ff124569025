package layout

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// PITRWindow is the recoverable window of one node: the times a
// point-in-time restore can reach from its backups and archived commit
// log segments (computed by internal/commitlog).
type PITRWindow struct {
	FQDN string
	// Segments is the number of archived segments of the node.
	Segments int
	// Spans are the restorable intervals [from, to], sorted and disjoint;
	// between two of them lies a gap.
	Spans [][2]time.Time
	// Why says, when Spans is empty, why no time is restorable.
	Why string
}

// pitrTextLayout is RFC 3339 with milliseconds: a time --pitr accepts.
const pitrTextLayout = "2006-01-02T15:04:05.000Z07:00"

// pitrJSONLayout is RFC 3339 in UTC with microseconds, the precision of
// restore_point_in_time.
const pitrJSONLayout = "2006-01-02T15:04:05.000000Z"

// ceilMilli rounds t up to the millisecond: the earliest restorable time
// printed to the millisecond is still restorable.
func ceilMilli(t time.Time) time.Time {
	if r := t.Truncate(time.Millisecond); r.Before(t) {
		return r.Add(time.Millisecond)
	}
	return t
}

// Text returns the window as one line (without prefix or newline):
//
//	Point-in-time restore window of <fqdn>: <earliest> to <latest>[, gap between <t1> and <t2>]...
//	Point-in-time restore window of <fqdn>: none (<why>; <n> archived segments)
//
// Times are RFC 3339 with milliseconds in loc: the earliest rounded up,
// the latest down, so that both can be passed to restore-node --pitr.
func (w PITRWindow) Text(loc *time.Location) string {
	head := "Point-in-time restore window of " + w.FQDN + ": "
	if len(w.Spans) == 0 {
		return fmt.Sprintf("%snone (%s; %d archived segments)", head, w.Why, w.Segments)
	}
	from := func(t time.Time) string { return ceilMilli(t).In(loc).Format(pitrTextLayout) }
	to := func(t time.Time) string { return t.Truncate(time.Millisecond).In(loc).Format(pitrTextLayout) }
	s := head + from(w.Spans[0][0]) + " to " + to(w.Spans[len(w.Spans)-1][1])
	for i := 1; i < len(w.Spans); i++ {
		s += ", gap between " + to(w.Spans[i-1][1]) + " and " + from(w.Spans[i][0])
	}
	return s
}

// WritePITRWindows writes one line per window (Text), each preceded by
// bullet.
func WritePITRWindows(w io.Writer, windows []PITRWindow, loc *time.Location, bullet string) error {
	bw := bufio.NewWriter(w)
	for _, win := range windows {
		bw.WriteString(bullet + win.Text(loc) + "\n")
	}
	return bw.Flush()
}

// appendPITRWindowJSON appends the pitr_window value of a node entry, keys
// sorted: earliest, gaps ([{"from", "to"}]), latest, segments; or, when no
// time is restorable: segments, why. Times are RFC 3339 UTC with
// microseconds.
func appendPITRWindowJSON(b []byte, w PITRWindow) []byte {
	ts := func(t time.Time) string { return t.UTC().Format(pitrJSONLayout) }
	if len(w.Spans) == 0 {
		b = strconv.AppendInt(appendPyKey(append(b, '{'), "segments", true, false), int64(w.Segments), 10)
		b = appendPyString(appendPyKey(b, "why", false, false), w.Why, false)
		return append(b, '}')
	}
	b = appendPyString(appendPyKey(append(b, '{'), "earliest", true, false), ts(w.Spans[0][0]), false)
	b = append(appendPyKey(b, "gaps", false, false), '[')
	for i := 1; i < len(w.Spans); i++ {
		if i > 1 {
			b = append(b, ", "...)
		}
		b = appendPyString(appendPyKey(append(b, '{'), "from", true, false), ts(w.Spans[i-1][1]), false)
		b = appendPyString(appendPyKey(b, "to", false, false), ts(w.Spans[i][0]), false)
		b = append(b, '}')
	}
	b = append(b, ']')
	b = appendPyString(appendPyKey(b, "latest", false, false), ts(w.Spans[len(w.Spans)-1][1]), false)
	b = strconv.AppendInt(appendPyKey(b, "segments", false, false), int64(w.Segments), 10)
	return append(b, '}')
}
