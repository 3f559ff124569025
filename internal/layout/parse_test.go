package layout

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestParseIndexKeyMatchesPython replays the cases of
// testdata/index_parse_python.json, whose expected results CPython computed
// with Medusa's regular expressions (testdata/gen_python.py).
func TestParseIndexKeyMatchesPython(t *testing.T) {
	t.Parallel()
	var cases []struct {
		Prefix string `json:"prefix"`
		Key    string `json:"key"`
		Want   *struct {
			Backup string      `json:"backup"`
			FQDN   string      `json:"fqdn"`
			Kind   string      `json:"kind"`
			Epoch  json.Number `json:"epoch"`
		} `json:"want"`
	}
	dec := json.NewDecoder(strings.NewReader(string(readTestdata(t, "index_parse_python.json"))))
	dec.UseNumber()
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 500 {
		t.Fatalf("only %d cases in the corpus", len(cases))
	}
	var parsed, ignored int
	for _, c := range cases {
		got, err := New(c.Prefix).ParseIndexKey(c.Key)
		if c.Want == nil {
			ignored++
			if !errors.Is(err, ErrImproperIndexKey) {
				t.Errorf("prefix %q key %q: got %+v, %v; Python ignores it", c.Prefix, c.Key, got, err)
			}
			continue
		}
		epoch, convErr := strconv.ParseInt(c.Want.Epoch.String(), 10, 64)
		if convErr != nil { // beyond int64: refused here, a huge int in Python
			if !errors.Is(err, ErrImproperIndexKey) {
				t.Errorf("key %q with epoch %s: got %+v, %v; want ErrImproperIndexKey", c.Key, c.Want.Epoch, got, err)
			}
			continue
		}
		parsed++
		want := IndexEntry{Key: c.Key, Backup: c.Want.Backup, FQDN: c.Want.FQDN, Kind: IndexKind(c.Want.Kind), Epoch: epoch}
		if err != nil || got != want {
			t.Errorf("prefix %q key %q:\n got %+v, %v\nwant %+v", c.Prefix, c.Key, got, err, want)
		}
	}
	if parsed == 0 || ignored == 0 {
		t.Errorf("corpus lacks variety: %d parsed, %d ignored", parsed, ignored)
	}
}

func TestParseIndexKeyEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prefix, key string
		want              IndexEntry
		wantErr           bool
	}{
		{name: "fqdn with underscores and dots", key: "index/backup_index/b/started_my_host.a_b_1700000000.timestamp",
			want: IndexEntry{Backup: "b", FQDN: "my_host.a_b", Kind: KindStarted, Epoch: 1700000000}},
		{name: "backup name with dots", prefix: "p", key: "p/index/backup_index/2024.01.01/tokenmap_n1.json",
			want: IndexEntry{Backup: "2024.01.01", FQDN: "n1", Kind: KindTokenmap}},
		{name: "too few segments", key: "index/backup_index/tokenmap_n1.json", wantErr: true},
		{name: "too many segments", key: "index/backup_index/b/x/tokenmap_n1.json", wantErr: true},
		{name: "prefix expected but absent", prefix: "p", key: "index/backup_index/b/x/tokenmap_n1.json", wantErr: true},
		{name: "no prefix given but key has one", key: "p/index/backup_index/b/tokenmap_n1.json", wantErr: true},
		{name: "no pattern", key: "index/backup_index/b/README", wantErr: true},
		{name: "epoch beyond int64", key: "index/backup_index/b/started_h_99999999999999999999.timestamp", wantErr: true},
		{name: "greedy: last kind wins", key: "index/backup_index/b/tokenmap_a_manifest_b.json",
			want: IndexEntry{Backup: "b", FQDN: "b", Kind: KindManifest}},
		{name: "extensions removed anywhere", key: "index/backup_index/b/tokenmap_h.json.x.txt",
			want: IndexEntry{Backup: "b", FQDN: "h.x", Kind: KindTokenmap}},
		{name: "Python $ before final newline", key: "index/backup_index/b/started_h_5.timestamp\n",
			want: IndexEntry{Backup: "b", FQDN: "h", Kind: KindStarted, Epoch: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(tt.prefix).ParseIndexKey(tt.key)
			if tt.wantErr {
				if !errors.Is(err, ErrImproperIndexKey) {
					t.Fatalf("got %+v, %v; want ErrImproperIndexKey", got, err)
				}
				return
			}
			tt.want.Key = tt.key
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseIndexKeysReportsIgnored(t *testing.T) {
	t.Parallel()
	keys := []string{
		"index/backup_index/b/tokenmap_n1.json",
		"index/backup_index/stray.json",
		"index/backup_index/b/README",
		"index/backup_index/b/started_n1_10.timestamp",
	}
	entries, ignored := New("").ParseIndexKeys(keys)
	if len(entries) != 2 || entries[0].Kind != KindTokenmap || entries[1].Kind != KindStarted {
		t.Errorf("entries = %+v", entries)
	}
	if len(ignored) != 2 || ignored[0].Key != keys[1] || ignored[1].Key != keys[2] {
		t.Fatalf("ignored = %+v", ignored)
	}
	if w := ignored[0].Warning(); !strings.Contains(w, "File index/backup_index/stray.json in backup index has improper name") {
		t.Errorf("warning = %q", w)
	}
}

func TestParseDataKey(t *testing.T) {
	t.Parallel()
	const td = "orders-5a1ff267ace03f128563cfae6103c65e"
	tests := []struct {
		name, prefix, key string
		want              DataRef
		wantErr           bool
	}{
		{name: "full", key: "n1/b1/data/shop/" + td + "/nb-1-big-Data.db",
			want: DataRef{FQDN: "n1", Backup: "b1", Keyspace: "shop", TableDir: td, File: "nb-1-big-Data.db"}},
		{name: "pool", prefix: "clusterA", key: "clusterA/n1/data/shop/" + td + "/nb-1-big-Data.db",
			want: DataRef{FQDN: "n1", Keyspace: "shop", TableDir: td, File: "nb-1-big-Data.db"}},
		{name: "full 2i", prefix: "clusterA", key: "clusterA/n1/b1/data/shop/" + td + "/.orders_idx/nb-1-big-Index.db",
			want: DataRef{FQDN: "n1", Backup: "b1", Keyspace: "shop", TableDir: td, SubDir: ".orders_idx", File: "nb-1-big-Index.db"}},
		{name: "pool 2i", key: "n1/data/shop/" + td + "/.orders_idx/nb-1-big-Index.db",
			want: DataRef{FQDN: "n1", Keyspace: "shop", TableDir: td, SubDir: ".orders_idx", File: "nb-1-big-Index.db"}},
		{name: "dse nodes", key: "n1/data/dse/metadata/nodes/f.db",
			want: DataRef{FQDN: "n1", Keyspace: "dse", TableDir: "metadata", SubDir: "nodes", File: "f.db"}},
		{name: "dse metadata", key: "n1/b/data/dse/metadata/f.db",
			want: DataRef{FQDN: "n1", Backup: "b", Keyspace: "dse", TableDir: "metadata", File: "f.db"}},
		{name: "backup named data", key: "n1/data/data/ks/t-1/f.db",
			want: DataRef{FQDN: "n1", Backup: "data", Keyspace: "ks", TableDir: "t-1", File: "f.db"}},
		{name: "pool keyspace named data with 2i", key: "n1/data/data/t-1/.idx/f.db",
			want: DataRef{FQDN: "n1", Keyspace: "data", TableDir: "t-1", SubDir: ".idx", File: "f.db"}},
		{name: "meta file", key: "n1/b1/meta/schema.cql", wantErr: true},
		{name: "index", key: "index/backup_index/b/tokenmap_n1.json", wantErr: true},
		{name: "too deep", key: "n1/b1/data/ks/t/a/b/f.db", wantErr: true},
		{name: "sub dir not an index dir", key: "n1/b1/data/ks/t/sub/f.db", wantErr: true},
		{name: "empty segment", key: "n1/b1/data/ks//f.db", wantErr: true},
		{name: "wrong prefix", prefix: "p", key: "q/n1/data/ks/t/f.db", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(tt.prefix)
			got, err := l.ParseDataKey(tt.key)
			if tt.wantErr {
				if !errors.Is(err, ErrNotDataKey) {
					t.Fatalf("got %+v, %v; want ErrNotDataKey", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
			if back := l.DataKey(got); back != tt.key {
				t.Errorf("DataKey(parsed) = %q, want %q", back, tt.key)
			}
			if got.Pool() != (tt.want.Backup == "") {
				t.Errorf("Pool() = %v", got.Pool())
			}
		})
	}
}

func TestSafeTableName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    DataRef
		want string
	}{
		{DataRef{TableDir: "t-1"}, "t-1"},
		{DataRef{TableDir: "t-1", SubDir: ".idx"}, "t-1..idx"},
		{DataRef{TableDir: "metadata", SubDir: "nodes"}, "metadata.nodes"},
	} {
		if got := tc.r.SafeTableName(); got != tc.want {
			t.Errorf("SafeTableName(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

// FuzzParseIndexKey checks that parsing never panics, that what it accepts
// has the segment structure Medusa requires, and that it agrees with
// building: a key built for a validated backup name and fqdn parses back to
// the same entry.
func FuzzParseIndexKey(f *testing.F) {
	for _, s := range []struct {
		key, backup, fqdn string
		kind              uint8
		epoch             int64
	}{
		{"index/backup_index/b/started_h_1.timestamp", "b", "h", 0, 1},
		{"clusterA/index/backup_index/b.c/tokenmap_my_host.json", "2024.01", "my_host", 2, 0},
		{"index/backup_index/b/tokenmap_a_schema_b.json", "b", "a_schema_b", 3, 0},
		{"index/backup_index/b/finished_x_99999999999999999999.timestamp", "x", "x.json", 1, math.MaxInt64},
		{"index/backup_index/b/differential_\xff", "\xff", "n\xc3\xb6de", 5, -1},
	} {
		f.Add(s.key, s.backup, s.fqdn, s.kind, s.epoch)
	}
	kinds := []IndexKind{KindStarted, KindFinished, KindTokenmap, KindSchema, KindManifest, KindDifferential, KindIncremental}
	f.Fuzz(func(t *testing.T, key, backup, fqdn string, kind uint8, epoch int64) {
		for _, prefix := range []string{"", "clusterA"} {
			l := New(prefix)
			if e, err := l.ParseIndexKey(key); err == nil {
				segs := strings.Split(key, "/")
				if e.Backup != segs[len(segs)-2] || e.Key != key || !strings.HasPrefix(key, l.KeyPrefix()) {
					t.Fatalf("ParseIndexKey(%q) = %+v: inconsistent", key, e)
				}
			}
			if epoch < 0 || ValidateBackupName(backup) != nil || ValidateFQDN(fqdn) != nil {
				continue
			}
			want := IndexEntry{Backup: backup, FQDN: fqdn, Kind: kinds[int(kind)%len(kinds)]}
			if want.Kind == KindStarted || want.Kind == KindFinished {
				want.Epoch = epoch
			}
			want.Key = l.IndexKey(want)
			if got, err := l.ParseIndexKey(want.Key); err != nil || got != want {
				t.Fatalf("ParseIndexKey(IndexKey(%+v)) = %+v, %v", want, got, err)
			}
		}
	})
}

// FuzzParseDataKey checks that ParseDataKey never panics and that every key
// it accepts is rebuilt identically by DataKey.
func FuzzParseDataKey(f *testing.F) {
	for _, k := range []string{"n1/b1/data/ks/t-1/f.db", "clusterA/n1/data/ks/t-1/.idx/f.db", "n1/data/data/t/.i/f",
		"n1/data/dse/metadata/nodes/f", "///data///"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		for _, prefix := range []string{"", "clusterA"} {
			l := New(prefix)
			if r, err := l.ParseDataKey(key); err == nil && l.DataKey(r) != key {
				t.Fatalf("DataKey(ParseDataKey(%q)) = %q", key, l.DataKey(r))
			}
		}
	})
}
