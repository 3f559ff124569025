package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medusa-go/medusa/internal/testbed"
)

// bigRun is the state of the large node's phase.
type bigRun struct {
	node     *testbed.Node
	goVs     []*variant // go-def, go-unl, go-c4, go-c4-enc
	pyVs     []*variant // py-def, py-tuned (none with BENCH_SKIP_PYTHON)
	sdk      string     // bucket of the SDK loop
	lastFull string     // name of the last full backup (restored by case 4)
	sdkList  string     // list of that round's SDK uploads, for downloads
	fullSize int64
}

func (r *bigRun) all() []*variant { return append(append([]*variant{}, r.goVs...), r.pyVs...) }

// best is each tool's best setting: go-c4 and py-tuned.
func (r *bigRun) best() []*variant {
	out := []*variant{r.goVs[2]}
	if len(r.pyVs) > 1 {
		out = append(out, r.pyVs[1])
	}
	return out
}

// bigPhase runs cases 1, 4, 7 and 3 on the large node.
func (b *bench) bigPhase(ctx context.Context) error {
	c, err := b.startNode(ctx, "big")
	if err != nil {
		return err
	}
	defer func() {
		if err := c.Stop(); err != nil {
			b.log.Warn("stop cassandra", "error", err)
		}
	}()
	r := &bigRun{node: c.Nodes[0], sdk: "bench-sdk"}
	enc, err := b.encryptedVariant()
	if err != nil {
		return err
	}
	for _, v := range []*variant{goDefault, goUnlimited, goTuned, enc} {
		sv, err := b.setup(ctx, v, "big", r.node)
		if err != nil {
			return err
		}
		r.goVs = append(r.goVs, sv)
	}
	if !b.s.skipPython {
		for _, v := range []*variant{pyDefault, pyTuned} {
			sv, err := b.setup(ctx, v, "big", r.node)
			if err != nil {
				return err
			}
			r.pyVs = append(r.pyVs, sv)
		}
	}
	if err := b.s3.NewBucket(ctx, r.sdk); err != nil {
		return err
	}
	b.buckets[r.sdk] = true
	if b.s.want(1) || b.s.want(4) || b.s.want(7) {
		for round := 1; round <= b.s.runs; round++ {
			if err := b.case1Round(ctx, r, round); err != nil {
				return fmt.Errorf("case 1, round %d: %w", round, err)
			}
		}
	}
	if b.s.want(4) {
		for round := 1; round <= b.s.runs; round++ {
			if err := b.case4Round(ctx, r, round); err != nil {
				return fmt.Errorf("case 4, round %d: %w", round, err)
			}
		}
		if err := b.restoreNode(ctx, r, r.best()); err != nil {
			return fmt.Errorf("case 4, restore-node: %w", err)
		}
	}
	if b.s.want(7) {
		for round := 1; round <= b.s.runs; round++ {
			if err := b.case7Round(ctx, r, round); err != nil {
				return fmt.Errorf("case 7, round %d: %w", round, err)
			}
		}
	}
	if b.s.want(3) {
		if err := b.case3(ctx, r); err != nil {
			return fmt.Errorf("case 3: %w", err)
		}
	}
	return nil
}

// case1Round: one full backup by every tool of the same snapshot, the
// SDK loop and raw reads of its files, and the half-size backups.
func (b *bench) case1Round(ctx context.Context, r *bigRun, round int) error {
	tag := fmt.Sprintf("full-r%d", round)
	s, err := b.nodetool(ctx, r.node, "snapshot", "-t", tag)
	if err != nil {
		return err
	}
	b.res.add(1, "snapshot", "nodetool snapshot (not part of the rows below)", s)
	files, total, err := snapshotFiles(r.node.DataDir, tag)
	if err != nil {
		return err
	}
	r.fullSize = total
	b.res.setInfo(1, fmt.Sprintf("%d files, %.2f GiB (%d Data.db files >= 100 MiB)", len(files),
		float64(total)/(1<<30), countLarge(files)))
	var lines []string
	for _, f := range files {
		lines = append(lines, f.path+"\t"+fmt.Sprintf("big/%s/%s/data/%s/%s/%s", r.node.Host, tag, f.ks, f.table, f.rel))
	}
	list := filepath.Join(b.work, "list-"+tag)
	if err := writeList(list, lines); err != nil {
		return err
	}
	steps, old, err := b.case1Steps(ctx, r, round, tag, list)
	if err != nil {
		return err
	}
	for _, st := range append(steps[:2:2], rotate(steps[2:], round-1)...) { // raw reads first
		s, err := b.measure(ctx, st.p)
		if err != nil {
			return err
		}
		s.bytes = total
		b.res.add(1, st.key, st.label, s)
		// Only the last round's backups are kept (case 4 restores them);
		// the others are removed at once, so that the S3 server's files
		// of a round never fill the memory (12 GiB a round at 2 GiB).
		if st.cleanup != nil && round < b.s.runs {
			if err := st.cleanup(); err != nil {
				return err
			}
		}
	}
	if old != nil {
		if err := b.removeBackup(old, r.node.Host, tag); err != nil {
			return err
		}
	}
	if err := b.halfSize(ctx, r, round); err != nil {
		return err
	}
	if _, err := b.nodetool(ctx, r.node, "clearsnapshot", "-t", tag); err != nil {
		return err
	}
	r.lastFull, r.sdkList = tag, list
	return b.dropRound(r, round-1)
}

// case1Steps lists the measured commands of a case-1 round: raw reads,
// the SDK loop, every variant's backup of snapshot tag and, in the first
// round, the BENCH_BEFORE binary's (returned as old, to be removed).
func (b *bench) case1Steps(ctx context.Context, r *bigRun, round int, tag, list string) ([]step, *variant, error) {
	full := []string{"backup", "--backup-name", tag, "--mode", "full", "--use-existing-snapshot", "--keep-snapshot"}
	sdkClean := func() error { return os.RemoveAll(b.objectDir(r.sdk, "big/"+r.node.Host+"/"+tag)) }
	steps := []step{
		{"disk", "raw read, page cache (one file at a time)", proc{name: "diskread", path: b.s.diskread,
			args: []string{"-list", list}, env: baseEnv(os.TempDir())}, nil},
		{"disk-direct", "raw read, O_DIRECT (the device)", proc{name: "diskread-direct", path: b.s.diskread,
			args: []string{"-list", list, "-direct"}, env: baseEnv(os.TempDir())}, nil},
		{"sdk-c1", "bare SDK loop, 1 file x 4 parts", b.sdk("sdk-up-c1", "up", r.sdk, list, 1), sdkClean},
	}
	if round == 1 { // what signing each body (SHA-256 on both sides) costs
		p := b.sdk("sdk-up-c1-unsigned", "up", r.sdk, list, 1)
		p.args = append(p.args, "-unsigned-payload")
		steps = append(steps, step{"sdk-c1-unsigned", "bare SDK loop, 1 file, UNSIGNED-PAYLOAD (first round only)", p, sdkClean})
	}
	for _, v := range r.all() {
		if v.key == goTuned.key {
			steps = append(steps, step{"sdk-c4", "bare SDK loop, 4 files x 4 parts", b.sdk("sdk-up-c4", "up", r.sdk, list, 4), sdkClean})
		}
		steps = append(steps, step{v.key, v.label, b.cmd(v, "backup-full", full...),
			func() error { return b.removeBackup(v, r.node.Host, tag) }})
	}
	if round != 1 {
		return steps, nil, nil
	}
	old, err := b.before(ctx, r.goVs[0], r.goVs[0].bucket, "big-before", r.node)
	if err != nil || old == nil {
		return steps, nil, err
	}
	return append(steps, step{old.key, old.label, b.cmd(old, "backup-full", full...), nil}), old, nil
}

// dropRound removes the full backups of a round (none for round 0): only
// the last round's are kept, for case 4.
func (b *bench) dropRound(r *bigRun, round int) error {
	if round >= 1 {
		prev := fmt.Sprintf("full-r%d", round)
		for _, v := range r.all() {
			if err := b.removeBackup(v, r.node.Host, prev); err != nil {
				return err
			}
		}
		if err := os.RemoveAll(b.objectDir(r.sdk, "big/"+r.node.Host+"/"+prev)); err != nil {
			return err
		}
	}
	return nil
}

// halfSize backs up a snapshot of one keyspace (half the data) with Go at
// defaults: peak RSS must not grow with the data size.
func (b *bench) halfSize(ctx context.Context, r *bigRun, round int) error {
	tag := fmt.Sprintf("half-r%d", round)
	if _, err := b.nodetool(ctx, r.node, "snapshot", "-t", tag, bigHalfKS); err != nil {
		return err
	}
	_, total, err := snapshotFiles(r.node.DataDir, tag)
	if err != nil {
		return err
	}
	for _, v := range r.goVs[:1] {
		s, err := b.measure(ctx, b.cmd(v, "backup-half", "backup", "--backup-name", tag, "--mode", "full",
			"--use-existing-snapshot", "--keep-snapshot"))
		if err != nil {
			return err
		}
		s.bytes = total
		b.res.add(1, v.key+"-half", fmt.Sprintf("%s: half the data (%.2f GiB)", v.label, float64(total)/(1<<30)), s)
		if err := b.removeBackup(v, r.node.Host, tag); err != nil {
			return err
		}
	}
	_, err = b.nodetool(ctx, r.node, "clearsnapshot", "-t", tag)
	return err
}

func countLarge(files []snapFile) int {
	n := 0
	for _, f := range files {
		if f.size >= 100<<20 {
			n++
		}
	}
	return n
}
