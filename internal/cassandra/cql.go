package cassandra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/medusa-go/medusa/internal/clock"
)

// Defaults of CQLOptions.
const (
	DefaultNativePort     = 9042
	DefaultConnectTimeout = 10 * time.Second
	DefaultQueryTimeout   = 60 * time.Second
)

// Backoff is the retry schedule of Connect. Medusa retries the session 7
// times with an exponential wait between 10 s and 120 s.
type Backoff struct {
	Attempts int           // total tries (default 7)
	Initial  time.Duration // wait after the first failure (default 10 s), doubled each time
	Max      time.Duration // cap of a single wait (default 120 s)
	// Budget caps the time spent waiting between tries (default
	// DefaultRetryBudget): no wait goes past it.
	Budget time.Duration
	// DownGrace is how long tries go on once the node was seen down
	// (ErrNodeDown): 0 means the package's DownGrace, a negative value
	// stops at the first such failure.
	DownGrace time.Duration
}

// Delay returns the wait after failed try number n (1-based), as
// clock.Backoff does.
func (b Backoff) Delay(n int) time.Duration {
	return clock.Backoff{Attempts: b.Attempts, Initial: b.Initial, Max: b.Max}.Delay(n)
}

// DefaultRetryBudget is how long connecting is retried by default: the sum
// of Medusa's waits (10 s doubling to 2 min, 6 waits).
const DefaultRetryBudget = 390 * time.Second

// DownGrace is how long a retry loop keeps trying once ErrNodeDown was
// seen, in case the node is being restarted.
const DownGrace = 30 * time.Second

// DefaultBackoff is Medusa's schedule.
func DefaultBackoff() Backoff {
	return Backoff{Attempts: 7, Initial: 10 * time.Second, Max: 120 * time.Second, Budget: DefaultRetryBudget}
}

// AtMost is how long retries after a failure like err wait at most.
func (b Backoff) AtMost(err error) time.Duration {
	if errors.Is(err, ErrNodeDown) {
		grace := b.DownGrace
		if grace == 0 {
			grace = DownGrace
		}
		return max(min(b.Budget, grace), 0)
	}
	return b.Budget
}

// Next returns the wait before the next try after failed try n (1-based),
// given the time already waited and the failure, or ok false when the
// retries should stop: the budget would be exceeded, or the node is down
// (ErrNodeDown) and DownGrace has passed.
func (b Backoff) Next(n int, waited time.Duration, err error) (wait time.Duration, ok bool) {
	left := b.AtMost(err) - waited
	if left <= 0 {
		return 0, false
	}
	return min(b.Delay(n), left), true
}

// CQLOptions say how to reach the local node over CQL ([cassandra] settings
// and cassandra.yaml; internal/app fills them).
type CQLOptions struct {
	// Host is the contact point: cassandra.yaml listen_address. Empty means
	// the host's own name. A name is resolved to one address (IPv4 first).
	Host string
	// Port is the native transport port (NodeConfig.NativePort; default 9042).
	Port int
	// Username and Password enable PlainText authentication when both are
	// set (cql_username, cql_password). The password never appears in errors.
	Username string
	Password string
	// CAFile enables TLS (certfile): the server certificate must chain to
	// it. Like Medusa, the host name is not checked against the certificate.
	CAFile string
	// CertFile and KeyFile are the client certificate (usercert, userkey).
	CertFile string
	KeyFile  string
	// Kubernetes selects the pod-name rule for token map host names.
	Kubernetes bool
	// LocalName, in Kubernetes mode, is the name token maps and host lists
	// give the local node instead of its reverse-DNS name: its [storage]
	// fqdn (the pod name), so that tokenmap.json names the node as its
	// files are stored. Empty means the reverse-DNS rule for it too.
	LocalName string
	// ConnectTimeout bounds dialing and the connection handshake; Timeout
	// bounds one query. Zero means the defaults above.
	ConnectTimeout time.Duration
	Timeout        time.Duration
	// Backoff is the retry schedule of Connect; the zero value is DefaultBackoff.
	Backoff Backoff
	// ConfigFile is the node's cassandra.yaml: a refused connection while
	// no process of this node runs fails early (ErrNodeDown).
	ConfigFile string
	// Logger receives retry warnings (default: discarded).
	Logger *slog.Logger
	// Remote says the contact point is another machine (a cluster
	// command's seed): the local process table proves nothing about it.
	Remote bool

	procRoot string // the process table (tests); "" is /proc
}

// CQLOptionsFor returns options pointing at the node described by nc.
func CQLOptionsFor(nc *NodeConfig) CQLOptions {
	return CQLOptions{Host: nc.ListenAddress, Port: nc.NativePort, ConfigFile: nc.Path}
}

func (o *CQLOptions) setDefaults() {
	if o.Port == 0 {
		o.Port = DefaultNativePort
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultQueryTimeout
	}
	def := DefaultBackoff()
	if o.Backoff.Attempts <= 0 {
		o.Backoff.Attempts = def.Attempts
	}
	if o.Backoff.Initial <= 0 {
		o.Backoff.Initial = def.Initial
	}
	if o.Backoff.Max <= 0 {
		o.Backoff.Max = def.Max
	}
	if o.Backoff.Budget <= 0 {
		o.Backoff.Budget = def.Budget
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Session is a CQL session to the local node. Every query runs on that
// node; the driver also connects to the other nodes of its datacenter
// (like Medusa's driver) so the token map knows which of them are up.
type Session struct {
	s       *gocql.Session
	addr    string // contact ip:port, for errors
	localIP string
	hostID  string // the local node's host_id, which pins every query
	k8s     bool
	// localName names the local node in Kubernetes mode (CQLOptions.LocalName).
	localName string
}

// Connect opens a session to the node at opts.Host, retrying per
// opts.Backoff (not on authentication failures or a cancelled ctx).
func Connect(ctx context.Context, opts CQLOptions) (*Session, error) {
	opts.setDefaults()
	host := opts.Host
	if host == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("cql: no listen_address and no host name: %w", err)
		}
		host = h
	}
	ip, err := lookupIP(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("cql: resolve contact point %q: %w", host, err)
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(opts.Port))
	cfg, err := clusterConfig(opts, ip)
	if err != nil {
		return nil, fmt.Errorf("cql %s: %w", addr, err)
	}
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("cql connect to %s: %w", addr, err)
		}
		s, err := open(cfg, addr, ip, opts)
		if err == nil {
			return s, nil
		}
		err = nodeDown(err, opts, addr)
		err = fmt.Errorf("cql connect to %s (try %d of %d): %w", addr, attempt, opts.Backoff.Attempts, err)
		if attempt >= opts.Backoff.Attempts || isAuthError(err) || ctx.Err() != nil {
			return nil, err
		}
		wait, ok := opts.Backoff.Next(attempt, waited, err)
		if !ok {
			return nil, err
		}
		if attempt == 1 {
			opts.Logger.Warn("Waiting for Cassandra's CQL port to accept a session", "addr", addr,
				"at_most", opts.Backoff.AtMost(err).String(), "err", err)
		} else {
			opts.Logger.Warn("cql session failed, retrying", "addr", addr, "try", attempt, "wait", wait, "err", err)
		}
		if serr := clock.Sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("%w (gave up: %w)", err, serr)
		}
		waited += wait
	}
}

// open creates one session and pins it to the contact node.
func open(cfg *gocql.ClusterConfig, addr, ip string, opts CQLOptions) (*Session, error) {
	gs, err := cfg.CreateSession()
	if err != nil {
		return nil, err
	}
	s := &Session{s: gs, addr: addr, localIP: ip, k8s: opts.Kubernetes}
	if opts.Kubernetes {
		s.localName = opts.LocalName
	}
	if err := s.pin(); err != nil {
		gs.Close()
		return nil, err
	}
	return s, nil
}

// clusterConfig builds the driver configuration: contact ip, ports,
// timeouts, auth, TLS, and a host filter that keeps the contact node and
// the other nodes of its datacenter.
func clusterConfig(opts CQLOptions, ip string) (*gocql.ClusterConfig, error) {
	cfg := gocql.NewCluster(ip)
	cfg.Port = opts.Port
	cfg.ConnectTimeout = opts.ConnectTimeout
	cfg.Timeout = opts.Timeout
	cfg.Consistency = gocql.LocalOne
	cfg.NumConns = 1
	cfg.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 1, Interval: time.Second}
	// Connect retries are ours (Backoff); queries are not retried.
	cfg.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 0}
	cfg.HostFilter = newLocalDCFilter(ip)
	cfg.Logger = driverLogger{opts.Logger}
	if opts.Username != "" && opts.Password != "" {
		cfg.Authenticator = gocql.PasswordAuthenticator{Username: opts.Username, Password: opts.Password}
	}
	if opts.CAFile != "" {
		tc, err := clientTLS(opts.CAFile, opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, err
		}
		cfg.SslOpts = &gocql.SslOptions{Config: tc}
	}
	return cfg, nil
}

// localDCFilter accepts the contact node and, once the driver has read it,
// every node of the same datacenter. The driver lists the contact node
// first (system.local before system.peers), so its datacenter is known
// before any peer is considered.
type localDCFilter struct {
	ip string
	mu sync.Mutex
	dc string
}

func newLocalDCFilter(ip string) gocql.HostFilter {
	f := &localDCFilter{ip: ip}
	return gocql.HostFilterFunc(f.accept)
}

func (f *localDCFilter) accept(h *gocql.HostInfo) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.ConnectAddress().String() == f.ip {
		f.dc = h.DataCenter()
		return true
	}
	return f.dc != "" && h.DataCenter() == f.dc
}

// pin finds the contact node among the driver's hosts; its host id then
// routes every query to it.
func (s *Session) pin() error {
	for _, h := range s.s.GetHosts() {
		if h.ConnectAddress().String() == s.localIP {
			s.hostID = h.HostID()
			return nil
		}
	}
	return fmt.Errorf("the driver does not list the contact node %s among its hosts", s.localIP)
}

// Close ends the session.
func (s *Session) Close() { s.s.Close() }

// Addr is the contact node's ip:port.
func (s *Session) Addr() string { return s.addr }

// Query returns a query pinned to the local node, for callers (and tests)
// that need CQL beyond what Session offers.
func (s *Session) Query(stmt string, values ...any) *gocql.Query {
	return s.s.Query(stmt, values...).SetHostID(s.hostID)
}

// Driver returns the underlying driver session (not pinned to the local node).
func (s *Session) Driver() *gocql.Session { return s.s }

// driverLogger hands the driver's messages to slog at debug level: a
// node of the datacenter being down makes the driver log errors that
// are no concern of a backup.
type driverLogger struct{ l *slog.Logger }

func (d driverLogger) log(level, msg string, fields []gocql.LogField) {
	if !d.l.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	attrs := make([]any, 0, 2*len(fields)+2)
	attrs = append(attrs, "driver_level", level)
	for _, f := range fields {
		attrs = append(attrs, f.Name, f.Value.String())
	}
	d.l.Debug("gocql: "+msg, attrs...)
}

func (d driverLogger) Error(msg string, fields ...gocql.LogField)   { d.log("error", msg, fields) }
func (d driverLogger) Warning(msg string, fields ...gocql.LogField) { d.log("warning", msg, fields) }
func (d driverLogger) Info(msg string, fields ...gocql.LogField)    { d.log("info", msg, fields) }
func (d driverLogger) Debug(msg string, fields ...gocql.LogField)   { d.log("debug", msg, fields) }

func isAuthError(err error) bool {
	var cred *gocql.RequestErrCredentials
	if errors.As(err, &cred) {
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "authentication") || strings.Contains(msg, "bad credentials") ||
		strings.Contains(msg, "provided username") && strings.Contains(msg, "incorrect")
}

// lookupIP returns host itself when it is an IP address, else its first
// IPv4 address (gethostbyname), else its first address.
func lookupIP(ctx context.Context, host string) (string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), nil
	}
	if ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", host); err == nil && len(ips) > 0 {
		return ips[0].String(), nil
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
	if err != nil {
		return "", err
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("no addresses for %s", host)
	}
	return ips[0].String(), nil
}
