package pitr

import (
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// The rest of TestRestPointInTime's scenario: what the cut by write
// timestamp and the truncation records do to deletes, updates, rows
// stamped ahead or back, and a TRUNCATE.
//
// Rows of rest_pitr.t: truncDeleted and truncUpdated are rows of batch 1,
// deleted and updated (value truncOld) before T; truncUpdated is updated
// again (truncNew) after T. truncFuture is written before T stamped an
// hour ahead; truncBackdated is written after T stamped 1 ms before it.
// rest_pitr.tr, created before the base backup, holds truncTrBefore rows
// written before the backup and truncTrAfter written after it, before T;
// it is truncated after T.
const (
	truncDeleted   = 1
	truncUpdated   = 2
	truncFuture    = 50_002
	truncBackdated = 50_003
	truncOld       = "updated before T"
	truncNew       = "updated after T"
	truncTrBefore  = 10
	truncTrAfter   = 10
)

// truncWant is what the rows of the scenario's extras should be.
type truncWant struct {
	Future bool   // truncFuture present
	Value  string // value of truncUpdated
	TrRows int    // rows in rest_pitr.tr
}

// truncSchema creates rest_pitr.tr and writes its rows of before the base
// backup.
func truncSchema(t *testing.T, s *gocql.Session) {
	t.Helper()
	Exec(t, s, "CREATE TABLE IF NOT EXISTS "+restKS+".tr (k int PRIMARY KEY, v text)")
	restWrite(t, s, "tr", 0, truncTrBefore, time.Now().UnixMicro())
}

// truncBeforeT makes the writes of the batch before T, each stamped by
// stamp: more rows in tr, the delete and the first update of batch-1 rows,
// and the row stamped an hour ahead.
func truncBeforeT(t *testing.T, s *gocql.Session, stamp func() int64) {
	t.Helper()
	restWrite(t, s, "tr", truncTrBefore, truncTrAfter, stamp())
	truncExec(t, s, "DELETE FROM "+restKS+".t USING TIMESTAMP ? WHERE k = ?", stamp(), truncDeleted)
	truncExec(t, s, "UPDATE "+restKS+".t USING TIMESTAMP ? SET v = ? WHERE k = ?", stamp(), truncOld, truncUpdated)
	restWrite(t, s, "t", truncFuture, 1, stamp()+time.Hour.Microseconds())
}

// truncAfterT makes the writes of the batch after T (target, µs): the
// second update, the TRUNCATE of tr and the row stamped before T.
func truncAfterT(t *testing.T, s *gocql.Session, target int64, stamp func() int64) {
	t.Helper()
	truncExec(t, s, "UPDATE "+restKS+".t USING TIMESTAMP ? SET v = ? WHERE k = ?", stamp(), truncNew, truncUpdated)
	Exec(t, s, "TRUNCATE "+restKS+".tr")
	restWrite(t, s, "t", truncBackdated, 1, target-1000)
}

func truncExec(t *testing.T, s *gocql.Session, q string, args ...any) {
	t.Helper()
	if err := s.Query(q, args...).ExecContext(t.Context()); err != nil {
		t.Fatalf("%s %v: %v", q, args, err)
	}
}

// truncExpect checks the extras: truncDeleted absent and truncBackdated
// present always, the others as w says. It returns how many rows of
// rest_pitr.t they add to the batches' (the deleted row is one of batch 1).
func truncExpect(t *testing.T, what string, s *gocql.Session, w truncWant) int {
	t.Helper()
	has := func(tbl string, k int) (bool, string) {
		var v string
		err := s.Query("SELECT v FROM "+restKS+"."+tbl+" WHERE k = ?", k).WithContext(t.Context()).Scan(&v)
		if err != nil && err != gocql.ErrNotFound {
			t.Fatal(err)
		}
		return err == nil, v
	}
	if ok, _ := has("t", truncDeleted); ok {
		t.Errorf("%s: row %d, deleted before T, is there", what, truncDeleted)
	}
	if ok, _ := has("t", truncBackdated); !ok {
		t.Errorf("%s: row %d, written after T stamped before it, is missing", what, truncBackdated)
	}
	if ok, _ := has("t", truncFuture); ok != w.Future {
		t.Errorf("%s: row %d, written before T stamped an hour ahead, present=%v, want %v", what, truncFuture, ok, w.Future)
	}
	if ok, v := has("t", truncUpdated); !ok || v != w.Value {
		t.Errorf("%s: row %d (updated before and after T) present=%v value %q, want %q", what, truncUpdated, ok, v, w.Value)
	}
	var n int
	if err := s.Query("SELECT count(*) FROM " + restKS + ".tr").WithContext(t.Context()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != w.TrRows {
		t.Errorf("%s: %d rows in %s.tr (truncated after T), want %d", what, n, restKS, w.TrRows)
	}
	add := 0 // the deleted row goes, the back-dated one comes
	if w.Future {
		add++
	}
	return add
}
