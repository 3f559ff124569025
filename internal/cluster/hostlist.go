package cluster

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// HostListEntry is one line of a --host-list file: restore Source's backup
// onto Target, which is a seed when Seed is set.
type HostListEntry struct {
	Seed   bool
	Target string
	Source string
	Line   int
}

// ParseHostList reads a --host-list file (name is used in errors): one
// "is_seed,target,source" line per target node, fields separated by sep
// ([storage] host_file_separator, "," when empty). Blank lines and lines
// starting with # are skipped. is_seed is True or False (any case). Every
// problem is reported with file:line; a target or source named twice is
// refused.
func ParseHostList(name string, r io.Reader, sep string) ([]HostListEntry, error) {
	if sep == "" {
		sep = ","
	}
	var out []HostListEntry
	var errs []string
	targets, sources := map[string]int{}, map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Sprintf("%s:%d: %s", name, n, fmt.Sprintf(format, a...)))
		}
		f := strings.Split(line, sep)
		if len(f) != 3 {
			bad("want is_seed%starget%ssource, got %d fields in %q", sep, sep, len(f), line)
			continue
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		e := HostListEntry{Target: f[1], Source: f[2], Line: n}
		switch strings.ToLower(f[0]) {
		case "true":
			e.Seed = true
		case "false":
		default:
			bad("is_seed is %q: use True or False", f[0])
			continue
		}
		if e.Target == "" || e.Source == "" {
			bad("empty target or source in %q", line)
			continue
		}
		if prev, ok := targets[e.Target]; ok {
			bad("target %s already named on line %d", e.Target, prev)
			continue
		}
		if prev, ok := sources[e.Source]; ok {
			bad("source %s already named on line %d", e.Source, prev)
			continue
		}
		targets[e.Target], sources[e.Source] = n, n
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("host list %s:\n  %s", name, strings.Join(errs, "\n  "))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("host list %s names no node (lines: is_seed%starget%ssource)", name, sep, sep)
	}
	return out, nil
}
