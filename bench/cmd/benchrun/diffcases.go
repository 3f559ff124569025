package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/medusa-go/medusa/internal/testbed"
)

// seedPools makes one differential backup of snapshot tag with the first
// variant (measured as an informative row) and hard-links the resulting
// pool into the buckets of the others, so that every tool starts from the
// same pool (the objects are the same whichever tool uploads them: same
// keys, sizes and ETags).
func (b *bench) seedPools(ctx context.Context, caseN int, n *testbed.Node, tag string, vs []*variant) error {
	s, err := b.measure(ctx, b.cmd(vs[0], "backup-base", "backup", "--backup-name", tag, "--mode", "differential",
		"--use-existing-snapshot", "--keep-snapshot"))
	if err != nil {
		return err
	}
	_, s.bytes, err = snapshotFiles(n.DataDir, tag)
	if err != nil {
		return err
	}
	b.res.add(caseN, "base", vs[0].label+": the first differential backup (every file new)", s)
	src := b.path(vs[0], n.Host+"/data")
	for _, v := range vs[1:] {
		if err := hardlinkTree(ctx, src, b.path(v, n.Host+"/data")); err != nil {
			return err
		}
	}
	return nil
}

// newBytes sums the snapshot files the pool of v does not hold yet (by key
// and size): what a differential backup has to upload.
func (b *bench) newBytes(n *testbed.Node, v *variant, tag string) (int, int64, error) {
	files, _, err := snapshotFiles(n.DataDir, tag)
	if err != nil {
		return 0, 0, err
	}
	count, total := 0, int64(0)
	for _, f := range files {
		key := path.Join(n.Host, "data", f.ks, f.table, f.rel)
		fi, err := os.Stat(b.path(v, key))
		if err == nil && fi.Size() == f.size {
			continue
		}
		count++
		total += f.size
	}
	return count, total, nil
}

// case3 is the differential backup with 5% new data: each round writes 5%
// of the node's size into a new table, flushes, snapshots, and every tool
// backs it up differentially into its own (identical) pool.
func (b *bench) case3(ctx context.Context, r *bigRun) error {
	vs := append([]*variant{r.goVs[2]}, r.goVs[:2]...) // seed with go-c4, the fastest
	vs = append(vs, r.pyVs...)
	if _, err := b.nodetool(ctx, r.node, "snapshot", "-t", "diff-base"); err != nil {
		return err
	}
	if err := b.seedPools(ctx, 3, r.node, "diff-base", vs); err != nil {
		return err
	}
	if _, err := b.nodetool(ctx, r.node, "clearsnapshot", "-t", "diff-base"); err != nil {
		return err
	}
	delta := b.s.bigBytes() / 20
	for round := 1; round <= b.s.runs; round++ {
		if err := addDelta(ctx, r.node, round, delta); err != nil {
			return err
		}
		tag := fmt.Sprintf("diff-r%d", round)
		if _, err := b.nodetool(ctx, r.node, "snapshot", "-t", tag); err != nil {
			return err
		}
		count, bytes, err := b.newBytes(r.node, vs[0], tag)
		if err != nil {
			return err
		}
		b.res.setInfo(3, fmt.Sprintf("per round: %.0f MiB written to a new table and flushed; "+
			"%d new files, %.0f MiB to upload (last round)", float64(delta)/(1<<20), count, float64(bytes)/(1<<20)))
		for _, v := range rotate(vs, round-1) {
			s, err := b.measure(ctx, b.cmd(v, "backup-diff", "backup", "--backup-name", tag, "--mode", "differential",
				"--use-existing-snapshot", "--keep-snapshot"))
			if err != nil {
				return err
			}
			s.bytes = bytes
			b.res.add(3, v.key, v.label, s)
		}
		if _, err := b.nodetool(ctx, r.node, "clearsnapshot", "-t", tag); err != nil {
			return err
		}
	}
	return cql(ctx, r.node, "DROP KEYSPACE IF EXISTS "+deltaKS)
}

// case2 is the differential backup with nothing new over the many-files
// node: the pool already holds every file, so the time is listing,
// comparing and writing the manifest and index. The snapshot is taken
// beforehand (its time is a row of its own) and kept (cleared after).
func (b *bench) case2(ctx context.Context, n *testbed.Node) error {
	var vs []*variant
	for _, v := range []*variant{goTuned, goDefault, pyDefault} {
		if v.tool == "py" && b.s.skipPython {
			continue
		}
		sv, err := b.setup(ctx, v, "many", n)
		if err != nil {
			return err
		}
		vs = append(vs, sv)
	}
	if _, err := b.nodetool(ctx, n, "snapshot", "-t", "many-base"); err != nil {
		return err
	}
	if err := b.seedPools(ctx, 2, n, "many-base", vs); err != nil {
		return err
	}
	if err := b.sdkSmallFiles(ctx, n, "many-base", vs[0].label); err != nil {
		return err
	}
	if _, err := b.nodetool(ctx, n, "clearsnapshot", "-t", "many-base"); err != nil {
		return err
	}
	for round := 1; round <= b.s.runs; round++ {
		tag := fmt.Sprintf("many-r%d", round)
		s, err := b.nodetool(ctx, n, "snapshot", "-t", tag)
		if err != nil {
			return err
		}
		b.res.add(2, "snapshot", "nodetool snapshot (excluded from the rows below)", s)
		files, total, err := snapshotFiles(n.DataDir, tag)
		if err != nil {
			return err
		}
		count, _, err := b.newBytes(n, vs[1], tag)
		if err != nil {
			return err
		}
		b.res.setInfo(2, fmt.Sprintf("%d files (%.0f MiB) in the snapshot, %d of them not in the pool (system tables)",
			len(files), float64(total)/(1<<20), count))
		for _, v := range rotate(vs[1:], round-1) {
			s, err := b.measure(ctx, b.cmd(v, "backup-nothing-new", "backup", "--backup-name", tag,
				"--mode", "differential", "--use-existing-snapshot", "--keep-snapshot"))
			if err != nil {
				return err
			}
			b.res.add(2, v.key, v.label, s)
		}
		if _, err := b.nodetool(ctx, n, "clearsnapshot", "-t", tag); err != nil {
			return err
		}
	}
	return nil
}

// manyPhase runs cases 2 and 5 on the many-files node.
func (b *bench) manyPhase(ctx context.Context) error {
	c, err := b.startNode(ctx, "many")
	if err != nil {
		return err
	}
	defer func() {
		if err := c.Stop(); err != nil {
			b.log.Warn("stop cassandra", "error", err)
		}
	}()
	n := c.Nodes[0]
	if b.s.want(2) {
		if err := b.case2(ctx, n); err != nil {
			return fmt.Errorf("case 2: %w", err)
		}
	}
	if b.s.want(5) {
		if err := b.case5(ctx, n); err != nil {
			return fmt.Errorf("case 5: %w", err)
		}
	}
	return nil
}

// lineCount counts the non-empty lines of s.
func lineCount(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

// sdkSmallFiles uploads the files of snapshot tag with the bare SDK loop
// (4 files in flight), for comparison with the first differential backup
// of the many-files node: the cost per file rather than per byte.
func (b *bench) sdkSmallFiles(ctx context.Context, n *testbed.Node, tag, like string) error {
	files, total, err := snapshotFiles(n.DataDir, tag)
	if err != nil {
		return err
	}
	var lines []string
	for _, f := range files {
		lines = append(lines, f.path+"\t"+path.Join("many", n.Host, "data", f.ks, f.table, f.rel))
	}
	list := filepath.Join(b.work, "list-"+tag)
	if err := writeList(list, lines); err != nil {
		return err
	}
	const bucket = "bench-sdk"
	if !b.buckets[bucket] {
		if err := b.s3.NewBucket(ctx, bucket); err != nil {
			return err
		}
		b.buckets[bucket] = true
	}
	s, err := b.measure(ctx, b.sdk("sdk-up-many", "up", bucket, list, 4))
	if err != nil {
		return err
	}
	s.bytes = total
	b.res.add(2, "sdk-base", fmt.Sprintf("bare SDK loop, 4 files: the same %d files (compare with the row above)", len(files)), s)
	return os.RemoveAll(b.objectDir(bucket, "many"))
}
