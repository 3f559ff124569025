package backup

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
)

// finishedAfter is a FinishedFunc: host becomes finished on its n-th check.
type finishedAfter struct {
	mu     sync.Mutex
	host   string
	n      int
	checks map[string]int
}

func (f *finishedAfter) check(_ context.Context, fqdn string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checks[fqdn]++
	return fqdn == f.host && f.n > 0 && f.checks[fqdn] >= f.n, nil
}

func TestStagger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		hosts      []string // in token order
		finishedOn int      // check on which node0 reports a finished backup (0: never)
		stagger    time.Duration
		wantSleeps int
		wantErr    string
	}{
		{"first node in token order does not wait", []string{fqdn, "node0.example.com"}, 0, time.Hour, 0, ""},
		{"waits for the previous node", []string{"node0.example.com", fqdn}, 3, time.Hour, 2, ""},
		{"gives up after the stagger time", []string{"node0.example.com", fqdn}, 0, 150 * time.Second, 3,
			"did not complete within the stagger time"},
		{"node missing from the token map", []string{"node0.example.com"}, 0, time.Hour, 0, "not in the token map"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			e.node.tokenmap = tokenmapOf(tc.hosts...)
			f := &finishedAfter{host: "node0.example.com", n: tc.finishedOn, checks: map[string]int{}}
			d := e.deps()
			d.Finished = f.check
			o := e.opts("b1", Full)
			o.Stagger = tc.stagger
			_, err := Run(t.Context(), d, o)
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || stageOf(t, err) != StageStagger) {
				t.Fatalf("Run = %v, want a stagger error containing %q", err, tc.wantErr)
			}
			if len(e.clock.sleeps) != tc.wantSleeps {
				t.Fatalf("slept %v, want %d polls of %s", e.clock.sleeps, tc.wantSleeps, StaggerPoll)
			}
			for _, s := range e.clock.sleeps {
				if s != StaggerPoll {
					t.Fatalf("slept %s, want %s", s, StaggerPoll)
				}
			}
		})
	}
}

func TestPreviousHostComparesTokenLists(t *testing.T) {
	t.Parallel()
	tm := layout.Tokenmap{Hosts: []layout.TokenmapHost{
		{Host: "c", Tokens: []json.Number{"100", "5"}},
		{Host: "a", Tokens: []json.Number{"-9223372036854775808", "7"}},
		{Host: "b", Tokens: []json.Number{"100", "-3"}},
		{Host: "big", Tokens: []json.Number{"170141183460469231731687303715884105727"}},
	}}
	for host, want := range map[string]string{"a": "", "b": "a", "c": "b", "big": "c"} {
		got, err := previousHost(tm, host)
		if err != nil || got != want {
			t.Errorf("previousHost(%s) = %q, %v; want %q", host, got, err, want)
		}
	}
}

func TestLatestFinishedReadsMarkers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "tenant1")
	finished := LatestFinished(e.st, e.l)
	if ok, err := finished(t.Context(), fqdn); err != nil || ok {
		t.Fatalf("before any backup: %v, %v", ok, err)
	}
	e.mustRun("b1", Full)
	if ok, err := finished(t.Context(), fqdn); err != nil || !ok {
		t.Fatalf("after a finished backup: %v, %v", ok, err)
	}
	if ok, _ := finished(t.Context(), "node2.example.com"); ok {
		t.Fatal("another node reported finished")
	}
}

func TestCQLIsRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		failures   int
		wantSleeps []time.Duration
		wantErr    bool
	}{
		{0, nil, false},
		{2, []time.Duration{10 * time.Second, 20 * time.Second}, false},
		{7, []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second,
			120 * time.Second, 120 * time.Second}, true},
	}
	for _, tc := range tests {
		e := newEnv(t, "")
		e.node.failures = tc.failures
		_, err := e.run("b1", Full)
		if (err != nil) != tc.wantErr {
			t.Fatalf("%d failures: Run = %v", tc.failures, err)
		}
		if err != nil && stageOf(t, err) != StageMeta {
			t.Fatalf("failed in %v, want stage meta", err)
		}
		if len(e.clock.sleeps) != len(tc.wantSleeps) {
			t.Fatalf("%d failures: slept %v, want %v", tc.failures, e.clock.sleeps, tc.wantSleeps)
		}
		for i := range tc.wantSleeps {
			if e.clock.sleeps[i] != tc.wantSleeps[i] {
				t.Fatalf("%d failures: slept %v, want %v", tc.failures, e.clock.sleeps, tc.wantSleeps)
			}
		}
		if _, ok := e.st.read(t, e.l.SchemaKey(fqdn, "b1")); ok == tc.wantErr {
			t.Fatalf("%d failures: schema.cql exists = %v", tc.failures, ok)
		}
	}
}
