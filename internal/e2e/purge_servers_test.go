package e2e

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"

	"github.com/medusa-go/medusa/internal/cli"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/s3"
	"github.com/medusa-go/medusa/internal/testbed"
)

// fixtureRows counts the fixture rows the purge tests wrote so far; they
// write from row 100,000 on, apart from the rows of the other tests of
// the package.
var fixtureRows = struct {
	mu sync.Mutex
	n  int
}{n: 100_000}

// changeData writes new fixture rows and flushes them into new SSTables;
// with compact, the keyspace fx_shop is then compacted, so the SSTables
// of it that earlier backups saw disappear from the node (those of fx_logs
// and the system keyspaces stay, for later backups to reuse).
func changeData(t *testing.T, n *testbed.Node, rows int, compact bool) {
	t.Helper()
	fixtureRows.mu.Lock()
	defer fixtureRows.mu.Unlock()
	ctx := t.Context()
	s, err := n.NewSession("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := testbed.WriteRowsFrom(ctx, s, fixtureRows.n, rows); err != nil {
		t.Fatal(err)
	}
	fixtureRows.n += rows
	if _, err := n.Nodetool(ctx, "flush"); err != nil {
		t.Fatal(err)
	}
	if compact {
		if _, err := n.Nodetool(ctx, "compact", "fx_shop"); err != nil {
			t.Fatal(err)
		}
	}
}

// purgeTarget is a bucket the medusa CLI runs against.
type purgeTarget struct {
	name   string
	s3     *testbed.S3Server
	b      storage.Backend // the bucket, as the test sees it
	root   string          // directory of the bucket's objects as files
	base   string          // local: base_path
	bucket string
}

// purgeTargets returns local storage and the test bed's S3 server (versitygw),
// on which medusa runs as the user restricted to Medusa's policy.
func purgeTargets(t *testing.T) []func(t *testing.T) purgeTarget {
	return []func(t *testing.T) purgeTarget{
		func(t *testing.T) purgeTarget {
			dir := t.TempDir()
			b, err := local.New(local.Options{BasePath: dir, Bucket: "bucket", Create: true})
			if err != nil {
				t.Fatal(err)
			}
			return purgeTarget{name: "local", b: b, root: filepath.Join(dir, "bucket"), base: dir, bucket: "bucket"}
		},
		func(t *testing.T) purgeTarget {
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
			return purgeTarget{name: "s3", s3: srv, b: b, root: filepath.Join(srv.Dir, "data", srv.Bucket), bucket: srv.Bucket}
		},
	}
}

// medusa runs the CLI in-process with a medusa.ini for the node and
// purgeTarget; wrap, when set, wraps the storage stack.
type purgeMedusa struct {
	t    *testing.T
	ini  string
	tmp  string
	wrap func(storage.Backend) storage.Backend
}

func newPurgeMedusa(t *testing.T, tg purgeTarget, n *testbed.Node, prefix string, extra map[string]string) *purgeMedusa {
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
	return &purgeMedusa{t: t, ini: path, tmp: t.TempDir()}
}

func (m *purgeMedusa) run(args ...string) (string, int) {
	var out bytes.Buffer
	getenv := func(k string) string { return map[string]string{"TMPDIR": m.tmp, "TZ": "UTC"}[k] }
	code := cli.Execute(m.t.Context(), cli.Env{Args: append([]string{"--config-file", m.ini}, args...),
		Stdout: &out, Stderr: &out, Getenv: getenv, WrapStorage: m.wrap})
	return out.String(), code
}

// must runs a command that has to succeed and returns its output.
func (m *purgeMedusa) must(args ...string) string {
	m.t.Helper()
	out, code := m.run(args...)
	if code != 0 {
		m.t.Fatalf("medusa %v exited %d:\n%s", args, code, out)
	}
	return out
}

// manifest reads a node backup's manifest.
func manifestOf(t *testing.T, f *testbed.Bucket, fqdn, backup string) layout.Manifest {
	t.Helper()
	m, err := layout.UnmarshalManifest([]byte(f.Read(f.L.ManifestKey(fqdn, backup))))
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
