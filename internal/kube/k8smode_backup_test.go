package kube

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/testbed"
)

// podName is the node's name in these tests: the first pod of
// cass-operator's StatefulSet for cluster "demo", dc "dc1", rack "default".
const podName = "demo-dc1-default-sts-0"

// operatorINI writes a medusa.ini as k8ssandra-operator generates it
// (leading blank line, every line indented by 4 spaces, booleans as 1,
// false, False), for s3_compatible storage on the test bed's S3 server and
// the Management API at apiURL; mgmtTLS adds the [kubernetes]
// ca_cert/tls_cert/tls_key lines the operator writes for the API's manual
// mTLS. One line is not the operator's: [cassandra] config_file, since the
// node's cassandra.yaml is not at /etc/cassandra/cassandra.yaml here.
func operatorINI(t *testing.T, dir string, srv *testbed.S3Server, n *testbed.Node, apiURL string, mgmtTLS *k8sPKI) string {
	t.Helper()
	keyFile := filepath.Join(dir, "credentials")
	if err := srv.WriteKeyFile(keyFile, srv.Restricted); err != nil {
		t.Fatal(err)
	}
	lines := []string{"", "[cassandra]", "use_sudo = false", "config_file = " + n.ConfigFile, "",
		"[storage]", "use_sudo_for_restore = false", "storage_provider = s3_compatible",
		"bucket_name = " + srv.Bucket, "key_file = " + keyFile, "prefix = demo",
		"max_backup_age = 0", "max_backup_count = 0", "region = " + srv.Region, "host = " + srv.Host,
		fmt.Sprintf("port = %d", srv.Port), "secure = False", "ssl_verify = False",
		"transfer_max_bandwidth = 50MB/s", "concurrent_transfers = 1", "multi_part_upload_threshold = 104857600", "",
		"[grpc]", "enabled = 1", "", "[logging]", "level = DEBUG", "",
		"[kubernetes]", "use_mgmt_api = 1", "enabled = 1", "cassandra_url = " + apiURL}
	if mgmtTLS != nil {
		lines = append(lines, "ca_cert = "+mgmtTLS.CA, "tls_cert = "+mgmtTLS.ClientCert, "tls_key = "+mgmtTLS.ClientKey)
	}
	for i, l := range lines {
		if l != "" {
			lines[i] = "    " + l
		}
	}
	ini := filepath.Join(dir, "medusa.ini")
	if err := os.WriteFile(ini, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return ini
}

// podMedusa runs the medusa binary as the sidecar does, with the pod's
// environment: POD_NAME, CQL_USERNAME/CQL_PASSWORD from the user Secret,
// MEDUSA_MODE and MEDUSA_TMP_DIR, and no POD_IP.
type podMedusa struct {
	t        *testing.T
	bin, ini string
	env      []string
}

func newPodMedusa(t *testing.T, bin, ini string) *podMedusa {
	tmp := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + tmp, "TMPDIR=" + tmp, "TZ=UTC", "POD_NAME=" + podName,
		"CQL_USERNAME=demo-medusa", "CQL_PASSWORD=not-checked-by-this-node", "MEDUSA_MODE=GRPC", "MEDUSA_TMP_DIR=" + tmp}
	return &podMedusa{t: t, bin: bin, ini: ini, env: env}
}

// run returns stdout and stderr together, and the exit code.
func (m *podMedusa) run(args ...string) (string, int) {
	m.t.Helper()
	out, errOut, code := m.exec(args...)
	return out + errOut, code
}

func (m *podMedusa) exec(args ...string) (stdout, stderr string, code int) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(m.t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.bin, append([]string{"--config-file", m.ini}, args...)...)
	cmd.Env = m.env
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		m.t.Fatalf("medusa %v: %v", args, err)
	}
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

// must runs a command that must succeed and returns its stdout.
func (m *podMedusa) must(args ...string) string {
	m.t.Helper()
	out, errOut, code := m.exec(args...)
	if code != 0 {
		m.t.Fatalf("medusa %s exited %d:\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// TestK8sModeBackupThroughMgmtAPI runs the real binary's backup-node (what
// the gRPC sidecar runs for AsyncBackup) in Kubernetes mode with the
// operator's medusa.ini and the pod's environment: the snapshot is taken
// and cleared through the Management API (the test bed's, performing them
// on the real node), the backup is stored under the pod name on the real
// S3 server, its token map keys the pod name, and list-backups and status
// show it complete. Then the same with the Management API behind mTLS,
// and a snapshot refused by the API fails the backup with Cassandra's
// message.
func TestK8sModeBackupThroughMgmtAPI(t *testing.T) {
	n := testbed.SharedNode(t)
	bin := medusaBinary(t)
	srv := testbed.S3T(t)
	api := testbed.MgmtAPIT(t, n, testbed.MgmtAPIOptions{})
	dir := t.TempDir()
	m := newPodMedusa(t, bin, operatorINI(t, dir, srv, n, api.URL, nil))

	began := time.Now()
	out, code := m.run("backup-node", "--backup-name", "k8s-full", "--mode", "full")
	if code != 0 {
		t.Fatalf("backup-node exited %d:\n%s", code, out)
	}
	t.Logf("backup-node k8s-full through the Management API: %s", time.Since(began).Round(time.Millisecond))
	checkSnapshotRequests(t, api.Requests(), "medusa-k8s-full", "")
	if !strings.Contains(out, "CQL_USERNAME is deprecated") {
		t.Errorf("the operator's CQL_USERNAME was not read (no deprecation warning):\n%s", out)
	}
	checkNoSnapshotLeft(t, n, "medusa-k8s-full")
	checkStoredUnderPod(t, srv, "k8s-full")
	checkTokenmap(t, m, n, "k8s-full")
	checkComplete(t, m, "k8s-full")

	t.Run("mgmt-api mTLS", func(t *testing.T) {
		pki := newK8sPKI(t, t.TempDir(), "medusa-client")
		tlsAPI := testbed.MgmtAPIT(t, n, testbed.MgmtAPIOptions{TLS: pki.serverTLS(t)})
		// The operator writes https://; Medusa also turns http:// into
		// https:// when it has a client certificate: give it http://.
		m := newPodMedusa(t, bin, operatorINI(t, t.TempDir(), srv, n, tlsAPI.URL, &pki))
		m.must("backup-node", "--backup-name", "k8s-mtls", "--mode", "differential")
		checkSnapshotRequests(t, tlsAPI.Requests(), "medusa-k8s-mtls", "medusa-client")
		checkNoSnapshotLeft(t, n, "medusa-k8s-mtls")
		checkStoredUnderPod(t, srv, "k8s-mtls")
		checkComplete(t, m, "k8s-mtls")
		// A client without a certificate is refused by the TLS handshake.
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // test
		if resp, err := c.Get(strings.Replace(tlsAPI.URL, "http://", "https://", 1)); err == nil {
			resp.Body.Close()
			t.Errorf("a client without a certificate got HTTP %s", resp.Status)
		}
	})

	t.Run("snapshot refused", func(t *testing.T) {
		api.FailNext(http.MethodPost, http.StatusInternalServerError, "Snapshot medusa-k8s-refused already exists.")
		out, code := m.run("backup-node", "--backup-name", "k8s-refused", "--mode", "full")
		if code != 1 || !strings.Contains(out, "Cassandra says: Snapshot medusa-k8s-refused already exists.") {
			t.Fatalf("backup-node with the snapshot refused exited %d, want 1 with the API's message:\n%s", code, out)
		}
		if out, _ := m.run("list-backups"); strings.Contains(out, "k8s-refused") && !strings.Contains(out, "Incomplete") {
			t.Errorf("the refused backup lists as complete:\n%s", out)
		}
	})
}

// checkSnapshotRequests: the API got exactly a POST creating tag, then a
// DELETE clearing it, both answered 200, from client cn when set.
func checkSnapshotRequests(t *testing.T, reqs []testbed.MgmtAPIRequest, tag, cn string) {
	t.Helper()
	if len(reqs) != 2 {
		t.Fatalf("the Management API got %d requests, want POST and DELETE of %s: %+v", len(reqs), tag, reqs)
	}
	post, del := reqs[0], reqs[1]
	if post.Method != http.MethodPost || post.Path != testbed.MgmtAPISnapshotsPath ||
		post.Body != `{"snapshot_name": "`+tag+`"}` || post.Status != 200 {
		t.Errorf("first request: %+v, want POST {\"snapshot_name\": %q} answered 200", post, tag)
	}
	if del.Method != http.MethodDelete || del.Path != testbed.MgmtAPISnapshotsPath ||
		del.Query != "snapshotNames="+tag || del.Status != 200 {
		t.Errorf("second request: %+v, want DELETE ?snapshotNames=%s answered 200", del, tag)
	}
	if post.ClientCN != cn || del.ClientCN != cn {
		t.Errorf("client certificates: %q, %q; want %q", post.ClientCN, del.ClientCN, cn)
	}
}

func checkNoSnapshotLeft(t *testing.T, n *testbed.Node, tag string) {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(n.DataDir, "*", "*", "snapshots", tag))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) > 0 {
		t.Errorf("snapshot %s still on disk: %v", tag, dirs[0])
	}
}

// checkStoredUnderPod: the backup's manifest, schema and token map are in
// the bucket under demo/<pod name>/<backup>/meta/.
func checkStoredUnderPod(t *testing.T, srv *testbed.S3Server, backup string) {
	t.Helper()
	prefix := "demo/" + podName + "/" + backup + "/meta/"
	out, err := srv.Client(srv.Admin).ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{
		Bucket: aws.String(srv.Bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, o := range out.Contents {
		got[strings.TrimPrefix(aws.ToString(o.Key), prefix)] = true
	}
	for _, f := range []string{"manifest.json", "schema.cql", "tokenmap.json"} {
		if !got[f] {
			t.Errorf("%s%s not in the bucket (found %v)", prefix, f, got)
		}
	}
}

// checkTokenmap: the backup's token map has one host, the pod name, with
// the node's tokens.
func checkTokenmap(t *testing.T, m *podMedusa, n *testbed.Node, backup string) {
	t.Helper()
	out := m.must("fetch-tokenmap", "--backup-name", backup)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[0] != podName || !strings.HasPrefix(lines[1], "[") {
		t.Fatalf("fetch-tokenmap %s:\n%s\nwant the pod name %s and its tokens", backup, out, podName)
	}
	ring, err := n.Nodetool(t.Context(), "info", "-T")
	if err != nil {
		t.Fatal(err)
	}
	var first string
	for _, l := range strings.Split(ring, "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == "Token" {
			first = f[len(f)-1]
			break
		}
	}
	if first == "" || !strings.Contains(lines[1], first) {
		t.Errorf("token map tokens %s lack the node's token %q", lines[1], first)
	}
}

// checkComplete: list-backups and status show the backup complete, with
// one node done.
func checkComplete(t *testing.T, m *podMedusa, backup string) {
	t.Helper()
	list := m.must("list-backups")
	var line string
	for _, l := range strings.Split(list, "\n") {
		if strings.HasPrefix(l, backup+" ") {
			line = l
		}
	}
	if line == "" || strings.Contains(line, "Incomplete") {
		t.Errorf("list-backups shows %s as %q:\n%s", backup, line, list)
	}
	status := m.must("status", "--backup-name", backup)
	if strings.Contains(status, "Incomplete") || !strings.Contains(status, "- 1 nodes completed, 0 nodes incomplete, 0 nodes missing") {
		t.Errorf("status %s:\n%s", backup, status)
	}
}
