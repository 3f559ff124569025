// Package layouttest builds bucket documents and keys for the tests of
// other packages; the product does not use it.
package layouttest

import (
	"encoding/json"
	"strconv"

	"github.com/medusa-go/medusa/internal/layout"
)

// Int64Token returns the tokenmap literal of a Murmur3 token.
func Int64Token(t int64) json.Number { return json.Number(strconv.FormatInt(t, 10)) }

// DataKey returns the object key of r under l:
// P<fqdn>/[<backup>/]data/<keyspace>/<table dir>/[<subdir>/]<file>.
func DataKey(l layout.Layout, r layout.DataRef) string {
	k := l.TablePrefix(r.FQDN, r.Backup, r.Keyspace, r.TableDir)
	if r.SubDir != "" {
		k += r.SubDir + "/"
	}
	return k + r.File
}
