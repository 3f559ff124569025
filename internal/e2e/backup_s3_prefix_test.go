package e2e

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/testbed"
)

// TestS3RestrictedPrefixCommands runs the node-backup scenario through the
// CLI on S3 as the user restricted to Medusa's MedusaStorageStrategy
// policy, with prefix = tenant1: every key in the bucket is under tenant1/
// and parses with the layout's parsers; verify passes on every backup, then
// fails naming the object when one object of the full backup is deleted
// ("Doesn't exists") or one of the differential backup is truncated ("Blob
// different"), while the backups not involved still verify.
func TestS3RestrictedPrefixCommands(t *testing.T) {
	n := testNode(t)
	srv := testbed.S3T(t)
	keyFile := filepath.Join(t.TempDir(), "credentials")
	if err := srv.WriteKeyFile(keyFile, srv.Restricted); err != nil {
		t.Fatal(err)
	}
	cs := writeNodeINI(t, n, map[string]string{
		"storage_provider":            "s3_compatible",
		"bucket_name":                 srv.Bucket,
		"prefix":                      "tenant1",
		"host":                        srv.Host,
		"port":                        fmt.Sprint(srv.Port),
		"secure":                      "False",
		"region":                      srv.Region,
		"key_file":                    keyFile,
		"multi_part_upload_threshold": "16KB", // bigger files are multipart uploads ("<md5>-1" ETags)
		"concurrent_transfers":        "4",
	})
	bk := fullAndDifferentials(t, n, cs, "s3", 22000)
	checkListedAndVerified(t, cs, bk.full, bk.diff1, bk.diff2)
	checkKeysUnderPrefix(t, cs)

	admin := srv.Client(srv.Admin)
	gone := pickObject(t, cs.manifestPaths(t, bk.full), nil)
	if _, err := admin.DeleteObject(t.Context(), &awss3.DeleteObjectInput{Bucket: aws.String(srv.Bucket),
		Key: aws.String(gone)}); err != nil {
		t.Fatal(err)
	}
	expectVerifyFailure(t, cs, bk.full, "  - ["+gone+"] Doesn't exists")
	cs.mustMedusa(t, "verify", "--backup-name", bk.diff2)

	// An object only the second differential backup references.
	cut := pickObject(t, cs.manifestPaths(t, bk.diff2), cs.manifestPaths(t, bk.diff1))
	obj, err := admin.GetObject(t.Context(), &awss3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String(cut)})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutObject(t.Context(), &awss3.PutObjectInput{Bucket: aws.String(srv.Bucket),
		Key: aws.String(cut), Body: bytes.NewReader(data[:len(data)/2])}); err != nil {
		t.Fatal(err)
	}
	expectVerifyFailure(t, cs, bk.diff2, "  - ["+cut+"] Blob different")
	cs.mustMedusa(t, "verify", "--backup-name", bk.diff1)
}

// pickObject returns a fixture table's Data.db file of paths that is not
// in exclude (verify ignores *-Statistics.db and only warns on
// *-Summary.db, so those would prove nothing).
func pickObject(t *testing.T, paths, exclude []string) string {
	t.Helper()
	for _, p := range paths {
		if isFixtureKey(p) && strings.HasSuffix(p, "-Data.db") && !slices.Contains(exclude, p) {
			return p
		}
	}
	t.Fatalf("no fixture Data.db file among %d manifest paths (excluding %d)", len(paths), len(exclude))
	return ""
}

// expectVerifyFailure runs verify on backup and wants exit code 1 with
// "Manifest validation: Failed!" and exactly the one error line given.
func expectVerifyFailure(t *testing.T, cs *cliStore, backup, line string) {
	t.Helper()
	out, code := cs.medusa(t, "verify", "--backup-name", backup)
	var problems []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  - [") {
			problems = append(problems, l)
		}
	}
	if code != 1 || !strings.Contains(out, "- Manifest validation: Failed!") || !slices.Equal(problems, []string{line}) {
		t.Fatalf("verify %s: exit %d, want 1 with the single problem %q:\n%s", backup, code, line, out)
	}
}

// checkLayoutKey reports a key that is not one of the bucket format's patterns for node
// fqdn under the layout's prefix: an index entry (parsed by
// ParseIndexKey), a latest-backup marker, a data file (ParseDataKey) or a
// meta file of a backup.
func checkLayoutKey(l layout.Layout, fqdn, key string) error {
	if !strings.HasPrefix(key, l.KeyPrefix()) {
		return fmt.Errorf("%s is outside prefix %q", key, l.KeyPrefix())
	}
	if strings.HasPrefix(key, l.BackupIndexListPrefix()+"/") {
		e, err := l.ParseIndexKey(key)
		if err == nil && e.FQDN != fqdn {
			err = fmt.Errorf("index entry %s names node %q, want %q", key, e.FQDN, fqdn)
		}
		return err
	}
	if key == l.LatestBackupNameKey(fqdn) || key == l.LatestTokenmapKey(fqdn) {
		return nil
	}
	if r, err := l.ParseDataKey(key); err == nil {
		if r.FQDN != fqdn || r.Keyspace == "" || r.TableDir == "" || r.File == "" {
			return fmt.Errorf("data key %s parses to %+v", key, r)
		}
		return nil
	}
	backup, file, ok := strings.Cut(strings.TrimPrefix(key, l.NodePrefix(fqdn)), "/meta/")
	metaFiles := []string{layout.SchemaFile, layout.TokenmapFile, layout.ServerVersionFile,
		layout.DifferentialFile, layout.ManifestFile, layout.DroppedColumnsFile}
	if ok && slices.Contains(metaFiles, file) && key == l.MetaKey(fqdn, backup, file) &&
		layout.ValidateBackupName(backup) == nil {
		return nil
	}
	return fmt.Errorf("%s matches none of the layout's key patterns", key)
}
