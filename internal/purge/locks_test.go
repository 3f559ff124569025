package purge_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/purge"
	"github.com/medusa-go/medusa/internal/testbed"
)

// lockedKeys is a Retention that retains every key containing one of
// its substrings until until.
type lockedKeys struct {
	subs  []string
	until time.Time
	asked int
}

func (l *lockedKeys) RetainUntil(_ context.Context, key string) (time.Time, error) {
	l.asked++
	for _, s := range l.subs {
		if strings.Contains(key, s) {
			return l.until, nil
		}
	}
	return time.Time{}, nil
}

// TestPurgeKeepsLockedBackups: a backup selected by retention whose
// objects are still retained is kept whole (with the pool files it uses)
// and reported; the other selected backup is deleted; once the date has
// passed the same purge deletes it.
func TestPurgeKeepsLockedBackups(t *testing.T) {
	t.Parallel()
	f := testbed.NewLocalBucket(t, "")
	f.FourBackups()
	b1 := []string{f.L.SchemaKey("n1", "b1"), f.L.ManifestKey("n1", "b1"), f.Pool("n1", "ks/t-1/f1")}
	locks := &lockedKeys{subs: []string{"/b1/", "b1/"}, until: testbed.Now.Add(time.Hour)}
	e := executor(f, false)
	e.Locks = locks
	sum, err := e.Purge(t.Context(), "n1", purge.Policy{MaxCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n, first := sum.Locked(); n != 1 || !first.Equal(locks.until) {
		t.Errorf("Locked() = %d, %v; want 1, %v", n, first, locks.until)
	}
	if sum.Backups() != 1 || f.Exists(f.L.SchemaKey("n1", "b2")) {
		t.Errorf("b2 not purged: %d backups purged", sum.Backups())
	}
	for _, k := range b1 {
		if !f.Exists(k) {
			t.Errorf("%s of the locked backup b1 was deleted", k)
		}
	}
	var out bytes.Buffer
	if err := sum.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"backup b1 of n1 kept", "under object lock retention until 2",
		"Backups kept by object lock retention: 1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if locks.asked == 0 || locks.asked > 20 {
		t.Errorf("%d retention requests for two backups", locks.asked)
	}

	locks.until = testbed.Now.Add(-time.Minute)
	sum, err = e.Purge(t.Context(), "n1", purge.Policy{MaxCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := sum.Locked(); n != 0 || sum.Backups() != 1 || f.Exists(f.L.SchemaKey("n1", "b1")) {
		t.Errorf("after the retention date: %d locked, %d purged, b1 schema exists %v", n, sum.Backups(),
			f.Exists(f.L.SchemaKey("n1", "b1")))
	}
}
