package cassandra

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// maxStartLogScan bounds how much of system.log a startup diagnosis reads.
const maxStartLogScan = 16 << 20

// SystemLogPath finds the node's system.log: $CASSANDRA_LOG_DIR, then
// logs/ beside the configuration directory (tarball installs), then
// /var/log/cassandra (packages). It returns "" when none exists.
func SystemLogPath(configFile string, getenv func(string) string) string {
	var dirs []string
	if getenv != nil {
		if d := getenv("CASSANDRA_LOG_DIR"); d != "" {
			dirs = append(dirs, d)
		}
	}
	if configFile != "" {
		dirs = append(dirs, filepath.Join(filepath.Dir(filepath.Dir(configFile)), "logs"))
	}
	dirs = append(dirs, "/var/log/cassandra")
	for _, d := range dirs {
		p := filepath.Join(d, "system.log")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// StartLog remembers where system.log ended before a start, so that what
// the start wrote can be read back when it fails.
type StartLog struct {
	Path   string // "" when the log was not found
	Offset int64
}

// MarkStartLog records the current end of the log at path ("" gives a
// StartLog that explains nothing).
func MarkStartLog(path string) StartLog {
	m := StartLog{Path: path}
	if fi, err := os.Stat(path); path != "" && err == nil {
		m.Offset = fi.Size()
	}
	return m
}

// exceptionLine is the first line of a Java stack trace: a class name
// ending in Exception or Error, then its message.
var exceptionLine = regexp.MustCompile(`^([a-zA-Z_$][\w$]*\.)+[\w$]*(Exception|Error)(: |$)`)

// Explain returns the first ERROR line and the first exception line the
// log got since the mark, with the log's path, or "" when it has none. A
// log rotated since the mark is read from its start.
func (m StartLog) Explain() string {
	if m.Path == "" {
		return ""
	}
	f, err := os.Open(m.Path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() >= m.Offset {
		if _, err := f.Seek(m.Offset, io.SeekStart); err != nil {
			return ""
		}
	}
	errLine, exc := firstProblem(io.LimitReader(f, maxStartLogScan))
	switch {
	case errLine == "" && exc == "":
		return ""
	case exc == "":
		return fmt.Sprintf("%s says: %s", m.Path, errLine)
	case errLine == "":
		return fmt.Sprintf("%s says: %s", m.Path, exc)
	}
	return fmt.Sprintf("%s says: %s / %s", m.Path, errLine, exc)
}

// firstProblem scans a log for its first ERROR line and the first
// exception line after it; without an ERROR line, for the first exception
// line (warnings carry traces too, so one after an ERROR is preferred).
func firstProblem(r io.Reader) (errLine, exc string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	anyExc := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if errLine == "" && strings.HasPrefix(line, "ERROR ") {
			errLine = line
			continue
		}
		if exceptionLine.MatchString(line) {
			if errLine != "" {
				return errLine, line
			}
			if anyExc == "" {
				anyExc = line
			}
		}
	}
	if errLine != "" {
		return errLine, ""
	}
	return "", anyExc
}
