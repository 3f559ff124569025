package testbed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// NodeExporterVersion is the node_exporter the test bed builds; keep it in
// sync with scripts/testbed/node-exporter/install.sh.
const NodeExporterVersion = "v1.12.1"

// NodeExporterScript builds node_exporter into the cache.
const NodeExporterScript = "scripts/testbed/node-exporter/install.sh"

// NodeExporterBinary returns the cached node_exporter binary and builds it
// with NodeExporterScript (Go module proxy, about half a minute) when it
// is missing or of another version.
func NodeExporterBinary(ctx context.Context) (string, error) {
	const rel = "bin/node_exporter"
	if p, err := toolPath("node_exporter", rel, NodeExporterVersion); err == nil {
		return p, nil
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("node_exporter: cannot locate the source tree (runtime.Caller)")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, NodeExporterScript))
	cmd.Env = append(os.Environ(), "MEDUSA_TESTBED_CACHE="+CacheDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build node_exporter (%s): %w\n%s", NodeExporterScript, err, out)
	}
	return toolPath("node_exporter", rel, NodeExporterVersion)
}

// NodeExporter is a running node_exporter with only its textfile
// collector, reading TextfileDir.
type NodeExporter struct {
	TextfileDir string
	// URL is its /metrics endpoint.
	URL  string
	proc *Proc
}

// StartNodeExporter starts node_exporter on a free port of 127.0.0.1 with
// the textfile collector alone (--collector.disable-defaults) reading
// textfileDir; its log goes to dir.
func StartNodeExporter(ctx context.Context, dir, textfileDir string) (*NodeExporter, error) {
	bin, err := NodeExporterBinary(ctx)
	if err != nil {
		return nil, err
	}
	p, port, err := startOnFreePort(func(port int) (*Proc, error) {
		p, err := StartProc(ProcSpec{Name: "node_exporter", Path: bin, Dir: dir, Args: []string{
			"--web.listen-address=" + hostPort(port), "--collector.disable-defaults", "--collector.textfile",
			"--collector.textfile.directory=" + textfileDir}})
		if err != nil {
			return nil, err
		}
		if err := p.WaitTCP(ctx, hostPort(port), 30*time.Second); err != nil {
			p.Stop()
			return p, err
		}
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	return &NodeExporter{TextfileDir: textfileDir, URL: "http://" + hostPort(port) + "/metrics", proc: p}, nil
}

// NodeExporterT starts node_exporter for a test (see startT), reading
// textfileDir.
func NodeExporterT(t testing.TB, textfileDir string) *NodeExporter {
	t.Helper()
	return startT(t, "node_exporter", func(ctx context.Context, dir string) (*NodeExporter, error) {
		return StartNodeExporter(ctx, dir, textfileDir)
	})
}

// Scrape returns the body of one scrape of /metrics, in the text format.
func (n *NodeExporter) Scrape(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.URL, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("scrape node_exporter: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("scrape node_exporter: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("scrape node_exporter: %s\n%s", resp.Status, body)
	}
	return string(body), nil
}

// LogTail returns the last lines of its log.
func (n *NodeExporter) LogTail() string { return n.proc.LogTail(30) }

// Stop ends node_exporter.
func (n *NodeExporter) Stop() { n.proc.Stop() }
