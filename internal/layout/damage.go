package layout

import (
	"fmt"
	"strings"
)

// MaxDamageKeys is how many keys of each kind DataDamage keeps as examples.
const MaxDamageKeys = 5

// DataDamage is what a check of a node backup's data objects against its
// manifest found (catalog.Catalog.LoadDetailsAndCheck): the manifest's
// objects that a listing of the store does not show, and those it shows
// with another size. Either makes the node backup damaged: a restore of it
// would fail. The zero value means no damage was found (or no check ran).
type DataDamage struct {
	// Missing and Resized count the manifest's objects that are not
	// stored, and those stored with another size than the manifest's.
	Missing, Resized int
	// MissingKeys and ResizedKeys are the first of them (at most
	// MaxDamageKeys each), in manifest order.
	MissingKeys, ResizedKeys []string
	// StoredAgain counts the objects listed with the manifest's size but
	// another store hash: stored again since the backup, perhaps with the
	// same bytes (another multipart part size gives another ETag). That is
	// no damage by itself; only reading them (verify --enable-md5-checks)
	// tells.
	StoredAgain int
}

// Damaged reports whether objects are missing or have another size.
func (d DataDamage) Damaged() bool { return d.Missing+d.Resized > 0 }

// AddMissing records a manifest object that is not stored.
func (d *DataDamage) AddMissing(key string) {
	d.Missing++
	if len(d.MissingKeys) < MaxDamageKeys {
		d.MissingKeys = append(d.MissingKeys, key)
	}
}

// AddResized records a manifest object stored with another size.
func (d *DataDamage) AddResized(key string) {
	d.Resized++
	if len(d.ResizedKeys) < MaxDamageKeys {
		d.ResizedKeys = append(d.ResizedKeys, key)
	}
}

// Summary describes the damage in a few words, of objects in the manifest:
// "1 of 317 objects missing, 2 of 317 with another size".
func (d DataDamage) Summary(objects int64) string {
	var parts []string
	if d.Missing > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d objects missing", d.Missing, objects))
	}
	if d.Resized > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d objects with another size", d.Resized, objects))
	}
	return strings.Join(parts, ", ")
}

// StoredAgain returns the number of objects of the finished node backups
// that a data check found stored again since the backup.
func (c ClusterBackup) StoredAgain() int {
	var n int
	for _, nb := range c.finishedNodes() {
		n += nb.Damage.StoredAgain
	}
	return n
}
