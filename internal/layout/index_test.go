package layout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// cet is the injected local zone of the rendering tests.
var cet = time.FixedZone("CET", 3600)

func fixtureKeys(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	for _, k := range strings.Split(strings.TrimSpace(string(readTestdata(t, "index_keys.txt"))), "\n") {
		if prefix != "" {
			k = prefix + "/" + k
		}
		keys = append(keys, k)
	}
	return keys
}

func tokenmapOf(hosts ...string) *Tokenmap {
	tm := &Tokenmap{}
	for i, h := range hosts {
		tm.Hosts = append(tm.Hosts, TokenmapHost{Host: h, Tokens: []json.Number{Int64Token(int64(i))}})
	}
	return tm
}

// fixtureClusters builds the cluster backups of testdata/index_keys.txt and
// loads the details a caller would read from the bucket.
func fixtureClusters(t *testing.T, prefix string) ([]NodeBackup, []ClusterBackup) {
	t.Helper()
	entries, ignored := New(prefix).ParseIndexKeys(fixtureKeys(t, prefix))
	if len(ignored) != 3 {
		t.Fatalf("ignored %d keys, want 3: %+v", len(ignored), ignored)
	}
	nodes := NodeBackups(entries)
	clusters := ClusterBackups(nodes)
	type detail struct {
		sv            ServerVersion
		size, objects int64
	}
	details := map[string]detail{
		"b1/n1.example.com":           {ServerVersion{"cassandra", "4.1.3"}, 300, 3},
		"b1/n2_x.example.com":         {DefaultServerVersion(), 0, 0},
		"b2.with.dots/n1.example.com": {ServerVersion{"dse", "6.8.50"}, 1024, 1},
		"b2.with.dots/nöde2":          {ServerVersion{"cassandra", "4.1.3"}, 1024, 1},
	}
	tokenmaps := map[string]*Tokenmap{
		"b1":           tokenmapOf("n1.example.com", "n2_x.example.com", "n3.example.com"),
		"b2.with.dots": tokenmapOf("n1.example.com", "nöde2"),
	}
	for i := range clusters {
		c := &clusters[i]
		c.Tokenmap = tokenmaps[c.Name]
		for j := range c.Nodes {
			d, ok := details[c.Name+"/"+c.Nodes[j].FQDN]
			if !ok {
				t.Fatalf("unexpected node backup %s/%s", c.Name, c.Nodes[j].FQDN)
			}
			c.Nodes[j].ServerVersion, c.Nodes[j].Size, c.Nodes[j].NumObjects = d.sv, d.size, d.objects
		}
	}
	return nodes, clusters
}

func dumpNodes(nodes []NodeBackup) string {
	var b strings.Builder
	opt := func(v *int64) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(*v)
	}
	for _, n := range nodes {
		fmt.Fprintf(&b, "%s %s started=%s finished=%s differential=%v\n  tokenmap=%s\n  schema=%s\n  started=%s\n  finished=%s\n  manifest=%s\n  differential=%s\n",
			n.Name, n.FQDN, opt(n.Started), opt(n.Finished), n.Differential,
			n.TokenmapKey, n.SchemaKey, n.StartedKey, n.FinishedKey, n.ManifestKey, n.DifferentialKey)
	}
	return b.String()
}

func TestNodeBackupsFromIndex(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "clusterA"} {
		nodes, clusters := fixtureClusters(t, prefix)
		dump := dumpNodes(nodes)
		if prefix != "" {
			dump = strings.ReplaceAll(dump, prefix+"/", "")
		}
		checkGolden(t, "index_nodes.golden", []byte(dump))

		if len(nodes) != 5 {
			t.Fatalf("prefix %q: %d node backups, want 5 (b4 has no tokenmap entry)", prefix, len(nodes))
		}
		var names []string
		for _, c := range clusters {
			names = append(names, c.Name)
		}
		if !slices.Equal(names, []string{"b1", "b2.with.dots"}) {
			t.Errorf("prefix %q: cluster backups %v (b3 has no start time and is dropped)", prefix, names)
		}
	}
}

func TestClusterBackupSemantics(t *testing.T) {
	t.Parallel()
	_, clusters := fixtureClusters(t, "clusterA")
	b1, b2 := clusters[0], clusters[1]
	if b1.IsComplete() || b1.Finished() != nil || b1.Started() != 1700000000 {
		t.Errorf("b1: complete=%v finished=%v started=%d", b1.IsComplete(), b1.Finished(), b1.Started())
	}
	if got := b1.MissingNodes(); !slices.Equal(got, []string{"n3.example.com"}) {
		t.Errorf("b1 missing = %v", got)
	}
	if len(b1.CompleteNodes()) != 1 || len(b1.IncompleteNodes()) != 1 || b1.Size() != 300 || b1.NumObjects() != 3 {
		t.Errorf("b1 counts wrong: %+v", b1)
	}
	if b1.BackupType() != "full" || b2.BackupType() != "differential" {
		t.Errorf("types %s %s", b1.BackupType(), b2.BackupType())
	}
	if !b2.IsComplete() || b2.Finished() == nil || *b2.Finished() != 1700086500 || b2.Started() != 1700086400 {
		t.Errorf("b2: complete=%v finished=%v", b2.IsComplete(), b2.Finished())
	}
	if n, ok := b2.Node("nöde2"); !ok || !n.Differential || !strings.HasSuffix(n.DifferentialKey, "incremental_nöde2") {
		t.Errorf("legacy incremental entry not honoured: %+v", n)
	}
	if b2.First().FQDN != "n1.example.com" {
		t.Errorf("first node backup of b2 = %s, want the earliest started", b2.First().FQDN)
	}
	// An empty or unknown tokenmap never makes a complete backup.
	b2.Tokenmap = nil
	if b2.IsComplete() || b2.Finished() != nil {
		t.Error("b2 without tokenmap counted complete")
	}
	if latest, ok := LatestClusterBackup(clusters); !ok || latest.Name != "b2.with.dots" {
		t.Errorf("LatestClusterBackup = %s", latest.Name)
	}
	if latest, ok := LatestCompleteClusterBackup(clusters); !ok || latest.Name != "b2.with.dots" {
		t.Errorf("LatestCompleteClusterBackup = %s", latest.Name)
	}
	if _, ok := LatestCompleteClusterBackup(clusters[:1]); ok {
		t.Error("incomplete b1 reported as latest complete")
	}
	if c, ok := FindClusterBackup(clusters, "b1"); !ok || c.Name != "b1" {
		t.Error("FindClusterBackup(b1) failed")
	}
	if _, ok := FindClusterBackup(clusters, "nope"); ok {
		t.Error("FindClusterBackup(nope) found something")
	}
}

func TestCallerResolvedStart(t *testing.T) {
	t.Parallel()
	nodes, _ := fixtureClusters(t, "")
	// The caller HEADs meta/schema.cql of b3 (no started_ entry) and sets it.
	for i := range nodes {
		if nodes[i].Name == "b3" {
			epoch := int64(1700200000)
			nodes[i].Started = &epoch
		}
	}
	clusters := ClusterBackups(nodes)
	b3, ok := FindClusterBackup(clusters, "b3")
	if !ok || b3.Started() != 1700200000 || b3.IsComplete() {
		t.Fatalf("b3 = %+v", b3)
	}
	var buf bytes.Buffer
	if err := WriteListBackups(&buf, []ClusterBackup{b3}, time.UTC); err != nil {
		t.Fatal(err)
	}
	if want := "b3 (started: 2023-11-17 05:46:40, finished: Incomplete [0 of 0 nodes finished])\n\n" +
		"Incomplete backups found. You can run \"medusa status --backup-name <name>\" for more details\n"; buf.String() != want {
		t.Errorf("got %q", buf.String())
	}
}

func TestClusterBackupsOrderAndDuplicates(t *testing.T) {
	t.Parallel()
	e := func(v int64) *int64 { return &v }
	nodes := []NodeBackup{
		{Name: "b", FQDN: "z", Started: e(5)},
		{Name: "a", FQDN: "x", Started: e(9)},
		{Name: "b", FQDN: "y", Started: e(5)},
		{Name: "b", FQDN: "w", Started: e(1)},
		{Name: "b", FQDN: "z", Started: e(7), Differential: true},
		{Name: "c", FQDN: "q"},
	}
	clusters := ClusterBackups(nodes)
	if len(clusters) != 2 || clusters[0].Name != "a" || clusters[1].Name != "b" {
		t.Fatalf("clusters = %+v", clusters)
	}
	var order []string
	for _, n := range clusters[1].Nodes {
		order = append(order, n.FQDN)
	}
	if !slices.Equal(order, []string{"w", "z", "y"}) {
		t.Errorf("node order = %v, want [w z y] (start, then input order, duplicate keeps first position)", order)
	}
	if z, _ := clusters[1].Node("z"); !z.Differential || *z.Started != 7 {
		t.Errorf("duplicate z kept %+v, want the last value", z)
	}

	SortNodeBackupsByStart(nodes)
	var starts []string
	for _, n := range nodes {
		starts = append(starts, n.FQDN)
	}
	if !slices.Equal(starts, []string{"w", "z", "y", "z", "x", "q"}) {
		t.Errorf("SortNodeBackupsByStart = %v", starts)
	}
}

func TestFilterNodeIsExact(t *testing.T) {
	t.Parallel()
	entries, _ := New("").ParseIndexKeys([]string{
		"index/backup_index/b/tokenmap_n1.json",
		"index/backup_index/b/tokenmap_x_n1.json",
		"index/backup_index/b/tokenmap_n10.json",
		"index/backup_index/b/started_n1_1.timestamp",
		"index/backup_index/b/started_x_n1_2.timestamp",
	})
	got := FilterNode(NodeBackups(entries), "n1")
	if len(got) != 1 || got[0].FQDN != "n1" || *got[0].Started != 1 {
		t.Errorf("FilterNode(n1) = %+v", got)
	}
	keys := NodeIndexKeys(entries, "b", "n1")
	if !slices.Equal(keys, []string{"index/backup_index/b/started_n1_1.timestamp", "index/backup_index/b/tokenmap_n1.json"}) {
		t.Errorf("NodeIndexKeys = %v", keys)
	}
}

func TestDuplicateKindFirstKeyWins(t *testing.T) {
	t.Parallel()
	entries, _ := New("").ParseIndexKeys([]string{
		"index/backup_index/b/started_n_200.timestamp",
		"index/backup_index/b/tokenmap_n.json",
		"index/backup_index/b/started_n_1000.timestamp",
	})
	nodes := NodeBackups(entries)
	if len(nodes) != 1 || *nodes[0].Started != 1000 {
		t.Errorf("got %+v, want the lexically first started_ key (…_1000…)", nodes)
	}
}
