package cassandra

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
)

// Snapshotter takes and clears the snapshot of every keyspace of the local
// node under a tag (medusa-<backup>). Unlike Medusa, a failed Create is an
// error for every implementation.
type Snapshotter interface {
	Create(ctx context.Context, tag string) error
	Clear(ctx context.Context, tag string) error
}

// SnapshotOptions choose the Snapshotter Medusa would use
// (service/snapshot): the Management API or Jolokia in Kubernetes mode,
// nodetool otherwise.
type SnapshotOptions struct {
	Kubernetes   bool   // [kubernetes] enabled
	CassandraURL string // [kubernetes] cassandra_url
	UseMgmtAPI   bool   // [kubernetes] use_mgmt_api
	MgmtAPITLS   MgmtAPITLS
	Nodetool     NodetoolOptions
}

// NewSnapshotter returns the Snapshotter for o.
func NewSnapshotter(o SnapshotOptions) (Snapshotter, error) {
	if !o.Kubernetes {
		return NodetoolSnapshotter{Nodetool: Nodetool{Options: o.Nodetool}}, nil
	}
	if o.CassandraURL == "" {
		return nil, errors.New("[kubernetes] cassandra_url must be set when [kubernetes] enabled is true")
	}
	if o.UseMgmtAPI {
		m, err := NewManagementAPISnapshotter(o.CassandraURL, o.MgmtAPITLS)
		if err != nil {
			return nil, fmt.Errorf("[kubernetes] management API: %w", err)
		}
		return m, nil
	}
	return JolokiaSnapshotter{URL: o.CassandraURL}, nil
}

// NodetoolSnapshotter runs `nodetool snapshot -t tag` and
// `nodetool clearsnapshot -t tag`.
type NodetoolSnapshotter struct{ Nodetool Nodetool }

// Create implements Snapshotter.
func (n NodetoolSnapshotter) Create(ctx context.Context, tag string) error {
	if err := n.Nodetool.Snapshot(ctx, tag); err != nil {
		return fmt.Errorf("create snapshot %s: %w", tag, err)
	}
	return nil
}

// Clear implements Snapshotter.
func (n NodetoolSnapshotter) Clear(ctx context.Context, tag string) error {
	if err := n.Nodetool.ClearSnapshot(ctx, tag); err != nil {
		return fmt.Errorf("clear snapshot %s: %w", tag, err)
	}
	return nil
}

// Operations of Cassandra's StorageService MBean that Medusa invokes
// through Jolokia.
const (
	StorageServiceMBean = "org.apache.cassandra.db:type=StorageService"
	takeSnapshotOp      = "takeSnapshot(java.lang.String,java.util.Map,[Ljava.lang.String;)"
	clearSnapshotOp     = "clearSnapshot"
)

// JolokiaSnapshotter calls StorageService through a Jolokia agent
// ([kubernetes] cassandra_url with use_mgmt_api off). Jolokia answers HTTP
// 200 even when the operation fails, so the JSON "status" must be 200 too.
type JolokiaSnapshotter struct {
	URL    string       // e.g. http://127.0.0.1:8778/jolokia/
	Client *http.Client // nil: a client with a 10-minute timeout
}

// Create implements Snapshotter: exec takeSnapshot(tag, {}, []).
func (j JolokiaSnapshotter) Create(ctx context.Context, tag string) error {
	if err := j.exec(ctx, takeSnapshotOp, tag, "{}"); err != nil {
		return fmt.Errorf("create snapshot %s: %w", tag, err)
	}
	return nil
}

// Clear implements Snapshotter: exec clearSnapshot(tag, []).
func (j JolokiaSnapshotter) Clear(ctx context.Context, tag string) error {
	if err := j.exec(ctx, clearSnapshotOp, tag); err != nil {
		return fmt.Errorf("clear snapshot %s: %w", tag, err)
	}
	return nil
}

// exec posts the request body Medusa sends (Python json.dumps spacing):
// {"type": "exec", "mbean": ..., "operation": ..., "arguments": [tag, extra..., []]}.
func (j JolokiaSnapshotter) exec(ctx context.Context, op, tag string, extra ...string) error {
	args := append([]string{layout.PyJSONString(tag)}, extra...)
	args = append(args, "[]")
	body := fmt.Sprintf(`{"type": "exec", "mbean": %s, "operation": %s, "arguments": [%s]}`,
		layout.PyJSONString(StorageServiceMBean), layout.PyJSONString(op), strings.Join(args, ", "))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("jolokia: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, data, err := do(orDefault(j.Client), req)
	if err != nil {
		return fmt.Errorf("jolokia %s: %w", op, err)
	}
	where := redactURL(req.URL)
	var r struct {
		Status int    `json:"status"`
		Error  string `json:"error"`
	}
	jerr := json.Unmarshal(data, &r)
	switch {
	case resp.StatusCode != http.StatusOK:
		msg := r.Error
		if jerr != nil || msg == "" {
			msg = snippet(data)
		}
		return fmt.Errorf("jolokia %s at %s: HTTP %s: %s", op, where, resp.Status, msg)
	case jerr != nil:
		return fmt.Errorf("jolokia %s at %s: answer is not JSON: %s", op, where, snippet(data))
	case r.Status != http.StatusOK:
		return fmt.Errorf("jolokia %s at %s: status %d: %s", op, where, r.Status, r.Error)
	}
	return nil
}

// ManagementAPISnapshotter uses the Management API for Apache Cassandra
// ([kubernetes] use_mgmt_api), as Medusa does: POST
// {"snapshot_name": tag} to cassandra_url (…/api/v0/ops/node/snapshots)
// snapshots every keyspace; DELETE cassandra_url?snapshotNames=tag clears
// that tag in every keyspace. The API answers 200 "OK" on success, 400
// (POST only) for an invalid request and 500 with Cassandra's message
// when the operation fails (e.g. "Snapshot medusa-x already exists.");
// like Medusa, anything but 200 is an error.
type ManagementAPISnapshotter struct {
	URL    string       // e.g. http://127.0.0.1:8080/api/v0/ops/node/snapshots
	Client *http.Client // nil: a client with a 10-minute timeout
}

// MgmtAPITLS are the [kubernetes] ca_cert, tls_cert and tls_key settings.
type MgmtAPITLS struct{ CACert, TLSCert, TLSKey string }

// NewManagementAPISnapshotter builds the client Medusa uses: with a client
// certificate, the URL switches from http:// to https:// and the client
// presents the certificate. Medusa never verifies the server; here the
// server must chain to CACert when it is set, and is not verified otherwise.
func NewManagementAPISnapshotter(rawURL string, t MgmtAPITLS) (*ManagementAPISnapshotter, error) {
	m := &ManagementAPISnapshotter{URL: rawURL}
	if t.TLSCert == "" {
		return m, nil
	}
	cert, err := tls.LoadX509KeyPair(t.TLSCert, t.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("management api: tls_cert/tls_key: %w", err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert},
		InsecureSkipVerify: true} //nolint:gosec // Medusa's behaviour; CACert restores verification
	if t.CACert != "" {
		roots, err := loadCertPool(t.CACert)
		if err != nil {
			return nil, fmt.Errorf("management api: ca_cert: %w", err)
		}
		tc.VerifyConnection = verifyChain(roots)
	}
	if rest, ok := strings.CutPrefix(m.URL, "http://"); ok {
		m.URL = "https://" + rest
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	m.Client = &http.Client{Transport: tr, Timeout: 10 * time.Minute}
	return m, nil
}

// Create implements Snapshotter.
func (m ManagementAPISnapshotter) Create(ctx context.Context, tag string) error {
	body := `{"snapshot_name": ` + layout.PyJSONString(tag) + `}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("create snapshot %s: management api: %w", tag, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := m.send(req); err != nil {
		return fmt.Errorf("create snapshot %s: %w", tag, err)
	}
	return nil
}

// Clear implements Snapshotter.
func (m ManagementAPISnapshotter) Clear(ctx context.Context, tag string) error {
	u, err := url.Parse(m.URL)
	if err != nil {
		return fmt.Errorf("clear snapshot %s: management api url: %w", tag, err)
	}
	q := u.Query()
	q.Set("snapshotNames", tag)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u.String(), nil)
	if err != nil {
		return fmt.Errorf("clear snapshot %s: management api: %w", tag, err)
	}
	if err := m.send(req); err != nil {
		return fmt.Errorf("clear snapshot %s: %w", tag, err)
	}
	return nil
}

func (m ManagementAPISnapshotter) send(req *http.Request) error {
	where := req.Method + " " + redactURL(req.URL)
	resp, data, err := do(orDefault(m.Client), req)
	if err != nil {
		return fmt.Errorf("management api %s: %w (is the Management API running there? check [kubernetes] cassandra_url)", where, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed:
		return fmt.Errorf("management api %s: HTTP %s: %s (no snapshot endpoint there; [kubernetes] cassandra_url must end with %s)",
			where, resp.Status, snippet(data), MgmtAPISnapshotsPath)
	case resp.StatusCode == http.StatusInternalServerError:
		return fmt.Errorf("management api %s: HTTP %s: Cassandra says: %s", where, resp.Status, snippet(data))
	}
	return fmt.Errorf("management api %s: HTTP %s: %s", where, resp.Status, snippet(data))
}

// MgmtAPISnapshotsPath is the path of the Management API's snapshot
// resource, which [kubernetes] cassandra_url names.
const MgmtAPISnapshotsPath = "/api/v0/ops/node/snapshots"

var defaultHTTPClient = &http.Client{Timeout: 10 * time.Minute}

func orDefault(c *http.Client) *http.Client {
	if c == nil {
		return defaultHTTPClient
	}
	return c
}

// do sends req and reads at most 1 MiB of the answer.
func do(c *http.Client, req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read answer: %w", err)
	}
	return resp, data, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// redactURL hides user info (basic-auth passwords) in URLs shown in errors.
func redactURL(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	c := *u
	c.User = url.User("<redacted>")
	return c.String()
}
