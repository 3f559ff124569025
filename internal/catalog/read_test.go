package catalog_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage/local"
)

var hosts3 = []string{"n1.example.com", "n2.example.com", "n3.example.com"}

const (
	day = 86400
	t0  = int64(1700000000) // 2023-11-14 22:13:20 UTC
)

// writeCluster creates, under prefix:
//
//	b1  n1 finished, n2 unfinished, n3 missing          -> incomplete
//	b2  n1, n2, n3 finished                             -> complete
//	b3  n1, n2 finished (differential), n3 not indexed  -> incomplete, 1 missing
func writeCluster(t *testing.T, b *local.Backend, prefix string) {
	t.Helper()
	spec := func(backup, fqdn string, started int64, finished bool) nodeSpec {
		return nodeSpec{prefix: prefix, backup: backup, fqdn: fqdn, hosts: hosts3, started: started, finished: finished}
	}
	writeNodeBackup(t, b, spec("b1", "n1.example.com", t0, true))
	writeNodeBackup(t, b, spec("b1", "n2.example.com", t0+1, false))
	for _, h := range hosts3 {
		writeNodeBackup(t, b, spec("b2", h, t0+day, true))
	}
	for _, h := range hosts3 {
		s := spec("b3", h, t0+2*day, true)
		s.differential = true
		s.notIndexed = h == "n3.example.com"
		writeNodeBackup(t, b, s)
	}
}

const wantListText = `b1 (started: 2023-11-14 22:13:20, finished: Incomplete [1 of 3 nodes finished])
b2 (started: 2023-11-15 22:13:20, finished: 2023-11-15 22:15:00)
b3 (started: 2023-11-16 22:13:20, finished: Incomplete [2 of 3 nodes finished])

Incomplete backups found. You can run "medusa status --backup-name <name>" for more details
`

func TestClusterBackups(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "tenant"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			b := newLocal(t)
			writeCluster(t, b, prefix)
			c := &catalog.Catalog{Backend: b, Prefix: prefix}
			backups, err := c.ClusterBackups(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := layout.WriteListBackups(&out, layout.ListBackups(backups, "n1.example.com", false), time.UTC); err != nil {
				t.Fatal(err)
			}
			if out.String() != wantListText {
				t.Errorf("list-backups:\n%s\nwant:\n%s", out.String(), wantListText)
			}
			b3, _ := layout.FindClusterBackup(backups, "b3")
			if b3.BackupType() != "differential" || !slices.Equal(b3.MissingNodes(), []string{"n3.example.com"}) {
				t.Errorf("b3: type %s, missing %v", b3.BackupType(), b3.MissingNodes())
			}
			if err := c.LoadDetails(t.Context(), backups); err != nil {
				t.Fatal(err)
			}
			b2, _ := layout.FindClusterBackup(backups, "b2")
			if b2.Size() != 3*160 || b2.NumObjects() != 12 || b2.Nodes[0].ServerVersion.ReleaseVersion != "4.1.3" {
				t.Errorf("b2 size %d objects %d version %+v", b2.Size(), b2.NumObjects(), b2.Nodes[0].ServerVersion)
			}
			var status bytes.Buffer
			b1, _ := layout.FindClusterBackup(backups, "b1")
			if err := layout.WriteStatus(&status, b1, time.UTC); err != nil {
				t.Fatal(err)
			}
			wantStatus := `b1 [Incomplete!]
- Started: 2023-11-14 22:13:20, Finished: never
- 1 nodes completed, 1 nodes incomplete, 1 nodes missing
- Incomplete nodes:
    n2.example.com
- Missing nodes:
    n3.example.com
- 4 files, 160.00 B
`
			if status.String() != wantStatus {
				t.Errorf("status:\n%s\nwant:\n%s", status.String(), wantStatus)
			}
		})
	}
}

func TestClusterBackupAndNodeBackup(t *testing.T) {
	t.Parallel()
	b := newLocal(t)
	writeCluster(t, b, "p")
	c := &catalog.Catalog{Backend: b, Prefix: "p"}
	cb, err := c.ClusterBackup(t.Context(), "b2")
	if err != nil || !cb.IsComplete() || len(cb.Nodes) != 3 {
		t.Fatalf("ClusterBackup(b2) = %+v, %v", cb, err)
	}
	if _, err := c.ClusterBackup(t.Context(), "nope"); !errors.Is(err, layout.ErrBackupNotFound) {
		t.Errorf("ClusterBackup(nope) error %v", err)
	}
	tests := []struct {
		backup, fqdn       string
		started, finished  int64
		differential, want bool
	}{
		{"b1", "n1.example.com", t0, t0 + 100, false, true},
		{"b1", "n2.example.com", t0 + 1, 0, false, true},
		{"b3", "n3.example.com", t0 + 2*day, t0 + 2*day + 100, true, true}, // from meta files
		{"b1", "n3.example.com", 0, 0, false, false},
	}
	for _, tt := range tests {
		n, err := c.NodeBackup(t.Context(), tt.backup, tt.fqdn)
		if !tt.want {
			if !errors.Is(err, layout.ErrBackupNotFound) {
				t.Errorf("NodeBackup(%s, %s) error %v, want layout.ErrBackupNotFound", tt.backup, tt.fqdn, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("NodeBackup(%s, %s): %v", tt.backup, tt.fqdn, err)
		}
		var finished int64
		if n.Finished != nil {
			finished = *n.Finished
		}
		if *n.Started != tt.started || finished != tt.finished || n.Differential != tt.differential {
			t.Errorf("NodeBackup(%s, %s) = started %d finished %d diff %v, want %d %d %v", tt.backup, tt.fqdn,
				*n.Started, finished, n.Differential, tt.started, tt.finished, tt.differential)
		}
	}
	m, err := c.Manifest(t.Context(), "b2", "n2.example.com")
	if size, objects := m.Stats(); err != nil || size != 160 || objects != 4 {
		t.Errorf("Manifest = %d bytes %d objects, %v", size, objects, err)
	}
	tm, err := c.TokenMap(t.Context(), "b2", "n2.example.com")
	if err != nil || !slices.Equal(tm.HostNames(), hosts3) {
		t.Errorf("TokenMap = %v, %v", tm.HostNames(), err)
	}
}

// TestIndexFallbacks removes started_/finished_ entries: the epochs then
// come from the schema_/manifest_ index entries, else from the meta files.
func TestIndexFallbacks(t *testing.T) {
	t.Parallel()
	b := newLocal(t)
	writeNodeBackup(t, b, nodeSpec{backup: "b1", fqdn: "n1", hosts: []string{"n1", "n2"}, started: t0, finished: true})
	writeNodeBackup(t, b, nodeSpec{backup: "b1", fqdn: "n2", hosts: []string{"n1", "n2"}, started: t0, finished: true})
	l := layout.New("")
	ctx := t.Context()
	// n1: no started_/finished_, schema_/manifest_ index entries dated.
	must(t, b.Delete(ctx, l.IndexStartedKey("b1", "n1", t0)))
	must(t, b.Delete(ctx, l.IndexFinishedKey("b1", "n1", t0+100)))
	setMTime(t, b, l.IndexSchemaKey("b1", "n1"), t0-50)
	setMTime(t, b, l.IndexManifestKey("b1", "n1"), t0+500)
	// n2: index has only tokenmap_: meta files give the times.
	for _, k := range []string{l.IndexStartedKey("b1", "n2", t0), l.IndexSchemaKey("b1", "n2"),
		l.IndexManifestKey("b1", "n2"), l.IndexFinishedKey("b1", "n2", t0+100)} {
		must(t, b.Delete(ctx, k))
	}
	c := &catalog.Catalog{Backend: b}
	cb, err := c.ClusterBackup(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	n1, _ := cb.Node("n1")
	n2, _ := cb.Node("n2")
	if *n1.Started != t0-50 || *n1.Finished != t0+500 || *n2.Started != t0 || *n2.Finished != t0+100 {
		t.Errorf("n1 %d-%d, n2 %d-%d", *n1.Started, *n1.Finished, *n2.Started, *n2.Finished)
	}
	if !cb.IsComplete() {
		t.Error("b1 is not complete")
	}
}

// TestStaleIndexHealing deletes the meta files of the oldest node backup:
// it disappears from listings, and with Heal its index entries go too.
func TestStaleIndexHealing(t *testing.T) {
	for _, heal := range []bool{false, true} {
		b := newLocal(t)
		writeNodeBackup(t, b, nodeSpec{backup: "b0", fqdn: "n1", hosts: []string{"n1"}, started: t0 - day, finished: true})
		writeNodeBackup(t, b, nodeSpec{backup: "b1", fqdn: "n1", hosts: []string{"n1"}, started: t0, finished: true})
		l := layout.New("")
		for _, k := range listKeys(t, b, l.NodeBackupPrefix("n1", "b0")) {
			must(t, b.Delete(t.Context(), k))
		}
		must(t, b.Delete(t.Context(), l.LatestBackupNameKey("n1")))
		put(t, b, l.LatestBackupNameKey("n1"), []byte("b0"))
		c := &catalog.Catalog{Backend: b, Heal: heal}
		backups, err := c.ClusterBackups(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(backups) != 1 || backups[0].Name != "b1" {
			t.Errorf("heal=%v: backups %v", heal, backups)
		}
		_, ok, err := c.LatestNodeBackup(t.Context(), "n1")
		if ok || err != nil {
			t.Errorf("heal=%v: LatestNodeBackup = %v, %v; want not found", heal, ok, err)
		}
		left := len(listKeys(t, b, l.BackupIndexPrefix("b0"))) + len(listKeys(t, b, l.LatestBackupPrefix("n1")))
		if want := map[bool]int{false: 7, true: 0}[heal]; left != want {
			t.Errorf("heal=%v: %d index keys of b0 and latest markers left, want %d", heal, left, want)
		}
	}
}

func TestLatestNodeBackup(t *testing.T) {
	b := newLocal(t)
	writeNodeBackup(t, b, nodeSpec{backup: "b1", fqdn: "n1", hosts: []string{"n1"}, started: t0, finished: true})
	writeNodeBackup(t, b, nodeSpec{backup: "b2", fqdn: "n1", hosts: []string{"n1"}, started: t0 + day, finished: true,
		differential: true})
	c := &catalog.Catalog{Backend: b, Heal: true}
	n, ok, err := c.LatestNodeBackup(t.Context(), "n1")
	if err != nil || !ok || n.Name != "b2" || !n.Differential || *n.Finished != t0+day+100 {
		t.Errorf("LatestNodeBackup(n1) = %+v, %v, %v", n, ok, err)
	}
	if _, ok, err := c.LatestNodeBackup(t.Context(), "n9"); ok || err != nil {
		t.Errorf("LatestNodeBackup(n9) = %v, %v", ok, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
