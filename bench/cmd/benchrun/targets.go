package main

import "fmt"

// target is one line of the targets table.
type target struct {
	what, measured string
	ok             *bool // nil: not measured
}

func (t target) verdict() string {
	switch {
	case t.ok == nil:
		return "n/a"
	case *t.ok:
		return "yes"
	default:
		return "**no**"
	}
}

func (b *bench) targets() []target {
	var out []target
	for _, c := range []struct {
		n    int
		what string
	}{{1, "backup"}, {4, "restore"}, {3, "differential backup, 5% new"}} {
		out = append(out,
			b.rateRatio(c.n, "go-unl", "sdk-c1", 0.9, c.what+" (1 file, unlimited) >= 0.9x bare SDK loop (1 file)"),
			b.rateRatio(c.n, "go-c4", "sdk-c4", 0.9, c.what+" (4 files) >= 0.9x bare SDK loop (4 files)"),
			b.rateRatio(c.n, "go-def", "py-def", 5, c.what+": defaults >= 5x Python Medusa at defaults (both capped at 50MB/s: the cap sets this ratio)"),
			b.rateRatio(c.n, "go-unl", "py-def", 5, c.what+": defaults but bandwidth unlimited >= 5x Python Medusa at defaults"),
			b.rateRatio(c.n, "go-c4", "py-tuned", 2, c.what+": best (4 files) >= 2x Python Medusa at its best"),
			b.rssMax(c.n, "go-def", 150, c.what+": peak RSS <= 150 MiB at defaults"),
		)
	}
	out = append(out,
		b.rateRatio(4, "go-unl", "sdk-c1-same", 0.9, "restore (1 file, unlimited) >= 0.9x bare SDK loop doing the same work (1 file, MD5, fsync)"),
		b.rateRatio(4, "go-c4", "sdk-c4-same", 0.9, "restore (4 files) >= 0.9x bare SDK loop doing the same work (4 files, MD5, fsync)"))
	out = append(out, b.rateRatio(4, "go-c4-restore-node", "py-tuned-restore-node", 2,
		"restore-node (download and place), best settings: >= 2x Python Medusa at its best"),
		b.rssGrowth("go-def"),
		b.wallMax(2, "go-def", 2, "differential, nothing new, 10,000+ files: < 2 s beyond the snapshot"),
		b.speedup(2, "go-def", "py-def", "differential, nothing new: speed-up over Python Medusa (defaults)"),
		b.wallMax(5, "go-def", 2, "list-backups with the index full: < 2 s"),
		b.speedup(5, "go-def", "py-def", "list-backups: speed-up over Python Medusa"),
		b.wallBelow(6, "go-cluster-pu3", "go-hand", 0, "backup-cluster -pu 3: wall time below the node backups run one after another"),
		b.wallBelow(6, "go-cluster-pu1", "go-hand", 2, "backup-cluster (-pu 1): orchestration cost (wall time beyond the node backups run one after another) < 2 s"),
		b.wallBelow(6, "go-restore-cluster", "go-restore-hand", 2, "restore-cluster in place: orchestration cost (wall time beyond the node restores run one after another) < 2 s"),
		b.speedup(6, "go-cluster-pu1", "py-cluster", "backup-cluster (-pu 1): speed-up over Python Medusa's backup-cluster"),
		b.speedup(6, "go-restore-cluster", "py-restore-cluster", "restore-cluster in place: speed-up over Python Medusa's restore-cluster"),
		b.rateRatio(7, "go-unl", "sdk-c1-hash", 0.9, "deep verify (1 file, unlimited) >= 0.9x bare download-and-hash loop (1 file)"),
		b.rateRatio(7, "go-c4", "sdk-c4-hash", 0.9, "deep verify (4 files) >= 0.9x bare download-and-hash loop (4 files)"),
		b.rssMax(7, "go-c4", 150, "deep verify: peak RSS <= 150 MiB (4 files)"),
		b.rateRatio(1, "go-c4-enc", "go-c4", 0.85, "backup with client-side encryption (4 files) >= 0.85x the same without"),
		b.rateRatio(4, "go-c4-enc", "go-c4", 0.85, "restore (download) with client-side encryption (4 files) >= 0.85x the same without"),
		b.rateRatio(7, "go-c4-enc", "go-c4", 0.85, "deep verify with client-side encryption (4 files) >= 0.85x the same without"))
	var kept []target
	for _, t := range out {
		if t.what != "" {
			kept = append(kept, t)
		}
	}
	return kept
}

func boolp(v bool) *bool { return &v }

// rateRatio compares median MB/s of two rows of a case.
func (b *bench) rateRatio(c int, a, base string, min float64, what string) target {
	ra, rb := b.res.get(c, a), b.res.get(c, base)
	if ra == nil || rb == nil {
		return target{}
	}
	x := ra.mbps().med / rb.mbps().med
	best := ra.mbps().max / rb.mbps().max
	return target{what: what, ok: boolp(x >= min),
		measured: fmt.Sprintf("%.2fx (%.0f vs %.0f MB/s; best runs %.2fx)", x, ra.mbps().med, rb.mbps().med, best)}
}

func (b *bench) rssMax(c int, key string, maxMiB float64, what string) target {
	r := b.res.get(c, key)
	if r == nil {
		return target{}
	}
	s := r.rssMiB()
	return target{what: what, ok: boolp(s.max <= maxMiB), measured: fmt.Sprintf("max %.0f MiB (median %.0f)", s.max, s.med)}
}

// rssGrowth compares the peak RSS of a full backup with that of half the
// data: not growing means within 10% + 8 MiB.
func (b *bench) rssGrowth(key string) target {
	full, half := b.res.get(1, key), b.res.get(1, key+"-half")
	if full == nil || half == nil {
		return target{}
	}
	f, h := full.rssMiB().med, half.rssMiB().med
	return target{what: fmt.Sprintf("peak RSS does not grow with data size (%s, half vs full data)", key),
		ok: boolp(f <= h*1.1+8), measured: fmt.Sprintf("%.0f MiB (%.2f GiB) vs %.0f MiB (%.2f GiB)", h,
			float64(half.samples[0].bytes)/(1<<30), f, float64(full.samples[0].bytes)/(1<<30))}
}

func (b *bench) wallMax(c int, key string, maxS float64, what string) target {
	r := b.res.get(c, key)
	if r == nil {
		return target{}
	}
	s := r.wall()
	return target{what: what, ok: boolp(s.med < maxS), measured: fmt.Sprintf("%.2f s median (max %.2f)", s.med, s.max)}
}

// wallBelow checks that row key's median wall time is below base's plus
// slack seconds.
func (b *bench) wallBelow(c int, key, base string, slack float64, what string) target {
	r, rb := b.res.get(c, key), b.res.get(c, base)
	if r == nil || rb == nil {
		return target{}
	}
	d := r.wall().med - rb.wall().med
	return target{what: what, ok: boolp(d < slack), measured: fmt.Sprintf("%.2f s vs %.2f s (%+.2f s)",
		r.wall().med, rb.wall().med, d)}
}

func (b *bench) speedup(c int, key, base, what string) target {
	r, rb := b.res.get(c, key), b.res.get(c, base)
	if r == nil || rb == nil {
		return target{}
	}
	return target{what: what, measured: fmt.Sprintf("%.1fx (%.2f s vs %.2f s)", rb.wall().med/r.wall().med,
		r.wall().med, rb.wall().med)}
}
