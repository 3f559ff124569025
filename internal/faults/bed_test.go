package faults_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// The suite's servers, shared by every test of the package: one Cassandra
// node with the fixture schema, one S3 server, the fault proxy in front of
// it (faults off unless a test turns them on) and the medusa binary.
var bed struct {
	once  sync.Once
	err   error
	dir   string
	bin   string
	srv   *testbed.S3Server
	proxy *testbed.FaultProxy
	c     *testbed.Cluster
	node  *testbed.Node
	tmp   string // TMPDIR of every medusa run (the backup lock file)
}

// faultRates are the transient faults of the suite: 5% of the requests
// fail (3% answered 500 or 503 SlowDown, 2% of the transfers reset
// mid-body) and 2% more are held a second.
var faultRates = testbed.FaultOptions{Seed: 13, ErrorRate: 0.03, ResetRate: 0.02, SlowRate: 0.02, SlowDelay: time.Second}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if err := writeResults(os.Getenv("MEDUSA_RELIABILITY_OUT")); err != nil {
		fmt.Fprintf(os.Stderr, "reliability table: %v\n", err)
		code = max(code, 1)
	}
	if bed.proxy != nil {
		bed.proxy.Stop()
	}
	if bed.c != nil {
		if err := bed.c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop cassandra test bed: %v\n", err)
		}
	}
	if bed.srv != nil {
		bed.srv.Stop()
	}
	if bed.dir != "" && code == 0 {
		_ = os.RemoveAll(bed.dir)
	} else if bed.dir != "" {
		fmt.Fprintf(os.Stderr, "fault suite test bed kept in %s\n", bed.dir)
	}
	os.Exit(code)
}

// suite returns the shared servers, starting them on first use. Under
// -short the test is skipped; servers that cannot start fail it.
func suite(t *testing.T) *testbed.Node {
	t.Helper()
	if testing.Short() {
		t.Skip("the fault suite needs Cassandra and an S3 server; run without -short")
	}
	bed.once.Do(startBed)
	if bed.err != nil {
		t.Fatalf("fault suite test bed: %v", bed.err)
	}
	bed.proxy.Enable(false)
	bed.proxy.SetInterceptor(nil)
	return bed.node
}

func startBed() {
	if bed.dir, bed.err = os.MkdirTemp("", "medusa-faults-"); bed.err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bed.tmp = filepath.Join(bed.dir, "tmp")
	if bed.err = os.MkdirAll(bed.tmp, 0o755); bed.err != nil {
		return
	}
	if bed.bin, bed.err = testbed.BuildMedusa(ctx, bed.dir); bed.err != nil {
		return
	}
	if bed.srv, bed.err = testbed.StartS3(ctx, filepath.Join(bed.dir, "s3")); bed.err != nil {
		return
	}
	target := bed.srv.Host + ":" + strconv.Itoa(bed.srv.Port)
	if bed.proxy, bed.err = testbed.StartFaultProxy(target, faultRates); bed.err != nil {
		return
	}
	bed.c, bed.err = testbed.StartCluster(ctx, testbed.CassandraOptions{
		Dir: filepath.Join(bed.dir, "cassandra"), Fetch: true,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if bed.err != nil {
		return
	}
	bed.node = bed.c.Nodes[0]
	s, err := bed.node.NewSession("")
	if err != nil {
		bed.err = err
		return
	}
	defer s.Close()
	if bed.err = testbed.CreateFixtureSchema(ctx, s); bed.err != nil {
		return
	}
	bed.err = writeAndFlush(ctx, bed.node, 0, 100)
}

// writeAndFlush writes fixture rows start..start+count-1 and flushes them
// into new SSTables.
func writeAndFlush(ctx context.Context, n *testbed.Node, start, count int) error {
	return testbed.WriteRowsAndFlush(ctx, n, start, count)
}

// checksums returns the fixture tables' row checksums on the shared node.
func checksums(t *testing.T) map[string]string {
	t.Helper()
	return testbed.FixtureChecksums(t, bed.node)
}

// cassandraUp fails the test unless the node answers CQL.
func cassandraUp(t *testing.T) {
	t.Helper()
	if _, err := bed.node.ReleaseVersion(t.Context()); err != nil {
		t.Fatalf("cassandra is not up: %v", err)
	}
}
