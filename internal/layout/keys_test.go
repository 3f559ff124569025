package layout

import "testing"

func TestKeyBuilders(t *testing.T) {
	t.Parallel()
	const fqdn, backup = "node1.example.com", "202401011200"
	for _, tc := range []struct {
		prefix, p string
	}{
		{"", ""},
		{".", ""},
		{"clusterA", "clusterA/"},
		{"x", "x/"},
	} {
		l := New(tc.prefix)
		p := tc.p
		tests := []struct{ name, got, want string }{
			{"KeyPrefix", l.KeyPrefix(), p},
			{"NodePrefix", l.NodePrefix(fqdn), p + "node1.example.com/"},
			{"NodeBackupPrefix", l.NodeBackupPrefix(fqdn, backup), p + "node1.example.com/202401011200/"},
			{"Schema", l.SchemaKey(fqdn, backup), p + "node1.example.com/202401011200/meta/schema.cql"},
			{"Tokenmap", l.TokenmapKey(fqdn, backup), p + "node1.example.com/202401011200/meta/tokenmap.json"},
			{"ServerVersion", l.ServerVersionKey(fqdn, backup), p + "node1.example.com/202401011200/meta/server_version.json"},
			{"Differential", l.DifferentialKey(fqdn, backup), p + "node1.example.com/202401011200/meta/differential"},
			{"Incremental", l.IncrementalKey(fqdn, backup), p + "node1.example.com/202401011200/meta/incremental"},
			{"Manifest", l.ManifestKey(fqdn, backup), p + "node1.example.com/202401011200/meta/manifest.json"},
			{"RestoreVerifyQuery", l.RestoreVerifyQueryKey(fqdn, backup), p + "node1.example.com/202401011200/meta/restore_verify_query.json"},
			{"FullData", l.DataKey(DataRef{FQDN: fqdn, Backup: backup, Keyspace: "shop", TableDir: "orders-5a1f", File: "nb-1-big-Data.db"}),
				p + "node1.example.com/202401011200/data/shop/orders-5a1f/nb-1-big-Data.db"},
			{"PoolData", l.DataKey(DataRef{FQDN: fqdn, Keyspace: "shop", TableDir: "orders-5a1f", File: "nb-1-big-Data.db"}),
				p + "node1.example.com/data/shop/orders-5a1f/nb-1-big-Data.db"},
			{"Full2i", l.DataKey(DataRef{FQDN: fqdn, Backup: backup, Keyspace: "shop", TableDir: "orders-5a1f", SubDir: ".orders_idx", File: "nb-1-big-Index.db"}),
				p + "node1.example.com/202401011200/data/shop/orders-5a1f/.orders_idx/nb-1-big-Index.db"},
			{"Pool2i", l.DataKey(DataRef{FQDN: fqdn, Keyspace: "shop", TableDir: "orders-5a1f", SubDir: ".orders_idx", File: "nb-1-big-Index.db"}),
				p + "node1.example.com/data/shop/orders-5a1f/.orders_idx/nb-1-big-Index.db"},
			{"DSENodes", l.DataKey(DataRef{FQDN: fqdn, Keyspace: "dse", TableDir: "metadata", SubDir: "nodes", File: "f.db"}),
				p + "node1.example.com/data/dse/metadata/nodes/f.db"},
			{"PoolPrefix", l.PoolPrefix(fqdn), p + "node1.example.com/data/"},
			{"DataPrefix", l.DataPrefix(fqdn, backup), p + "node1.example.com/202401011200/data/"},
			{"TablePrefix", l.TablePrefix(fqdn, "", "ks", "t-1"), p + "node1.example.com/data/ks/t-1/"},
			{"IndexPrefix", l.IndexPrefix(), p + "index/"},
			{"BackupIndexList", l.BackupIndexListPrefix(), p + "index/backup_index"},
			{"BackupIndex", l.BackupIndexPrefix(backup), p + "index/backup_index/202401011200/"},
			{"IdxTokenmap", l.IndexTokenmapKey(backup, fqdn), p + "index/backup_index/202401011200/tokenmap_node1.example.com.json"},
			{"IdxSchema", l.IndexSchemaKey(backup, fqdn), p + "index/backup_index/202401011200/schema_node1.example.com.cql"},
			{"IdxStarted", l.IndexStartedKey(backup, fqdn, 1700000000), p + "index/backup_index/202401011200/started_node1.example.com_1700000000.timestamp"},
			{"IdxDifferential", l.IndexDifferentialKey(backup, fqdn), p + "index/backup_index/202401011200/differential_node1.example.com"},
			{"IdxIncremental", l.IndexIncrementalKey(backup, fqdn), p + "index/backup_index/202401011200/incremental_node1.example.com"},
			{"IdxManifest", l.IndexManifestKey(backup, fqdn), p + "index/backup_index/202401011200/manifest_node1.example.com.json"},
			{"IdxFinished", l.IndexFinishedKey(backup, fqdn, 1700000123), p + "index/backup_index/202401011200/finished_node1.example.com_1700000123.timestamp"},
			{"LatestPrefix", l.LatestBackupPrefix(fqdn), p + "index/latest_backup/node1.example.com/"},
			{"LatestTokenmap", l.LatestTokenmapKey(fqdn), p + "index/latest_backup/node1.example.com/tokenmap.json"},
			{"LatestName", l.LatestBackupNameKey(fqdn), p + "index/latest_backup/node1.example.com/backup_name.txt"},
		}
		for _, tt := range tests {
			if tt.got != tt.want {
				t.Errorf("prefix %q: %s = %q, want %q", tc.prefix, tt.name, tt.got, tt.want)
			}
		}
		if got := l.Prefix(); got+"/" != p && p != "" {
			t.Errorf("prefix %q: Prefix() = %q", tc.prefix, got)
		}
	}
}

func TestIndexKeyRoundTrip(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", "clusterA"} {
		l := New(prefix)
		for _, e := range []IndexEntry{
			{Backup: "202401011200", FQDN: "node1.example.com", Kind: KindTokenmap},
			{Backup: "backup.with.dots", FQDN: "my_host_name", Kind: KindSchema},
			{Backup: "b", FQDN: "10.0.0.1", Kind: KindStarted, Epoch: 1700000000},
			{Backup: "b", FQDN: "n_1_2", Kind: KindFinished, Epoch: 7},
			{Backup: "b", FQDN: "host-1", Kind: KindDifferential},
			{Backup: "b", FQDN: "host-1", Kind: KindIncremental},
			{Backup: "b", FQDN: "nöde", Kind: KindManifest},
		} {
			key := l.IndexKey(e)
			got, err := l.ParseIndexKey(key)
			e.Key = key
			if err != nil || got != e {
				t.Errorf("ParseIndexKey(%q) = %+v, %v; want %+v", key, got, err, e)
			}
		}
		if k := l.IndexKey(IndexEntry{Kind: "bogus"}); k != "" {
			t.Errorf("IndexKey(bogus kind) = %q, want empty", k)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		backupOK, fqOK bool
	}{
		{"202401011200", true, true},
		{"node1.example.com", true, true},
		{"my_host_name", true, true},
		{"10.0.0.1", true, true},
		{"nöde", true, true},
		{"", false, false},
		{".", false, false},
		{"..", false, false},
		{"a/b", false, false},
		{"a\nb", false, false},
		{"a\tb", false, false},
		{"a_schema_b", true, false},
		{"started_n", true, false},
		{"x.json.y", true, false},
		{"h_1", true, true},
		{"tokenmap", true, true},
	} {
		if err := ValidateBackupName(tc.name); (err == nil) != tc.backupOK {
			t.Errorf("ValidateBackupName(%q) = %v, want ok=%v", tc.name, err, tc.backupOK)
		}
		if err := ValidateFQDN(tc.name); (err == nil) != tc.fqOK {
			t.Errorf("ValidateFQDN(%q) = %v, want ok=%v", tc.name, err, tc.fqOK)
		}
	}
	if err := ValidatePrefix("clusterA"); err != nil {
		t.Errorf("ValidatePrefix(clusterA) = %v", err)
	}
	if err := ValidatePrefix("a/b"); err == nil {
		t.Error("ValidatePrefix(a/b) accepted a slash")
	}
}
