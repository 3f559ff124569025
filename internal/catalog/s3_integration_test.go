package catalog_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/s3"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestS3Integration writes a cluster backup to a real S3 server (the
// restricted user of Medusa's storage policy), then lists, verifies
// (with MD5 checks: ETags are hex MD5s), deletes the index and rebuilds it.
func TestS3Integration(t *testing.T) {
	srv := testbed.S3T(t)
	keyFile := filepath.Join(t.TempDir(), "credentials")
	must(t, srv.WriteKeyFile(keyFile, srv.Restricted))
	b, err := s3.New(t.Context(), s3.Options{Provider: "s3_compatible", Bucket: srv.Bucket, Region: srv.Region,
		Host: srv.Host, Port: srv.Port, KeyFile: keyFile, MultipartThreshold: 20 << 20,
		MultipartChunkSize: 50 << 20, MultipartConcurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const prefix = "it"
	for _, h := range hosts3 {
		writeGenericNode(t, b, prefix, "b1", h, h != "n3.example.com")
		writeGenericNode(t, b, prefix, "b2", h, true)
	}
	c := &catalog.Catalog{Backend: b, Prefix: prefix}
	summary := func() map[string]string {
		backups, err := c.ClusterBackups(t.Context())
		must(t, err)
		must(t, c.LoadDetails(t.Context(), backups))
		out := map[string]string{}
		for _, cb := range backups {
			out[cb.Name] = string(layout.ClusterBackupJSON(cb))
		}
		return out
	}
	before := summary()
	if len(before) != 2 || !strings.Contains(before["b1"], `"incomplete_nodes": 1`) ||
		!strings.Contains(before["b2"], `"completed_nodes": 3`) {
		t.Errorf("listing:\n%v", before)
	}
	var out bytes.Buffer
	res, err := verifyText(t.Context(), c, "b2", true, &out)
	if err != nil || !res.OK() {
		t.Errorf("verify b2: %v\n%s", err, out.String())
	}

	l := layout.New(prefix)
	var index []string
	for obj, err := range b.List(t.Context(), l.IndexPrefix()) {
		must(t, err)
		index = append(index, obj.Key)
	}
	must(t, b.DeleteMany(t.Context(), index))
	res2, err := buildIndexText(t.Context(), b, prefix, catalog.BuildIndexOptions{}, &bytes.Buffer{})
	must(t, err)
	if res2.NodeBackups != 5 {
		t.Errorf("build-index found %d finished node backups, want 5", res2.NodeBackups)
	}
	// b1's n3 never finished: it is no longer in the index at all.
	after := summary()
	if after["b2"] != before["b2"] || !strings.Contains(after["b1"], `"incomplete_nodes": 0`) ||
		!strings.Contains(after["b1"], `"missing_nodes_list": ["n3.example.com"]`) {
		t.Errorf("after build-index:\n%v\nbefore:\n%v", after, before)
	}
}

// writeGenericNode writes a node backup through any backend, with the
// real modification times of the store.
func writeGenericNode(t *testing.T, b storage.Backend, prefix, backup, fqdn string, finished bool) {
	t.Helper()
	ctx := t.Context()
	l := layout.New(prefix)
	tokenmap := tokenmapOf(t, hosts3...)
	put(t, b, l.SchemaKey(fqdn, backup), []byte("CQL"))
	put(t, b, l.TokenmapKey(fqdn, backup), tokenmap)
	started, err := catalog.EpochOf(ctx, b, l.SchemaKey(fqdn, backup))
	must(t, err)
	must(t, catalog.WriteStarted(ctx, b, prefix, backup, fqdn, tokenmap, []byte("CQL"), false, started))
	var objs []layout.Object
	for _, f := range []string{"nb-1-big-Data.db", "nb-1-big-Index.db"} {
		info := put(t, b, l.DataPrefix(fqdn, backup)+table+f, []byte(backup+fqdn+f))
		objs = append(objs, layout.Object{Path: info.Key, MD5: &info.Hash, Size: info.Size})
	}
	if !finished {
		return
	}
	manifest := layout.MarshalManifest(layout.Manifest{{Keyspace: "ks",
		ColumnFamily: "t-0123456789abcdef0123456789abcdef", Objects: objs}})
	put(t, b, l.ManifestKey(fqdn, backup), manifest)
	done, err := catalog.EpochOf(ctx, b, l.ManifestKey(fqdn, backup))
	must(t, err)
	must(t, catalog.WriteFinished(ctx, b, prefix, backup, fqdn, manifest, done))
	must(t, catalog.WriteLatest(ctx, b, prefix, fqdn, backup, tokenmap))
}
