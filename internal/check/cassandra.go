package check

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/medusa-go/medusa/internal/cassandra"
)

// Cassandra checks the local node. Fill it in, then call Checks.
type Cassandra struct {
	// ConfigFile is [cassandra] config_file.
	ConfigFile string
	// CQL connects (once, with the credentials of [cassandra], if any) and
	// returns the node's address and release_version.
	CQL func(ctx context.Context, nc *cassandra.NodeConfig) (addr, version string, err error)
	// CQLUser is cql_username ("" when CQL has no authentication set).
	CQLUser string
	// Nodetool asks the node for its version through nodetool (JMX) or
	// the management API; What names that path ("nodetool /usr/bin/nodetool").
	Nodetool     func(ctx context.Context) (string, error)
	NodetoolWhat string
	// LargestBackup returns the largest finished backup of this node in
	// the bucket (size 0, name "" when it has none).
	LargestBackup func(ctx context.Context) (name string, size int64, err error)
	// TempDir is where a restore downloads to.
	TempDir string
	// FreeBytes returns the bytes free for an unprivileged user under
	// path (nil: statfs).
	FreeBytes func(path string) (uint64, error)

	node *cassandra.NodeConfig
}

// Checks returns the Cassandra checks in order.
func (c *Cassandra) Checks() []Check {
	return []Check{
		{Name: "cassandra/yaml", Run: c.checkYAML},
		{Name: "cassandra/cql", Run: c.checkCQL},
		{Name: "cassandra/nodetool", Run: c.checkNodetool},
		{Name: "cassandra/data-dirs", Run: c.checkDataDirs},
		{Name: "cassandra/temp-dir", Run: c.checkTempDir},
	}
}

func (c *Cassandra) checkYAML(context.Context) Result {
	nc, err := cassandra.ReadNodeConfig(c.ConfigFile)
	if err != nil {
		return fail("set [cassandra] config_file to the node's cassandra.yaml, readable by the user running medusa", "%v", err)
	}
	c.node = nc
	listen := nc.ListenAddress
	if listen == "" {
		listen = "(the host's own name)"
	}
	return ok("%s: cluster %q, data %s, listen_address %s, native port %d", nc.Path, nc.ClusterName, nc.DataDir, listen, nc.NativePort)
}

func (c *Cassandra) checkCQL(ctx context.Context) Result {
	if c.node == nil {
		return skip("needs cassandra.yaml (see cassandra/yaml)")
	}
	if c.CQL == nil {
		return skip("no CQL client")
	}
	addr, version, err := c.CQL(ctx, c.node)
	if err != nil {
		fix := "start Cassandra, or fix listen_address/native_transport_port in cassandra.yaml and the TLS settings of [cassandra]"
		if c.CQLUser == "" {
			fix += "; if the node requires authentication, set cql_username and cql_password"
		} else {
			fix += "; check cql_username and cql_password"
		}
		return fail(fix, "CQL: %v", err)
	}
	who := "without authentication"
	if c.CQLUser != "" {
		who = "as " + c.CQLUser
	}
	return ok("CQL at %s answers %s (Cassandra %s)", addr, who, version)
}

func (c *Cassandra) checkNodetool(ctx context.Context) Result {
	if c.Nodetool == nil {
		return skip("no nodetool or management API configured")
	}
	out, err := c.Nodetool(ctx)
	if err != nil {
		return fail("fix nodetool_executable, nodetool_host/port and the JMX credentials of [cassandra] (or the management API settings)",
			"%s: %v", c.NodetoolWhat, err)
	}
	return ok("%s answers: %s", c.NodetoolWhat, oneLine(out))
}

func (c *Cassandra) checkDataDirs(context.Context) Result {
	if c.node == nil {
		return skip("needs cassandra.yaml (see cassandra/yaml)")
	}
	dir := c.node.DataDir
	keyspaces, err := os.ReadDir(dir)
	if err != nil {
		return fail(fmt.Sprintf("run medusa as a user that can read %s (the cassandra user, or one in its group)", dir),
			"data directory %s: %v", dir, err)
	}
	tables := 0
	for _, ks := range keyspaces {
		if !ks.IsDir() {
			continue
		}
		ts, err := os.ReadDir(filepath.Join(dir, ks.Name()))
		if err != nil {
			return fail(fmt.Sprintf("run medusa as a user that can read every keyspace under %s", dir),
				"keyspace directory %s: %v", filepath.Join(dir, ks.Name()), err)
		}
		for _, t := range ts {
			if !t.IsDir() {
				continue
			}
			if _, err := os.ReadDir(filepath.Join(dir, ks.Name(), t.Name())); err != nil {
				return fail(fmt.Sprintf("run medusa as a user that can read every table under %s", dir),
					"table directory %s: %v", filepath.Join(dir, ks.Name(), t.Name()), err)
			}
			tables++
		}
	}
	return ok("data directory %s readable: %d keyspaces, %d table directories", dir, len(keyspaces), tables)
}

func (c *Cassandra) checkTempDir(ctx context.Context) Result {
	dir := c.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return fail("create it, or pass --temp-dir with a directory on a volume with room", "temp dir %s: %v", dir, err)
	}
	if unix.Access(dir, unix.W_OK|unix.X_OK) != nil {
		return fail("pass --temp-dir with a directory medusa can write", "temp dir %s is not writable by the user running medusa", dir)
	}
	free := c.FreeBytes
	if free == nil {
		free = statfsFree
	}
	n, err := free(dir)
	if err != nil {
		return warn("check the volume of the temp dir by hand", "temp dir %s: %v", dir, err)
	}
	if c.LargestBackup == nil {
		return ok("temp dir %s: %s free", dir, humanBytes(int64(n)))
	}
	name, size, err := c.LargestBackup(ctx)
	switch {
	case err != nil:
		return warn("fix the storage checks above, then run medusa check again",
			"temp dir %s: %s free; the node's backups could not be read: %v", dir, humanBytes(int64(n)), err)
	case name == "":
		return ok("temp dir %s: %s free; the node has no backup yet to compare with", dir, humanBytes(int64(n)))
	case uint64(size) > n:
		return fail(fmt.Sprintf("free %s on that volume or pass --temp-dir with a bigger one", humanBytes(size-int64(n))),
			"temp dir %s has %s free, less than the node's largest backup %s (%s)", dir, humanBytes(int64(n)), name, humanBytes(size))
	}
	return ok("temp dir %s: %s free, room for the node's largest backup %s (%s)", dir, humanBytes(int64(n)), name, humanBytes(size))
}

func statfsFree(path string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, &fs.PathError{Op: "statfs", Path: path, Err: err}
	}
	return st.Bavail * uint64(st.Bsize), nil
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
