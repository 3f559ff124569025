package testbed

import (
	"context"
	"fmt"
	"strings"
	"sync"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// WriteStamped upserts keys from..from+n-1 of table (keyspace.table, with
// columns k int and v text) with write timestamp ts (µs) and a 1,000-byte
// value, at consistency cl, eight at a time. Each write is tried up to
// three times: an upsert with its own timestamp is harmless to repeat, and
// a loaded machine times one out now and then. The point-in-time tests
// write their batches with it: the timestamp decides which side of the
// restore time a row falls on.
func WriteStamped(ctx context.Context, s *gocql.Session, table string, from, n int, ts int64, cl gocql.Consistency) error {
	val := strings.Repeat("p", 1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, 8)
	for k := from; k < from+n; k++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			var err error
			for try := 0; try < 3; try++ {
				if err = s.Query("INSERT INTO "+table+" (k, v) VALUES (?, ?) USING TIMESTAMP ?", k, val, ts).
					Consistency(cl).ExecContext(ctx); err == nil {
					break
				}
			}
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return fmt.Errorf("write %s rows %d..%d: %w", table, from, from+n-1, first)
	}
	return nil
}
