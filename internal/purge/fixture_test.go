package purge_test

import (
	"testing"

	"github.com/medusa-go/medusa/internal/testbed"
)

// fx is the synthetic bucket the purge tests build their states in; the
// purge tests of internal/e2e use the same one.
type fx = testbed.Bucket

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
