package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/medusa-go/medusa/internal/config"
)

// Gatherer gathers the series of the medusa_*.prom files in dir, the ones
// the commands (and the gRPC server's operations, through Run) wrote: the
// same series node_exporter's textfile collector exposes. Each Gather
// reads the files afresh; a missing dir gathers nothing.
func Gatherer(dir string) prometheus.Gatherer { return filesGatherer{dir: dir} }

type filesGatherer struct{ dir string }

func (g filesGatherer) Gather() ([]*dto.MetricFamily, error) {
	names, err := filepath.Glob(filepath.Join(g.dir, "medusa_*"+TextfileExt))
	if err != nil {
		return nil, err
	}
	var gs prometheus.Gatherers
	var errs []error
	for _, name := range names {
		mfs, err := readTextfile(name)
		if errors.Is(err, os.ErrNotExist) { // replaced between the Glob and the read
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		gs = append(gs, parsed(mfs))
	}
	out, err := gs.Gather() // merges the families and rejects duplicate series
	return out, errors.Join(append(errs, err)...)
}

// parsed is a Gatherer of families already read.
type parsed map[string]*dto.MetricFamily

func (p parsed) Gather() ([]*dto.MetricFamily, error) {
	out := make([]*dto.MetricFamily, 0, len(p))
	for _, k := range slices.Sorted(maps.Keys(p)) {
		out = append(out, p[k])
	}
	return out, nil
}

// Handler serves, in Prometheus' exposition formats, the series of the
// medusa_*.prom files in dir (see Gatherer) plus those of extra (e.g. a
// registry with the Go runtime collectors). A file that cannot be parsed
// is left out and logged; the others are still served.
func Handler(dir string, logger *slog.Logger, extra ...prometheus.Gatherer) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	g := append(prometheus.Gatherers{Gatherer(dir)}, extra...)
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{logger},
		ErrorHandling: promhttp.ContinueOnError,
	})
}

type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.l.Warn("metrics: " + strings.TrimSpace(fmt.Sprintln(v...)))
}

// Serve serves h on /metrics at addr ([monitoring] prometheus_listen,
// host:port) until ctx is done, then shuts the server down. It returns
// once the listener is closed; the error of a listener that cannot be
// opened names addr.
func Serve(ctx context.Context, addr string, h http.Handler) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("serve metrics on [monitoring] prometheus_listen = %s: %w", addr, err)
	}
	return ServeListener(ctx, ln, h)
}

// ServeListener is Serve on an open listener (closed on return).
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve metrics on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("stop serving metrics on %s: %w", ln.Addr(), err)
	}
	<-done
	return nil
}

// ServeConfigured is what a long-running medusa (the gRPC server) calls:
// with monitoring_provider = prometheus and prometheus_listen set, it
// serves on /metrics the series of the textfiles in
// prometheus_textfile_dir (those its own operations and the CLI's runs
// wrote, see Run) plus the process's Go runtime and process collectors,
// until ctx is done. Otherwise it returns nil at once.
func ServeConfigured(ctx context.Context, cfg config.Monitoring, logger *slog.Logger) error {
	if cfg.MonitoringProvider != config.MonitoringPrometheus || cfg.PrometheusListen == "" {
		return nil
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return Serve(ctx, cfg.PrometheusListen, Handler(cfg.PrometheusTextfileDir, logger, reg))
}
