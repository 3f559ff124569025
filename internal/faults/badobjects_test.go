package faults_test

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/medusa-go/medusa/internal/layout"
)

// store is direct access to the suite's bucket (no proxy, admin rights).
type store struct {
	t *testing.T
	c *s3.Client
}

func newStore(t *testing.T) store { return store{t: t, c: bed.srv.Client(bed.srv.Admin)} }

func (s store) get(key string) []byte {
	s.t.Helper()
	out, err := s.c.GetObject(s.t.Context(), &s3.GetObjectInput{Bucket: &bed.srv.Bucket, Key: &key})
	if err != nil {
		s.t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return data
}

func (s store) put(key string, data []byte) {
	s.t.Helper()
	_, err := s.c.PutObject(s.t.Context(), &s3.PutObjectInput{Bucket: &bed.srv.Bucket, Key: &key, Body: bytes.NewReader(data)})
	if err != nil {
		s.t.Fatalf("put %s: %v", key, err)
	}
}

func (s store) del(key string) {
	s.t.Helper()
	if _, err := s.c.DeleteObject(s.t.Context(), &s3.DeleteObjectInput{Bucket: &bed.srv.Bucket, Key: &key}); err != nil {
		s.t.Fatalf("delete %s: %v", key, err)
	}
}

// keys lists the keys under prefix.
func (s store) keys(prefix string) []string {
	s.t.Helper()
	var out []string
	p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{Bucket: &bed.srv.Bucket, Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(s.t.Context())
		if err != nil {
			s.t.Fatal(err)
		}
		for _, o := range page.Contents {
			out = append(out, *o.Key)
		}
	}
	return out
}

// damage is one bad-object case: apply changes the bucket and returns the
// undo; flags says which commands must notice it.
type damage struct {
	name  string
	apply func(s store, l layout.Layout, fqdn string) (undo func())
	flags []string // among "verify", "status", "report", "restore"
	// backup is the backup the commands are asked about.
	backup string
}

// dataObject returns the key of the backup's first -Data.db object.
func dataObject(s store, l layout.Layout, fqdn string) string {
	for _, k := range s.keys(l.DataPrefix(fqdn, "good")) {
		if strings.HasSuffix(k, "-Data.db") {
			return k
		}
	}
	s.t.Fatal("the backup has no -Data.db object")
	return ""
}

// TestBadObjects damages a good backup in four ways, one at a time:
// verify, status, report-last-backup and restore-node each say so when
// the damage concerns what they read; the restore refuses before the node
// is touched.
func TestBadObjects(t *testing.T) {
	suite(t)
	e := newEnv(t, "bad", nil)
	e.must("backup", "--backup-name", "good", "--mode", "full")
	fqdn, l := bed.node.Host, layout.New(e.prefix)
	all := []string{"verify", "status", "report", "restore"}
	cases := []damage{
		{name: "same size, different bytes (re-uploaded)", backup: "good", flags: []string{"verify", "status", "restore"},
			apply: func(s store, l layout.Layout, fqdn string) func() {
				k := dataObject(s, l, fqdn)
				orig := s.get(k)
				bad := bytes.Clone(orig)
				bad[len(bad)/2] ^= 0xff
				s.put(k, bad)
				return func() { s.put(k, orig) }
			}},
		{name: "a deleted data object", backup: "good", flags: all,
			apply: func(s store, l layout.Layout, fqdn string) func() {
				k := dataObject(s, l, fqdn)
				orig := s.get(k)
				s.del(k)
				return func() { s.put(k, orig) }
			}},
		{name: "a garbage manifest", backup: "good", flags: all,
			apply: func(s store, l layout.Layout, fqdn string) func() {
				keys := []string{l.ManifestKey(fqdn, "good"), l.IndexManifestKey("good", fqdn)}
				orig := map[string][]byte{}
				for _, k := range keys {
					orig[k] = s.get(k)
					s.put(k, []byte(`{"keyspace": [garbage`))
				}
				return func() {
					for k, v := range orig {
						s.put(k, v)
					}
				}
			}},
		// The ghost's entries are dated a minute after good's, so it is the
		// newest backup of the index: the listing cannot drop it (only
		// backups older than one that exists are checked for their
		// meta/schema.cql), and report-last-backup must not take it for
		// the latest complete backup.
		{name: "index entries pointing nowhere", backup: "ghost", flags: all,
			apply: func(s store, l layout.Layout, fqdn string) func() {
				var made []string
				for _, k := range s.keys(l.BackupIndexPrefix("good")) {
					g := laterEpoch(strings.Replace(k, "/good/", "/ghost/", 1), 60)
					s.put(g, s.get(k))
					made = append(made, g)
				}
				return func() {
					for _, k := range made {
						s.del(k)
					}
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			s := newStore(t)
			row := record(t, outcome{Case: "bad object: " + c.name, Injected: c.name + " in backup " + c.backup})
			backed := checksums(t)
			pid := bed.node.PID()
			undo := c.apply(s, l, fqdn)
			defer undo()
			saw, flagged := badObjectRuns(e, c.backup)
			row.Saw = strings.Join(saw, "; ")
			for _, want := range c.flags {
				if !flagged[want] {
					t.Errorf("%s did not report the damage: %s", want, saw)
				}
			}
			if bed.node.PID() != pid {
				t.Error("Cassandra was restarted by a refused restore")
			}
			cassandraUp(t)
			if got := checksums(t); !maps.Equal(got, backed) {
				t.Errorf("rows changed by a refused restore:\n got %v\nwant %v", got, backed)
			}
			row.Check = fmt.Sprintf("reported by %v; the restore refused before touching the node (same PID, rows unchanged)", keys(flagged))
		})
	}
	e.t = t
	e.must("verify", "--backup-name", "good", "--enable-md5-checks")
}

// badObjectRuns runs the four commands about backup and says which of
// them reported a problem. report-last-backup runs first: verify and
// status of a backup whose files are gone remove its index entries.
func badObjectRuns(e *env, backup string) (saw []string, flagged map[string]bool) {
	flagged = map[string]bool{}
	rp := e.run("report-last-backup")
	flagged["report"] = rp.code != 0 || strings.Contains(rp.out, "- Finished: False") ||
		strings.Contains(rp.out, "is not counted as complete")
	v := e.run("verify", "--backup-name", backup, "--enable-md5-checks")
	flagged["verify"] = v.code != 0
	st := e.run("status", "--backup-name", backup)
	flagged["status"] = st.code != 0 || strings.Contains(st.out, "[Incomplete!]") ||
		strings.Contains(st.out, "[Damaged!]") || strings.Contains(st.out, "stored again since the backup")
	rs := e.run("restore-node", "--backup-name", backup, "--temp-dir", e.t.TempDir())
	flagged["restore"] = rs.code != 0
	for _, r := range []struct {
		n string
		r result
	}{{"verify", v}, {"status", st}, {"report-last-backup", rp}, {"restore-node", rs}} {
		saw = append(saw, r.n+" "+r.r.sawFirst(badObjectLine))
	}
	return saw, flagged
}

// badObjectLine is a line of status or report-last-backup that tells of
// the damage.
var badObjectLine = regexp.MustCompile(`of [0-9]+ objects|stored again|cannot be read|not counted as complete|No such backup`)

// laterEpoch adds seconds to the epoch of a started_/finished_ index key.
func laterEpoch(key string, seconds int64) string {
	m := regexp.MustCompile(`_([0-9]+)\.timestamp$`).FindStringSubmatchIndex(key)
	if m == nil {
		return key
	}
	epoch, _ := strconv.ParseInt(key[m[2]:m[3]], 10, 64)
	return key[:m[2]] + strconv.FormatInt(epoch+seconds, 10) + key[m[3]:]
}

func keys(m map[string]bool) []string {
	var out []string
	for _, k := range []string{"verify", "status", "report", "restore"} {
		if m[k] {
			out = append(out, k)
		}
	}
	return out
}
