package purge_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/cli"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/s3"
	"github.com/medusa-go/medusa/internal/testbed"
)

// One Cassandra node serves every integration test of the package: the
// first test that needs it starts it, TestMain stops it.
var bed struct {
	once sync.Once
	dir  string
	c    *testbed.Cluster
	err  error
	rows int // fixture rows written so far
	mu   sync.Mutex
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if bed.c != nil {
		if err := bed.c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop cassandra test bed: %v\n", err)
		}
	}
	if bed.dir != "" && code == 0 {
		_ = os.RemoveAll(bed.dir)
	} else if bed.dir != "" {
		fmt.Fprintf(os.Stderr, "cassandra test bed kept in %s\n", bed.dir)
	}
	os.Exit(code)
}

// testNode returns the shared node with the fixture schema loaded. Under
// -short the test is skipped; a node that cannot start fails the test.
func testNode(t *testing.T) *testbed.Node {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Apache Cassandra (Java 17 + Maven jars); run without -short")
	}
	bed.once.Do(startBed)
	if bed.err != nil {
		t.Fatalf("cassandra test bed: %v", bed.err)
	}
	return bed.c.Nodes[0]
}

func startBed() {
	if bed.dir, bed.err = os.MkdirTemp("", "medusa-cassandra-purge-"); bed.err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bed.c, bed.err = testbed.StartCluster(ctx, testbed.CassandraOptions{
		Dir: bed.dir, Fetch: true,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if bed.err != nil {
		return
	}
	s, err := bed.c.Nodes[0].NewSession("")
	if err != nil {
		bed.err = err
		return
	}
	defer s.Close()
	bed.err = testbed.CreateFixtureSchema(ctx, s)
}

// changeData writes new fixture rows and flushes them into new SSTables;
// with compact, the keyspace fx_shop is then compacted, so the SSTables
// of it that earlier backups saw disappear from the node (those of fx_logs
// and the system keyspaces stay, for later backups to reuse).
func changeData(t *testing.T, n *testbed.Node, rows int, compact bool) {
	t.Helper()
	bed.mu.Lock()
	defer bed.mu.Unlock()
	ctx := t.Context()
	s, err := n.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := testbed.WriteRowsFrom(ctx, s, bed.rows, rows); err != nil {
		t.Fatal(err)
	}
	bed.rows += rows
	if _, err := n.Nodetool(ctx, "flush"); err != nil {
		t.Fatal(err)
	}
	if compact {
		if _, err := n.Nodetool(ctx, "compact", "fx_shop"); err != nil {
			t.Fatal(err)
		}
	}
}

// target is a bucket the medusa CLI runs against.
type target struct {
	name   string
	s3     *testbed.S3Server
	b      storage.Backend // the bucket, as the test sees it
	root   string          // directory of the bucket's objects as files
	base   string          // local: base_path
	bucket string
}

// targets returns local storage and the test bed's S3 server (versitygw),
// on which medusa runs as the user restricted to the seed's policy.
func targets(t *testing.T) []func(t *testing.T) target {
	return []func(t *testing.T) target{
		func(t *testing.T) target {
			dir := t.TempDir()
			b, err := local.New(local.Options{BasePath: dir, Bucket: "bucket", Create: true})
			if err != nil {
				t.Fatal(err)
			}
			return target{name: "local", b: b, root: filepath.Join(dir, "bucket"), base: dir, bucket: "bucket"}
		},
		func(t *testing.T) target {
			srv := testbed.S3T(t)
			keyFile := filepath.Join(t.TempDir(), "admin-credentials")
			if err := srv.WriteKeyFile(keyFile, srv.Admin); err != nil {
				t.Fatal(err)
			}
			b, err := s3.New(t.Context(), s3.Options{Provider: "s3_compatible", Bucket: srv.Bucket,
				Region: srv.Region, Host: srv.Host, Port: srv.Port, KeyFile: keyFile})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			return target{name: "s3", s3: srv, b: b, root: filepath.Join(srv.Dir, "data", srv.Bucket), bucket: srv.Bucket}
		},
	}
}

// medusa runs the CLI in-process with a medusa.ini for the node and
// target; wrap, when set, wraps the storage stack.
type medusa struct {
	t    *testing.T
	ini  string
	tmp  string
	wrap func(storage.Backend) storage.Backend
}

func newMedusa(t *testing.T, tg target, n *testbed.Node, prefix string, extra map[string]string) *medusa {
	t.Helper()
	dir := t.TempDir()
	storageExtra := map[string]string{"concurrent_transfers": "1"}
	for k, v := range extra {
		storageExtra[k] = v
	}
	ini := testbed.MedusaINI{S3: tg.s3, Bucket: tg.bucket, Prefix: prefix, BasePath: tg.base, Node: n,
		FQDN: n.Host, KeyFile: filepath.Join(dir, "credentials"),
		Extra: map[string]map[string]string{"storage": storageExtra}}
	if tg.s3 != nil {
		ini.User = tg.s3.Restricted
	}
	path := filepath.Join(dir, "medusa.ini")
	if err := ini.Write(path); err != nil {
		t.Fatal(err)
	}
	return &medusa{t: t, ini: path, tmp: t.TempDir()}
}

func (m *medusa) run(args ...string) (string, int) {
	var out bytes.Buffer
	getenv := func(k string) string { return map[string]string{"TMPDIR": m.tmp, "TZ": "UTC"}[k] }
	code := cli.Execute(m.t.Context(), cli.Env{Args: append([]string{"--config-file", m.ini}, args...),
		Stdout: &out, Stderr: &out, Getenv: getenv, WrapStorage: m.wrap})
	return out.String(), code
}

// must runs a command that has to succeed and returns its output.
func (m *medusa) must(args ...string) string {
	m.t.Helper()
	out, code := m.run(args...)
	if code != 0 {
		m.t.Fatalf("medusa %v exited %d:\n%s", args, code, out)
	}
	return out
}

// manifest reads a node backup's manifest.
func manifestOf(t *testing.T, f *fx, fqdn, backup string) layout.Manifest {
	t.Helper()
	m, err := layout.UnmarshalManifest([]byte(f.read(f.l.ManifestKey(fqdn, backup))))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func paths(m layout.Manifest) map[string]int64 {
	out := map[string]int64{}
	for _, s := range m {
		for _, o := range s.Objects {
			out[o.Path] = o.Size
		}
	}
	return out
}
