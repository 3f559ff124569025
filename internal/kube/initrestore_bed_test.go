package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// irPod is the pod the shared node plays in the init-restore tests: its
// backups are stored under this name, as the sidecar of a k8ssandra pod
// stores them under the pod name.
const irPod = "kube-dc1-default-sts-0"

// irBed is one init-restore test: the shared node, an S3 server, a
// medusa.ini for backups (nodetool snapshots: the test node has no
// Management API) and the operator's medusa.ini for the init container
// ([kubernetes] enabled, as k8ssandra-operator writes it).
type irBed struct {
	t       *testing.T
	n       *testbed.Node
	srv     *testbed.S3Server
	bin     string
	backINI string
	initINI string
	last    string // the .last-restore directory (the pod's /var/lib/cassandra)
	tmp     string // MEDUSA_TMP_DIR
}

func newIRBed(t *testing.T) *irBed {
	t.Helper()
	n := testbed.SharedNode(t)
	bin := medusaBinary(t)
	srv := testbed.S3T(t)
	dir := t.TempDir()
	b := &irBed{t: t, n: n, srv: srv, bin: bin, last: t.TempDir(), tmp: t.TempDir(),
		backINI: filepath.Join(dir, "backup.ini"), initINI: filepath.Join(dir, "medusa.ini")}
	ini := testbed.MedusaINI{S3: srv, KeyFile: filepath.Join(dir, "credentials"), User: srv.Restricted,
		Bucket: srv.Bucket, Prefix: "kube-ir", Node: n, FQDN: irPod}
	if err := ini.Write(b.backINI); err != nil {
		t.Fatal(err)
	}
	ini.Extra = map[string]map[string]string{"kubernetes": {"enabled": "1", "use_mgmt_api": "1",
		"cassandra_url": "http://127.0.0.1:8080/api/v0/ops/node/snapshots"}}
	if err := ini.Write(b.initINI); err != nil {
		t.Fatal(err)
	}
	return b
}

// medusa runs the binary and returns its output and exit code.
func (b *irBed) medusa(env []string, args ...string) (string, int) {
	b.t.Helper()
	cmd := exec.CommandContext(b.t.Context(), b.bin, args...)
	cmd.Env = append(os.Environ(), "TMPDIR="+b.tmp, "POD_IP=")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		b.t.Fatalf("medusa %s: %v", strings.Join(args, " "), err)
	}
	code := cmd.ProcessState.ExitCode() // -1: killed by a signal
	b.t.Logf("medusa %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
	return out.String(), code
}

// backup takes a full backup of the node as fqdn (the pod when empty).
func (b *irBed) backup(name, fqdn string) {
	b.t.Helper()
	args := []string{"--config-file", b.backINI}
	if fqdn != "" {
		args = append(args, "--fqdn", fqdn)
	}
	if out, code := b.medusa(nil, append(args, "backup", "--backup-name", name, "--mode", "full")...); code != 0 {
		b.t.Fatalf("backup %s exited %d:\n%s", name, code, out)
	}
}

// initRestore runs the init container with the operator's variables.
func (b *irBed) initRestore(vars map[string]string) (string, int) {
	b.t.Helper()
	env := []string{"MEDUSA_MODE=RESTORE", "MEDUSA_TMP_DIR=" + b.tmp, "POD_NAME=" + irPod}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return b.medusa(env, "--config-file", b.initINI, "init-restore", "--last-restore-dir", b.last)
}

// lastKey returns .last-restore's content ("" when absent).
func (b *irBed) lastKey() string {
	data, err := os.ReadFile(filepath.Join(b.last, ".last-restore"))
	if err != nil && !os.IsNotExist(err) {
		b.t.Fatal(err)
	}
	return string(data)
}

// checksums returns the fixture tables' checksums.
func (b *irBed) checksums() map[string]string {
	b.t.Helper()
	s, err := b.n.NewSession("")
	if err != nil {
		b.t.Fatal(err)
	}
	defer s.Close()
	sums, err := testbed.TableChecksums(b.t.Context(), s, testbed.FixtureKeyspaces)
	if err != nil {
		b.t.Fatal(err)
	}
	return sums
}

// change writes fixture rows 100..119 (new users, more counter hits):
// what the restores must undo. They are not flushed: stopping the node
// flushes them, or they stay in the commit log.
func (b *irBed) change() {
	b.t.Helper()
	s, err := b.n.NewSession("")
	if err != nil {
		b.t.Fatal(err)
	}
	defer s.Close()
	if err := testbed.WriteRowsFrom(b.t.Context(), s, 100, 20); err != nil {
		b.t.Fatal(err)
	}
	if err := s.Query(`DELETE FROM fx_logs.lines WHERE bucket = 3`).ExecContext(b.t.Context()); err != nil {
		b.t.Fatal(err)
	}
}

// stop stops the node, as the operator stops the datacenter before the
// init containers run; the node is started again when the test ends.
func (b *irBed) stop() {
	b.t.Helper()
	b.t.Cleanup(func() {
		if b.n.PID() != 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := b.n.Start(ctx); err != nil {
			b.t.Errorf("start the shared node again: %v", err)
		}
	})
	if err := b.n.Stop(b.t.Context()); err != nil {
		b.t.Fatal(err)
	}
}

func (b *irBed) start() {
	b.t.Helper()
	if err := b.n.Start(b.t.Context()); err != nil {
		b.t.Fatal(err)
	}
}

// tree lists every file (size, modification time) and directory under
// the node's data, commit log and saved caches directories. Directory
// times are left out: a restore that fails creates and removes its empty
// aside directory in each of them.
func (b *irBed) tree() map[string]string {
	b.t.Helper()
	out := map[string]string{}
	for _, root := range []string{b.n.DataDir, b.n.CommitlogDir, b.n.SavedCachesDir} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if fi, err := d.Info(); err == nil && d.IsDir() {
				out[p] = fi.Mode().String()
			} else if err == nil {
				out[p] = fmt.Sprintf("%s %v %d", fi.ModTime().Format(time.RFC3339Nano), fi.Mode(), fi.Size())
			}
			return nil
		})
	}
	return out
}

// sameTree reports the differences between two trees.
func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, v := range before {
		if after[p] != v {
			t.Errorf("%s: %s changed (%q -> %q)", what, p, v, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: %s appeared", what, p)
		}
	}
}

// sameSums compares fixture checksums.
func sameSums(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s is %s, want %s", what, k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d tables, want %d", what, len(got), len(want))
	}
}

// noLeftovers checks that MEDUSA_TMP_DIR holds no download and the
// node's directories no aside directory.
func (b *irBed) noLeftovers() {
	b.t.Helper()
	for _, dir := range []string{b.tmp, b.n.DataDir, b.n.CommitlogDir, b.n.SavedCachesDir} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".medusa-aside-") || strings.HasPrefix(e.Name(), "medusa-restore-") {
				b.t.Errorf("left behind: %s", filepath.Join(dir, e.Name()))
			}
		}
	}
}

// tokens returns the node's tokens, sorted as strings.
func (b *irBed) tokens() []string {
	b.t.Helper()
	s, err := b.n.NewSession("")
	if err != nil {
		b.t.Fatal(err)
	}
	defer s.Close()
	var tokens []string
	if err := s.Query(`SELECT tokens FROM system.local`).ScanContext(b.t.Context(), &tokens); err != nil {
		b.t.Fatal(err)
	}
	slices.Sort(tokens)
	return tokens
}

// dataObject returns the file versitygw keeps a Data.db object of the
// pod's backup name in, below the fixture keyspace fx_shop.
func (b *irBed) dataObject(name string) string {
	b.t.Helper()
	root := filepath.Join(b.srv.Dir, "data", b.srv.Bucket, "kube-ir", irPod, name, "data", "fx_shop")
	var found string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && found == "" && strings.HasSuffix(p, "-Data.db") {
			found = p
		}
		return nil
	})
	if found == "" {
		b.t.Fatalf("no Data.db object under %s", root)
	}
	return found
}
