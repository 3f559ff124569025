package metrics

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TextfileExt is the extension node_exporter's textfile collector reads;
// the files this package writes are named medusa_<topic>.prom.
const TextfileExt = ".prom"

// textfile is the content of one textfile-collector file: a registry of
// the series it will hold, and the families the previous version of the
// file held (to carry counters and last-success figures over from one
// run to the next).
type textfile struct {
	name string // e.g. medusa_backup.prom
	reg  *prometheus.Registry
	prev map[string]*dto.MetricFamily
	err  error // the first registration error
}

// openTextfile reads the previous version of dir/name, if any. A file that
// cannot be read or parsed is replaced as if it were not there (its
// counters restart), and the problem is returned for logging.
func openTextfile(dir, name string) (*textfile, error) {
	f := &textfile{name: name, reg: prometheus.NewRegistry(), prev: map[string]*dto.MetricFamily{}}
	prev, err := readTextfile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	f.prev = prev
	return f, nil
}

// readTextfile parses a file in Prometheus' text format.
func readTextfile(path string) (map[string]*dto.MetricFamily, error) {
	in, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(in)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return mfs, nil
}

// gauge adds one gauge series.
func (f *textfile) gauge(name, help string, labels prometheus.Labels, v float64) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels})
	g.Set(v)
	f.register(g)
}

// counter adds one counter series: its value in the previous file plus add.
func (f *textfile) counter(name, help string, labels prometheus.Labels, add float64) {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
	prev, _ := f.previous(name, labels)
	c.Add(prev + add)
	f.register(c)
}

// keep copies the gauge series name{labels} of the previous file, when
// there was one; it reports whether it did.
func (f *textfile) keep(name, help string, labels prometheus.Labels) bool {
	v, ok := f.previous(name, labels)
	if ok {
		f.gauge(name, help, labels, v)
	}
	return ok
}

func (f *textfile) register(c prometheus.Collector) {
	if err := f.reg.Register(c); err != nil && f.err == nil {
		f.err = err
	}
}

// previous is the value of the series name{labels} in the previous file.
func (f *textfile) previous(name string, labels prometheus.Labels) (float64, bool) {
	mf, ok := f.prev[name]
	if !ok {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		if !sameLabels(m.GetLabel(), labels) {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

func sameLabels(got []*dto.LabelPair, want prometheus.Labels) bool {
	if len(got) != len(want) {
		return false
	}
	for _, l := range got {
		if v, ok := want[l.GetName()]; !ok || v != l.GetValue() {
			return false
		}
	}
	return true
}

// write replaces dir/<name> atomically: the series are written to a
// temporary file in dir (a name the collector ignores), synced, made
// readable by everyone (0644: node_exporter often runs as another user)
// and renamed over the old file, so a scrape never sees half a file.
func (f *textfile) write(dir string) error {
	if f.err != nil {
		return fmt.Errorf("metrics of %s: %w", f.name, f.err)
	}
	mfs, err := f.reg.Gather()
	if err != nil {
		return fmt.Errorf("metrics of %s: %w", f.name, err)
	}
	tmp, err := os.CreateTemp(dir, "."+strings.TrimSuffix(f.name, TextfileExt)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write metrics into [monitoring] prometheus_textfile_dir = %s "+
			"(create it, writable by the user running medusa): %w", dir, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename: nothing left to remove
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(tmp, mf); err != nil {
			tmp.Close()
			return fmt.Errorf("write %s: %w", tmp.Name(), err)
		}
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	dst := filepath.Join(dir, f.name)
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return nil
}
