package layout

import (
	"bytes"
	"strings"
	"testing"
)

func strp(s string) *string { return &s }

// TestManifestPythonRoundTrip: a manifest written by json.dumps survives
// Unmarshal+Marshal byte for byte.
func TestManifestPythonRoundTrip(t *testing.T) {
	t.Parallel()
	doc := readTestdata(t, "manifest_python.json")
	m, err := ReadManifest(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := MarshalManifest(m); !bytes.Equal(got, doc) {
		t.Fatalf("round trip differs\n got: %s\nwant: %s", got, doc)
	}
	if len(m) != 3 || len(m[0].Objects) != 4 || len(m[1].Objects) != 0 {
		t.Fatalf("parsed %+v", m)
	}
	if m[0].Objects[2].MD5 != nil {
		t.Errorf("null MD5 parsed as %q", *m[0].Objects[2].MD5)
	}
	if m[0].Objects[3].Size != 9007199254740993 {
		t.Errorf("size beyond float64 precision parsed as %d", m[0].Objects[3].Size)
	}
	if m[2].Keyspace != "kéy<&>/\"\\\t\x01\x7f😀" {
		t.Errorf("keyspace parsed as %q", m[2].Keyspace)
	}
	size, objects := m.Stats()
	if size != 73400320+4096+0+9007199254740993+1 || objects != 5 {
		t.Errorf("Stats() = %d, %d", size, objects)
	}
}

// TestManifestBuiltMatchesPython: a manifest built in Go marshals to the
// bytes Python wrote for the same content.
func TestManifestBuiltMatchesPython(t *testing.T) {
	t.Parallel()
	const td = "orders-5a1ff267ace03f128563cfae6103c65e"
	l := New("clusterA")
	ref := func(sub, file string) string {
		return l.DataKey(DataRef{FQDN: "node1.example.com", Keyspace: "shop", TableDir: td, SubDir: sub, File: file})
	}
	m := Manifest{
		{Keyspace: "shop", ColumnFamily: td, Objects: []Object{
			{Path: ref("", "nb-7-big-Data.db"), MD5: strp("3f6c2a3c1b7e4e8f9d2f0c5a6b7e8d9f-2"), Size: 73400320},
			{Path: ref(".orders_by_user_idx", "nb-7-big-Index.db"), MD5: strp("9e107d9d372bb6826bd81d3542a419d6"), Size: 4096},
			{Path: ref("", "nb-6-big-Statistics.db"), Size: 0},
			{Path: ref("", "nb-8-big-Data.db"), MD5: strp("nMzYsy7lXvPB0GDMgz0pVg=="), Size: 9007199254740993},
		}},
		{Keyspace: "system_auth", ColumnFamily: "roles-5bc52802de2535edaeab188eecebb090"},
		{Keyspace: "kéy<&>/\"\\\t\x01\x7f😀", ColumnFamily: "t\u2028\u2029\ufeff-00000000000000000000000000000000",
			Objects: []Object{{Path: "clusterA/nöde/data/k/t/日本.db", MD5: strp("0x8DC1A2B3C4D5E6F"), Size: 1}}},
	}
	var buf bytes.Buffer
	if err := WriteManifest(&buf, m); err != nil {
		t.Fatal(err)
	}
	if want := readTestdata(t, "manifest_python.json"); !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("got  %s\nwant %s", buf.Bytes(), want)
	}
	if got := string(MarshalManifest(nil)); got != "[]" {
		t.Errorf("empty manifest = %s, want []", got)
	}
}

func TestUnmarshalManifestTolerance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		want      Manifest
		wantErr   string
	}{
		{name: "MD5 absent, objects absent, whitespace",
			doc:  "[ {\"keyspace\":\"k\",\"columnfamily\":\"t\",\"objects\":[{\"path\":\"p\",\"size\":3}]},\n{\"keyspace\":\"k\",\"columnfamily\":\"u\"} ]\n",
			want: Manifest{{Keyspace: "k", ColumnFamily: "t", Objects: []Object{{Path: "p", Size: 3}}}, {Keyspace: "k", ColumnFamily: "u", Objects: []Object{}}}},
		{name: "objects null and extra fields", doc: `[{"keyspace": "k", "columnfamily": "t", "objects": null, "extra": 1}]`,
			want: Manifest{{Keyspace: "k", ColumnFamily: "t", Objects: []Object{}}}},
		{name: "empty", doc: `[]`, want: Manifest{}},
		{name: "not an array", doc: `{}`, wantErr: "parse manifest"},
		{name: "null", doc: `null`, wantErr: "not a JSON array"},
		{name: "missing keyspace", doc: `[{"columnfamily": "t", "objects": []}]`, wantErr: "lacks keyspace"},
		{name: "missing path", doc: `[{"keyspace": "k", "columnfamily": "t", "objects": [{"MD5": null, "size": 1}]}]`, wantErr: "lacks a path"},
		{name: "fractional size", doc: `[{"keyspace": "k", "columnfamily": "t", "objects": [{"path": "p", "size": 1.5}]}]`, wantErr: "not an integer"},
		{name: "trailing data", doc: `[] []`, wantErr: "unexpected data"},
		{name: "truncated", doc: `[{"keyspace": "k"`, wantErr: "parse manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UnmarshalManifest([]byte(tt.doc))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(MarshalManifest(got)) != string(MarshalManifest(tt.want)) || len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
