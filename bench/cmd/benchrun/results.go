package main

import (
	"slices"
)

// row is one command of one case, measured once per round.
type row struct {
	caseN      int
	key, label string
	samples    []sample
}

// results collects rows in the order they were first measured.
type results struct {
	rows []*row
	info map[int]string
}

func newResults() *results { return &results{info: map[int]string{}} }

func (r *results) add(caseN int, key, label string, s sample) {
	if w := r.get(caseN, key); w != nil {
		w.samples = append(w.samples, s)
		return
	}
	r.rows = append(r.rows, &row{caseN: caseN, key: key, label: label, samples: []sample{s}})
}

func (r *results) get(caseN int, key string) *row {
	for _, w := range r.rows {
		if w.caseN == caseN && w.key == key {
			return w
		}
	}
	return nil
}

func (r *results) setInfo(caseN int, s string) { r.info[caseN] = s }

func (r *results) caseRows(caseN int) []*row {
	var out []*row
	for _, w := range r.rows {
		if w.caseN == caseN {
			out = append(out, w)
		}
	}
	return out
}

// stat is the median, minimum and maximum of a metric over the samples.
type stat struct{ med, min, max float64 }

func (w *row) stat(f func(sample) float64) stat {
	v := make([]float64, len(w.samples))
	for i, s := range w.samples {
		v[i] = f(s)
	}
	slices.Sort(v)
	n := len(v)
	med := v[n/2]
	if n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	return stat{med: med, min: v[0], max: v[n-1]}
}

func (w *row) mbps() stat { return w.stat(func(s sample) float64 { return s.mbps() }) }
func (w *row) wall() stat { return w.stat(func(s sample) float64 { return s.wall.Seconds() }) }
func (w *row) cpu() stat  { return w.stat(func(s sample) float64 { return s.cpu().Seconds() }) }
func (w *row) rssMiB() stat {
	return w.stat(func(s sample) float64 { return float64(s.rss) / (1 << 20) })
}
func (w *row) server() stat { return w.stat(func(s sample) float64 { return s.server.Seconds() }) }
func (w *row) hasBytes() bool {
	return len(w.samples) > 0 && w.samples[0].bytes > 0
}
