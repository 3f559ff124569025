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
		{Case: "d", Injected: "kill of `medusa --temp-dir /tmp/T1/001` at x", Saw: "exit 0: ok", Check: "ok", Status: "pass"},
	}
	got := renderResults(rows, time.Date(2026, 12, 5, 17, 0, 0, 0, time.UTC))
	for _, want := range []string{
		"Run of 2026-12-05 17:00 UTC.",
		"| Case | Injected | User saw | Data check | Result |",
		"| a \\| b | kill -9 | `exit -1: killed more` | - | pass |",
		"| c | SIGINT | `exit 130: 'interrupted'` | ok | FAIL |",
		"| d | kill of `medusa --temp-dir <tmp>` at x | `exit 0: ok` | ok | pass |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered table lacks %q:\n%s", want, got)
		}
	}
}

// TestResultMessage: the message drops log timestamps and temporary
// paths, and picks the first error line of a failure.
func TestResultMessage(t *testing.T) {
	tests := []struct {
		r    result
		want string
	}{
		{result{code: 0, out: "[2026-12-05 16:58:09,092] WARNING: retry failed\n[2026-12-05 16:58:10,000] INFO: done\n"}, "INFO: done"},
		{result{code: 1, out: "INFO: start\n[2026-12-05 16:58:09,092] ERROR: not enough free space in /tmp/x/small: needs 5 bytes\nmore\n"},
			"ERROR: not enough free space in <tmp>: needs 5 bytes"},
		{result{code: -1, out: "INFO: Uploading files\n"}, "INFO: Uploading files"},
	}
	for _, tt := range tests {
		if got := tt.r.message(); got != tt.want {
			t.Errorf("message(%q) = %q, want %q", tt.r.out, got, tt.want)
		}
	}
}
