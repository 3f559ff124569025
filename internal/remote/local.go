package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Local runs commands as local processes through /bin/sh, for one machine
// that hosts several nodes (and for tests). Env, when it has an entry for
// the host, is added to the environment of that host's commands (for
// instance MEDUSA_CONFIG_FILE or TMPDIR of that node).
type Local struct {
	Env map[string][]string
}

// Check reports nothing to do: the local machine is always reachable.
func (l *Local) Check(ctx context.Context, host string) error { return ctx.Err() }

// Run runs cmd with sh -c.
func (l *Local) Run(ctx context.Context, host string, cmd Command, stdout, stderr io.Writer) error {
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd.String())
	c.Stdout, c.Stderr = stdout, stderr
	c.Env = append(os.Environ(), l.Env[host]...)
	err := c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() >= 0 {
		return &ExitError{Host: host, Code: ee.ExitCode()}
	}
	if err != nil {
		return fmt.Errorf("%s: run %s: %w", host, cmd.Argv[0], err)
	}
	return nil
}

// Close does nothing.
func (l *Local) Close() error { return nil }
