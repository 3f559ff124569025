package report

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

type recordingMonitor struct{ sent [][]string }

func (m *recordingMonitor) Send(tags []string, value int64) error {
	m.sent = append(m.sent, append(slices.Clone(tags), strconv.FormatInt(value, 10)))
	return nil
}

// TestRunFailure: when every attempt fails, the tracking error metric is
// pushed (only with Push) and an error returned.
func TestRunFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		push bool
		want [][]string
	}{
		{"push", true, [][]string{{"medusa-cluster-backup", "seconds-since-backup", "TRACKING-ERROR", "315365400"}}},
		{"no push", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := local.New(local.Options{BasePath: t.TempDir(), Bucket: "b", Create: true})
			if err != nil {
				t.Fatal(err)
			}
			faulty := storagetest.NewFaulty(b)
			faulty.Inject(storagetest.Fault{Op: storagetest.OpGet, Err: storagetest.ErrDenied})
			mon := &recordingMonitor{}
			rep := &Reporter{Catalog: &catalog.Catalog{Backend: faulty, Prefix: "p"}, FQDN: "n1.example.com",
				Push: tc.push, Monitor: mon, RetryDelay: time.Nanosecond}
			if err := rep.Run(t.Context()); err == nil {
				t.Fatal("Run succeeded")
			}
			if faulty.Calls(storagetest.OpGet) != Attempts {
				t.Errorf("%d GET calls, want one per attempt (%d)", faulty.Calls(storagetest.OpGet), Attempts)
			}
			if !slices.EqualFunc(mon.sent, tc.want, slices.Equal) {
				t.Errorf("sent %v, want %v", mon.sent, tc.want)
			}
		})
	}
}
