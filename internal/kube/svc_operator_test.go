package kube

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/medusa-go/medusa/internal/grpcserver"
	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/k8s"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestSvcOperatorSequence replays k8ssandra-operator's calls against a
// real `medusa grpc-server` (the shared Cassandra node, the S3 server
// behind a proxy), with the operator's client options: health; a FULL
// AsyncBackup, IN_PROGRESS at once, polled to SUCCESS, with the latency of
// other rpcs measured meanwhile; GetBackups with every field the operator
// copies; a DIFFERENTIAL backup; NotFound; a repeated name; PurgeBackups
// with max_backup_count = 1; PrepareRestore; DeleteBackup; and storage
// made unreachable.
func TestSvcOperatorSequence(t *testing.T) {
	n := testbed.SharedNode(t)
	srv := testbed.S3T(t)
	proxy := testbed.FaultProxyT(t, srv, testbed.FaultOptions{})
	ini := filepath.Join(t.TempDir(), "medusa.ini")
	svcINI(t, ini, n, srv, "svc", proxy.Port, map[string]string{"max_backup_count": "1"})
	b := newSvcBed(t, n, ini)
	ctx := t.Context()

	h, err := healthpb.NewHealthClient(b.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", h, err)
	}

	// AsyncBackup FULL: IN_PROGRESS at once, and so is its status.
	var resp *medusapb.BackupResponse
	took := timed(func() {
		resp, err = b.c.AsyncBackup(ctx, &medusapb.BackupRequest{Name: "svc-full", Mode: medusapb.BackupRequest_FULL})
	})
	if err != nil || resp.BackupName != "svc-full" || resp.Status != medusapb.StatusType_IN_PROGRESS {
		t.Fatalf("AsyncBackup: %v %v", resp, err)
	}
	st, err := b.c.BackupStatus(ctx, &medusapb.BackupStatusRequest{BackupName: "svc-full"})
	if err != nil || st.Status != medusapb.StatusType_IN_PROGRESS || st.FinishTime != "" {
		t.Fatalf("BackupStatus right after AsyncBackup: %v %v", st, err)
	}
	t.Logf("AsyncBackup answered in %s", fmtDur(took))
	if _, err := b.c.AsyncBackup(ctx, &medusapb.BackupRequest{Name: "svc-other"}); status.Code(err) != codes.FailedPrecondition ||
		!strings.Contains(err.Error(), "svc-full") {
		t.Errorf("a second backup while svc-full runs: %v, want FailedPrecondition naming svc-full", err)
	}
	measureWhileRunning(t, b, "svc-full")
	done := b.waitBackup("svc-full", 3*time.Minute)
	if done.Status != medusapb.StatusType_SUCCESS || done.StartTime == "" || done.FinishTime == "" {
		t.Fatalf("svc-full ended: %v\n%s", done, b.out.String())
	}
	for _, s := range []string{done.StartTime, done.FinishTime} {
		if _, err := time.ParseInLocation(grpcserver.BackupStatusTimeFormat, s, time.Local); err != nil {
			t.Errorf("BackupStatus time %q: %v", s, err)
		}
	}

	// GetBackups: what the operator copies into a MedusaBackup.
	full, _ := b.findBackup("svc-full")
	if full == nil {
		t.Fatal("GetBackups does not list svc-full")
	}
	checkSummary(t, b, full, "full")

	// DIFFERENTIAL, then the same name again: no new backup, still SUCCESS.
	if _, err := b.c.AsyncBackup(ctx, &medusapb.BackupRequest{Name: "svc-diff", Mode: medusapb.BackupRequest_DIFFERENTIAL}); err != nil {
		t.Fatal(err)
	}
	if st := b.waitBackup("svc-diff", 3*time.Minute); st.Status != medusapb.StatusType_SUCCESS {
		t.Fatalf("svc-diff: %v", st)
	}
	diff, all := b.findBackup("svc-diff")
	if diff == nil || diff.BackupType != "differential" || diff.Status != medusapb.StatusType_SUCCESS ||
		all.OverallStatus != medusapb.StatusType_SUCCESS {
		t.Errorf("svc-diff in GetBackups: %v (overall %v)", diff, all.OverallStatus)
	}
	again, err := b.c.AsyncBackup(ctx, &medusapb.BackupRequest{Name: "svc-full", Mode: medusapb.BackupRequest_FULL})
	if err != nil || again.Status != medusapb.StatusType_SUCCESS {
		t.Errorf("AsyncBackup(svc-full) re-sent: %v %v, want SUCCESS and nothing started", again, err)
	}
	if st := b.waitBackup("svc-full", time.Minute); st.Status != medusapb.StatusType_SUCCESS {
		t.Errorf("svc-full after the re-sent request: %v", st)
	}

	_, err = b.c.BackupStatus(ctx, &medusapb.BackupStatusRequest{BackupName: "no-such-job"})
	if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), "NotFound") {
		t.Errorf("BackupStatus of an unknown name: %v, want NotFound", err)
	}

	// PurgeBackups with max_backup_count = 1: svc-full goes.
	p, err := b.c.PurgeBackups(ctx, &medusapb.PurgeBackupsRequest{})
	if err != nil || p.NbBackupsPurged != 1 || p.NbObjectsPurged == 0 || p.TotalPurgedSize == 0 {
		t.Fatalf("PurgeBackups: %v %v", p, err)
	}
	t.Logf("PurgeBackups: %d backups, %d objects, %d bytes, %d within grace", p.NbBackupsPurged,
		p.NbObjectsPurged, p.TotalPurgedSize, p.TotalObjectsWithinGcGrace)
	if s, _ := b.findBackup("svc-full"); s != nil {
		t.Errorf("svc-full still listed after the purge")
	}

	// PrepareRestore writes the mapping: in place onto this node.
	_, err = b.c.PrepareRestore(ctx, &medusapb.PrepareRestoreRequest{BackupName: "svc-diff", Datacenter: full.Nodes[0].Datacenter,
		RestoreKey: "rk-1"})
	if err != nil {
		t.Fatalf("PrepareRestore: %v\n%s", err, b.out.String())
	}
	data, err := os.ReadFile(filepath.Join(b.mapDir, "rk-1"))
	if err != nil {
		t.Fatal(err)
	}
	// Parsed as the restore init container parses RESTORE_MAPPING.
	m, err := k8s.ParseMapping(data)
	if err != nil || !m.InPlace || len(m.HostMap) != 1 ||
		!slices.Equal(m.HostMap[n.Host].Source, []string{n.Host}) {
		t.Errorf("restore mapping %s: %+v %v", data, m, err)
	}
	if _, err := b.c.PrepareRestore(ctx, &medusapb.PrepareRestoreRequest{BackupName: "no-such", RestoreKey: "rk-2"}); status.Code(err) != codes.Internal {
		t.Errorf("PrepareRestore of an unknown backup: %v, want Internal", err)
	}

	// DeleteBackup removes it.
	d, err := b.c.DeleteBackup(ctx, &medusapb.DeleteBackupRequest{Name: "svc-diff"})
	if err != nil || d.Status != medusapb.StatusType_SUCCESS {
		t.Fatalf("DeleteBackup: %v %v", d, err)
	}
	if s, _ := b.findBackup("svc-diff"); s != nil {
		t.Error("svc-diff still listed after DeleteBackup")
	}
	if _, err := b.c.BackupStatus(ctx, &medusapb.BackupStatusRequest{BackupName: "svc-diff"}); status.Code(err) != codes.NotFound {
		t.Errorf("BackupStatus of the deleted backup: %v, want NotFound", err)
	}

	// Storage unreachable (every request hangs): errors within seconds,
	// never an empty list, while health still answers.
	proxy.SetInterceptor(func(r *http.Request) bool { <-r.Context().Done(); return true })
	defer proxy.SetInterceptor(nil)
	for _, c := range []struct {
		rpc  string
		call func() error
	}{
		{"GetBackups", func() error {
			r, err := b.c.GetBackups(ctx, &medusapb.GetBackupsRequest{})
			if err == nil {
				t.Errorf("GetBackups with storage unreachable answered %v", r)
			}
			return err
		}},
		{"BackupStatus", func() error {
			_, err := b.c.BackupStatus(ctx, &medusapb.BackupStatusRequest{BackupName: "made-elsewhere"})
			return err
		}},
		{"PurgeBackups", func() error { _, err := b.c.PurgeBackups(ctx, &medusapb.PurgeBackupsRequest{}); return err }},
	} {
		var err error
		took := timed(func() { err = c.call() })
		t.Logf("%s with storage unreachable: %s after %s", c.rpc, status.Code(err), fmtDur(took))
		if status.Code(err) != codes.Unavailable || took > 15*time.Second {
			t.Errorf("%s with storage unreachable: %v after %s, want Unavailable within the 5 s storage timeout", c.rpc, err, took)
		}
	}
	h, err = healthpb.NewHealthClient(b.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.Status != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health with storage unreachable: %v %v", h, err)
	}
}

// checkSummary checks a finished one-node backup summary against the node.
func checkSummary(t *testing.T, b *svcBed, s *medusapb.BackupSummary, backupType string) {
	t.Helper()
	dc, rack, tokens := nodeTopology(t, b.node)
	now := time.Now().Unix()
	if s.Status != medusapb.StatusType_SUCCESS || s.TotalNodes != 1 || s.FinishedNodes != s.TotalNodes ||
		s.BackupType != backupType || s.TotalSize <= 0 || s.TotalObjects <= 0 ||
		s.StartTime < now-600 || s.StartTime > now || s.FinishTime < s.StartTime || s.FinishTime > now {
		t.Errorf("summary of %s: %v", s.BackupName, s)
	}
	if len(s.Nodes) != 1 {
		t.Fatalf("summary nodes: %v", s.Nodes)
	}
	got := s.Nodes[0]
	sorted := slices.Sorted(slices.Values(got.Tokens))
	if got.Host != b.node.Host || got.Datacenter != dc || got.Rack != rack || !slices.Equal(sorted, tokens) {
		t.Errorf("summary node: %v, want host %s dc %s rack %s tokens %v", got, b.node.Host, dc, rack, tokens)
	}
}

// nodeTopology reads the node's datacenter, rack and sorted tokens.
func nodeTopology(t *testing.T, n *testbed.Node) (dc, rack string, tokens []int64) {
	t.Helper()
	s, err := n.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var toks []string
	if err := s.Query("SELECT data_center, rack, tokens FROM system.local").WithContext(t.Context()).
		Scan(&dc, &rack, &toks); err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		v, err := strconv.ParseInt(tok, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, v)
	}
	slices.Sort(tokens)
	return dc, rack, tokens
}

// measureWhileRunning calls health, BackupStatus and GetBackups in turn
// while name runs and logs the slowest answer of each.
func measureWhileRunning(t *testing.T, b *svcBed, name string) {
	t.Helper()
	ctx := t.Context()
	worst := map[string]time.Duration{}
	calls := map[string]int{}
	hc := healthpb.NewHealthClient(b.conn)
	for {
		st, err := b.c.BackupStatus(ctx, &medusapb.BackupStatusRequest{BackupName: name})
		if err != nil || st.Status != medusapb.StatusType_IN_PROGRESS {
			break
		}
		for rpc, f := range map[string]func() error{
			"health": func() error { _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{}); return err },
			"BackupStatus": func() error {
				_, err := b.c.BackupStatus(ctx, &medusapb.BackupStatusRequest{BackupName: name})
				return err
			},
			"GetBackups": func() error { _, err := b.c.GetBackups(ctx, &medusapb.GetBackupsRequest{}); return err },
		} {
			var err error
			d := timed(func() { err = f() })
			if err != nil {
				t.Errorf("%s while %s runs: %v", rpc, name, err)
			}
			worst[rpc] = max(worst[rpc], d)
			calls[rpc]++
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, rpc := range []string{"health", "BackupStatus", "GetBackups"} {
		t.Logf("while %s ran: %s slowest of %d calls: %s", name, rpc, calls[rpc], fmtDur(worst[rpc]))
	}
	if worst["health"] > time.Second {
		t.Logf("note: health took %s while a backup ran; the operator's probe allows 1 s", worst["health"])
	}
}
