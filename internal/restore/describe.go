package restore

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/medusa-go/medusa/internal/layout"
)

// describe writes the plan of a dry run: what would be downloaded, which
// directories replaced, wiped or kept, what moved aside, and how
// Cassandra would be handled. It reads the node's directories but changes
// nothing.
func (r *run) describe(w io.Writer) error {
	p := r.p
	mode := "in place"
	if !p.InPlace {
		mode = "remote"
	}
	kind := "full"
	if p.Differential {
		kind = "differential"
	}
	pr := &printer{w: w}
	pr.f("Restore plan (dry run) for backup %s of %s: %s, %s backup", p.Backup, p.FQDN, mode, kind)
	pr.f("Download: %d files, %s into %s", p.Files, layout.FormatBytes(p.Bytes), r.staging)
	needs, err := spaceNeeds(r.d.Space, p.Bytes, r.o.TempDir, r.o.Node.DataDir)
	if err != nil {
		return err
	}
	for _, n := range needs {
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
	for _, d := range []struct{ what, dir string }{{"commit log", r.o.Node.CommitlogDir}, {"saved caches", r.o.Node.SavedCachesDir}} {
		if d.dir == "" {
			continue
		}
		names, err := children(d.dir, "")
		if err != nil {
			return err
		}
		names = slices.DeleteFunc(names, func(n string) bool { return strings.HasPrefix(n, asidePrefix) })
		pr.f("Moved aside: %d %s entries of %s", len(names), d.what, d.dir)
	}
	if !p.InPlace {
		pr.f("cassandra.yaml (%s): initial_token: %s, num_tokens: %d, auto_bootstrap: false",
			r.o.Node.ConfigFile, strings.Join(p.Tokens, ","), len(p.Tokens))
	}
	if r.o.ManageCassandra {
		pr.f("Cassandra: nodetool drain, stop_cmd, wait until down; after placing the files start_cmd, wait until up%s",
			map[bool]string{true: ", [checks] query", false: ""}[r.o.Verify])
	} else {
		pr.f("Cassandra: not stopped or started by medusa (Kubernetes mode)")
	}
	pr.f("Dry run: nothing was downloaded, stopped or changed.")
	return pr.err
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
