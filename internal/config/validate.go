package config

import (
	"context"
	"path/filepath"
	"strings"
)

// warnUnknown warns about sections and keys Medusa does not read, with a
// "did you mean" for near misses, and about [DEFAULT] keys that Medusa's
// built-in defaults shadow.
func (b *build) warnUnknown(f *iniFile) {
	var sectionNames, allKeys []string
	for _, sec := range b.specs {
		sectionNames = append(sectionNames, sec.name)
		for _, k := range sec.keys {
			allKeys = append(allKeys, k.name)
		}
	}
	for _, s := range f.sections {
		spec, known := b.spec(s.name)
		if s.name == commitlogSection {
			b.refuseCommitlogSection(s)
			continue
		}
		if !known {
			msg := "unknown section, ignored"
			if g := suggest(s.name, sectionNames); g != "" {
				msg += "; did you mean [" + g + "]?"
			}
			b.warn(s.name, "", msg)
			continue
		}
		for _, k := range s.keys {
			if _, ok := spec.key(k.name); ok {
				continue
			}
			if msg, ok := ignoredKeys[s.name][k.name]; ok {
				b.warn(s.name, k.name, msg)
				continue
			}
			b.warn(s.name, k.name, b.unknownKeyMessage(s.name, k.name, spec))
		}
	}
	for _, k := range f.defaults.keys {
		b.warnDefault(f, k.name, allKeys)
	}
}

func (b *build) spec(name string) (sectionSpec, bool) {
	for _, s := range b.specs {
		if s.name == name {
			return s, true
		}
	}
	return sectionSpec{}, false
}

func (b *build) unknownKeyMessage(section, key string, spec sectionSpec) string {
	msg := "unknown key, ignored"
	names := make([]string, len(spec.keys))
	for i, k := range spec.keys {
		names[i] = k.name
	}
	if g := suggest(key, names); g != "" {
		return msg + "; did you mean " + g + "?"
	}
	for _, other := range b.specs {
		if _, ok := other.key(key); ok && other.name != section {
			return msg + "; " + key + " belongs in [" + other.name + "]"
		}
	}
	return msg
}

// warnDefault: a [DEFAULT] key is unknown if no section reads it; it is
// shadowed in sections that have a built-in default for it.
func (b *build) warnDefault(f *iniFile, key string, allKeys []string) {
	var known bool
	var shadowed []string
	for _, sec := range b.specs {
		k, ok := sec.key(key)
		if !ok {
			continue
		}
		known = true
		if own := f.byName[sec.name]; own != nil {
			if _, set := own.byKey[key]; set {
				continue
			}
		}
		if k.hasDef {
			shadowed = append(shadowed, "["+sec.name+"]")
		}
	}
	switch {
	case !known:
		msg := "unknown key, ignored"
		if g := suggest(key, allKeys); g != "" {
			msg += "; did you mean " + g + "?"
		}
		b.warn(defaultSection, key, msg)
	case len(shadowed) == 1:
		b.warn(defaultSection, key, "not applied to "+shadowed[0]+
			", which has a built-in default (as in Medusa); set it in that section")
	case len(shadowed) > 1:
		b.warn(defaultSection, key, "not applied to "+strings.Join(shadowed, ", ")+
			", which have built-in defaults (as in Medusa); set it in those sections")
	}
}

// readK8sSecrets reads username and password files from the
// *_k8s_secrets_path directories (values stripped of white space).
func (b *build) readK8sSecrets(l *Loader) {
	c := &b.cfg.Cassandra
	for _, s := range []struct {
		key        string
		dir        string
		user, pass *string
	}{
		{"cql_k8s_secrets_path", c.CQLK8sSecretsPath, &c.CQLUsername, &c.CQLPassword},
		{"nodetool_k8s_secrets_path", c.NodetoolK8sSecretsPath, &c.NodetoolUsername, &c.NodetoolPassword},
	} {
		if s.dir == "" {
			continue
		}
		user, uerr := l.readFile(filepath.Join(s.dir, "username"))
		pass, perr := l.readFile(filepath.Join(s.dir, "password"))
		r := b.raw["cassandra"][s.key]
		for _, e := range []struct {
			file string
			err  error
		}{{"username", uerr}, {"password", perr}} {
			if e.err != nil {
				b.probs = append(b.probs, Problem{Section: "cassandra", Key: s.key, Value: s.dir, Source: r.source,
					Message: "cannot read " + filepath.Join(s.dir, e.file) + ": " + errText(e.err)})
			}
		}
		if uerr == nil && perr == nil {
			*s.user = strings.TrimSpace(string(user))
			*s.pass = strings.TrimSpace(string(pass))
		}
	}
}

// validate checks rules that involve more than one key.
func (b *build) validate() {
	s := &b.cfg.Storage
	add := func(key, msg string) {
		r := b.raw["storage"][key]
		p := Problem{Section: "storage", Key: key, Value: r.val, Source: r.source, Message: msg}
		if key == "sse_c_key" {
			p.Value = ""
		}
		b.probs = append(b.probs, p)
	}
	switch s.Backend() {
	case BackendS3Compatible:
		if s.Host == "" {
			add("host", "required when storage_provider = "+s.StorageProvider)
		}
		if s.StorageProvider == "ibm_storage" {
			b.warn("storage", "storage_provider", "ibm_storage is handled as s3_compatible "+
				"(endpoint from host and port); prefer storage_provider = s3_compatible")
		}
	case BackendAzure:
		if _, _, _, err := s.AzureService(); err != nil {
			r := b.raw["storage"]["host"]
			// The value is not shown: a refused URL may carry a secret.
			b.probs = append(b.probs, Problem{Section: "storage", Key: "host", Source: r.source,
				Message: err.Error()})
		}
	case BackendLocal:
		if s.BasePath == "" {
			add("base_path", "required when storage_provider = local")
		}
	case BackendS3:
		if _, err := s.S3Region(); err != nil {
			msg := "not a legacy S3 name with a known region; set [storage] region (e.g. us-east-1)"
			if g := suggest(s.StorageProvider, providerNames); g != "" && g != "s3" {
				msg += " or did you mean " + g + "?"
			}
			add("storage_provider", msg)
		}
	}
	if s.ObjectLockDays > 0 {
		switch s.Backend() {
		case BackendS3, BackendS3Compatible, BackendS3RGW:
		default:
			add("object_lock_days", "S3 Object Lock needs an S3 store, not storage_provider = "+s.StorageProvider+
				"; remove object_lock_days (GCS retention policies and Azure immutability policies are set on the bucket or container)")
		}
	}
	if s.KMSID != "" && s.SSECKey != "" {
		add("sse_c_key", "cannot be combined with kms_id; S3 accepts one kind of server-side encryption")
	}
}

// resolveFQDN sets [storage] fqdn when nothing set it (see resolveFQDN).
func (b *build) resolveFQDN(ctx context.Context, r Resolver) {
	fqdn, err := resolveFQDN(ctx, r, b.cfg.Cassandra.ResolveIPAddresses, b.cfg.Kubernetes.Enabled)
	if err != nil {
		b.probs = append(b.probs, Problem{Section: "storage", Key: "fqdn",
			Message: "not set, and the local host name cannot be resolved (" + err.Error() +
				"); set fqdn in [storage] or pass --fqdn"})
		return
	}
	b.cfg.Storage.FQDN = fqdn
}
