package pitr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// winChecksum returns the number of rows of ks.t and a SHA-256 over them
// in key order.
func winChecksum(t *testing.T, b *Bed, ks string) (int, string) {
	t.Helper()
	s := b.Session(t, "")
	type row struct {
		k int
		v string
	}
	var rows []row
	it := s.Query("SELECT k, v FROM " + ks + ".t").PageSize(500).IterContext(t.Context())
	var r row
	for it.Scan(&r.k, &r.v) {
		rows = append(rows, r)
	}
	if err := it.Close(); err != nil {
		t.Fatalf("read %s.t: %v", ks, err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].k < rows[j].k })
	h := sha256.New()
	for _, r := range rows {
		fmt.Fprintf(h, "%d=%s\n", r.k, r.v)
	}
	return len(rows), hex.EncodeToString(h.Sum(nil))
}

// TestWinPythonRestore: Python Medusa's restore-node (in place, no
// sstableloader), run with the bed's medusa.ini, restores a backup of ours
// from a bucket prefix that also holds archived segments, their sidecars
// and the backup's meta/pitr.json. The table's rows are the backup's again
// (rows written after it are gone), the node is up and archives again,
// and no object under commitlogs/ was touched.
func TestWinPythonRestore(t *testing.T) {
	b := PitrBed(t)
	py := testbed.PyMedusaT(t)
	st := winOpen(t, b, "winpyrs", nil)
	s := b.Session(t, "")
	archKeyspace(t, s, "win_pyrs")
	winSegments(t, b, st, s, "win_pyrs", 0)
	winMust(t, b, st.ini, "backup", "--backup-name", "r1")
	winMeta(t, st, b.FQDN, "r1") // pitr.json is there, archiving on
	wantRows, wantSum := winChecksum(t, b, "win_pyrs")
	archWrite(t, s, "win_pyrs", 5000, 50) // after the backup: the restore drops them
	if n, _ := winChecksum(t, b, "win_pyrs"); n != wantRows+50 {
		t.Fatalf("%d rows after writing 50 more, want %d", n, wantRows+50)
	}
	archived := winKeys(t, st, b.FQDN)
	winSegs0 := winSegs(t, st, b.FQDN)
	if len(winSegs0) == 0 {
		t.Fatalf("no archived segment under commitlogs/ (%d objects)", len(archived))
	}
	sidecars := map[string][]byte{}
	for _, k := range archived {
		if strings.HasSuffix(k, ".json") {
			sidecars[k] = winGet(t, st, k)
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	t.Cleanup(func() { // never leave the shared node down
		c, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		if _, err := b.Node.ReleaseVersion(c); err != nil {
			restart(t, b)
		}
	})
	pid := b.Node.PID()
	start := time.Now()
	out, errOut, err := testbed.PyMedusa{Exe: py, Config: st.ini, Dir: t.TempDir()}.Run(ctx,
		"restore-node", "--in-place", "--backup-name", "r1", "--temp-dir", t.TempDir())
	if err != nil {
		t.Fatalf("Python restore-node --in-place --backup-name r1: %v\n%s%s\nnode log:\n%s", err, out, errOut,
			b.Node.LogTail(30))
	}
	t.Logf("Python restore-node took %s", time.Since(start).Round(time.Millisecond))
	if err := b.Node.WaitCQL(ctx); err != nil {
		t.Fatalf("node not up after Python restore-node: %v\n%s", err, b.Node.LogTail(30))
	}
	if now := b.Node.PID(); now == 0 || now == pid {
		t.Errorf("Cassandra's pid %d before Python restore-node, %d after: it was not restarted", pid, now)
	}
	if n, sum := winChecksum(t, b, "win_pyrs"); n != wantRows || sum != wantSum {
		t.Errorf("after Python restore-node of r1: %d rows (checksum %s), want the backup's %d rows (%s)", n, sum,
			wantRows, wantSum)
	}
	got := winKeys(t, st, b.FQDN)
	for _, k := range archived {
		if !slices.Contains(got, k) {
			t.Errorf("Python restore-node: %s is gone from commitlogs/", k)
		}
	}
	for k, v := range sidecars {
		if now := winGet(t, st, k); string(now) != string(v) {
			t.Errorf("Python restore-node changed sidecar %s", k)
		}
	}
	// Python's restore empties the commit log directory, the spool in it
	// too: archiving goes on into a new spool.
	winSegments(t, b, st, b.Session(t, ""), "win_pyrs", 10_000)
	if after := winSegs(t, st, b.FQDN); len(after) <= len(winSegs0) {
		t.Errorf("no segment archived after the restore: %d archived before, %d after", len(winSegs0), len(after))
	}
}

// winGet reads one object under the prefix of st (a commitlogs/ key).
func winGet(t *testing.T, st winStore, key string) []byte {
	t.Helper()
	data, err := storage.ReadAll(t.Context(), st.rooted, key)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return data
}
