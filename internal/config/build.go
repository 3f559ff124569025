package config

import (
	"context"
	"os"
	"strings"
)

// rawVal is one effective ini value before conversion.
type rawVal struct {
	val string
	// set: given by the file, a flag or the environment (not a built-in default).
	set bool
	// source names where it came from when not the file's own section.
	source string
}

// build is the state of one load: raw values per section and key, then the
// typed Config, and what was found along the way.
type build struct {
	name  string
	env   func(string) string
	raw   map[string]map[string]rawVal
	cfg   *Config
	specs []sectionSpec
	warns []Warning
	probs []Problem
}

func (l *Loader) parse(ctx context.Context, name string, data []byte, ov Overrides, env func(string) string) (*Config, []Warning, error) {
	if env == nil {
		env = os.Getenv
	}
	f, probs := parseINI(string(data))
	b := &build{name: name, env: env, cfg: &Config{File: name}, probs: probs}
	b.specs = b.cfg.specs(env("USER"))
	b.effective(f)
	b.warnUnknown(f)
	b.applyOverrides(ov)
	b.forceKubernetes()
	b.applyEnv()
	b.convert()
	b.readK8sSecrets(l)
	b.validate()
	if len(b.probs) == 0 && b.cfg.Storage.FQDN == "" {
		b.resolveFQDN(ctx, l.resolver())
	}
	if len(b.probs) > 0 {
		return nil, b.warns, &ValidationError{File: name, Problems: b.probs}
	}
	return b.cfg, b.warns, nil
}

// effective picks, for every known key, the value configparser would give
// Medusa: the section's own value, else the built-in default, else the
// [DEFAULT] section's value. (Medusa's defaults live in the sections, so
// [DEFAULT] only fills keys that have no built-in default.)
func (b *build) effective(f *iniFile) {
	b.raw = map[string]map[string]rawVal{}
	for _, sec := range b.specs {
		vals := map[string]rawVal{}
		own := f.byName[sec.name]
		for _, k := range sec.keys {
			if own != nil {
				if v, ok := own.lookup(k.name); ok {
					vals[k.name] = rawVal{val: v, set: true}
					continue
				}
			}
			if k.hasDef {
				vals[k.name] = rawVal{val: k.def}
			} else if v, ok := f.defaults.lookup(k.name); ok {
				vals[k.name] = rawVal{val: v, set: true, source: "[" + defaultSection + "]"}
			}
		}
		b.raw[sec.name] = vals
	}
}

func (b *build) setRaw(section, key, val, source string) {
	b.raw[section][key] = rawVal{val: val, set: true, source: source}
}

// applyOverrides applies the global CLI flags. Unlike Medusa, --key-file
// only sets [storage] key_file, and --ssh-username / --ssh-key-file work.
func (b *build) applyOverrides(ov Overrides) {
	for _, o := range []struct {
		p                  *string
		section, key, flag string
	}{
		{ov.BucketName, "storage", "bucket_name", "--bucket-name"},
		{ov.KeyFile, "storage", "key_file", "--key-file"},
		{ov.Prefix, "storage", "prefix", "--prefix"},
		{ov.FQDN, "storage", "fqdn", "--fqdn"},
		{ov.BackupGracePeriodInDays, "storage", "backup_grace_period_in_days", "--backup-grace-period-in-days"},
		{ov.SSHUsername, "ssh", "username", "--ssh-username"},
		{ov.SSHKeyFile, "ssh", "key_file", "--ssh-key-file"},
	} {
		if o.p != nil {
			b.setRaw(o.section, o.key, *o.p, o.flag)
		}
	}
}

// forceKubernetes: with [kubernetes] enabled, sudo is never used and the
// fqdn is $POD_IP when set (as in Medusa); otherwise, when nothing set the
// fqdn, it is $POD_NAME (ours: k8ssandra-operator sets POD_NAME, not
// POD_IP, and a StatefulSet pod's PTR name, which Medusa uses, starts with
// the same pod name; this also works without reverse DNS).
func (b *build) forceKubernetes() {
	enabled, ok := parseBool(b.raw["kubernetes"]["enabled"].val)
	if !ok || !enabled {
		return
	}
	for _, sk := range [][2]string{{"cassandra", "use_sudo"}, {"storage", "use_sudo_for_restore"}} {
		r := b.raw[sk[0]][sk[1]]
		if on, _ := parseBool(r.val); on && r.set {
			b.warn(sk[0], sk[1], "forced to False because [kubernetes] enabled is true")
		}
		b.setRaw(sk[0], sk[1], "False", "[kubernetes] enabled")
	}
	if ip := b.env("POD_IP"); ip != "" {
		b.setRaw("storage", "fqdn", ip, "$POD_IP")
	} else if pod := b.env("POD_NAME"); pod != "" && !b.raw["storage"]["fqdn"].set {
		b.setRaw("storage", "fqdn", pod, "$POD_NAME")
	}
}

// envKeys are the [cassandra] keys MEDUSA_<KEY> environment variables set.
var envKeys = []string{
	"cql_username", "cql_password", "nodetool_username", "nodetool_password",
	"sstableloader_tspw", "sstableloader_kspw", "resolve_ip_addresses",
	"cql_k8s_secrets_path", "nodetool_k8s_secrets_path",
}

// applyEnv applies MEDUSA_* variables, and the deprecated CQL_USERNAME and
// CQL_PASSWORD (with a warning; the MEDUSA_ names win).
func (b *build) applyEnv() {
	for _, key := range envKeys {
		newName := "MEDUSA_" + strings.ToUpper(key)
		if key == "cql_username" || key == "cql_password" {
			oldName := strings.ToUpper(key)
			if v := b.env(oldName); v != "" {
				msg := "environment variable " + oldName + " is deprecated; use " + newName
				if b.env(newName) != "" {
					msg += " (both are set; " + newName + " wins)"
				}
				b.warn("cassandra", key, msg)
				b.setRaw("cassandra", key, v, "$"+oldName)
			}
		}
		if v := b.env(newName); v != "" {
			b.setRaw("cassandra", key, v, "$"+newName)
		}
	}
}

// convert fills the typed Config from the raw values, collecting problems.
func (b *build) convert() {
	for _, sec := range b.specs {
		for _, k := range sec.keys {
			r, ok := b.raw[sec.name][k.name]
			var msg string
			switch {
			case k.required && !ok:
				msg = "required, not set"
			case k.required && r.val == "":
				msg = "required, must not be empty"
			case ok:
				msg = k.v.set(r.val)
			}
			if msg != "" {
				b.problem(sec.name, k, r, msg)
			}
		}
	}
	b.cfg.Storage.K8sMode = b.cfg.Kubernetes.Enabled
}

// problem records a problem with a key; secret values are never kept.
func (b *build) problem(section string, k keySpec, r rawVal, msg string) {
	p := Problem{Section: section, Key: k.name, Value: r.val, Message: msg, Source: r.source}
	if k.secret {
		p.Value = ""
	}
	b.probs = append(b.probs, p)
}

func (b *build) warn(section, key, msg string) {
	b.warns = append(b.warns, Warning{Section: section, Key: key, Message: msg})
}
