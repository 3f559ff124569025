package storagetest

import (
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/retry"
)

// TestMemoryConformance: the in-memory backend other packages' tests use
// fulfils the same contract as the real ones.
func TestMemoryConformance(t *testing.T) {
	mem := NewMemory()
	Run(t, func(*testing.T) storage.Backend { return mem }, Capabilities{
		ExpectedHash: HexMD5,
		GetHash:      true,
		Resume: func(b storage.Backend) storage.Backend {
			return retry.New(b, retry.Policy{BaseDelay: time.Millisecond})
		},
		LargeSize:    8 << 20,
		ModTimeSlack: time.Second,
	})
}

func TestMemorySetNow(t *testing.T) {
	t.Parallel()
	mem := NewMemory()
	at := time.Unix(1700000000, 0)
	mem.SetNow(at)
	info, err := mem.Put(t.Context(), "k", Pattern{N: 10})
	if err != nil || !info.ModTime.Equal(at) {
		t.Fatalf("Put after SetNow = %+v, %v; want ModTime %v", info, err, at)
	}
	mem.SetNow(time.Time{})
	info, err = mem.Put(t.Context(), "k", Pattern{N: 10})
	if err != nil || time.Since(info.ModTime).Abs() > time.Minute {
		t.Fatalf("Put after SetNow(zero) = %+v, %v; want the clock's time", info, err)
	}
}
