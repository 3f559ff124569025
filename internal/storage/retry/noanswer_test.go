package retry

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// TestNoAnswerIsRetriedLess: an operation whose store sent nothing for its
// timeout is tried NoAnswerAttempts times, not MaxAttempts, since every
// try already waited the whole timeout; other transient errors keep the
// full budget.
func TestNoAnswerIsRetriedLess(t *testing.T) {
	silent := storage.Transient(fmt.Errorf("put s3://b/obj: %w: http://10.0.0.1:9000 sent nothing for 1m0s", storage.ErrNoAnswer))
	tests := []struct {
		name      string
		policy    Policy
		wantCalls int
	}{
		{"default: 2 tries", Policy{MaxAttempts: 5}, 2},
		{"configured: 3 tries", Policy{MaxAttempts: 5, NoAnswerAttempts: 3}, 3},
		{"never above MaxAttempts", Policy{MaxAttempts: 1, NoAnswerAttempts: 3}, 1},
	}
	for _, o := range ops {
		for _, tt := range tests {
			t.Run(string(o.op)+"/"+tt.name, func(t *testing.T) {
				f := newFixture(t, tt.policy)
				f.faulty.Inject(storagetest.Fault{Op: o.op, Err: silent})
				err := o.run(t.Context(), f.b)
				if !errors.Is(err, storage.ErrNoAnswer) || !strings.Contains(err.Error(), "sent nothing for 1m0s") {
					t.Fatalf("error = %v, want the store's silence", err)
				}
				if got := f.faulty.Calls(o.op); got != tt.wantCalls {
					t.Fatalf("%s called %d times, want %d", o.op, got, tt.wantCalls)
				}
			})
		}
	}
}
