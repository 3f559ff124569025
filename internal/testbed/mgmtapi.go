package testbed

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// MgmtAPISnapshotsPath is the snapshot resource of the Management API for
// Apache Cassandra (API v0), which [kubernetes] cassandra_url names.
const MgmtAPISnapshotsPath = "/api/v0/ops/node/snapshots"

// MgmtAPI stands in for the Management API for Apache Cassandra (the
// k8ssandra project's HTTP agent beside Cassandra in a k8ssandra pod; it
// is not available from the registries here). It serves the documented
// snapshot resource and performs every operation for real on the test-bed
// node with the node's own nodetool:
//
//   - POST {"snapshot_name", "keyspaces", "table_name", "skip_flush",
//     "keyspace_tables"} (application/json only, else 415): nodetool
//     snapshot -t; 200 "OK", 400 with the
//     API's message for an invalid combination, 500 with Cassandra's
//     message when the snapshot fails (e.g. the tag already exists);
//   - GET ?snapshotNames=&keyspaces=: nodetool listsnapshots, answered as
//     the API does: {"entity": [{"Snapshot name": ..., "Keyspace name": ...,
//     "Column family name": ..., "True size": ..., "Size on disk": ...}, ...], ...};
//   - DELETE ?snapshotNames=&keyspaces=: nodetool clearsnapshot -t per
//     name (every snapshot when no name is given); 200 "OK".
//
// Every request is recorded (Requests). With MgmtAPIOptions.TLS it serves
// HTTPS, e.g. requiring client certificates as the API's manual mTLS does.
type MgmtAPI struct {
	// URL is the snapshot resource's URL, for [kubernetes] cassandra_url
	// (http:// even with TLS: Medusa switches to https:// itself when it
	// has a client certificate).
	URL string

	node *Node
	srv  *http.Server
	done chan struct{}

	mu   sync.Mutex
	reqs []MgmtAPIRequest
	fail map[string]mgmtAPIFailure // by method, one-shot
}

// MgmtAPIOptions configure StartMgmtAPI.
type MgmtAPIOptions struct {
	// TLS, when set, makes the server speak HTTPS with this configuration
	// (certificates, ClientAuth, ClientCAs).
	TLS *tls.Config
}

// MgmtAPIRequest is one request the server received and how it answered.
type MgmtAPIRequest struct {
	Method   string
	Path     string
	Query    string // raw query
	Body     string
	Status   int
	Answer   string
	ClientCN string // common name of the verified client certificate, if any
}

type mgmtAPIFailure struct {
	status int
	body   string
}

// StartMgmtAPI serves the snapshot resource for node on a free loopback
// port. Stop it when done.
func StartMgmtAPI(node *Node, o MgmtAPIOptions) (*MgmtAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("management api: listen: %w", err)
	}
	m := &MgmtAPI{node: node, done: make(chan struct{}), fail: map[string]mgmtAPIFailure{},
		URL: "http://" + ln.Addr().String() + MgmtAPISnapshotsPath}
	// Refused TLS handshakes are expected in tests: not logged.
	m.srv = &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second, TLSConfig: o.TLS,
		ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		defer close(m.done)
		if o.TLS != nil {
			_ = m.srv.ServeTLS(ln, "", "")
		} else {
			_ = m.srv.Serve(ln)
		}
	}()
	return m, nil
}

// MgmtAPIT starts a MgmtAPI for the test and stops it when the test ends.
func MgmtAPIT(t testing.TB, node *Node, o MgmtAPIOptions) *MgmtAPI {
	t.Helper()
	m, err := StartMgmtAPI(node, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

// Stop closes the server and waits for it.
func (m *MgmtAPI) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = m.srv.Shutdown(ctx)
	<-m.done
}

// Requests returns the requests received so far, oldest first.
func (m *MgmtAPI) Requests() []MgmtAPIRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]MgmtAPIRequest(nil), m.reqs...)
}

// FailNext makes the next request with method answer status and body
// without touching the node (an API that refuses, or a Cassandra error).
func (m *MgmtAPI) FailNext(method string, status int, body string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail[method] = mgmtAPIFailure{status: status, body: body}
}

// ServeHTTP implements http.Handler.
func (m *MgmtAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec := MgmtAPIRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		rec.ClientCN = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	status, ctype, answer := m.answer(r, body)
	rec.Status, rec.Answer = status, answer
	m.mu.Lock()
	m.reqs = append(m.reqs, rec)
	m.mu.Unlock()
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

const textPlain = "text/plain"

func (m *MgmtAPI) answer(r *http.Request, body []byte) (status int, ctype, answer string) {
	if r.URL.Path != MgmtAPISnapshotsPath {
		return http.StatusNotFound, textPlain, "Could not find resource for full path: " + r.URL.Path
	}
	m.mu.Lock()
	f, failing := m.fail[r.Method]
	delete(m.fail, r.Method)
	m.mu.Unlock()
	if failing {
		return f.status, textPlain, f.body
	}
	ctx := r.Context()
	q := r.URL.Query()
	switch r.Method {
	case http.MethodPost:
		if mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(mt) != "application/json" {
			// The resource consumes application/json only.
			return http.StatusUnsupportedMediaType, textPlain, "RESTEASY003065: Cannot consume content type"
		}
		return m.takeSnapshot(ctx, body)
	case http.MethodDelete:
		return m.clearSnapshots(ctx, q["snapshotNames"], q["keyspaces"])
	case http.MethodGet:
		return m.snapshotDetails(ctx, q["snapshotNames"], q["keyspaces"])
	}
	return http.StatusMethodNotAllowed, textPlain, "RESTEASY003650: No resource method found for " + r.Method
}

// takeSnapshotRequest is the API's TakeSnapshotRequest.
type takeSnapshotRequest struct {
	SnapshotName   *string  `json:"snapshot_name"`
	Keyspaces      []string `json:"keyspaces"`
	TableName      *string  `json:"table_name"`
	SkipFlush      bool     `json:"skip_flush"`
	KeyspaceTables []string `json:"keyspace_tables"`
}

func (m *MgmtAPI) takeSnapshot(ctx context.Context, body []byte) (int, string, string) {
	var req takeSnapshotRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return http.StatusBadRequest, textPlain, "Unable to process JSON: " + err.Error()
	}
	name := strconv.FormatInt(time.Now().UnixMilli(), 10) // the API's default name
	if req.SnapshotName != nil {
		name = *req.SnapshotName
	}
	args := []string{"snapshot", "-t", name}
	if req.SkipFlush {
		args = append(args, "-sf")
	}
	switch {
	case len(req.Keyspaces) > 0 && len(req.KeyspaceTables) > 0:
		return http.StatusBadRequest, textPlain, "When specifying keyspace_tables, specifying keyspaces is not allowed"
	case req.TableName != nil && len(req.Keyspaces) != 1:
		return http.StatusBadRequest, textPlain, "Exactly 1 keyspace must be specified when specifying table_name"
	case req.TableName != nil:
		args = append(args, "-kt", req.Keyspaces[0]+"."+*req.TableName)
	case len(req.KeyspaceTables) > 0:
		args = append(args, "-kt", strings.Join(req.KeyspaceTables, ","))
	default:
		args = append(args, req.Keyspaces...) // none: every keyspace
	}
	if out, err := m.node.Nodetool(ctx, args...); err != nil {
		return http.StatusInternalServerError, textPlain, cassandraMessage(out, err)
	}
	return http.StatusOK, textPlain, "OK"
}

func (m *MgmtAPI) clearSnapshots(ctx context.Context, names, keyspaces []string) (int, string, string) {
	if len(names) == 0 {
		args := append([]string{"clearsnapshot", "--all"}, keyspaces...)
		if out, err := m.node.Nodetool(ctx, args...); err != nil {
			return http.StatusInternalServerError, textPlain, cassandraMessage(out, err)
		}
		return http.StatusOK, textPlain, "OK"
	}
	for _, name := range names {
		args := append([]string{"clearsnapshot", "-t", name}, keyspaces...)
		if out, err := m.node.Nodetool(ctx, args...); err != nil {
			return http.StatusInternalServerError, textPlain, cassandraMessage(out, err)
		}
	}
	return http.StatusOK, textPlain, "OK"
}

func (m *MgmtAPI) snapshotDetails(ctx context.Context, names, keyspaces []string) (int, string, string) {
	out, err := m.node.Nodetool(ctx, "listsnapshots")
	if err != nil {
		return http.StatusInternalServerError, textPlain, cassandraMessage(out, err)
	}
	entity := []map[string]string{}
	for _, row := range parseListSnapshots(out) {
		if (len(names) == 0 || slices.Contains(names, row["Snapshot name"])) &&
			(len(keyspaces) == 0 || slices.Contains(keyspaces, row["Keyspace name"])) {
			entity = append(entity, row)
		}
	}
	// The API wraps the list in a JAX-RS Entity, serialised as is.
	mediaType := map[string]any{"type": "application", "subtype": "json", "parameters": map[string]string{},
		"wildcardType": false, "wildcardSubtype": false}
	data, err := json.Marshal(map[string]any{"entity": entity,
		"variant":     map[string]any{"language": nil, "mediaType": mediaType, "encoding": nil, "languageString": nil},
		"annotations": []string{}, "mediaType": mediaType, "language": nil, "encoding": nil})
	if err != nil {
		return http.StatusInternalServerError, textPlain, err.Error()
	}
	return http.StatusOK, "application/json", string(data)
}

// parseListSnapshots reads the table `nodetool listsnapshots` prints: a
// header line starting with "Snapshot name" whose column names start
// where the left-aligned values of the rows below start.
func parseListSnapshots(out string) []map[string]string {
	lines := strings.Split(out, "\n")
	var cols []string
	var starts []int
	var rows []map[string]string
	for _, line := range lines {
		line = strings.TrimRight(line, " \r")
		switch {
		case strings.HasPrefix(line, "Snapshot name"):
			cols, starts = listSnapshotsColumns(line)
			continue
		case cols == nil || line == "" || strings.HasPrefix(line, "Total"):
			continue
		}
		row := map[string]string{}
		for i, c := range cols {
			end := len(line)
			if i+1 < len(starts) && starts[i+1] < end {
				end = starts[i+1]
			}
			row[c] = ""
			if starts[i] < end {
				row[c] = strings.TrimSpace(line[starts[i]:end])
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// listSnapshotsColumns finds the known column names of the header line, in
// order, with their offsets.
func listSnapshotsColumns(header string) ([]string, []int) {
	known := []string{"Snapshot name", "Keyspace name", "Column family name", "True size", "Size on disk",
		"Creation time", "Expiration time", "Ephemeral"}
	var cols []string
	var starts []int
	at := 0
	for _, k := range known {
		i := strings.Index(header[at:], k)
		if i < 0 {
			continue
		}
		cols = append(cols, k)
		starts = append(starts, at+i)
		at += i + len(k)
	}
	return cols, starts
}

// cassandraMessage is the message of a failed nodetool run, as the API
// answers an exception's message: its "error: ..." line when there is
// one, else the output's first line.
func cassandraMessage(out string, err error) string {
	for _, line := range strings.Split(out, "\n") {
		if msg, ok := strings.CutPrefix(strings.TrimSpace(line), "error: "); ok {
			return msg
		}
	}
	if first, _, _ := strings.Cut(strings.TrimSpace(out), "\n"); first != "" {
		return first
	}
	return err.Error()
}
