package commitlog

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// HostIDFile, in the spool, holds the node's Cassandra host id as the last
// backup read it from system.local; sync copies it into the sidecars it
// writes, so that it needs no CQL connection of its own.
const HostIDFile = ".medusa_host_id"

var hostIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ReadHostID returns the host id recorded in spoolDir, or "" when there is
// none or it is not a UUID.
func ReadHostID(spoolDir string) string {
	data, err := os.ReadFile(filepath.Join(spoolDir, HostIDFile))
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(string(data))
	if !hostIDPattern.MatchString(id) {
		return ""
	}
	return id
}

// WriteHostID records id in spoolDir (write to a temporary file, then
// rename), unless it is already there. The spool must exist.
func WriteHostID(spoolDir, id string) error {
	if !hostIDPattern.MatchString(id) {
		return fmt.Errorf("host id %q is not a UUID", id)
	}
	if ReadHostID(spoolDir) == id {
		return nil
	}
	path := filepath.Join(spoolDir, HostIDFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o644); err != nil {
		return fmt.Errorf("record the host id in the spool: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("record the host id in the spool: %w", err)
	}
	return nil
}
