package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/testbed"
)

// pyVariantScript runs Python Medusa's own pool parsing
// (Storage.list_files_per_table, fed a listing in key order) and its
// download placement (AbstractStorage.path_maybe_with_parent) on the keys
// given as arguments.
const pyVariantScript = `
import json, pathlib, sys, types
import medusa.storage as ms
from medusa.storage.abstract_storage import AbstractStorage

class Blob:
    def __init__(self, name):
        self.name, self.size, self.hash = name, 1, "h"

keys = sys.argv[1:]

class Store(ms.Storage):
    def __init__(self):
        pass
    config = types.SimpleNamespace(prefix="", fqdn="n1")
    storage_driver = types.SimpleNamespace(list_blobs=lambda prefix: [Blob(k) for k in keys])

pool = Store().list_files_per_table()
print(json.dumps({
    "pool": {ks: {t: sorted(files) for t, files in tables.items()} for ks, tables in pool.items()},
    "placed": [AbstractStorage.path_maybe_with_parent("dst", pathlib.Path(k)) for k in keys],
}))
`

// TestPythonMedusaReadsVariantKeys: Python Medusa's differential backup
// reads a pool with variant directories without losing the other tables
// of the keyspace (it groups the listing by keyspace in key order), and
// its download places variant files in the table directory, secondary
// index files in their dot directory.
func TestPythonMedusaReadsVariantKeys(t *testing.T) {
	py := testbed.PyMedusa{Exe: testbed.PyMedusaT(t), Dir: t.TempDir()}
	keys := []string{ // S3 listing order
		"n1/data/ks/t-1.v17/.t_idx/nb-2-big-Data.db",
		"n1/data/ks/t-1.v17/nb-2-big-Data.db",
		"n1/data/ks/t-1/.t_idx/nb-2-big-Data.db",
		"n1/data/ks/t-1/nb-1-big-Data.db",
		"n1/data/ks/t-1/nb-2-big-Data.db",
		"n1/data/ks/t-2/nb-1-big-Data.db",
	}
	out, errOut, err := py.Python(t.Context(), pyVariantScript, keys...)
	if err != nil {
		t.Fatalf("python: %v\n%s", err, errOut)
	}
	var got struct {
		Pool   map[string]map[string][]string
		Placed []string
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	wantPool := map[string]map[string][]string{"ks": {
		"t-1.v17..t_idx": {"nb-2-big-Data.db"},
		"t-1.v17":        {"nb-2-big-Data.db"},
		"t-1..t_idx":     {"nb-2-big-Data.db"},
		"t-1":            {"nb-1-big-Data.db", "nb-2-big-Data.db"},
		"t-2":            {"nb-1-big-Data.db"},
	}}
	if !reflect.DeepEqual(got.Pool, wantPool) {
		t.Errorf("Python's pool view %v, want %v", got.Pool, wantPool)
	}
	wantPlaced := []string{"dst/.t_idx/nb-2-big-Data.db", "dst/nb-2-big-Data.db", "dst/.t_idx/nb-2-big-Data.db",
		"dst/nb-1-big-Data.db", "dst/nb-2-big-Data.db", "dst/nb-1-big-Data.db"}
	if !reflect.DeepEqual(got.Placed, wantPlaced) {
		t.Errorf("Python places %v, want %v", got.Placed, wantPlaced)
	}
}
