package cli

import (
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

type recordingMonitor struct{ sent [][]string }

func (m *recordingMonitor) send(tags []string, value int64) error {
	m.sent = append(m.sent, append(slices.Clone(tags), strconv.FormatInt(value, 10)))
	return nil
}

// TestReportLastBackupFailure: when every attempt fails, the tracking
// error metric is pushed and an error returned.
func TestReportLastBackupFailure(t *testing.T) {
	f := newCatFixture(t, "")
	f.populate(t)
	faulty := storagetest.NewFaulty(f.b)
	faulty.Inject(storagetest.Fault{Op: storagetest.OpGet, Err: storagetest.ErrDenied})
	mon := &recordingMonitor{}
	rep := &reporter{cat: &catalog.Catalog{Backend: faulty, Prefix: fxPrefix}, fqdn: "n1.example.com", push: true,
		mon: mon, log: slog.New(slog.DiscardHandler), now: time.Now}
	if err := rep.run(t.Context(), 0); err == nil {
		t.Fatal("run succeeded")
	}
	if faulty.Calls(storagetest.OpGet) != reportAttempts {
		t.Errorf("%d GET calls, want one per attempt (%d)", faulty.Calls(storagetest.OpGet), reportAttempts)
	}
	want := [][]string{{"medusa-cluster-backup", "seconds-since-backup", "TRACKING-ERROR", "315365400"}}
	if !slices.EqualFunc(mon.sent, want, slices.Equal) {
		t.Errorf("sent %v, want %v", mon.sent, want)
	}
}
