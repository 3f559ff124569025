package testbed

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// FaultOptions says which faults a FaultProxy injects. Rates are
// fractions of the requests (0.05 = 5%); each request draws once from a
// generator seeded with Seed, so a run with the same seed and the same
// order of requests injects the same faults.
type FaultOptions struct {
	Seed int64
	// ErrorRate is the fraction of requests answered, without reaching
	// the server, 500 InternalError or 503 SlowDown (half each), with S3's
	// XML error body.
	ErrorRate float64
	// ResetRate is the fraction of GETs whose answer body, and of PUTs
	// whose upload body, is cut halfway by a TCP reset.
	ResetRate float64
	// SlowRate is the fraction of requests held SlowDelay (default 2s)
	// before they are forwarded.
	SlowRate  float64
	SlowDelay time.Duration
}

// FaultCounts is what a FaultProxy saw and injected.
type FaultCounts struct {
	Requests  int64 // every request received
	Errors500 int64
	Errors503 int64
	GetResets int64 // GET answers cut mid-body
	PutResets int64 // PUT uploads cut mid-body
	Slow      int64
}

// Injected is the number of requests that met a fault.
func (c FaultCounts) Injected() int64 {
	return c.Errors500 + c.Errors503 + c.GetResets + c.PutResets + c.Slow
}

// Sub returns the counts of c since o (counts taken earlier).
func (c FaultCounts) Sub(o FaultCounts) FaultCounts {
	return FaultCounts{Requests: c.Requests - o.Requests, Errors500: c.Errors500 - o.Errors500,
		Errors503: c.Errors503 - o.Errors503, GetResets: c.GetResets - o.GetResets,
		PutResets: c.PutResets - o.PutResets, Slow: c.Slow - o.Slow}
}

func (c FaultCounts) String() string {
	return fmt.Sprintf("%d requests: %d answered 500, %d answered 503 SlowDown, %d downloads and %d uploads reset mid-body, %d slowed",
		c.Requests, c.Errors500, c.Errors503, c.GetResets, c.PutResets, c.Slow)
}

// Interceptor is called with each request before any fault is drawn; it
// may block (to hold a request while a test acts, e.g. kills the client).
// When it returns true the request is dropped: its connection is reset
// and the server never sees it.
type Interceptor func(r *http.Request) (drop bool)

// FaultProxy is an HTTP reverse proxy on 127.0.0.1 in front of an S3
// server that injects transient faults (see FaultOptions). The client's
// Host header is passed through, so SigV4 signatures made for the proxy's
// address stay valid. Faults are off until Enable.
type FaultProxy struct {
	Host string // 127.0.0.1
	Port int

	target    string // host:port of the server
	opts      FaultOptions
	srv       *http.Server
	transport *http.Transport
	enabled   atomic.Bool
	mu        sync.Mutex
	rng       *rand.Rand
	intercept Interceptor
	counts    struct{ req, e500, e503, getReset, putReset, slow atomic.Int64 }
}

// StartFaultProxy starts a proxy to target (host:port) with faults off.
func StartFaultProxy(target string, opts FaultOptions) (*FaultProxy, error) {
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = 2 * time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fault proxy: %w", err)
	}
	p := &FaultProxy{
		Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, target: target, opts: opts,
		rng:       rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed)),
		transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// FaultProxyT starts a proxy in front of srv for a test; t.Cleanup stops it.
func FaultProxyT(t testing.TB, srv *S3Server, opts FaultOptions) *FaultProxy {
	t.Helper()
	p, err := StartFaultProxy(hostPort(srv.Port), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// Endpoint is the proxy's URL (path style).
func (p *FaultProxy) Endpoint() string { return "http://" + hostPort(p.Port) }

// Enable turns fault injection on or off.
func (p *FaultProxy) Enable(on bool) { p.enabled.Store(on) }

// SetInterceptor installs f (nil removes it).
func (p *FaultProxy) SetInterceptor(f Interceptor) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.intercept = f
}

// Counts returns what the proxy saw and injected so far.
func (p *FaultProxy) Counts() FaultCounts {
	c := &p.counts
	return FaultCounts{Requests: c.req.Load(), Errors500: c.e500.Load(), Errors503: c.e503.Load(),
		GetResets: c.getReset.Load(), PutResets: c.putReset.Load(), Slow: c.slow.Load()}
}

// Stop closes the listener and every connection.
func (p *FaultProxy) Stop() {
	_ = p.srv.Close()
	p.transport.CloseIdleConnections()
}

type fault int

const (
	faultNone fault = iota
	fault500
	fault503
	faultReset
	faultSlow
)

// draw picks the fault of one request.
func (p *FaultProxy) draw(r *http.Request) fault {
	if !p.enabled.Load() {
		return faultNone
	}
	p.mu.Lock()
	x, half := p.rng.Float64(), p.rng.IntN(2) == 0
	p.mu.Unlock()
	o := p.opts
	switch {
	case x < o.ErrorRate && half:
		return fault500
	case x < o.ErrorRate:
		return fault503
	case x < o.ErrorRate+o.ResetRate && (r.Method == http.MethodGet || r.Method == http.MethodPut):
		return faultReset
	case x >= o.ErrorRate+o.ResetRate && x < o.ErrorRate+o.ResetRate+o.SlowRate:
		return faultSlow
	}
	return faultNone
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.counts.req.Add(1)
	p.mu.Lock()
	intercept := p.intercept
	p.mu.Unlock()
	if intercept != nil && intercept(r) {
		resetConn(w, false)
		return
	}
	f := p.draw(r)
	switch f {
	case fault500:
		p.counts.e500.Add(1)
		writeS3Error(w, r, http.StatusInternalServerError, "InternalError",
			"We encountered an internal error. Please try again.")
		return
	case fault503:
		p.counts.e503.Add(1)
		writeS3Error(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return
	case faultSlow:
		p.counts.slow.Add(1)
		select {
		case <-time.After(p.opts.SlowDelay):
		case <-r.Context().Done():
			return
		}
	case faultReset:
		if r.Method == http.MethodPut && r.ContentLength > 1 {
			p.counts.putReset.Add(1)
			_, _ = io.CopyN(io.Discard, r.Body, r.ContentLength/2)
			resetConn(w, false)
			return
		}
	}
	p.forward(w, r, f == faultReset && r.Method == http.MethodGet)
}

// forward sends r to the server and copies the answer back; with cut, a
// body of 2 bytes or more is cut halfway (after 1 KiB when its length is
// unknown) by a reset.
func (p *FaultProxy) forward(w http.ResponseWriter, r *http.Request, cut bool) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = "http", p.target
	out.Host = r.Host // signed by the client
	if r.ContentLength == 0 {
		out.Body = nil
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		if r.Context().Err() == nil {
			writeS3Error(w, r, http.StatusBadGateway, "BadGateway", "fault proxy: "+err.Error())
		}
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	if cut && resp.ContentLength != 0 && resp.ContentLength != 1 {
		p.counts.getReset.Add(1)
		n := resp.ContentLength / 2
		if n < 0 { // length unknown
			n = 1024
		}
		_, _ = io.CopyN(w, resp.Body, n)
		resetConn(w, true)
		return
	}
	_, _ = io.Copy(w, resp.Body)
}

// resetConn closes the client's connection with a TCP reset (SO_LINGER
// 0), after sending what was written when flush is set (without it, no
// answer at all reaches the client).
func resetConn(w http.ResponseWriter, flush bool) {
	if f, ok := w.(http.Flusher); ok && flush {
		f.Flush()
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // closes the connection without a reset
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// writeS3Error answers the way S3 does: an XML Error document.
func writeS3Error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	resource := strings.ReplaceAll(r.URL.Path, "&", "&amp;")
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource><RequestId>fault-%s</RequestId></Error>`,
		code, msg, resource, strconv.FormatInt(time.Now().UnixNano(), 36))
}
