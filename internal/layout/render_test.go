package layout

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestFormatBytesMatchesPython(t *testing.T) {
	t.Parallel()
	var cases []struct {
		N    int64
		Want string
	}
	var raw [][2]json.RawMessage
	if err := json.Unmarshal(readTestdata(t, "format_bytes_python.json"), &raw); err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		var c struct {
			N    int64
			Want string
		}
		if err := json.Unmarshal(r[0], &c.N); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(r[1], &c.Want); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	if len(cases) < 200 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		if got := FormatBytes(c.N); got != c.Want {
			t.Errorf("FormatBytes(%d) = %q, Python %q", c.N, got, c.Want)
		}
	}
}

func TestFormatTimestamp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		loc  *time.Location
		want string
	}{
		{time.UTC, "2023-11-14 22:13:20"},
		{cet, "2023-11-14 23:13:20"},
		{time.FixedZone("X", -9*3600-1800), "2023-11-14 12:43:20"},
	} {
		if got := FormatTimestamp(1700000000, tc.loc); got != tc.want {
			t.Errorf("FormatTimestamp in %s = %q, want %q", tc.loc, got, tc.want)
		}
	}
}

// TestClusterBackupJSONMatchesPython compares the JSON renderings of the
// fixture with json.dumps(..., ensure_ascii=False, sort_keys=True) of the
// dicts Medusa's to_json_dict builds for it (testdata/gen_python.py).
func TestClusterBackupJSONMatchesPython(t *testing.T) {
	t.Parallel()
	_, clusters := fixtureClusters(t, "clusterA")
	var status bytes.Buffer
	if err := WriteStatusJSON(&status, clusters[0]); err != nil {
		t.Fatal(err)
	}
	if want := readTestdata(t, "status_b1_python.json"); !bytes.Equal(status.Bytes(), want) {
		t.Errorf("status json\n got %s\nwant %s", status.Bytes(), want)
	}
	var list bytes.Buffer
	if err := WriteListBackupsJSON(&list, ListBackups(clusters, "ignored", true)); err != nil {
		t.Fatal(err)
	}
	if want := readTestdata(t, "list_backups_python.json"); !bytes.Equal(list.Bytes(), want) {
		t.Errorf("list json\n got %s\nwant %s", list.Bytes(), want)
	}
	var empty, unknown bytes.Buffer
	if err := WriteListBackupsJSON(&empty, nil); err != nil || empty.String() != "[]\n" {
		t.Errorf("empty list json = %q, %v", empty.String(), err)
	}
	if err := WriteUnknownStatusJSON(&unknown); err != nil || unknown.String() != "{}\n" {
		t.Errorf("unknown status json = %q, %v", unknown.String(), err)
	}
}

func TestTextRenderingsGolden(t *testing.T) {
	t.Parallel()
	_, clusters := fixtureClusters(t, "clusterA")
	render := func(f func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	checkGolden(t, "list_backups_all.golden", render(func(b *bytes.Buffer) error {
		return WriteListBackups(b, ListBackups(clusters, "n1.example.com", true), cet)
	}))
	checkGolden(t, "list_backups_node.golden", render(func(b *bytes.Buffer) error {
		return WriteListBackups(b, ListBackups(clusters, "nöde2", false), cet)
	}))
	checkGolden(t, "status_b1.golden", render(func(b *bytes.Buffer) error { return WriteStatus(b, clusters[0], cet) }))
	checkGolden(t, "status_b2.golden", render(func(b *bytes.Buffer) error { return WriteStatus(b, clusters[1], cet) }))
	if got := render(func(b *bytes.Buffer) error { return WriteListBackups(b, nil, cet) }); len(got) != 0 {
		t.Errorf("no backups printed %q", got)
	}
}
