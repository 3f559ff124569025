package e2e

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/cli"
	"github.com/medusa-go/medusa/internal/config"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/testbed"
)

// Helpers of the CLI tests: `medusa` driven in-process with one
// medusa.ini, on the shared test-bed node, against one store.

// cliStore is a medusa.ini and a direct view of the bucket it names.
type cliStore struct {
	ini    string
	prefix string
	fqdn   string
	b      storage.Backend // the same stack the CLI opens, for assertions
	tmp    string          // $TMPDIR of the CLI (backup lock file)
	wrap   func(storage.Backend) storage.Backend
}

// writeNodeINI writes medusa.ini for the shared node: the given [storage]
// keys plus fqdn = the node's address with resolve_ip_addresses off, so the
// node's tokenmap names it and its backups are complete cluster backups.
func writeNodeINI(t *testing.T, n *testbed.Node, st map[string]string) *cliStore {
	t.Helper()
	dir := t.TempDir()
	st = maps.Clone(st)
	st["fqdn"] = n.Host
	var b strings.Builder
	b.WriteString("[storage]\n")
	for _, k := range slices.Sorted(maps.Keys(st)) {
		fmt.Fprintf(&b, "%s = %s\n", k, st[k])
	}
	fmt.Fprintf(&b, "[cassandra]\nconfig_file = %s\nnodetool_executable = %s\nresolve_ip_addresses = False\n",
		n.ConfigFile, n.NodetoolPath)
	ini := filepath.Join(dir, "medusa.ini")
	if err := os.WriteFile(ini, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cs := &cliStore{ini: ini, prefix: st["prefix"], fqdn: n.Host, tmp: t.TempDir()}
	cfg, _, err := config.Load(t.Context(), ini, config.Overrides{}, cs.getenv)
	if err != nil {
		t.Fatalf("load %s: %v", ini, err)
	}
	if cs.b, err = app.New(cfg, nil).Storage(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.b.Close() })
	return cs
}

func (cs *cliStore) getenv(k string) string {
	return map[string]string{"TMPDIR": cs.tmp, "TZ": "UTC"}[k]
}

// medusa runs the CLI with args and returns its output (stdout and stderr)
// and exit code.
func (cs *cliStore) medusa(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	code := cli.Execute(t.Context(), cli.Env{Args: append([]string{"--config-file", cs.ini}, args...),
		Stdout: &out, Stderr: &out, Getenv: cs.getenv, WrapStorage: cs.wrap})
	return out.String(), code
}

// mustMedusa runs the CLI and fails the test unless it exits 0.
func (cs *cliStore) mustMedusa(t *testing.T, args ...string) string {
	t.Helper()
	out, code := cs.medusa(t, args...)
	if code != 0 {
		t.Fatalf("medusa %s exited %d:\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

func (cs *cliStore) layout() layout.Layout { return layout.New(cs.prefix) }

// listing maps the keys under prefix to what the store reports.
func listing(t *testing.T, b storage.Backend, prefix string) map[string]storage.ObjectInfo {
	t.Helper()
	out := map[string]storage.ObjectInfo{}
	for o, err := range b.List(t.Context(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		out[o.Key] = o
	}
	return out
}

// manifestPaths returns the object paths of a node backup's manifest.
func (cs *cliStore) manifestPaths(t *testing.T, backup string) []string {
	t.Helper()
	var out []string
	for _, s := range readManifest(t, cs.b, cs.layout().ManifestKey(cs.fqdn, backup)) {
		for _, o := range s.Objects {
			out = append(out, o.Path)
		}
	}
	slices.Sort(out)
	return out
}

// backups names the three backups of a scenario.
type backups struct{ full, diff1, diff2 string }

// fullAndDifferentials runs, through the CLI: a full backup, a
// differential one (the pool was empty: it uploads every file), more rows
// + flush, and a second differential one, which must upload exactly the
// files the pool lacked (the new SSTables) and leave the pool's objects
// untouched. rows is the first fixture row written (distinct per test).
func fullAndDifferentials(t *testing.T, n *testbed.Node, cs *cliStore, name string, rows int) backups {
	t.Helper()
	bk := backups{full: name + "-full", diff1: name + "-diff1", diff2: name + "-diff2"}
	l := cs.layout()
	cs.mustMedusa(t, "backup", "--backup-name", bk.full, "--mode", "full")
	full := cs.manifestPaths(t, bk.full)
	if got := slices.Sorted(maps.Keys(listing(t, cs.b, l.DataPrefix(cs.fqdn, bk.full)))); len(full) == 0 ||
		!slices.Equal(got, full) {
		t.Fatalf("full backup: %d objects stored, manifest lists %d:\n%s", len(got), len(full),
			strings.Join(diffLines(got, full), "\n"))
	}

	cs.mustMedusa(t, "backup", "--backup-name", bk.diff1, "--mode", "differential")
	pool1 := listing(t, cs.b, l.PoolPrefix(cs.fqdn))
	if got, want := slices.Sorted(maps.Keys(pool1)), cs.manifestPaths(t, bk.diff1); !slices.Equal(got, want) {
		t.Fatalf("first differential backup: pool holds %d objects, manifest lists %d:\n%s", len(got), len(want),
			strings.Join(diffLines(got, want), "\n"))
	}

	if err := writeAndFlush(t.Context(), n, rows, 40); err != nil {
		t.Fatal(err)
	}
	out := cs.mustMedusa(t, "backup", "--backup-name", bk.diff2)
	pool2 := listing(t, cs.b, l.PoolPrefix(cs.fqdn))
	var uploaded, want, reused []string
	for k := range pool2 {
		if _, ok := pool1[k]; !ok {
			uploaded = append(uploaded, k)
		}
	}
	for _, p := range cs.manifestPaths(t, bk.diff2) {
		if _, ok := pool1[p]; ok {
			reused = append(reused, p)
		} else {
			want = append(want, p)
		}
	}
	slices.Sort(uploaded)
	if !slices.Equal(uploaded, want) || len(reused) == 0 || !slices.ContainsFunc(want, isFixtureKey) {
		t.Fatalf("second differential backup uploaded %d files (%d reused), want the %d new files of its "+
			"manifest, fixture tables among them:\n%s\noutput:\n%s", len(uploaded), len(reused), len(want),
			strings.Join(diffLines(uploaded, want), "\n"), out)
	}
	for k, before := range pool1 {
		if after := pool2[k]; after.Size != before.Size || !after.ModTime.Equal(before.ModTime) {
			t.Errorf("pool object %s was rewritten by a differential backup: %+v, then %+v", k, before, after)
		}
	}
	t.Logf("%s: full %d files, differential %d files, then %d new of %d", name, len(full), len(pool1),
		len(want), len(want)+len(reused))
	return bk
}

func isFixtureKey(k string) bool {
	return strings.Contains(k, "/fx_shop/") || strings.Contains(k, "/fx_logs/")
}

// diffLines shows the keys only one side has, "+" for got, "-" for want.
func diffLines(got, want []string) []string {
	var out []string
	for _, k := range got {
		if !slices.Contains(want, k) {
			out = append(out, "+ "+k)
		}
	}
	for _, k := range want {
		if !slices.Contains(got, k) {
			out = append(out, "- "+k)
		}
	}
	return out
}

// checkListedAndVerified checks that list-backups and status show every
// backup complete (status with its manifest's file count) and that verify
// passes on each.
func checkListedAndVerified(t *testing.T, cs *cliStore, names ...string) {
	t.Helper()
	out := cs.mustMedusa(t, "list-backups")
	for _, name := range names {
		line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` \(started: [^,]+, finished: ([^)]+)\)$`)
		m := line.FindStringSubmatch(out)
		if m == nil || strings.HasPrefix(m[1], "Incomplete") {
			t.Errorf("list-backups does not show %s as complete:\n%s", name, out)
		}
	}
	for _, name := range names {
		out := cs.mustMedusa(t, "status", "--backup-name", name)
		files := fmt.Sprintf("- %d files, ", len(cs.manifestPaths(t, name)))
		if !strings.HasPrefix(out, name+"\n") || !strings.Contains(out, "- 1 nodes completed, 0 nodes incomplete, 0 nodes missing") ||
			!strings.Contains(out, files) {
			t.Errorf("status of %s: want it complete with %q:\n%s", name, files, out)
		}
		out = cs.mustMedusa(t, "verify", "--backup-name", name, "--enable-md5-checks")
		if !strings.Contains(out, "- Completion: OK!") || !strings.Contains(out, "- Manifest validated: OK!!") {
			t.Errorf("verify %s:\n%s", name, out)
		}
	}
}

// getObject reads key of bucket whole, with client c (the admin: no proxy, no policy).
func getObject(t *testing.T, c *awss3.Client, bucket, key string) []byte {
	t.Helper()
	obj, err := c.GetObject(t.Context(), &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	data, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// putObject writes data under key of bucket with client c.
func putObject(t *testing.T, c *awss3.Client, bucket, key string, data []byte) {
	t.Helper()
	if _, err := c.PutObject(t.Context(), &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
}
