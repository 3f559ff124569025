package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/testbed"
)

// TestDeepVerifyFindsChangedBytes backs up the shared node to the S3 test
// server (versitygw) and changes one byte of two stored data files in the
// server's backing directory: one stored in one PutObject (hex MD5 ETag),
// one as a multipart upload ("<md5>-1" ETag). versitygw keeps an object's
// ETag in an extended attribute of its file, which an in-place write keeps:
// the server still reports the recorded size and ETag. Plain verify and
// verify --enable-md5-checks pass; verify --deep fails and names both
// objects, and a deep verify of a sample with a seed reads the same objects
// twice.
func TestDeepVerifyFindsChangedBytes(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)
	keyFile := filepath.Join(t.TempDir(), "credentials")
	if err := srv.WriteKeyFile(keyFile, srv.Restricted); err != nil {
		t.Fatal(err)
	}
	cs := writeNodeINI(t, n, map[string]string{
		"storage_provider":            "s3_compatible",
		"bucket_name":                 srv.Bucket,
		"host":                        srv.Host,
		"port":                        fmt.Sprint(srv.Port),
		"secure":                      "False",
		"region":                      srv.Region,
		"key_file":                    keyFile,
		"multi_part_upload_threshold": "4KB", // bigger files are multipart uploads
		"concurrent_transfers":        "2",
	})
	const name = "deep-full"
	cs.mustMedusa(t, "backup", "--backup-name", name, "--mode", "full")
	if out := cs.mustMedusa(t, "verify", "--backup-name", name, "--deep"); !strings.Contains(out, "- Content validated: OK!!") {
		t.Fatalf("deep verify of the intact backup:\n%s", out)
	}

	single, multi := pickByETag(t, cs, name)
	admin := srv.Client(srv.Admin)
	for _, key := range []string{single, multi} {
		head := func() (int64, string) {
			h, err := admin.HeadObject(t.Context(), &awss3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			return aws.ToInt64(h.ContentLength), aws.ToString(h.ETag)
		}
		size, etag := head()
		flipByte(t, filepath.Join(srv.Dir, "data", srv.Bucket, filepath.FromSlash(key))) // in place: its xattrs stay
		if s, e := head(); s != size || e != etag {
			t.Fatalf("%s: the server reports size %d, ETag %s after the change, was %d, %s", key, s, e, size, etag)
		}
		t.Logf("changed one byte of %s (%d bytes, ETag %s kept)", key, size, etag)
	}

	for _, args := range [][]string{{}, {"--enable-md5-checks"}} {
		out := cs.mustMedusa(t, append([]string{"verify", "--backup-name", name}, args...)...)
		if !strings.Contains(out, "- Manifest validated: OK!!") {
			t.Errorf("verify %v:\n%s", args, out)
		}
	}
	out, code := cs.medusa(t, "verify", "--backup-name", name, "--deep")
	var problems []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  - [") {
			problems = append(problems, l)
		}
	}
	want := []string{"  - [" + multi + "] Content differs from the manifest", "  - [" + single + "] Content differs from the manifest"}
	slices.Sort(want)
	if code != 1 || !strings.Contains(out, "- Manifest validated: OK!!\n") || !strings.Contains(out, "- Content validation: Failed!\n") ||
		len(problems) != 2 || !strings.HasPrefix(problems[0], want[0]) || !strings.HasPrefix(problems[1], want[1]) {
		t.Fatalf("verify --deep: exit %d, want 1 naming %s and %s:\n%s", code, single, multi, out)
	}

	sample := func() string { // the result lines, without the log lines
		out, _ := cs.medusa(t, "verify", "--backup-name", name, "--deep", "--sample", "30", "--seed", "7")
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "  - [") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	if a, b := sample(), sample(); a != b || !strings.Contains(a, "% sample, seed 7)") {
		t.Errorf("two deep verifies of the same sample differ:\n%s\nthen:\n%s", a, b)
	}
}

// pickByETag returns a fixture table's file of backup stored in one
// PutObject and one stored as a multipart upload (*-Statistics.db and
// *-Summary.db files left out: verify ignores the ones and only warns
// about the others).
func pickByETag(t *testing.T, cs *cliStore, backup string) (single, multi string) {
	t.Helper()
	for _, s := range readManifest(t, cs.b, cs.layout().ManifestKey(cs.fqdn, backup)) {
		for _, o := range s.Objects {
			if !isFixtureKey(o.Path) || strings.HasSuffix(o.Path, "-Statistics.db") ||
				strings.HasSuffix(o.Path, "-Summary.db") || o.MD5 == nil || o.Size == 0 {
				continue
			}
			if strings.Contains(*o.MD5, "-") && multi == "" {
				multi = o.Path
			} else if !strings.Contains(*o.MD5, "-") && single == "" {
				single = o.Path
			}
		}
	}
	if single == "" || multi == "" {
		t.Fatalf("backup %s: want a fixture file with a plain ETag (%q) and one with a multipart ETag (%q)",
			backup, single, multi)
	}
	return single, multi
}
