package metrics

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
)

// Monitoring providers of [monitoring] monitoring_provider.
const (
	providerNone      = "None"
	providerLocal     = "local"
	providerDogStatsd = "dog-statsd"
	localMetricsFile  = "metrics.json"
	defaultStatsdPort = "8125"
)

// Monitor sends one metric: tags are Medusa's [name, what, backup name].
type Monitor interface {
	Send(tags []string, value int64) error
}

// New returns the provider cfg names. getenv is used for DD_AGENT_HOST and
// DD_DOGSTATSD_PORT (nil: nothing is set).
func New(cfg config.Monitoring, getenv func(string) string) (Monitor, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	switch cfg.MonitoringProvider {
	case providerNone, "", config.MonitoringPrometheus: // prometheus: see Run
		return noop{}, nil
	case providerLocal:
		return &local{file: localMetricsFile}, nil
	case providerDogStatsd:
		host, port := getenv("DD_AGENT_HOST"), getenv("DD_DOGSTATSD_PORT")
		if host == "" {
			host = "localhost"
		}
		if port == "" {
			port = defaultStatsdPort
		}
		return &statsd{addr: net.JoinHostPort(host, port), backupNameTag: cfg.SendBackupNameTag}, nil
	}
	return nil, fmt.Errorf("unsupported monitoring provider %q (None, local, dog-statsd or prometheus)", cfg.MonitoringProvider)
}

// Metric is one value with Medusa's tags.
type Metric struct {
	Tags  []string
	Value int64
}

// SendAll sends every metric to the provider cfg names; a failure is only
// logged (as Medusa does, monitoring never fails a command).
func SendAll(cfg config.Monitoring, getenv func(string) string, logger *slog.Logger, ms ...Metric) {
	mon, err := New(cfg, getenv)
	if err != nil {
		logger.Warn("Could not send metrics", "error", err.Error())
		return
	}
	for _, m := range ms {
		if err := mon.Send(m.Tags, m.Value); err != nil {
			logger.Warn("Could not send metric", "metric", m.Tags[0]+"."+m.Tags[1], "error", err.Error())
		}
	}
}

// Outcome is tags with 1 after a failure (err != nil), 0 after a success:
// purge-error, delete-error.
func Outcome(tags []string, err error) Metric {
	if err != nil {
		return Metric{Tags: tags, Value: 1}
	}
	return Metric{Tags: tags, Value: 0}
}

// NodeBackup are Medusa's node backup metrics: backup-duration (seconds
// of data transfer), backup-size (bytes) and backup-error 0 after a
// success; backup-error 1 alone after a failure.
func NodeBackup(name string, dataSeconds, bytes int64, err error) []Metric {
	tags := func(what string) []string { return []string{"medusa-node-backup", what, name} }
	if err != nil {
		return []Metric{{tags("backup-error"), 1}}
	}
	return []Metric{{tags("backup-duration"), dataSeconds}, {tags("backup-size"), bytes}, {tags("backup-error"), 0}}
}

type noop struct{}

func (noop) Send([]string, int64) error { return nil }

// local appends one JSON line per metric to ./metrics.json, like Medusa's
// LocalMonitoring: {"seq": n, "tags": [...], "value": v}, seq counting
// from 0 in each process.
type local struct {
	mu   sync.Mutex
	file string
	seq  int
}

func (m *local) Send(tags []string, value int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := fmt.Appendf(nil, `{"seq": %d, "tags": [`, m.seq)
	for i, t := range tags {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, layout.PyJSONString(t)...)
	}
	b = fmt.Appendf(b, `], "value": %d}`+"\n", value)
	f, err := os.OpenFile(m.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("local monitoring: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("local monitoring: %w", err)
	}
	m.seq++
	return f.Close()
}

// normalizeTag replaces each character of a DogStatsD tag that is not a
// letter, a number or one of _-:/. with "_", as Medusa's client (datadog's
// normalize_tags, Python's \w) does.
func normalizeTag(tag string) string {
	var b strings.Builder
	for _, r := range tag {
		switch {
		case unicode.IsLetter(r), unicode.IsNumber(r), strings.ContainsRune("_-:/.", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// statsd sends DogStatsD gauges over UDP, one datagram per metric:
// "<name>.<what>:<value>|g", plus "|#backup_name:<backup>" when
// send_backup_name_tag is set, and a newline (Medusa's DogStatsdMonitoring,
// byte for byte).
type statsd struct {
	addr          string
	backupNameTag bool
}

func (m *statsd) Send(tags []string, value int64) error {
	if len(tags) != 3 {
		return fmt.Errorf("dog-statsd monitoring needs 3 tags: name, what and backup name; got %q", tags)
	}
	msg := tags[0] + "." + tags[1] + ":" + strconv.FormatInt(value, 10) + "|g"
	if m.backupNameTag {
		msg += "|#" + normalizeTag("backup_name:"+tags[2])
	}
	msg += "\n" // as Medusa's client (datadog's DogStatsd) ends each metric
	conn, err := net.Dial("udp", m.addr)
	if err != nil {
		return fmt.Errorf("dog-statsd monitoring: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(msg)); err != nil {
		return fmt.Errorf("dog-statsd monitoring: %w", err)
	}
	return nil
}
