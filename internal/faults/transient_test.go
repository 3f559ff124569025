package faults_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

// retryLines are the warnings of one retry: the retry decorator's (any
// operation) and the S3 backend's (one part of a multipart upload).
var retryLines = []string{"storage operation failed, retrying", "retrying S3 part upload"}

// TestTransientFaults runs the whole life of a backup with 5% of the
// requests failing transiently: full and differential backups, verify
// with MD5 checks, restore-node in place and purge all complete; the
// restored rows equal the backed-up ones; each retry is logged at -v.
func TestTransientFaults(t *testing.T) {
	n := suite(t)
	e := newEnv(t, "transient", nil)
	row := record(t, outcome{Case: "transient S3 faults: backup full + differential, verify --enable-md5-checks, restore-node, purge",
		Injected: "5% of S3 requests fail (500, 503 SlowDown, reset mid-body), 2% slowed 1 s"})
	bed.proxy.Enable(true)
	defer bed.proxy.Enable(false)
	before := bed.proxy.Counts()

	var runs []result
	step := func(args ...string) result {
		t.Helper()
		r := e.must(append([]string{"-v"}, args...)...)
		runs = append(runs, r)
		return r
	}
	step("backup", "--backup-name", "tf-full", "--mode", "full")
	if err := writeAndFlush(t.Context(), n, 1000, 50); err != nil {
		t.Fatal(err)
	}
	step("backup", "--backup-name", "tf-diff", "--mode", "differential")
	backed := checksums(t)
	for _, b := range []string{"tf-full", "tf-diff"} {
		step("verify", "--backup-name", b, "--enable-md5-checks")
	}
	if err := writeAndFlush(t.Context(), n, 2000, 50); err != nil {
		t.Fatal(err)
	}
	last := step("restore-node", "--backup-name", "tf-diff", "--temp-dir", t.TempDir())
	cassandraUp(t)
	restored := checksums(t)
	if !maps.Equal(restored, backed) {
		t.Errorf("restored rows differ from the backup's:\n got %v\nwant %v", restored, backed)
	}
	purgeEnv := newEnv(t, "transient", map[string]map[string]string{"storage": {"max_backup_count": "1"}})
	purgeEnv.must("-v", "purge")
	bed.proxy.Enable(false)
	listed := e.completeVerify()
	if len(listed) != 1 || listed[0] != "tf-diff" {
		t.Errorf("after purge, list-backups shows %v complete, want [tf-diff]", listed)
	}

	c := bed.proxy.Counts().Sub(before)
	retries := 0
	for _, r := range runs {
		for _, l := range retryLines {
			retries += strings.Count(r.out, l)
		}
	}
	injected := c.Injected() - c.Slow
	if injected == 0 || retries == 0 {
		t.Errorf("%d faults injected, %d retries logged at -v: the suite did not exercise retries", injected, retries)
	}
	row.Saw = last.saw() + fmt.Sprintf(" (%d retries logged at -v over the run)", retries)
	row.Injected += fmt.Sprintf(" (this run: %v)", c)
	row.Check = fmt.Sprintf("%d faults injected; both backups verify with MD5; restored rows equal the backup's in %d tables; purge kept 1 backup, which verifies",
		injected, len(backed))
	t.Logf("proxy: %v; retries logged: %d", c, retries)
}
