package cli

import "strings"

// multiLetterFlags are Medusa's two-letter short options, which the flag
// parser (one letter per short option) cannot declare: they are rewritten
// to their long forms before parsing.
var multiLetterFlags = map[string]string{
	"-ps": "--parallel-snapshots",
	"-pu": "--parallel-uploads",
	"-pr": "--parallel-restores",
}

// normalizeArgs rewrites "-ps 3" and "-ps=3" (and the others of
// multiLetterFlags) to "--parallel-snapshots 3"; nothing after "--".
func normalizeArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(a, "=")
		long, ok := multiLetterFlags[name]
		if !ok {
			continue
		}
		if hasValue {
			out[i] = long + "=" + value
		} else {
			out[i] = long
		}
	}
	return out
}
