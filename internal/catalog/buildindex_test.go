package catalog_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
)

const wantRebuiltText = `b1 (started: 2023-11-14 22:13:20, finished: Incomplete [1 of 3 nodes finished])
b2 (started: 2023-11-15 22:13:20, finished: 2023-11-15 22:15:00)
b3 (started: 2023-11-16 22:13:20, finished: 2023-11-16 22:15:00)

Incomplete backups found. You can run "medusa status --backup-name <name>" for more details
`

func TestBuildIndex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix string
		fqdns  []string
	}{
		{"", nil},
		{"tenant", nil},
		{"tenant", hosts3},
	}
	for _, tt := range tests {
		t.Run("prefix="+tt.prefix+",fqdns="+strings.Join(tt.fqdns, ","), func(t *testing.T) {
			b := newLocal(t)
			writeCluster(t, b, tt.prefix)
			l := layout.New(tt.prefix)
			// Another tenant's backup must not be picked up.
			writeNodeBackup(t, b, nodeSpec{prefix: "other", backup: "x1", fqdn: "n1.example.com",
				hosts: hosts3, started: t0, finished: true})
			for _, k := range listKeys(t, b, l.IndexPrefix()) {
				must(t, b.Delete(t.Context(), k))
			}

			var noop bytes.Buffer
			res, err := buildIndexText(t.Context(), b, tt.prefix, catalog.BuildIndexOptions{FQDNs: tt.fqdns, Noop: true}, &noop)
			if err != nil {
				t.Fatal(err)
			}
			// 7 finished node backups: b1 n1, b2 x3, b3 x3.
			if res.NodeBackups != 7 || len(listKeys(t, b, l.IndexPrefix())) != 0 {
				t.Fatalf("noop: %d node backups, index %v", res.NodeBackups, listKeys(t, b, l.IndexPrefix()))
			}
			// b1 n1, b2 x3: 5 entries; b3 x3: 6 entries; 3 latest markers x2.
			wantKeys := 4*5 + 3*6 + 3*2
			if len(res.Written) != wantKeys || !strings.HasPrefix(noop.String(), "would write "+l.IndexPrefix()) {
				t.Errorf("noop: %d keys, output:\n%s", len(res.Written), noop.String())
			}

			var out bytes.Buffer
			res, err = buildIndexText(t.Context(), b, tt.prefix, catalog.BuildIndexOptions{FQDNs: tt.fqdns}, &out)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Written) != wantKeys || strings.Count(out.String(), "wrote ") != wantKeys {
				t.Errorf("wrote %d keys, output:\n%s", len(res.Written), out.String())
			}
			for _, h := range hosts3 {
				if got := readKey(t, b, l.LatestBackupNameKey(h)); got != "b3" {
					t.Errorf("latest backup of %s = %q, want b3", h, got)
				}
			}
			c := &catalog.Catalog{Backend: b, Prefix: tt.prefix}
			backups, err := c.ClusterBackups(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			must(t, layout.WriteListBackups(&text, layout.ListBackups(backups, "", true), time.UTC))
			if text.String() != wantRebuiltText {
				t.Errorf("after build-index:\n%s\nwant:\n%s", text.String(), wantRebuiltText)
			}
			if b3, _ := layout.FindClusterBackup(backups, "b3"); b3.BackupType() != "differential" {
				t.Errorf("b3 is %s", b3.BackupType())
			}

			out.Reset()
			res, err = buildIndexText(t.Context(), b, tt.prefix, catalog.BuildIndexOptions{FQDNs: tt.fqdns}, &out)
			if err != nil || len(res.Written) != 0 || out.Len() != 0 {
				t.Errorf("second run wrote %v (%v)", res.Written, err)
			}
		})
	}
}
