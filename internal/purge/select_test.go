package purge

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
)

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// bk builds a backup started daysAgo days before testNow; finished
// backups finish an hour later.
func bk(name string, daysAgo float64, finished bool) Backup {
	started := testNow.Add(-time.Duration(daysAgo * float64(day))).Unix()
	b := Backup{Name: name, FQDN: "n1", Started: started, Differential: true}
	if finished {
		f := started + 3600
		b.Finished = &f
	}
	return b
}

func leftover(name string) Backup { return Backup{Name: name, FQDN: "n1", Leftover: true} }

func names(ds []Decision) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Backup.Name+":"+string(d.Reason)[:5])
	}
	return strings.Join(out, " ")
}

func TestSelectRetention(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		backups []Backup
		policy  Policy
		want    string
	}{
		{"no rules keep everything", []Backup{bk("a", 30, true), bk("b", 20, false)},
			Policy{GraceDays: 10}, ""},
		{"no rules still finish leftovers", []Backup{bk("a", 30, true), leftover("x")},
			Policy{GraceDays: 10}, "x:left "},
		{"age", []Backup{bk("a", 10, true), bk("b", 5, true), bk("c", 1, true)},
			Policy{MaxAgeDays: 7, GraceDays: 10}, "a:older"},
		{"age boundary is strict", []Backup{bk("a", 7, true), bk("b", 7.01, true)},
			Policy{MaxAgeDays: 7, GraceDays: 10}, "b:older"},
		{"count keeps the newest complete", []Backup{bk("c", 3, true), bk("a", 5, true), bk("e", 1, true),
			bk("b", 4, true), bk("d", 2, true)},
			Policy{MaxCount: 2, GraceDays: 10}, "a:beyon b:beyon c:beyon"},
		{"count larger than the backups", []Backup{bk("a", 5, true), bk("b", 4, true)},
			Policy{MaxCount: 3, GraceDays: 10}, ""},
		// #607: Medusa would delete a, b and c (the 3 oldest of 5) and
		// keep only the two incomplete ones.
		{"#607 incomplete backups do not count", []Backup{bk("a", 5, true), bk("b", 4, true), bk("c", 3, true),
			bk("d", 2, false), bk("e", 1, false)},
			Policy{MaxCount: 2, GraceDays: 10}, "a:beyon"},
		{"#607 stale incomplete backups are deleted by count", []Backup{bk("a", 30, true), bk("i", 25, false),
			bk("b", 20, true), bk("c", 15, true), bk("j", 12, false)},
			Policy{MaxCount: 2, GraceDays: 10}, "a:beyon i:incom j:incom"},
		{"incomplete within grace is kept even when older than max age", []Backup{bk("a", 5, false), bk("b", 9, true)},
			Policy{MaxAgeDays: 3, GraceDays: 10}, "b:older"},
		{"stale incomplete younger than max age kept by age rule alone", []Backup{bk("a", 12, false)},
			Policy{MaxAgeDays: 30, GraceDays: 10}, ""},
		{"stale incomplete older than max age", []Backup{bk("a", 40, false)},
			Policy{MaxAgeDays: 30, GraceDays: 10}, "a:older"},
		{"age and count union", []Backup{bk("a", 40, true), bk("b", 20, true), bk("c", 10, true), bk("d", 1, true)},
			Policy{MaxAgeDays: 30, MaxCount: 3, GraceDays: 10}, "a:older"},
		{"count wins over age", []Backup{bk("a", 25, true), bk("b", 20, true), bk("c", 10, true), bk("d", 1, true)},
			Policy{MaxAgeDays: 30, MaxCount: 2, GraceDays: 10}, "a:beyon b:beyon"},
		{"grace 0: an unfinished backup is not protected", []Backup{bk("a", 2, true), bk("b", 0.01, false)},
			Policy{MaxCount: 1, GraceDays: 0}, "b:incom"},
		{"only incomplete backups", []Backup{bk("a", 30, false), bk("b", 1, false)},
			Policy{MaxCount: 1, GraceDays: 10}, "a:incom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.TrimSpace(names(SelectRetention(tt.backups, testNow, tt.policy)))
			if got != strings.TrimSpace(tt.want) {
				t.Errorf("SelectRetention = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSelectNamesAndAll(t *testing.T) {
	t.Parallel()
	backups := []Backup{bk("b", 4, true), bk("a", 5, true), leftover("x"), bk("c", 1, false)}
	if got := names(SelectNames(backups, []string{"c", "a", "zz"})); got != "x:left  a:named c:named" {
		t.Errorf("SelectNames = %q", got)
	}
	if got := names(SelectAll(backups)); got != "x:left  a:its n b:its n c:its n" {
		t.Errorf("SelectAll = %q", got)
	}
}

func TestDecommissioned(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		bucket, live []string
		want         []string
	}{
		{"two datacenters live", []string{"dc1-a", "dc2-a", "dc1-b", "dc2-b"},
			[]string{"dc1-a", "dc1-b", "dc2-a", "dc2-b"}, nil},
		// Medusa compares against the local datacenter only and would
		// delete dc2-a and dc2-b.
		{"one node of each dc gone", []string{"dc2-a", "dc1-a", "dc1-old", "dc2-old", "dc1-a"},
			[]string{"dc1-a", "dc2-a"}, []string{"dc1-old", "dc2-old"}},
		{"empty bucket", nil, []string{"a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decommissioned(tt.bucket, tt.live); !slices.Equal(got, tt.want) {
				t.Errorf("Decommissioned = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSelectOrphans(t *testing.T) {
	t.Parallel()
	obj := func(key string, daysAgo float64) storage.ObjectInfo {
		return storage.ObjectInfo{Key: key, Size: 10, ModTime: testNow.Add(-time.Duration(daysAgo * float64(day)))}
	}
	pool := []storage.ObjectInfo{obj("p/ref-old", 30), obj("p/ref-new", 1), obj("p/old", 30),
		obj("p/at-cutoff", 10), obj("p/young", 9.9)}
	ref := map[string]bool{"p/ref-old": true, "p/ref-new": true}
	keys := func(os []storage.ObjectInfo) []string {
		var out []string
		for _, o := range os {
			out = append(out, o.Key)
		}
		return out
	}
	p := SelectOrphans(pool, ref, testNow, 10, false)
	if got := keys(p.Delete); !slices.Equal(got, []string{"p/old", "p/at-cutoff"}) {
		t.Errorf("delete %v", got)
	}
	if got := keys(p.WithinGrace); !slices.Equal(got, []string{"p/young"}) {
		t.Errorf("within grace %v", got)
	}
	p = SelectOrphans(pool, ref, testNow, 10, true)
	if len(p.Delete) != 0 || !slices.Equal(keys(p.Postponed), []string{"p/old", "p/at-cutoff"}) ||
		len(p.WithinGrace) != 1 {
		t.Errorf("postponed plan %+v", p)
	}
	p = SelectOrphans(pool, ref, testNow, 0, false)
	if got := keys(p.Delete); len(got) != 3 {
		t.Errorf("grace 0 deletes every unreferenced object: %v", got)
	}
}

func TestMayBeRunning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		b    Backup
		want bool
	}{
		{bk("a", 1, false), true},
		{bk("a", 1, true), false},
		{bk("a", 11, false), false},
		{leftover("x"), false},
	}
	for _, tt := range tests {
		if got := MayBeRunning(tt.b, testNow, 10); got != tt.want {
			t.Errorf("MayBeRunning(%+v) = %v", tt.b, got)
		}
	}
}
