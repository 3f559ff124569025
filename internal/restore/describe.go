package restore

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/medusa-go/medusa/internal/layout"
)

// Preview is what a dry run found: the plan of one node's backup and what
// the restore would touch. Result.WriteText prints it.
type Preview struct {
	Plan *Plan
	// Staging is the directory the files would be downloaded into.
	Staging string
	// Loader: the backup would be streamed with sstableloader; KeepAuth
	// then leaves system_auth out. Select is the selection, Schema what is
	// done with the schema before the first node's load (First).
	Loader, KeepAuth bool
	Select           Filter
	Schema           SchemaMode
	First            bool
	// Space is one line per file system the restore needs room on.
	Space []string
	// Aside are the commit log and saved caches directories whose entries
	// would be moved aside.
	Aside []AsideDir
	// ConfigFile is cassandra.yaml, rewritten by a remote restore.
	ConfigFile string
	// ManageCassandra: medusa would stop and start Cassandra; Verify: run
	// the [checks] query afterwards.
	ManageCassandra, Verify bool
	// PITR is the point-in-time part, when asked for.
	PITR *PITRResult
}

// AsideDir is a directory whose entries a restore moves aside.
type AsideDir struct {
	What, Dir string
	Entries   int
}

// preview reads the node's directories for a dry run and changes nothing.
func (r *run) preview() (Preview, error) {
	pv := Preview{Plan: r.p, Staging: r.staging, ConfigFile: r.o.Node.ConfigFile,
		ManageCassandra: r.o.ManageCassandra, Verify: r.o.Verify, PITR: r.res.PITR}
	needs, err := spaceNeeds(r.d.Space, r.p.Bytes, r.o.TempDir, r.o.Node.DataDir)
	if err != nil {
		return Preview{}, err
	}
	for _, n := range needs {
		pv.Space = append(pv.Space, n.String())
	}
	dirs := []AsideDir{{What: "commit log", Dir: r.o.Node.CommitlogDir},
		{What: "saved caches", Dir: r.o.Node.SavedCachesDir}}
	if r.o.PITR != nil {
		dirs = append(dirs, AsideDir{What: "hints", Dir: r.o.Node.HintsDir})
	}
	for _, d := range dirs {
		if d.Dir == "" {
			continue
		}
		names, err := children(d.Dir, "")
		if err != nil {
			return Preview{}, err
		}
		names = slices.DeleteFunc(names, func(n string) bool {
			return strings.HasPrefix(n, asidePrefix) || r.keptInPlace(d.Dir, n)
		})
		d.Entries = len(names)
		pv.Aside = append(pv.Aside, d)
	}
	return pv, nil
}

// WriteText writes the plans of a dry run (nothing for a restore that
// ran): what would be downloaded, which directories replaced, wiped or
// kept, what moved aside, and how Cassandra would be handled.
func (r *Result) WriteText(w io.Writer) error {
	pr := &printer{w: w}
	if r.PITR != nil && !r.DryRun {
		pr.f("%s", r.PITR.text())
	}
	for _, pv := range r.Previews {
		if pv.Loader {
			pv.writeLoad(pr)
		} else {
			pv.write(pr)
		}
	}
	return pr.err
}

func (pv Preview) write(pr *printer) {
	p := pv.Plan
	mode := "in place"
	if !p.InPlace {
		mode = "remote"
	}
	kind := "full"
	if p.Differential {
		kind = "differential"
	}
	pr.f("Restore plan (dry run) for backup %s of %s: %s, %s backup", p.Backup, p.FQDN, mode, kind)
	pr.f("Download: %d files, %s into %s", p.Files, layout.FormatBytes(p.Bytes), pv.Staging)
	for _, n := range pv.Space {
		pr.f("  space %s", n)
	}
	var wiped, kept []string
	restoring := p.restoring()
	pr.f("Tables to restore: %d", len(restoring))
	for _, t := range restoring {
		what := "new directory"
		switch {
		case t.Exists && len(t.Files) == 0:
			what = "replaces " + t.Dest + " (moved aside; the table is empty in the backup)"
		case t.Exists:
			what = "replaces " + t.Dest + " (moved aside)"
		case len(t.Files) == 0:
			what = "empty in the backup"
		}
		pr.f("  %s: %d files, %s, %s", t.Name(), len(t.Files), layout.FormatBytes(t.Bytes), what)
	}
	for _, t := range p.Tables {
		switch t.Action {
		case Wipe:
			wiped = append(wiped, t.Name()+map[bool]string{true: " (moved aside)", false: ""}[t.Exists])
		case Keep:
			kept = append(kept, t.Name())
		}
	}
	if len(wiped) > 0 {
		pr.f("Tables wiped (remote restore: Cassandra creates them anew): %s", strings.Join(wiped, ", "))
	}
	if len(kept) > 0 {
		pr.f("Tables left untouched (--keep-auth): %s", strings.Join(kept, ", "))
	}
	if len(p.Ignored) > 0 {
		pr.f("Not selected: %s", strings.Join(p.Ignored, ", "))
	}
	for _, d := range pv.Aside {
		pr.f("Moved aside: %d %s entries of %s", d.Entries, d.What, d.Dir)
	}
	if !p.InPlace {
		pr.f("cassandra.yaml (%s): initial_token: %s, num_tokens: %d, auto_bootstrap: false",
			pv.ConfigFile, strings.Join(p.Tokens, ","), len(p.Tokens))
	}
	if x := pv.PITR; x != nil {
		pit := x.PointInTime
		if pit == "" {
			pit = "empty (every archived write is replayed)"
		}
		pr.f("Point in time: %s; commit log segments: %d, %s (%s to %s); restore_point_in_time: %s",
			x.Target.UTC().Format("2006-01-02T15:04:05.000000Z"), x.Segments, layout.FormatBytes(x.SegmentBytes),
			x.First, x.Last, pit)
		for _, why := range x.NotEligible {
			pr.f("  not a base: %s", why)
		}
	}
	if pv.ManageCassandra {
		pr.f("Cassandra: nodetool drain, stop_cmd, wait until down; after placing the files start_cmd, wait until up%s",
			map[bool]string{true: ", [checks] query", false: ""}[pv.Verify])
	} else {
		pr.f("Cassandra: not stopped or started by medusa (Kubernetes mode)")
	}
	pr.f("Dry run: nothing was downloaded, stopped or changed.")
}

func (pv Preview) writeLoad(pr *printer) {
	p := pv.Plan
	pr.f("Restore plan (dry run) for backup %s of %s with sstableloader (Cassandra keeps running)", p.Backup, p.FQDN)
	if pv.First {
		switch pv.Schema {
		case SchemaSkip:
			pr.f("Schema: not touched (--skip-schema): every table loaded must exist")
		default:
			pr.f("Schema: what the selection needs and the cluster lacks would be created from the backup's schema.cql, " +
				"dropped columns replayed; nothing dropped")
		}
		if pv.Schema == SchemaOnly {
			pr.f("Nothing would be loaded (--schema-only).")
			pr.f("Dry run: nothing was downloaded or loaded.")
			return
		}
	}
	pr.f("Download: %d files, %s into %s", p.Files, layout.FormatBytes(p.Bytes), pv.Staging)
	for _, t := range loadable(p, pv.KeepAuth, pv.Select) {
		pr.f("  load %s: %d files, %s", t.Name(), len(t.Files), layout.FormatBytes(t.Bytes))
	}
	pr.f("Dry run: nothing was downloaded or loaded.")
}

// printer writes lines and remembers the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}
