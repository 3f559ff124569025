package faults_test

import (
	"strings"
	"testing"
	"time"
)

// TestRenderResults: the table has one row per case, cells escaped.
func TestRenderResults(t *testing.T) {
	rows := []*outcome{
		{Case: "a | b", Injected: "kill -9", Saw: "exit -1: killed\nmore", Check: "", Status: "pass"},
		{Case: "c", Injected: "SIGINT", Saw: "exit 130: `interrupted`", Check: "ok", Status: "FAIL"},
	}
	got := renderResults(rows, time.Date(2026, 12, 5, 17, 0, 0, 0, time.UTC))
	for _, want := range []string{
		"Run of 2026-12-05 17:00 UTC.",
		"| Case | Injected | User saw | Data check | Result |",
		"| a \\| b | kill -9 | `exit -1: killed more` | - | pass |",
		"| c | SIGINT | `exit 130: 'interrupted'` | ok | FAIL |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered table lacks %q:\n%s", want, got)
		}
	}
}
