package layout

import (
	"strings"
	"testing"
)

// TestValidateNewBackupName: names that would break the bucket layout or
// be indistinguishable in listings are refused with what is wrong.
func TestValidateNewBackupName(t *testing.T) {
	tests := []struct {
		name       string
		want       string // "" = accepted
		existingOK bool   // ValidateBackupName (reading) accepts it
	}{
		{"202611271030", "", true},
		{"nightly 1", "", true},
		{"", "must not be empty", false},
		{"   ", "only white space", false},
		{"\u00a0\u2003", "only white space", false},
		{"a/b", "must not contain '/'", false},
		{"..", "not a valid name", false},
		{"x\ny", "control characters", false},
		{" padded ", "must not begin or end with white space", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateNewBackupName(tt.name)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if got := ValidateBackupName(tt.name) == nil; got != tt.existingOK {
				t.Fatalf("ValidateBackupName ok = %v, want %v", got, tt.existingOK)
			}
		})
	}
}

func TestReservedBackupName(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"commitlogs", "commit", "c", "commitlog"} {
		if err := ValidateNewBackupName(bad); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("ValidateNewBackupName(%q) = %v, want reserved", bad, err)
		}
	}
	for _, ok := range []string{"commitlogs2", "Commitlogs", "b1", "cc", "commits"} {
		if err := ValidateNewBackupName(ok); err != nil {
			t.Errorf("ValidateNewBackupName(%q) = %v", ok, err)
		}
	}
}
