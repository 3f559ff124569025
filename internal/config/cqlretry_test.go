package config

import "testing"

// TestCQLRetrySeconds: [cassandra] cql_retry_seconds reads a whole number of
// seconds between 1 and a day and is reported with the other problems.
func TestCQLRetrySeconds(t *testing.T) {
	tests := []struct {
		name, value string
		want        int
		problem     string
	}{
		{"default", "", 390, ""},
		{"short", "20", 20, ""},
		{"zero", "0", 0, `medusa.ini: [cassandra] cql_retry_seconds = "0": must be between 1 and 86400`},
		{"not a number", "2m", 0, `medusa.ini: [cassandra] cql_retry_seconds = "2m": not an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ini := validINI
			if tt.value != "" {
				ini += "[cassandra]\ncql_retry_seconds = " + tt.value + "\n"
			}
			if tt.problem != "" {
				_, _, err := parseText(t, ini, Overrides{}, nil)
				equalLines(t, "problems", problemLines(t, err), []string{tt.problem})
				return
			}
			cfg, _ := mustParse(t, ini, Overrides{}, nil)
			if cfg.Cassandra.CQLRetrySeconds != tt.want {
				t.Fatalf("CQLRetrySeconds = %d, want %d", cfg.Cassandra.CQLRetrySeconds, tt.want)
			}
		})
	}
}
