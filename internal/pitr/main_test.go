package pitr

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/commitlog"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// Bed is the package's shared test bed: one node with archiving on, one S3
// server and bucket, the medusa binary of this tree and its medusa.ini.
type Bed struct {
	Node *testbed.Node
	S3   *testbed.S3Server
	// Medusa is the binary built from this tree; it is also the one in
	// the node's archive_command.
	Medusa string
	// INI is the medusa.ini of the node (S3 as the restricted user, the
	// node's cassandra.yaml and scripts, [cassandra] commitlog_archiving =
	// true); the archive_command names it. Python Medusa reads the same
	// file.
	INI    string
	FQDN   string // [storage] fqdn: the node's address
	Bucket string
	// Dir is the bed's own directory (medusa binary, S3 data, ini).
	Dir string
	// PropertiesFile is the node's commitlog_archiving.properties and
	// ArchiveLine the archive_command value enable wrote there.
	PropertiesFile, ArchiveLine string
	// SpoolDir is the default spool, <commitlog_directory>/.medusa_spool.
	SpoolDir string
	// ini holds the sections of INI, for variants (WriteINI).
	ini map[string]map[string]string
}

// SegmentSize is the node's commitlog_segment_size (the minimum): about a
// thousand 1 KiB rows fill a segment.
const SegmentSize = "1MiB"

// bed is filled once, by bedOptions then bedReady (testbed.Shared).
var bed Bed

func TestMain(m *testing.M) {
	testbed.Shared(m, testbed.SharedSetup{Name: "pitr", Options: bedOptions, Ready: bedReady,
		Cleanup: func() {
			if bed.S3 != nil {
				bed.S3.Stop()
			}
		}})
}

// PitrBed returns the shared bed, starting it on first use. Under -short
// the test is skipped; a bed that cannot start fails the test.
func PitrBed(t testing.TB) *Bed {
	t.Helper()
	testbed.SharedNode(t)
	return &bed
}

// bedOptions runs before the node's first start: S3 server, medusa binary,
// medusa.ini, then `medusa commitlog enable` writes archive_command into
// the properties file of the node's conf directory (on Cassandra's
// classpath), so archiving is on from the first start.
func bedOptions(dir string) (testbed.CassandraOptions, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bed.Dir = filepath.Join(dir, "pitr")
	var err error
	if bed.S3, err = testbed.StartS3(ctx, filepath.Join(bed.Dir, "s3")); err != nil {
		return testbed.CassandraOptions{}, err
	}
	if bed.Medusa, err = testbed.BuildMedusa(ctx, filepath.Join(bed.Dir, "bin")); err != nil {
		return testbed.CassandraOptions{}, err
	}
	bed.Bucket, bed.FQDN = bed.S3.Bucket, "127.0.0.1"
	conf := filepath.Join(dir, "node1", "conf")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		return testbed.CassandraOptions{}, err
	}
	bed.PropertiesFile = filepath.Join(conf, commitlog.PropertiesFile)
	bed.SpoolDir = filepath.Join(dir, "node1", "commitlog", commitlog.DefaultSpoolName)
	bed.ini = map[string]map[string]string{"cassandra": {"commitlog_archiving": "true", "commitlog_properties_file": bed.PropertiesFile}}
	bed.INI = filepath.Join(bed.Dir, "medusa.ini")
	if err := bed.writeINI(bed.INI, nil, nil); err != nil {
		return testbed.CassandraOptions{}, err
	}
	out, err := exec.CommandContext(ctx, bed.Medusa, "--config-file", bed.INI, "commitlog", "enable").CombinedOutput()
	if err != nil {
		return testbed.CassandraOptions{}, fmt.Errorf("medusa commitlog enable: %w\n%s", err, out)
	}
	p, err := commitlog.ReadProperties(bed.PropertiesFile)
	if err != nil {
		return testbed.CassandraOptions{}, err
	}
	bed.ArchiveLine, _ = p.Get(commitlog.KeyArchiveCommand)
	if !strings.Contains(bed.ArchiveLine, " commitlog archive %path %name") {
		return testbed.CassandraOptions{}, fmt.Errorf("enable wrote archive_command=%q", bed.ArchiveLine)
	}
	return testbed.CassandraOptions{CommitlogSegmentSize: SegmentSize}, nil
}

// bedReady rewrites medusa.ini with the running node's cassandra.yaml and
// scripts.
func bedReady(_ context.Context, n *testbed.Node) error {
	bed.Node = n
	return bed.writeINI(bed.INI, n, nil)
}

func (b *Bed) writeINI(path string, n *testbed.Node, extra map[string]map[string]string) error {
	ex := map[string]map[string]string{}
	for _, m := range []map[string]map[string]string{b.ini, extra} {
		for sec, kv := range m {
			for k, v := range kv {
				if sec == "commitlog" {
					sec, k = "cassandra", commitlogKey(k)
				}
				if ex[sec] == nil {
					ex[sec] = map[string]string{}
				}
				ex[sec][k] = v
			}
		}
	}
	return testbed.MedusaINI{S3: b.S3, KeyFile: filepath.Join(filepath.Dir(path), "credentials"), User: b.S3.Restricted,
		Bucket: b.Bucket, Node: n, FQDN: b.FQDN, Extra: ex}.Write(path)
}

// commitlogKey is the [cassandra] key of a commit log setting named
// without its prefix (enabled is commitlog_archiving).
func commitlogKey(k string) string {
	if k == "enabled" {
		return "commitlog_archiving"
	}
	return config.CommitlogKeyPrefix + k
}

// WriteINI writes a variant of INI in a new temporary directory, extra
// overriding its keys (section -> key -> value), and returns its path:
// e.g. {"storage": {"port": "<black hole>"}} for an unreachable store.
// The commit log settings are [cassandra] commitlog_* keys; for brevity
// extra may also name them as a "commitlog" section with the short names
// (enabled, spool_dir, sync_interval...): they are written to [cassandra]
// (a medusa.ini with a [commitlog] section is refused).
func (b *Bed) WriteINI(t testing.TB, extra map[string]map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "medusa.ini")
	if err := b.writeINI(path, b.Node, extra); err != nil {
		t.Fatal(err)
	}
	return path
}

// Result is one run of the medusa binary.
type Result struct {
	Code           int
	Stdout, Stderr string
	Took           time.Duration
}

// Out is stdout then stderr.
func (r Result) Out() string { return r.Stdout + r.Stderr }

// Medusa runs the binary with --config-file INI and args, bounded by the
// test's context.
func (b *Bed) Run(t testing.TB, args ...string) Result {
	t.Helper()
	return b.RunINI(t, b.INI, args...)
}

// RunINI runs the binary with another medusa.ini.
func (b *Bed) RunINI(t testing.TB, ini string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.Medusa, append([]string{"--config-file", ini}, args...)...)
	// A TMPDIR of the bed's own: the backup lock lives there, and other
	// test packages run medusa backups on their nodes at the same time.
	tmp := filepath.Join(b.Dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), Took: time.Since(start)}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run medusa %v: %v", args, err)
		}
		res.Code = ee.ExitCode()
	}
	return res
}

// MustRun is Run that fails the test on a non-zero exit.
func (b *Bed) MustRun(t testing.TB, args ...string) Result {
	t.Helper()
	res := b.Run(t, args...)
	if res.Code != 0 {
		t.Fatalf("medusa %s: exit %d\n%s", strings.Join(args, " "), res.Code, res.Out())
	}
	return res
}

// Config loads INI.
func (b *Bed) Config(t testing.TB) *config.Config {
	t.Helper()
	cfg, _, err := config.Load(t.Context(), b.INI, config.Overrides{}, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Storage opens the bed's bucket the way medusa does, rooted at the
// storage prefix as the commitlog package's keys expect.
func (b *Bed) Storage(t testing.TB) storage.Backend {
	t.Helper()
	st, err := app.New(b.Config(t), nil).CommitlogStorage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Session connects CQL to the node (keyspace may be empty).
func (b *Bed) Session(t testing.TB, keyspace string) *gocql.Session {
	t.Helper()
	s, err := b.Node.NewSession(keyspace)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Exec runs CQL statements, failing the test on the first error.
func Exec(t testing.TB, s *gocql.Session, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if err := s.Query(q).ExecContext(t.Context()); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// Spooled lists the segment files in the spool.
func (b *Bed) Spooled(t testing.TB) []string {
	t.Helper()
	es, err := os.ReadDir(b.SpoolDir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if _, err := commitlog.ParseSegmentName(e.Name()); err == nil {
			out = append(out, e.Name())
		}
	}
	return out
}
