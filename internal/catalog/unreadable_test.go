package catalog_test

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
)

// TestLoadDetailsUnreadableManifest: a node backup whose manifest is
// garbage or gone does not count as finished once its details are loaded,
// and the warning names the manifest's key.
func TestLoadDetailsUnreadableManifest(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, b storage.Backend, keys []string)
	}{
		{"garbage", func(t *testing.T, b storage.Backend, keys []string) {
			for _, k := range keys {
				put(t, b, k, []byte("{not a manifest"))
			}
		}},
		{"deleted", func(t *testing.T, b storage.Backend, keys []string) {
			if err := b.DeleteMany(t.Context(), keys); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newLocal(t)
			writeCluster(t, b, "")
			var logs bytes.Buffer
			c := &catalog.Catalog{Backend: b, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			cb, err := c.ClusterBackup(t.Context(), "b2")
			if err != nil || !cb.IsComplete() {
				t.Fatalf("before the damage: complete=%v, %v", cb.IsComplete(), err)
			}
			n2, _ := cb.Node("n2.example.com")
			l := layout.New("")
			keys := []string{l.ManifestKey(n2.FQDN, "b2")}
			if n2.ManifestKey != "" {
				keys = append(keys, n2.ManifestKey)
			}
			tt.damage(t, b, keys)
			backups := []layout.ClusterBackup{cb}
			if err := c.LoadDetails(t.Context(), backups); err != nil {
				t.Fatal(err)
			}
			got := backups[0]
			inc := got.IncompleteNodes()
			if got.IsComplete() || len(inc) != 1 || inc[0].FQDN != "n2.example.com" {
				t.Fatalf("complete=%v incomplete=%v, want n2 incomplete", got.IsComplete(), inc)
			}
			if !strings.Contains(logs.String(), keys[len(keys)-1]) {
				t.Errorf("the warning does not name %s:\n%s", keys[len(keys)-1], logs.String())
			}
			var status bytes.Buffer
			if err := layout.WriteStatus(&status, got, time.UTC); err != nil {
				t.Fatal(err)
			}
			if first, _, _ := strings.Cut(status.String(), "\n"); first != "b2 [Incomplete!]" ||
				!slices.ContainsFunc(strings.Split(status.String(), "\n"), func(s string) bool { return strings.TrimSpace(s) == "n2.example.com" }) {
				t.Errorf("status:\n%s", status.String())
			}
		})
	}
}
