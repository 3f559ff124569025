package catalog_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// TestListThousandBackupsRequests lists an index of 1,000 cluster backups
// of 3 nodes and counts the storage requests: one List, one HEAD (the
// oldest backup's meta/schema.cql) and one GET per distinct tokenmap
// content (here all backups share one, as a stable cluster's do; the
// listing's MD5 tells). Loading details adds two GETs per node backup.
func TestListThousandBackupsRequests(t *testing.T) {
	t.Parallel()
	const backups = 1000
	mem := storagetest.NewMemory()
	ctx := t.Context()
	hosts := []string{"n1", "n2", "n3"}
	tokenmap := tokenmapOf(t, hosts...)
	manifest := layout.MarshalManifest(layout.Manifest{{Keyspace: "ks", ColumnFamily: "t-1",
		Objects: []layout.Object{{Path: "n1/data/ks/t-1/nb-1-big-Data.db", Size: 7}}}})
	l := layout.New("")
	for i := range backups {
		name := fmt.Sprintf("backup-%04d", i)
		start := t0 + int64(i)*3600
		for _, h := range hosts {
			mem.SetNow(time.Unix(start, 0))
			put(t, mem, l.SchemaKey(h, name), []byte("CQL"))
			must(t, catalog.WriteStarted(ctx, mem, "", name, h, tokenmap, []byte("CQL"), false, start))
			must(t, catalog.WriteFinished(ctx, mem, "", name, h, manifest, start+60))
		}
	}
	counted := storagetest.NewFaulty(mem)
	c := &catalog.Catalog{Backend: counted}
	all, err := c.ClusterBackups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != backups {
		t.Fatalf("%d cluster backups, want %d", len(all), backups)
	}
	for _, cb := range all {
		if !cb.IsComplete() {
			t.Fatalf("%s is not complete", cb.Name)
		}
	}
	want := map[storagetest.Op]int{storagetest.OpList: 1, storagetest.OpStat: 1, storagetest.OpGet: 1}
	checkCalls(t, "ClusterBackups", counted, want)

	counted.Reset()
	if err := c.LoadDetails(ctx, all); err != nil {
		t.Fatal(err)
	}
	want = map[storagetest.Op]int{storagetest.OpGet: 2 * 3 * backups}
	checkCalls(t, "LoadDetails", counted, want)
	if all[999].Size() != 21 || all[999].NumObjects() != 3 {
		t.Errorf("size %d objects %d, want 21 and 3", all[999].Size(), all[999].NumObjects())
	}

	counted.Reset()
	if _, err := c.ClusterBackup(ctx, "backup-0500"); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, "ClusterBackup", counted, map[storagetest.Op]int{storagetest.OpList: 1, storagetest.OpStat: 1,
		storagetest.OpGet: 1})
}

func checkCalls(t *testing.T, what string, f *storagetest.Faulty, want map[storagetest.Op]int) {
	t.Helper()
	for _, op := range []storagetest.Op{storagetest.OpList, storagetest.OpStat, storagetest.OpGet,
		storagetest.OpPut, storagetest.OpDelete, storagetest.OpDeleteMany} {
		if got := f.Calls(op); got != want[op] {
			t.Errorf("%s: %d %s calls, want %d", what, got, op, want[op])
		}
	}
}
