// Package remote runs medusa's node-side commands on the nodes of a
// cluster, over SSH (the [ssh] section of medusa.ini). The cluster
// commands (backup-cluster, restore-cluster) only see the Executor
// interface, so tests can run them against fakes.
package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Command is one command to run on one host: a medusa command line as argv
// (argv[0] is the program, normally "medusa"), run in Dir when set.
type Command struct {
	Argv []string
	// Dir is the working directory on the host ("" = the login directory).
	Dir string
	// Sudo runs the command through sudo (medusa.ini [cassandra] use_sudo).
	Sudo bool
}

// String is the command as a POSIX shell line, every argument quoted.
func (c Command) String() string {
	words := make([]string, 0, len(c.Argv)+2)
	if c.Sudo {
		words = append(words, "sudo", "-n", "--")
	}
	for _, a := range c.Argv {
		words = append(words, Quote(a))
	}
	line := strings.Join(words, " ")
	if c.Dir != "" {
		line = "mkdir -p " + Quote(c.Dir) + " && cd " + Quote(c.Dir) + " && " + line
	}
	return line
}

// Executor runs commands on the hosts of a cluster. Implementations are
// safe for concurrent use; Run on different hosts may run in parallel.
type Executor interface {
	// Check connects to host and authenticates, changing nothing; the
	// error names the host and what to do.
	Check(ctx context.Context, host string) error
	// Run runs cmd on host, copying its standard output and error to
	// stdout and stderr as they come. A command that ran and failed
	// returns an *ExitError; any other error means the command could not
	// be run or its end could not be seen (connection lost).
	Run(ctx context.Context, host string, cmd Command, stdout, stderr io.Writer) error
	// Close releases connections.
	Close() error
}

// ExitError is a command that ran on Host and exited with Code.
type ExitError struct {
	Host string
	Code int
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s: command exited with status %d", e.Host, e.Code)
}

// ExitCode returns the exit status of a command that ran and failed, and
// false for other errors.
func ExitCode(err error) (int, bool) {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code, true
	}
	return 0, false
}

// Quote quotes s for a POSIX shell: as is when it holds only safe
// characters, else in single quotes.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
