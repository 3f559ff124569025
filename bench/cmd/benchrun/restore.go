package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// case4Round downloads the last full backup with every tool: the SDK loop
// (same keys, 1 and 4 files in flight), Python Medusa's `download` and
// ours.
func (b *bench) case4Round(ctx context.Context, r *bigRun, round int) error {
	if r.lastFull == "" {
		return fmt.Errorf("no full backup to restore (case 1 did not run)")
	}
	dest := filepath.Join(b.work, "restore")
	data, err := os.ReadFile(r.sdkList)
	if err != nil {
		return err
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		_, key, _ := strings.Cut(l, "\t")
		lines = append(lines, filepath.Join(dest, filepath.FromSlash(key))+"\t"+key)
	}
	list := filepath.Join(b.work, "list-restore")
	if err := writeList(list, lines); err != nil {
		return err
	}
	b.res.setInfo(4, fmt.Sprintf("backup %s: %d files, %.2f GiB, downloaded into an empty directory",
		r.lastFull, len(lines), float64(r.fullSize)/(1<<30)))
	steps := []step{{"sdk-c1", "bare SDK loop, 1 file", b.sdk("sdk-down-c1", "down", r.sdk, list, 1), nil}}
	// The same work as medusa's download: the MD5 of every byte (its check
	// against the manifest) and an fsync of every file (durable before
	// the restore goes on), which the bare loop leaves out.
	for _, c := range []int{1, 4} {
		p := b.sdk(fmt.Sprintf("sdk-down-c%d-md5-fsync", c), "down", r.sdk, list, c)
		p.args = append(p.args, "-md5", "-fsync")
		steps = append(steps, step{fmt.Sprintf("sdk-c%d-same", c),
			fmt.Sprintf("bare SDK loop, %d file(s), plus MD5 of every byte and fsync of every file", c), p, nil})
	}
	hasDownload := b.hasCommand(ctx, "download")
	if !hasDownload {
		b.res.setInfo(4, b.res.info[4]+"; **medusa (Go) has no `download` command yet: its rows are missing**")
	}
	for _, v := range r.all() {
		if v.tool == "go" && !hasDownload {
			continue
		}
		if v.key == goTuned.key {
			steps = append(steps, step{"sdk-c4", "bare SDK loop, 4 files", b.sdk("sdk-down-c4", "down", r.sdk, list, 4), nil})
		}
		steps = append(steps, step{v.key, v.label + ": download", b.cmd(v, "download",
			"download", "--backup-name", r.lastFull, "--download-destination", dest), nil})
	}
	if round == 1 && hasDownload {
		old, err := b.before(ctx, r.goVs[1], r.goVs[1].bucket, r.goVs[1].prefix, r.node)
		if err != nil {
			return err
		}
		if old != nil {
			steps = append(steps, step{old.key, old.label + ": download", b.cmd(old, "download",
				"download", "--backup-name", r.lastFull, "--download-destination", dest), nil})
		}
	}
	for _, st := range rotate(steps, round-1) {
		if err := os.RemoveAll(dest); err != nil {
			return err
		}
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return err
		}
		s, err := b.measure(ctx, st.p)
		if err != nil {
			return err
		}
		s.bytes = r.fullSize
		b.res.add(4, st.key, st.label, s)
	}
	return os.RemoveAll(dest)
}

// hasCommand reports whether the medusa binary under test knows command.
func (b *bench) hasCommand(ctx context.Context, command string) bool {
	return exec.CommandContext(ctx, b.s.medusa, command, "--help").Run() == nil
}

// restoreNode measures restore-node in place (download, check, stop,
// place, start and wait for the node) with each tool's best settings,
// once: each run restarts Cassandra. The backup holds what the node holds,
// so the data set stays the same; the cache marker is removed meanwhile so
// that a failed restore makes the next `make bench` rebuild the node.
func (b *bench) restoreNode(ctx context.Context, r *bigRun, vs []*variant) error {
	marker := filepath.Join(filepath.Dir(r.node.Dir), dataMarker)
	saved, err := os.ReadFile(marker)
	if err != nil {
		return err
	}
	if err := os.Remove(marker); err != nil {
		return err
	}
	for _, v := range vs {
		tmp := filepath.Join(b.work, "restore-tmp")
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			return err
		}
		s, err := b.measure(ctx, b.cmd(v, "restore-node", "restore-node", "--backup-name", r.lastFull, "--temp-dir", tmp))
		if err != nil {
			return err
		}
		if err := r.node.WaitCQL(ctx); err != nil {
			return fmt.Errorf("after %s: %w", v.label, err)
		}
		files, err := countFiles(filepath.Join(r.node.DataDir, bigHalfKS))
		if err != nil || files == 0 {
			return fmt.Errorf("after %s: %s holds %d files (%v)", v.label, bigHalfKS, files, err)
		}
		s.bytes = r.fullSize
		b.res.add(4, v.key+"-restore-node", v.label+": restore-node (download, check, stop, place, start)", s)
		if err := os.RemoveAll(tmp); err != nil {
			return err
		}
	}
	return os.WriteFile(marker, saved, 0o644)
}
