package config

import "strings"

// Redacted renders the effective configuration as INI, every section and
// key in Medusa's order, for logs and `--debug` output. Secret values
// (cql_password, nodetool_password, sstableloader_tspw/kspw, sse_c_key)
// are shown as "<redacted>" when set, and as nothing when not. Sizes use
// the largest exact unit; booleans are True/False. Parse reads the output
// back to the same Config, apart from the secrets.
func (c *Config) Redacted() string {
	var b strings.Builder
	for i, sec := range c.specs("") {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("[" + sec.name + "]\n")
		for _, k := range sec.keys {
			v := k.v.text()
			if k.secret && v != "" {
				v = "<redacted>"
			}
			b.WriteString(k.name + " =")
			if v != "" {
				// configparser's continuation-line form for multi-line values.
				b.WriteString(" " + strings.ReplaceAll(v, "\n", "\n\t"))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}
