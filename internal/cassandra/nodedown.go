package cassandra

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrNodeDown marks a connect failure that waiting cannot heal: nothing
// listens on the node's CQL port and no Cassandra process of this node
// runs on the machine. Callers that retry stop early on it.
var ErrNodeDown = errors.New("the node's Cassandra is not running")

// ProcessState is what the process table says about the node's Cassandra.
type ProcessState int

// Process states.
const (
	// ProcessUnknown: the process table cannot tell (no /proc, processes
	// of other users hidden, Kubernetes where Cassandra runs in another
	// container).
	ProcessUnknown ProcessState = iota
	// ProcessRunning: a Cassandra process whose command line names this
	// node's configuration directory runs.
	ProcessRunning
	// ProcessAbsent: no such process runs.
	ProcessAbsent
)

// cassandraMain is the main class on every Cassandra server command line.
const cassandraMain = "org.apache.cassandra.service.CassandraDaemon"

// NodeProcess looks in procRoot (normally /proc) for the Cassandra process
// of the node configured by configFile (cassandra.yaml). A process is this
// node's when its command line runs CassandraDaemon and names the
// directory of configFile: the start scripts put the configuration
// directory first on the class path, and -Dcassandra.config names the file.
func NodeProcess(procRoot, configFile string) ProcessState {
	// Without /proc/1 the process table is absent or hides other users'
	// processes (hidepid): then nothing can be concluded.
	if _, err := os.ReadFile(filepath.Join(procRoot, "1", "cmdline")); err != nil {
		return ProcessUnknown
	}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return ProcessUnknown
	}
	dirs := confDirs(configFile)
	for _, e := range entries {
		if !isPID(e.Name()) {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join(procRoot, e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmd, []byte(cassandraMain)) {
			continue
		}
		// Without a configuration path any Cassandra process may be ours.
		if len(dirs) == 0 {
			return ProcessRunning
		}
		for _, d := range dirs {
			if bytes.Contains(cmd, []byte(d)) {
				return ProcessRunning
			}
		}
	}
	return ProcessAbsent
}

// confDirs is the directory of configFile as given (made absolute) and
// with symbolic links resolved: the start scripts may name either.
func confDirs(configFile string) []string {
	if configFile == "" {
		return nil
	}
	abs, err := filepath.Abs(configFile)
	if err != nil {
		return nil
	}
	dirs := []string{filepath.Dir(abs)}
	if real, err := filepath.EvalSymlinks(dirs[0]); err == nil && real != dirs[0] {
		dirs = append(dirs, real)
	}
	return dirs
}

func isPID(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isRefused reports whether err says nothing listens on the address. The
// driver formats its dial errors with %v, so the text is checked as well.
func isRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection refused")
}

// nodeDown wraps err with ErrNodeDown when the connection was refused and
// the process table shows no Cassandra process of this node; otherwise it
// returns err unchanged. In Kubernetes mode Cassandra runs in another
// container, so the process table proves nothing there.
func nodeDown(err error, opts CQLOptions, addr string) error {
	if err == nil || opts.Kubernetes || opts.Remote || !isRefused(err) {
		return err
	}
	procRoot := opts.procRoot
	if procRoot == "" {
		procRoot = "/proc"
	}
	if NodeProcess(procRoot, opts.ConfigFile) != ProcessAbsent {
		return err
	}
	what := "no Cassandra process runs on this machine"
	if opts.ConfigFile != "" {
		what = fmt.Sprintf("no Cassandra process of this node (configured by %s) runs", opts.ConfigFile)
	}
	return fmt.Errorf("%w: nothing listens on %s and %s; start Cassandra, then run the command again: %w",
		ErrNodeDown, addr, what, err)
}
