package compat

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/cli"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
	"github.com/medusa-go/medusa/internal/storage/s3"
	"github.com/medusa-go/medusa/internal/testbed"
)

// storeKinds are the storages every test runs against.
var storeKinds = []string{"local", "s3"}

// store is one bucket both tools use through one medusa.ini, and a backend
// (the restricted S3 user, or the directory) to read what they wrote.
type store struct {
	kind    string
	ini     string
	fqdn    string
	layout  layout.Layout
	backend storage.Backend
	py      testbed.PyMedusa
	// pyCache holds the results of read-only Python Medusa commands once
	// the backups are made (each run costs a second or two of start-up).
	pyCache map[string]result
}

// newStore writes a medusa.ini for the test-bed node n and a bucket of kind
// ("local", or "s3" on srv). The node's identity is its address, which is
// also its tokenmap key (resolve_ip_addresses = False), so that both tools
// see complete cluster backups. S3 stores get a prefix.
func newStore(t *testing.T, kind string, n *testbed.Node, srv *testbed.S3Server, bucket string) *store {
	t.Helper()
	dir := t.TempDir()
	st := &store{kind: kind, ini: filepath.Join(dir, "medusa.ini"), fqdn: n.Host}
	ini := testbed.MedusaINI{Bucket: bucket, Node: n, FQDN: st.fqdn}
	switch kind {
	case "local":
		ini.BasePath = filepath.Join(dir, "storage")
	case "s3":
		if bucket != srv.Bucket {
			if err := srv.NewBucket(t.Context(), bucket); err != nil {
				t.Fatal(err)
			}
		}
		ini.S3, ini.User, ini.Prefix = srv, srv.Restricted, "tenant1"
		ini.KeyFile = filepath.Join(dir, "credentials")
	default:
		t.Fatalf("unknown storage kind %q", kind)
	}
	if err := ini.Write(st.ini); err != nil {
		t.Fatal(err)
	}
	st.layout = layout.New(ini.Prefix)
	var err error
	if kind == "local" {
		st.backend, err = local.New(local.Options{BasePath: ini.BasePath, Bucket: bucket, Create: true})
	} else {
		st.backend, err = s3.New(t.Context(), s3.Options{Provider: "s3_compatible", Bucket: bucket,
			Region: srv.Region, Host: srv.Host, Port: srv.Port, KeyFile: ini.KeyFile})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.backend.Close() })
	st.py = testbed.PyMedusa{Exe: testbed.PyMedusaT(t), Config: st.ini, Dir: t.TempDir()}
	return st
}

// result is what one command of either tool printed and how it exited.
type result struct {
	tool, cmd      string
	stdout, stderr string
	code           int
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("%s medusa %s: exit %d after %s\n--- stdout ---\n%s--- stderr (tail) ---\n%s",
		r.tool, r.cmd, r.code, r.took.Round(time.Millisecond), r.stdout, tail(r.stderr, 25))
}

// ours runs this tool in-process with the store's ini, TZ=UTC and no other
// environment.
func (st *store) ours(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	tmp := t.TempDir()
	getenv := func(k string) string { return map[string]string{"TZ": "UTC", "TMPDIR": tmp}[k] }
	began := time.Now()
	code := cli.Execute(t.Context(), cli.Env{Args: append([]string{"--config-file", st.ini}, args...),
		Stdout: &out, Stderr: &errOut, Getenv: getenv})
	r := result{tool: "our", cmd: strings.Join(args, " "), stdout: out.String(), stderr: errOut.String(),
		code: code, took: time.Since(began)}
	t.Logf("our medusa %s: exit %d in %s", r.cmd, code, r.took.Round(time.Millisecond))
	return r
}

// python runs Python Medusa with the store's ini (TZ=UTC, see
// testbed.PyMedusa.Run).
func (st *store) python(t *testing.T, args ...string) result {
	t.Helper()
	began := time.Now()
	stdout, stderr, err := st.py.Run(t.Context(), args...)
	r := result{tool: "python", cmd: strings.Join(args, " "), stdout: stdout, stderr: stderr,
		code: testbed.PyExitCode(err), took: time.Since(began)}
	if err != nil && r.code < 0 {
		t.Fatalf("python medusa %s: %v", r.cmd, err)
	}
	t.Logf("python medusa %s: exit %d in %s", r.cmd, r.code, r.took.Round(time.Millisecond))
	return r
}

// pythonCached is python for read-only commands: a command run before on
// the same store returns its first result.
func (st *store) pythonCached(t *testing.T, args ...string) result {
	t.Helper()
	k := strings.Join(args, "\x00")
	if r, ok := st.pyCache[k]; ok {
		return r
	}
	r := st.python(t, args...)
	if st.pyCache == nil {
		st.pyCache = map[string]result{}
	}
	st.pyCache[k] = r
	return r
}

// must fails the test unless r exited 0.
func must(t *testing.T, r result) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	return r
}

var (
	copiedRE = regexp.MustCompile(`- (\d+) files copied from host \((\d+) new, (\d+) reuploaded\)`)
	keptRE   = regexp.MustCompile(`- (\d+) kept from previous backup`)
)

// backupStats reads "copied (new, reuploaded)" and "kept" from the log of a
// backup (both tools log Medusa's print_backup_stats lines; a full backup
// keeps nothing).
func backupStats(t *testing.T, r result) (newFiles, reuploaded, kept int) {
	t.Helper()
	m := copiedRE.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no 'files copied from host' line in the log of:\n%s", r)
	}
	newFiles, _ = strconv.Atoi(m[2])
	reuploaded, _ = strconv.Atoi(m[3])
	if k := keptRE.FindStringSubmatch(r.stderr); k != nil {
		kept, _ = strconv.Atoi(k[1])
	}
	return newFiles, reuploaded, kept
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n") + "\n"
}
