// Package config reads medusa.ini the way Cassandra Medusa does
// (medusa/config.py) and turns it into one typed struct per section, with
// Medusa's defaults, its environment overrides and every problem reported
// at once. It imports nothing internal.
//
// # Reading the file
//
// The file is read like Python's configparser.ConfigParser(interpolation=None)
// in strict mode, by a small parser of its own (ini.go). gopkg.in/ini.v1 was
// not used because it cannot be made to match: it merges duplicate sections
// and lets the last duplicate key win instead of failing, strips inline
// comments by default, treats "DEFAULT" as its unnamed root section, and
// does not give the line numbers the problem messages need. The rules:
//
//   - "[name]" starts a section; section names are case-sensitive, the text
//     after the last "]" is ignored. Keys are case-insensitive (lower-cased).
//   - "key = value" or "key: value": the key runs to the first "=" or ":";
//     both sides are stripped. ";" and "#" start comments only at the start
//     of a line; after a value they are part of it.
//   - A line indented more than its key line continues the value (joined
//     with "\n"); empty lines inside a value are kept, trailing ones dropped.
//   - A duplicate section or a duplicate key in a section is an error.
//     "[DEFAULT]" may appear more than once, but not with the same key twice.
//   - A UTF-8 BOM and CRLF or CR line ends are accepted; no interpolation.
//   - Unlike configparser, which stops at the first error, every syntax
//     problem is reported with its line number.
//
// [DEFAULT] values are inherited as configparser inherits them under
// Medusa: Medusa's built-in defaults are stored in the sections, so a
// [DEFAULT] value only fills keys without a built-in default (bucket_name,
// prefix, cql_username, ...). A [DEFAULT] key shadowed that way gets a
// Warning saying so.
//
// # Values
//
// Booleans are configparser's 1/yes/true/on and 0/no/false/off in any case;
// anything else is an error (also for secure and ssl_verify, where Medusa
// silently took anything but "true" as false, and nodetool_ssl, where
// Medusa needed exactly "true"). Sizes follow ParseSize: "1.5MB" is
// accepted and rounded down to 1572864 bytes, as Medusa does; a bare
// fractional number is rejected; an empty transfer_max_bandwidth means
// unlimited. storage_provider is lower-cased and checked against
// Storage.Backend; ibm_storage is accepted as s3_compatible with a Warning
// (Medusa's own ibm_storage ignores host and port and cannot work).
// storage_class is upper-cased. s3_addressing_style, health_check,
// monitoring_provider and logging level are matched in any case and stored
// in their canonical spelling. [kubernetes] cassandra_url "None" becomes "".
//
// # Precedence
//
// Built-in defaults < file < CLI Overrides < [kubernetes] enabled forcing
// (use_sudo and use_sudo_for_restore false, fqdn = $POD_IP, else $POD_NAME
// when neither the file nor --fqdn set it) < environment
// (MEDUSA_CQL_USERNAME, ..., MEDUSA_NODETOOL_K8S_SECRETS_PATH; deprecated
// CQL_USERNAME and CQL_PASSWORD with a Warning) < files "username" and
// "password" of the *_k8s_secrets_path directories < fqdn resolution.
// An empty environment variable counts as unset. Medusa's flag bugs are
// fixed: --key-file sets only [storage] key_file, and --ssh-username and
// --ssh-key-file set [ssh] username and key_file.
//
// The fqdn is resolved (Resolver; docs/compatibility.md, "The node identity") only when nothing set it, and only
// for an otherwise valid configuration; Medusa also re-resolves an fqdn
// explicitly set to the host's own getfqdn(), which is not reproduced: an
// explicit fqdn is used verbatim. An empty fqdn counts as not set.
//
// Load and Parse use the real file system and SystemResolver; a Loader
// takes a context and lets tests inject ReadFile and a Resolver.
//
// # Problems and warnings
//
// Validation collects every problem into a *ValidationError, one line each:
//
//	medusa.ini: [storage] bucket_name: required, not set
//	medusa.ini: [storage] concurrent_transfers = "abc": not an integer
//	medusa.ini:7: [storage] prefix: duplicate key (first set on line 3)
//	medusa.ini: [storage] prefix = "a/b" (from --prefix): must not contain "/"
//
// Values of secret keys are never echoed, nor are the contents of lines
// that cannot be parsed. Unknown sections and keys are Warnings (Medusa
// ignores unknown keys and crashes on unknown sections), with a "did you
// mean" suggestion for near misses; a [commitlog] section is an error,
// since the commit log settings are [cassandra] commitlog_* keys (see
// Commitlog) precisely so that Python Medusa can read the same file. A file that cannot be read is a plain
// error naming it and suggesting --config-file.
package config
