package cryptmigrate

import (
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/layout"
)

func TestTargetKey(t *testing.T) {
	l := layout.New("p")
	diff := &nodeBackup{fqdn: "n1", name: "b1"}
	s := layout.Section{Keyspace: "ks", ColumnFamily: "t-1"}
	for path, want := range map[string]string{
		"p/n1/data/ks/t-1/nb-1-big-Data.db":          "p/n1/data/ks/t-1.enc/nb-1-big-Data.db",
		"p/n1/data/ks/t-1/.idx/nb-1-big-Data.db":     "p/n1/data/ks/t-1.enc/.idx/nb-1-big-Data.db",
		"p/n1/data/ks/t-1.v1700000000/nb-1":          "p/n1/data/ks/t-1.v1700000000-enc/nb-1",
		"p/n1/data/ks/t-1.v1700000000-2/nb-1":        "p/n1/data/ks/t-1.v1700000000-2-enc/nb-1",
		"p/n1/b1/data/ks/t-1/nb-1":                   "p/n1/b1/data/ks/t-1.enc/nb-1",
		"p/n1/data/ks/t-1.enc/nb-1":                  "p/n1/data/ks/t-1.enc/nb-1",
		"p/n1/data/ks/t-1.v1700000000-enc/.idx/nb-1": "p/n1/data/ks/t-1.v1700000000-enc/.idx/nb-1",
	} {
		got, err := targetKey(l, diff, s, path)
		if err != nil || got != want {
			t.Errorf("targetKey(%s) = %q, %v; want %q", path, got, err, want)
		}
		if !isTarget(l, diff, want) {
			t.Errorf("isTarget(%s) = false", want)
		}
		if rel, ok := layout.TableRelPath(want, s.Keyspace, s.ColumnFamily); !ok || !strings.HasSuffix(path, "/"+rel) {
			t.Errorf("a restore places %s as %q (%v)", want, rel, ok)
		}
	}
	for _, path := range []string{"p/n1/data/ks/t-1/nb-1", "p/n1/data/ks/t-1.v17/nb-1", "p/n1/b1/data/ks/t-1/nb-1"} {
		if isTarget(l, diff, path) {
			t.Errorf("isTarget(%s) = true", path)
		}
	}
	for _, path := range []string{"p/n2/data/ks/t-1/nb-1", "p/n1/data/ks/t-2/nb-1", "p/n1/data/other/t-1/nb-1", "q/n1/data/ks/t-1/nb-1"} {
		if _, err := targetKey(l, diff, s, path); err == nil || !strings.Contains(err.Error(), "does not know where") {
			t.Errorf("targetKey(%s): %v; want a refusal", path, err)
		}
	}
}
