package cli

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/medusa-go/medusa/internal/config"
)

// Monitoring providers of [monitoring] monitoring_provider.
const (
	monitoringNone      = "None"
	monitoringLocal     = "local"
	monitoringDogStatsd = "dog-statsd"
	localMetricsFile    = "metrics.json"
	defaultStatsdPort   = "8125"
)

// monitor sends one metric: tags are Medusa's [name, what, backup name].
// Any command can use it (report-last-backup does).
type monitor interface {
	send(tags []string, value int64) error
}

// newMonitor returns the provider cfg names. getenv is used for
// DD_AGENT_HOST and DD_DOGSTATSD_PORT.
func newMonitor(cfg config.Monitoring, getenv func(string) string) (monitor, error) {
	switch cfg.MonitoringProvider {
	case monitoringNone, "":
		return noopMonitor{}, nil
	case monitoringLocal:
		return &localMonitor{file: localMetricsFile}, nil
	case monitoringDogStatsd:
		host, port := getenv("DD_AGENT_HOST"), getenv("DD_DOGSTATSD_PORT")
		if host == "" {
			host = "localhost"
		}
		if port == "" {
			port = defaultStatsdPort
		}
		return &statsdMonitor{addr: net.JoinHostPort(host, port), backupNameTag: cfg.SendBackupNameTag}, nil
	}
	return nil, fmt.Errorf("unsupported monitoring provider %q (None, local or dog-statsd)", cfg.MonitoringProvider)
}

type noopMonitor struct{}

func (noopMonitor) send([]string, int64) error { return nil }

// localMonitor appends one JSON line per metric to ./metrics.json, like
// Medusa's LocalMonitoring: {"seq": n, "tags": [...], "value": v}, seq
// counting from 0 in each process.
type localMonitor struct {
	mu   sync.Mutex
	file string
	seq  int
}

func (m *localMonitor) send(tags []string, value int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, `{"seq": %d, "tags": [`, m.seq)
	for i, t := range tags {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pyQuote(t))
	}
	fmt.Fprintf(&b, `], "value": %d}`+"\n", value)
	f, err := os.OpenFile(m.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("local monitoring: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("local monitoring: %w", err)
	}
	m.seq++
	return f.Close()
}

// pyQuote renders s like Python's json.dumps (ensure_ascii=True).
func pyQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r > 0x7f && r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r >= 0x10000:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// statsdMonitor sends DogStatsD gauges over UDP, one datagram per metric:
// "<name>.<what>:<value>|g", plus "|#backup_name:<backup>" when
// send_backup_name_tag is set (Medusa's DogStatsdMonitoring).
type statsdMonitor struct {
	addr          string
	backupNameTag bool
}

func (m *statsdMonitor) send(tags []string, value int64) error {
	if len(tags) != 3 {
		return fmt.Errorf("dog-statsd monitoring needs 3 tags: name, what and backup name; got %q", tags)
	}
	msg := tags[0] + "." + tags[1] + ":" + strconv.FormatInt(value, 10) + "|g"
	if m.backupNameTag {
		msg += "|#backup_name:" + tags[2]
	}
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
