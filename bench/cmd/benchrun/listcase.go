package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/testbed"
)

// The index of case 5 lives in go-def's bucket under this prefix; both
// tools read it there.
const listPrefix = "list"

// case5 measures list-backups over an index of s.backups backups: one
// real backup (a snapshot of system_schema, backed up by medusa) serves as
// the template of the others, whose index entries and meta files are
// copies with other names and times.
func (b *bench) case5(ctx context.Context, n *testbed.Node) error {
	vs := []*variant{}
	for _, v := range []*variant{goDefault, pyDefault} {
		if v.tool == "py" && b.s.skipPython {
			continue
		}
		sv, err := b.setupIn(ctx, v, "bench-"+goDefault.key, listPrefix, n)
		if err != nil {
			return err
		}
		vs = append(vs, sv)
	}
	old, err := b.before(ctx, goDefault, "bench-"+goDefault.key, listPrefix, n)
	if err != nil {
		return err
	}
	if old != nil {
		vs = append(vs, old)
	}
	const tmpl = "list-template"
	if _, err := b.nodetool(ctx, n, "snapshot", "-t", tmpl, "system_schema"); err != nil {
		return err
	}
	if _, err := b.measure(ctx, b.cmd(vs[0], "backup-template", "backup", "--backup-name", tmpl, "--mode", "full",
		"--use-existing-snapshot")); err != nil {
		return err
	}
	began := time.Now()
	if err := b.synthesize(ctx, vs[0].bucket, n.Host, tmpl, b.s.backups-1); err != nil {
		return err
	}
	b.log.Info("index filled", "backups", b.s.backups, "took", time.Since(began).Round(time.Second))
	b.res.setInfo(5, fmt.Sprintf("%d backups of node %s in the index (one real, the others copies of its index "+
		"entries and meta files)", b.s.backups, n.Host))
	for round := 1; round <= b.s.runs; round++ {
		for _, v := range rotate(vs, round-1) {
			p := b.cmd(v, "list-backups", "list-backups")
			s, err := b.measure(ctx, p)
			if err != nil {
				return err
			}
			if got := b.countListed(); got != b.s.backups {
				return fmt.Errorf("%s listed %d backups, want %d (see %s)", v.label, got, b.s.backups, b.lastLog)
			}
			b.res.add(5, v.key, v.label, s)
		}
	}
	return nil
}

// countListed counts the backups the last measured list-backups printed.
func (b *bench) countListed() int {
	data, err := os.ReadFile(b.lastLog)
	if err != nil {
		return -1
	}
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, " (started: ") {
			n++
		}
	}
	return n
}

// synthesize writes count more node backups into bucket, copying the
// index entries and meta files of backup tmpl: list-0000, list-0001, ...,
// started six hours apart before the template, each finished 5 minutes
// after its start.
func (b *bench) synthesize(ctx context.Context, bucket, fqdn, tmpl string, count int) error {
	cl := b.s3.Client(b.s3.Admin)
	get := func(key string) ([]byte, error) {
		out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return nil, fmt.Errorf("get %s: %w", key, err)
		}
		defer out.Body.Close()
		return io.ReadAll(out.Body)
	}
	meta := map[string][]byte{}
	for _, f := range []string{"schema.cql", "tokenmap.json", "server_version.json", "manifest.json"} {
		data, err := get(path.Join(listPrefix, fqdn, tmpl, "meta", f))
		if err != nil {
			return err
		}
		meta[f] = data
	}
	now := time.Now().Unix()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := range count {
		name := fmt.Sprintf("list-%04d", i)
		started := now - int64(count-i)*6*3600
		finished := started + 300
		idx := listPrefix + "/index/backup_index/" + name + "/"
		objects := map[string][]byte{
			idx + "tokenmap_" + fqdn + ".json":                            meta["tokenmap.json"],
			idx + "schema_" + fqdn + ".cql":                               meta["schema.cql"],
			idx + fmt.Sprintf("started_%s_%d.timestamp", fqdn, started):   []byte(fmt.Sprint(started)),
			idx + "manifest_" + fqdn + ".json":                            meta["manifest.json"],
			idx + fmt.Sprintf("finished_%s_%d.timestamp", fqdn, finished): []byte(fmt.Sprint(finished)),
		}
		for f, data := range meta {
			objects[path.Join(listPrefix, fqdn, name, "meta", f)] = data
		}
		for key, data := range objects {
			g.Go(func() error {
				_, err := cl.PutObject(gctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
					Body: bytes.NewReader(data)})
				if err != nil {
					return fmt.Errorf("put %s: %w", key, err)
				}
				return nil
			})
		}
	}
	return g.Wait()
}
