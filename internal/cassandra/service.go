package cassandra

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// ServiceCommands are [cassandra] start_cmd and stop_cmd. Each runs through
// /bin/sh -c, so anything Medusa's shlex split accepted works, and so do
// pipes and environment assignments.
type ServiceCommands struct {
	Start string
	Stop  string
	// WaitDelay bounds how long a command's output pipes may stay open
	// after it exits (daemonizing start scripts; default 10 s).
	WaitDelay time.Duration
}

// StartNode runs start_cmd.
func (s ServiceCommands) StartNode(ctx context.Context) error {
	return s.run(ctx, "start_cmd", s.Start)
}

// StopNode runs stop_cmd.
func (s ServiceCommands) StopNode(ctx context.Context) error {
	return s.run(ctx, "stop_cmd", s.Stop)
}

func (s ServiceCommands) run(ctx context.Context, what, command string) error {
	if strings.TrimSpace(command) == "" {
		return fmt.Errorf("[cassandra] %s is empty", what)
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = s.WaitDelay
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = 10 * time.Second
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("[cassandra] %s %q: %w: %s", what, command, err, lastLines(out.String(), 8))
	}
	return nil
}
