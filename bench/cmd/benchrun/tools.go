package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/medusa-go/medusa/internal/testbed"
)

// variant is one tool at one setting, bound to its own bucket (so that
// differential pools never mix between tools).
type variant struct {
	key    string            // short id: go-def, py-tuned, ...
	label  string            // row label in the table
	tool   string            // "go" or "py"
	bucket string            // bench-<key>
	prefix string            // [storage] prefix: one bucket serves several data sets
	bin    string            // medusa binary when not the one under test (BENCH_BEFORE)
	extra  map[string]string // [storage] settings beyond the defaults
	ini    string
}

// unlimited is transfer_max_bandwidth with no limit (an empty value, for
// both tools).
const unlimited = ""

// Medusa's tuned settings for Python: more files and more parts in flight,
// no bandwidth cap (its 50MB/s applies per file).
var (
	goDefault   = &variant{key: "go-def", tool: "go", label: "medusa (Go), defaults: 1 file in flight, 50MB/s"}
	goUnlimited = &variant{key: "go-unl", tool: "go", label: "medusa (Go), 1 file, bandwidth unlimited",
		extra: map[string]string{"transfer_max_bandwidth": unlimited}}
	goTuned = &variant{key: "go-c4", tool: "go", label: "medusa (Go), 4 files, bandwidth unlimited",
		extra: map[string]string{"transfer_max_bandwidth": unlimited, "concurrent_transfers": "4"}}
	// goEncrypted is goTuned with client-side encryption (a key ring file,
	// written by encryptedVariant): issue 16's "within 0.85x of without".
	goEncrypted = &variant{key: "go-c4-enc", tool: "go", label: "medusa (Go), 4 files, bandwidth unlimited, client-side encryption",
		extra: map[string]string{"transfer_max_bandwidth": unlimited, "concurrent_transfers": "4"}}
	pyDefault = &variant{key: "py-def", tool: "py", label: "Python Medusa, defaults: 1 file, 50MB/s per file"}
	pyTuned   = &variant{key: "py-tuned", tool: "py", label: "Python Medusa, best: 4 files x 8 parts, unlimited",
		extra: map[string]string{"transfer_max_bandwidth": unlimited, "concurrent_transfers": "4",
			"multipart_max_concurrency": "8"}}
)

// encryptedVariant is goEncrypted with a fresh key ring file of one
// random key (mode 0600) in the work directory.
func (b *bench) encryptedVariant() (*variant, error) {
	dir := filepath.Join(b.work, "ini")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	ring := filepath.Join(dir, "bench.keys")
	if err := os.WriteFile(ring, []byte("bench-1 = "+base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, err
	}
	v := *goEncrypted
	v.extra = map[string]string{"encryption_key_file": ring}
	for k, val := range goEncrypted.extra {
		v.extra[k] = val
	}
	return &v, nil
}

// setup creates the variant's bucket, bench-<key>, unless it exists, and
// writes its medusa.ini with prefix (the data set: a node or the index of
// case 5). Buckets are few: versitygw caps the restricted user's policy,
// which names every bucket, at 2 KiB.
func (b *bench) setup(ctx context.Context, v *variant, prefix string, n *testbed.Node) (*variant, error) {
	return b.setupIn(ctx, v, "bench-"+v.key, prefix, n)
}

// setupIn is setup with the bucket named.
func (b *bench) setupIn(ctx context.Context, v *variant, bucket, prefix string, n *testbed.Node) (*variant, error) {
	c := *v
	c.bucket, c.prefix = bucket, prefix
	if b.buckets == nil {
		b.buckets = map[string]bool{}
	}
	if !b.buckets[bucket] {
		if err := b.s3.NewBucket(ctx, bucket); err != nil {
			return nil, err
		}
		b.buckets[bucket] = true
	}
	dir := filepath.Join(b.work, "ini")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ini := testbed.MedusaINI{S3: b.s3, KeyFile: filepath.Join(dir, c.bucket+".credentials"), User: b.s3.Restricted,
		Bucket: c.bucket, Prefix: prefix, Node: n, FQDN: n.Host, Extra: map[string]map[string]string{"storage": c.extra}}
	c.ini = filepath.Join(dir, fmt.Sprintf("%s-%s-%s.ini", c.bucket, prefix, c.key))
	if err := ini.Write(c.ini); err != nil {
		return nil, err
	}
	return &c, nil
}

// cmd is the command line of the variant's tool for args.
func (b *bench) cmd(v *variant, name string, args ...string) proc {
	full := append([]string{"--config-file", v.ini}, args...)
	tmp := filepath.Join(b.work, "tmp", v.key)
	_ = os.MkdirAll(tmp, 0o755)
	env := baseEnv(tmp)
	if v.tool == "py" {
		env = pyEnv(b.pyExe, tmp)
		return proc{name: name + "-" + v.key, path: b.pyExe, args: full, env: env}
	}
	if b.s.profileDir != "" {
		env = append(env, "MEDUSA_CPUPROFILE="+filepath.Join(b.s.profileDir, fmt.Sprintf("%03d-%s-%s.pprof", b.seq+1, name, v.key)))
	}
	bin := b.s.medusa
	if v.bin != "" {
		bin = v.bin
	}
	return proc{name: name + "-" + v.key, path: bin, args: full, env: env}
}

// before is v run with the BENCH_BEFORE binary (nil without one), in the
// given bucket and prefix.
func (b *bench) before(ctx context.Context, v *variant, bucket, prefix string, n *testbed.Node) (*variant, error) {
	if b.s.before == "" {
		return nil, nil
	}
	c := *v
	c.key += "-before"
	c.label += " [before the fixes]"
	c.bin = b.s.before
	return b.setupIn(ctx, &c, bucket, prefix, n)
}

// pyEnv is the environment of Python Medusa (as testbed.PyMedusa.Run
// builds it): its virtualenv first on PATH, no caller AWS variables.
func pyEnv(exe, tmp string) []string {
	env := baseEnv(tmp)
	for i, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			env[i] = "PATH=" + filepath.Dir(exe) + string(os.PathListSeparator) + strings.TrimPrefix(kv, "PATH=")
		}
	}
	return append(env, "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1")
}

// sdk is the command line of the bare SDK loop over list (up or down) with
// files in flight, as the restricted user.
func (b *bench) sdk(name, mode, bucket, list string, files int) proc {
	env := append(baseEnv(filepath.Join(b.work, "tmp")),
		"AWS_ACCESS_KEY_ID="+b.s3.Restricted.AccessKey, "AWS_SECRET_ACCESS_KEY="+b.s3.Restricted.Secret)
	return proc{name: name, path: b.s.sdkloop, env: env, args: []string{"-mode", mode, "-list", list,
		"-endpoint", b.s3.Endpoint, "-bucket", bucket, "-region", b.s3.Region, "-c", fmt.Sprint(files),
		"-parts", "4", "-part-size", fmt.Sprint(50 << 20), "-threshold", fmt.Sprint(20 << 20)}}
}

// objectDir is where versitygw keeps the object (or the objects under the
// key prefix) key of bucket: a plain directory tree. The bench removes
// finished runs' data there rather than through thousands of DeleteObject
// calls.
func (b *bench) objectDir(bucket, key string) string {
	return filepath.Join(b.s3.Dir, "data", bucket, filepath.FromSlash(key))
}

// path is objectDir for a key of the variant's data set (under its prefix).
func (b *bench) path(v *variant, key string) string {
	return b.objectDir(v.bucket, path.Join(v.prefix, key))
}

// removeBackup deletes a node backup's objects (data and meta) and index
// entries from the variant's data set.
func (b *bench) removeBackup(v *variant, fqdn, name string) error {
	for _, p := range []string{fqdn + "/" + name, "index/backup_index/" + name} {
		if err := os.RemoveAll(b.path(v, p)); err != nil {
			return err
		}
	}
	return nil
}
