package catalog_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

const (
	table   = "ks/t-0123456789abcdef0123456789abcdef/"
	verifOK = "Validating b2 ...\n- Completion: OK!\n- Manifest validated: OK!!\n"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	l := layout.New("p")
	full := l.DataPrefix("n2.example.com", "b2") + table
	pool := l.PoolPrefix("n1.example.com") + table
	tests := []struct {
		name     string
		backup   string
		damage   func(t *testing.T, b *local.Backend)
		want     string
		ok       bool
		warnings int
	}{
		{"intact", "b2", nil, verifOK, true, 0},
		{"incomplete", "b1", nil, "Validating b1 ...\n- Completion: Not complete!\n" +
			"  - [n2.example.com] Backup started at 1700000001, but not finished yet\n" +
			"  - [n3.example.com] Backup missing\n", false, 0},
		{"deleted file", "b2", func(t *testing.T, b *local.Backend) {
			must(t, b.Delete(t.Context(), full+"nb-1-big-Data.db"))
		}, "Validating b2 ...\n- Completion: OK!\n- Manifest validation: Failed!\n" +
			"  - [" + full + "nb-1-big-Data.db] Doesn't exists\n", false, 0},
		{"truncated file", "b2", func(t *testing.T, b *local.Backend) {
			put(t, b, full+".t_idx/nb-1-big-Data.db", []byte("short"))
		}, "Validating b2 ...\n- Completion: OK!\n- Manifest validation: Failed!\n" +
			"  - [" + full + ".t_idx/nb-1-big-Data.db] Blob different\n", false, 0},
		{"statistics ignored", "b2", func(t *testing.T, b *local.Backend) {
			put(t, b, full+"nb-1-big-Statistics.db", []byte("rewritten by cassandra"))
			must(t, b.Delete(t.Context(), l.DataPrefix("n3.example.com", "b2")+table+"nb-1-big-Statistics.db"))
		}, verifOK, true, 0},
		{"summary only warned", "b2", func(t *testing.T, b *local.Backend) {
			put(t, b, full+"nb-1-big-Summary.db", []byte("rebuilt"))
		}, verifOK, true, 1},
		{"extra object in full backup", "b2", func(t *testing.T, b *local.Backend) {
			put(t, b, full+"nb-2-big-Data.db", []byte("stray"))
		}, "Validating b2 ...\n- Completion: OK!\n- Manifest validation: Failed!\n" +
			"  - [" + full + "nb-2-big-Data.db] exists in storage, but not in manifest\n", false, 0},
		{"extra object in differential pool", "b3", func(t *testing.T, b *local.Backend) {
			put(t, b, pool+"nb-2-big-Data.db", []byte("from another backup"))
		}, "Validating b3 ...\n- Completion: OK!\n- Manifest validated: OK!!\n", true, 0},
		{"deleted pool file", "b3", func(t *testing.T, b *local.Backend) {
			must(t, b.Delete(t.Context(), pool+"nb-1-big-Summary.db"))
		}, "Validating b3 ...\n- Completion: OK!\n- Manifest validation: Failed!\n" +
			"  - [" + pool + "nb-1-big-Summary.db] Doesn't exists\n", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newLocal(t)
			writeCluster(t, b, "p")
			// b3's n3 was not indexed; index it so b3 is complete.
			_, err := buildIndexText(t.Context(), b, "p", catalog.BuildIndexOptions{}, &bytes.Buffer{})
			must(t, err)
			if tt.damage != nil {
				tt.damage(t, b)
			}
			c := &catalog.Catalog{Backend: b, Prefix: "p"}
			var out bytes.Buffer
			res, err := verifyText(t.Context(), c, tt.backup, false, &out)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), tt.want)
			}
			if res.OK() != tt.ok || len(res.Warnings) != tt.warnings {
				t.Errorf("OK() = %v, %d warnings; want %v, %d", res.OK(), len(res.Warnings), tt.ok, tt.warnings)
			}
		})
	}
}

func TestVerifyUnknownBackup(t *testing.T) {
	t.Parallel()
	c := &catalog.Catalog{Backend: newLocal(t)}
	var out bytes.Buffer
	if _, err := verifyText(t.Context(), c, "nope", false, &out); !errors.Is(err, layout.ErrBackupNotFound) || out.Len() != 0 {
		t.Errorf("Verify(nope) = %v, output %q", err, out.String())
	}
}

// TestVerifyMD5 uses a backend that lists hashes: a same-size change is
// only caught with MD5 checks.
func TestVerifyMD5(t *testing.T) {
	t.Parallel()
	mem := storagetest.NewMemory()
	ctx := t.Context()
	l := layout.New("")
	key := l.DataPrefix("n1", "b1") + table + "nb-1-big-Data.db"
	info := put(t, mem, key, []byte("0123456789"))
	m := layout.Manifest{{Keyspace: "ks", ColumnFamily: "t-0123456789abcdef0123456789abcdef",
		Objects: []layout.Object{{Path: key, MD5: &info.Hash, Size: 10}}}}
	tm := tokenmapOf(t, "n1")
	put(t, mem, l.SchemaKey("n1", "b1"), []byte("CQL"))
	put(t, mem, l.ManifestKey("n1", "b1"), layout.MarshalManifest(m))
	must(t, catalog.WriteStarted(ctx, mem, "", "b1", "n1", tm, []byte("CQL"), false, t0))
	must(t, catalog.WriteFinished(ctx, mem, "", "b1", "n1", layout.MarshalManifest(m), t0+1))
	put(t, mem, key, []byte("9876543210"))
	c := &catalog.Catalog{Backend: mem}
	for _, md5 := range []bool{false, true} {
		var out bytes.Buffer
		res, err := verifyText(ctx, c, "b1", md5, &out)
		if err != nil {
			t.Fatal(err)
		}
		if res.OK() == md5 || strings.Contains(out.String(), "Blob different") != md5 {
			t.Errorf("md5=%v: OK()=%v, output:\n%s", md5, res.OK(), out.String())
		}
	}
}
