package cli

import (
	"github.com/medusa-go/medusa/internal/cluster"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestExpandShortFlags(t *testing.T) {
	t.Parallel()
	got := expandShortFlags([]string{"restore-cluster", "-pr", "2", "-pr=3", "-y", "--backup-name", "-pr"})
	want := []string{"restore-cluster", "--parallel-restores", "2", "--parallel-restores=3", "-y", "--backup-name", "--parallel-restores"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v", got)
	}
}

func TestRestoreClusterFlags(t *testing.T) {
	t.Parallel()
	cases := []struct {
		f    restoreClusterFlags
		want string
	}{
		{restoreClusterFlags{seedTarget: "a", hostList: "h", parallel: 1}, "--seed-target and --host-list exclude each other"},
		{restoreClusterFlags{verify: true, noVerify: true, parallel: 1}, "--verify and --no-verify"},
		{restoreClusterFlags{parallel: 0}, "--parallel-restores 0"},
		{restoreClusterFlags{parallel: 1, tables: []string{"nodot"}}, `--table "nodot"`},
		{restoreClusterFlags{parallel: 1, pitr: "2026-05-01T12:00:00Z", pitrLatest: true}, "exclude each other"},
		{restoreClusterFlags{parallel: 1, pitr: "noon"}, "not an RFC 3339 time"},
		{restoreClusterFlags{parallel: 1, pitrLatest: true, hostList: "h"}, "excludes --host-list"},
		{restoreClusterFlags{parallel: 1, pitrLatest: true, sstableloader: true}, "--use-sstableloader"},
		{restoreClusterFlags{parallel: 1, pitrSkew: time.Minute}, "--pitr-skew goes with --pitr"},
	}
	for _, c := range cases {
		if _, err := c.f.options(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.f, err, c.want)
		}
	}
	o, err := restoreClusterFlags{name: "b", hostList: "h", parallel: 2, yes: true, keyspaces: []string{"ks"}}.options()
	if err != nil || o.HostList != "h" || o.Parallel != 2 || !o.Yes || o.Keyspaces[0] != "ks" {
		t.Errorf("options %+v %v", o, err)
	}
	o, err = restoreClusterFlags{parallel: 1, pitr: "2026-05-01T14:00:00.000250+02:00", pitrSkew: time.Minute}.options()
	if err != nil || o.PITR == nil || !o.PITR.Target.Equal(time.Date(2026, 5, 1, 12, 0, 0, 250_000, time.UTC)) ||
		o.PITR.Skew != time.Minute || o.PITR.Latest {
		t.Errorf("--pitr options %+v %v", o.PITR, err)
	}
}

func TestAskYes(t *testing.T) {
	t.Parallel()
	var w strings.Builder
	p := restorePlanForAsk()
	for in, want := range map[string]bool{"\n": true, "y\n": true, "YES\n": true, "n\n": false, "no\n": false} {
		if ok, err := askYes(&w, strings.NewReader(in), p); ok != want || err != nil {
			t.Errorf("%q: %v %v", in, ok, err)
		}
	}
	if _, err := askYes(&w, strings.NewReader(""), p); err == nil || !strings.Contains(err.Error(), "-y") {
		t.Errorf("no input: %v", err)
	}
}

func restorePlanForAsk() *cluster.Plan {
	return &cluster.Plan{Mode: cluster.ModeInPlace, Assignments: []cluster.Assignment{{Target: "a"}}}
}
