package catalog_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/storage"
)

func TestWriters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prefix, p string
		differential    bool
	}{
		{"full without prefix", "", "", false},
		{"differential with prefix", "tenant", "tenant/", true},
		{"dot prefix means none", ".", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newLocal(t)
			ctx := t.Context()
			if err := catalog.WriteStarted(ctx, b, tt.prefix, "b1", "n1.example.com",
				[]byte(`{"tm"}`), []byte("CQL"), tt.differential, 1700000000); err != nil {
				t.Fatal(err)
			}
			if err := catalog.WriteFinished(ctx, b, tt.prefix, "b1", "n1.example.com", []byte("[]"), 1700000100); err != nil {
				t.Fatal(err)
			}
			if err := catalog.WriteLatest(ctx, b, tt.prefix, "n1.example.com", "b1", []byte(`{"tm"}`)); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"index/backup_index/b1/tokenmap_n1.example.com.json":                 `{"tm"}`,
				"index/backup_index/b1/schema_n1.example.com.cql":                    "CQL",
				"index/backup_index/b1/started_n1.example.com_1700000000.timestamp":  "1700000000",
				"index/backup_index/b1/manifest_n1.example.com.json":                 "[]",
				"index/backup_index/b1/finished_n1.example.com_1700000100.timestamp": "1700000100",
				"index/latest_backup/n1.example.com/tokenmap.json":                   `{"tm"}`,
				"index/latest_backup/n1.example.com/backup_name.txt":                 "b1",
			}
			if tt.differential {
				want["index/backup_index/b1/differential_n1.example.com"] = "differential"
			}
			got := listKeys(t, b, "")
			var wantKeys []string
			for k, content := range want {
				wantKeys = append(wantKeys, tt.p+k)
				if c := readKey(t, b, tt.p+k); c != content {
					t.Errorf("%s = %q, want %q", tt.p+k, c, content)
				}
			}
			slices.Sort(wantKeys)
			if !slices.Equal(got, wantKeys) {
				t.Errorf("keys:\n got %q\nwant %q", got, wantKeys)
			}
		})
	}
}

func TestWritersRefuseBadNames(t *testing.T) {
	t.Parallel()
	b := newLocal(t)
	for _, name := range []struct{ backup, fqdn string }{{"a/b", "n1"}, {"b1", ""}, {"b1", "x_schema_y"}} {
		if err := catalog.WriteStarted(t.Context(), b, "", name.backup, name.fqdn, nil, nil, false, 1); err == nil {
			t.Errorf("WriteStarted(%q, %q) succeeded", name.backup, name.fqdn)
		}
	}
	if keys := listKeys(t, b, ""); len(keys) != 0 {
		t.Errorf("refused writes left %q", keys)
	}
}

func TestEpochOf(t *testing.T) {
	t.Parallel()
	b := newLocal(t)
	put(t, b, "n1/b1/meta/schema.cql", []byte("x"))
	setMTime(t, b, "n1/b1/meta/schema.cql", 1234567890)
	got, err := catalog.EpochOf(t.Context(), b, "n1/b1/meta/schema.cql")
	if err != nil || got != 1234567890 {
		t.Errorf("EpochOf = %d, %v; want 1234567890", got, err)
	}
	if _, err := catalog.EpochOf(t.Context(), b, "n1/b1/meta/manifest.json"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("EpochOf(missing) error %v, want ErrNotExist", err)
	}
}
