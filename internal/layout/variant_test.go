package layout

import "testing"

func TestTableRelPath(t *testing.T) {
	tests := []struct {
		path, rel string
		ok        bool
	}{
		{"n/data/ks/t-1/nb-1-big-Data.db", "nb-1-big-Data.db", true},
		{"n/data/ks/t-1.v17/nb-1-big-Data.db", "nb-1-big-Data.db", true},
		{"n/data/ks/t-1.v17-2/.t_idx/nb-1-big-Data.db", ".t_idx/nb-1-big-Data.db", true},
		{"n/b/data/ks/t-1/.t_idx/nb-1-big-Data.db", ".t_idx/nb-1-big-Data.db", true},
		{"n/data/ks/t-10/nb-1-big-Data.db", "", false},
		{"n/data/ks/t-1./nb-1-big-Data.db", "", false},
		{"n/data/ks/t-1.a.b/nb-1-big-Data.db", "", false},
		{"n/data/other/t-1/nb-1-big-Data.db", "", false},
		// the last occurrence counts, as for plain paths
		{"ks/t-1/n/data/ks/t-1.v1/f", "f", true},
	}
	for _, tc := range tests {
		rel, ok := TableRelPath(tc.path, "ks", "t-1")
		if rel != tc.rel || ok != tc.ok {
			t.Errorf("TableRelPath(%q) = %q, %v, want %q, %v", tc.path, rel, ok, tc.rel, tc.ok)
		}
	}
	if got := BaseTableDir(VariantTableDir("t-1", "v9")); got != "t-1" {
		t.Errorf("BaseTableDir = %q", got)
	}
}
