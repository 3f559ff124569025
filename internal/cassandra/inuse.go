package cassandra

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcessesUsing returns the ids of the processes, other than this one,
// that hold a file open under one of dirs, found through /proc/<pid>/fd.
// A Cassandra process keeps its commit log segments and SSTables open until
// it has exited, so an empty answer after its ports closed means no JVM is
// still flushing into the data directory. Processes whose /proc entries
// cannot be read (other users' when not root) are not seen; ok is false
// when /proc itself cannot be read.
func ProcessesUsing(dirs ...string) (pids []int, ok bool) {
	return processesUsing("/proc", dirs...)
}

func processesUsing(proc string, dirs ...string) ([]int, bool) {
	entries, err := os.ReadDir(proc)
	if err != nil {
		return nil, false
	}
	var prefixes []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if r, err := filepath.EvalSymlinks(d); err == nil {
			d = r
		}
		prefixes = append(prefixes, strings.TrimSuffix(filepath.Clean(d), "/")+"/")
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if holdsFileUnder(filepath.Join(proc, e.Name(), "fd"), prefixes) {
			pids = append(pids, pid)
		}
	}
	return pids, true
}

func holdsFileUnder(fdDir string, prefixes []string) bool {
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if err != nil {
			continue
		}
		target = strings.TrimSuffix(target, " (deleted)")
		for _, p := range prefixes {
			if strings.HasPrefix(target+"/", p) {
				return true
			}
		}
	}
	return false
}
