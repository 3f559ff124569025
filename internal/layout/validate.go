package layout

import (
	"fmt"
	"strings"
)

// ValidatePrefix checks a [storage] prefix: like Medusa, it must not contain
// "/" (Medusa exits with status 2 for it).
func ValidatePrefix(prefix string) error {
	if strings.Contains(prefix, "/") {
		return fmt.Errorf("prefix %q must not contain '/'", prefix)
	}
	return nil
}

// validateSegment checks a name used as one key segment.
func validateSegment(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%s must not be empty", what)
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("%s %q is only white space", what, name)
	case name == "." || name == "..":
		return fmt.Errorf("%s %q is not a valid name", what, name)
	case strings.Contains(name, "/"):
		return fmt.Errorf("%s %q must not contain '/'", what, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s %q must not contain control characters", what, name)
		}
	}
	return nil
}

// ValidateBackupName checks that name can be a Medusa backup name: one key
// segment ("/" would shift the index segments and hide the backup), no
// control characters (a newline defeats the index patterns), not "." or "..".
func ValidateBackupName(name string) error {
	return validateSegment("backup name", name)
}

// CommitlogsDir is the directory of a node's archived commit log segments,
// <fqdn>/commitlogs/ (docs/pitr.md): a backup of that name would share it.
const CommitlogsDir = "commitlogs"

// RefuseReservedBackupName refuses the names no new backup may take:
// "commitlogs", which Python Medusa's delete-backup of it would read as
// <fqdn>/commitlogs/ and so delete the archived commit logs.
func RefuseReservedBackupName(name string) error {
	if name == CommitlogsDir {
		return fmt.Errorf("backup name %q is reserved: <fqdn>/%s/ holds the archived commit logs; choose another name",
			name, CommitlogsDir)
	}
	// Python Medusa deletes a backup by listing <fqdn>/<name> without a
	// trailing slash, so its delete-backup or purge of a backup named "c"
	// or "commit" would also take the archived commit logs.
	if name != "" && strings.HasPrefix(CommitlogsDir, name) {
		return fmt.Errorf("backup name %q is reserved: it is a prefix of %q, and Python Medusa's delete-backup or purge "+
			"of it would also delete <fqdn>/%s/ (the archived commit logs); choose another name", name, CommitlogsDir, CommitlogsDir)
	}
	return nil
}

// ValidateNewBackupName checks the name of a backup about to be created:
// ValidateBackupName, and no white space at either end (a name that
// differs from another only by it cannot be told apart in listings, and
// shells drop it unless quoted). Existing backups are still read whatever
// ValidateBackupName accepts.
func ValidateNewBackupName(name string) error {
	if err := ValidateBackupName(name); err != nil {
		return err
	}
	if err := RefuseReservedBackupName(name); err != nil {
		return err
	}
	if strings.TrimSpace(name) != name {
		return fmt.Errorf("backup name %q must not begin or end with white space", name)
	}
	return nil
}

// ValidateFQDN checks that fqdn can identify a node in the bucket: the same
// rules as a backup name, and every index entry built for it must parse back
// to it. Names such as "a_schema_b", "x.json.y" or "started_n" are refused
// because Medusa's index patterns would read another fqdn out of them and
// the node's backups would be invisible or misattributed.
func ValidateFQDN(fqdn string) error {
	if err := validateSegment("fqdn", fqdn); err != nil {
		return err
	}
	var l Layout
	const backup, epoch = "b", 1700000000
	for _, kind := range []IndexKind{KindTokenmap, KindSchema, KindStarted, KindDifferential,
		KindManifest, KindFinished} {
		want := IndexEntry{Backup: backup, FQDN: fqdn, Kind: kind}
		if kind == KindStarted || kind == KindFinished {
			want.Epoch = epoch
		}
		key := l.IndexKey(want)
		got, err := l.ParseIndexKey(key)
		if err != nil || got.FQDN != fqdn || got.Kind != kind || got.Epoch != want.Epoch {
			return fmt.Errorf("fqdn %q cannot be represented in Medusa's backup index "+
				"(the entry %q would not read back as this node)", fqdn, key)
		}
	}
	return nil
}
