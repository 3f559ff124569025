package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// case7Round deep-verifies the last full backup of case 1 (`verify
// --deep`: every object downloaded and hashed, nothing written) beside the
// bare SDK loop doing the same (the same keys streamed into an MD5), with
// 1 and 4 files in flight.
func (b *bench) case7Round(ctx context.Context, r *bigRun, round int) error {
	if r.lastFull == "" {
		return fmt.Errorf("no full backup to verify (case 1 did not run)")
	}
	data, err := os.ReadFile(r.sdkList)
	if err != nil {
		return err
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		_, key, _ := strings.Cut(l, "\t")
		lines = append(lines, "-\t"+key) // no local file: the loop only hashes
	}
	list := filepath.Join(b.work, "list-hash")
	if err := writeList(list, lines); err != nil {
		return err
	}
	b.res.setInfo(7, fmt.Sprintf("backup %s: %d files, %.2f GiB, each downloaded and hashed, nothing written",
		r.lastFull, len(lines), float64(r.fullSize)/(1<<30)))
	var steps []step
	for _, v := range r.goVs[1:] { // go-unl (1 file), go-c4 (4 files)
		files := 1
		if v.key == goTuned.key {
			files = 4
		}
		steps = append(steps,
			step{fmt.Sprintf("sdk-c%d-hash", files), fmt.Sprintf("bare SDK loop, %d file(s): download into an MD5", files),
				b.sdk(fmt.Sprintf("sdk-hash-c%d", files), "hash", r.sdk, list, files), nil},
			step{v.key, v.label + ": verify --deep", b.cmd(v, "verify-deep",
				"verify", "--backup-name", r.lastFull, "--deep"), nil})
	}
	for _, st := range rotate(steps, round-1) {
		s, err := b.measure(ctx, st.p)
		if err != nil {
			return err
		}
		s.bytes = r.fullSize
		b.res.add(7, st.key, st.label, s)
	}
	return nil
}
