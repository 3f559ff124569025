package kube

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/testbed"
)

// TestK8sModeMgmtAPIServer checks the test bed's Management API against
// the API's documented snapshot resource, on the real node: POST takes a
// real snapshot (and a second one with the same tag is Cassandra's 500),
// an invalid request is a 400, GET lists it in the API's Entity shape,
// DELETE clears it from disk.
func TestK8sModeMgmtAPIServer(t *testing.T) {
	n := testbed.SharedNode(t)
	api := testbed.MgmtAPIT(t, n, testbed.MgmtAPIOptions{})
	const tag = "mgmtapi-server-t1"
	call := func(method, query, body string) (int, string) {
		t.Helper()
		u := api.URL
		if query != "" {
			u += "?" + query
		}
		req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	onDisk := func() int {
		t.Helper()
		dirs, err := filepath.Glob(filepath.Join(n.DataDir, "fx_shop", "*", "snapshots", tag))
		if err != nil {
			t.Fatal(err)
		}
		return len(dirs)
	}
	t.Cleanup(func() { _, _ = n.Nodetool(t.Context(), "clearsnapshot", "-t", tag) })

	if code, ans := call("POST", "", `{"snapshot_name": "`+tag+`", "keyspaces": ["fx_shop"]}`); code != 200 || ans != "OK" {
		t.Fatalf("POST: %d %q", code, ans)
	}
	if onDisk() == 0 {
		t.Fatal("POST answered OK but no snapshot directory of fx_shop exists")
	}
	if code, ans := call("POST", "", `{"snapshot_name": "`+tag+`", "keyspaces": ["fx_shop"]}`); code != 500 || !strings.Contains(ans, "already exists") {
		t.Errorf("second POST of the same tag: %d %q, want 500 '... already exists'", code, ans)
	}
	if code, ans := call("POST", "", `{"snapshot_name": "x", "keyspaces": ["fx_shop"], "keyspace_tables": ["fx_shop.users"]}`); code != 400 ||
		ans != "When specifying keyspace_tables, specifying keyspaces is not allowed" {
		t.Errorf("invalid POST: %d %q", code, ans)
	}

	code, ans := call("GET", "snapshotNames="+tag, "")
	var details struct {
		Entity []map[string]string `json:"entity"`
	}
	if err := json.Unmarshal([]byte(ans), &details); code != 200 || err != nil || len(details.Entity) == 0 {
		t.Fatalf("GET: %d %v %s", code, err, ans)
	}
	tables := map[string]bool{}
	for _, e := range details.Entity {
		if e["Snapshot name"] != tag || e["Keyspace name"] != "fx_shop" || e["Size on disk"] == "" {
			t.Errorf("GET entity %v", e)
		}
		tables[e["Column family name"]] = true
	}
	if !tables["users"] || !tables["orders"] {
		t.Errorf("GET lists tables %v, want users and orders among them", tables)
	}

	if code, ans := call("DELETE", "snapshotNames="+tag, ""); code != 200 || ans != "OK" {
		t.Fatalf("DELETE: %d %q", code, ans)
	}
	if left := onDisk(); left != 0 {
		t.Errorf("DELETE answered OK but %d snapshot directories are left", left)
	}
	if _, ans := call("GET", "snapshotNames="+tag, ""); !strings.Contains(ans, `"entity":[]`) {
		t.Errorf("GET after DELETE: %s", ans)
	}
	if code, _ := call("GET", "", ""); code != 200 {
		t.Errorf("GET without filters: %d", code)
	}
	if code, _ := call("PUT", "", ""); code != 405 {
		t.Errorf("PUT: %d, want 405", code)
	}
	resp, err := http.Post(api.URL, "text/plain", strings.NewReader(`{"snapshot_name": "x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 415 {
		t.Errorf("POST as text/plain: %s, want 415", resp.Status)
	}
	reqs := api.Requests()
	if len(reqs) != 9 || reqs[0].Method != "POST" || reqs[0].Status != 200 || reqs[4].Method != "DELETE" {
		t.Errorf("recorded requests: %+v", reqs)
	}
}
